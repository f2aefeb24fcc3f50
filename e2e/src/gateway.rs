//! Fixtures for tests of the controller: a watched manifest directory written the way tools write it,
//! manifest builders for a Gateway and its backends, a Gateway listener port, Envoy started on a
//! controller-printed bootstrap, polling for eventually-consistent conditions, steady traffic during
//! configuration changes, and tolerances for random splits.
//!
//! The harness does not depend on the controller: tests start it themselves and hand over the bootstrap.

mod manifests;
mod sampling;
#[cfg(test)]
mod tests;
mod traffic;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;

pub use manifests::{
    GATEWAY_CLASS, GATEWAY_NAME, GATEWAY_NAMESPACE, endpoint_service_manifest, gateway_manifest,
    static_backend_manifest,
};
pub use sampling::{TOLERANCE_SIGMAS, binomial_range};
pub use traffic::{Outcome, Traffic, TrafficReport};

use crate::wait::{Deadline, poll};
use crate::{Envoy, EnvoyOptions, HarnessError};

/// How long [`eventually`] polls: a configuration change goes through a file watcher, the translation and
/// xDS, and Envoy reconnects with backoff; the machine may also be busy compiling.
pub const CONTROL_PLANE_WAIT: Duration = Duration::from_secs(20);

/// A temporary directory of manifests for `dynagate run --manifests`; removed on drop.
#[derive(Debug)]
pub struct ManifestDir {
    dir: TempDir,
}

impl ManifestDir {
    /// An empty directory.
    pub fn new() -> Result<Self, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("dynagate-manifests-")
            .tempdir()
            .map_err(|err| HarnessError::io("create a manifest directory", err))?;
        Ok(Self { dir })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Creates or replaces `name` atomically (write a hidden file, then rename), as editors and
    /// `kubectl`-style tools do, so the watcher never reads half a file.
    pub fn write(&self, name: &str, text: &str) -> Result<(), HarnessError> {
        let staged = self.path().join(format!(".{name}.tmp"));
        let target = self.path().join(name);
        std::fs::write(&staged, text)
            .map_err(|err| HarnessError::io(format!("write {}", staged.display()), err))?;
        std::fs::rename(&staged, &target)
            .map_err(|err| HarnessError::io(format!("rename to {}", target.display()), err))
    }

    /// Deletes `name`.
    pub fn remove(&self, name: &str) -> Result<(), HarnessError> {
        let target = self.path().join(name);
        std::fs::remove_file(&target)
            .map_err(|err| HarnessError::io(format!("remove {}", target.display()), err))
    }
}

/// A port for a Gateway listener. A Gateway manifest needs a real port number before Envoy binds it, so
/// this binds port 0 and releases it for Envoy to take: a narrow race with other processes, never a
/// collision between tests using fixed numbers.
pub fn reserve_port() -> Result<u16, HarnessError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| HarnessError::io("reserve a port for a Gateway listener", err))
}

/// Starts Envoy on `bootstrap` (the YAML `dynagate bootstrap` prints) and waits until the listener named
/// `listener` arrives over xDS and is bound; returns Envoy and that listener's address.
pub async fn start_envoy_from_bootstrap(
    bootstrap: &str,
    listener: &str,
    options: EnvoyOptions,
) -> Result<(Envoy, SocketAddr), HarnessError> {
    let staging = tempfile::Builder::new()
        .prefix("dynagate-bootstrap-")
        .tempdir()
        .map_err(|err| HarnessError::io("create a bootstrap directory", err))?;
    let config = staging.path().join("envoy.yaml");
    std::fs::write(&config, bootstrap)
        .map_err(|err| HarnessError::io(format!("write {}", config.display()), err))?;
    // Envoy reads its bootstrap once, at startup: the file is not needed once it is live.
    let envoy = Envoy::start_from_file(&config, options).await?;
    let addr = envoy.wait_for_listener(listener).await?;
    Ok((envoy, addr))
}

/// Polls `probe` until it yields a value, for up to [`CONTROL_PLANE_WAIT`]. `what` names the condition
/// in the timeout error; the error also carries the probe's last explanation (`Err` values).
pub async fn eventually<T, F>(what: &str, probe: impl FnMut() -> F) -> Result<T, HarnessError>
where
    F: Future<Output = Result<T, String>>,
{
    poll(what, Deadline::after(CONTROL_PLANE_WAIT), probe).await
}
