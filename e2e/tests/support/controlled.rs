//! A Gateway served through the controller: a manifest directory with the Gateway under test, `dynagate
//! run` on it (in-process), and a stock Envoy on the bootstrap `dynagate bootstrap` renders for it.
//!
//! Shared by the controller-driven test binaries; each includes this file with `#[path]` (the e2e library
//! does not depend on the controller, so this cannot live there).
#![allow(
    clippy::unwrap_used,
    reason = "test setup should fail loudly; the crate roots including this file do not all allow it"
)]
#![allow(
    dead_code,
    reason = "every test binary includes this file but reads only the fields it needs; the rest are held \
              for their Drop (the controller, Envoy and the manifest directory must outlive the test)"
)]

use std::net::SocketAddr;

use dynagate_controller::bootstrap::{BootstrapParams, GatewayKey};
use dynagate_controller::run::{Controller, TranslateOptions};
use dynagate_e2e::{
    Envoy, EnvoyOptions, GATEWAY_NAME, GATEWAY_NAMESPACE, ManifestDir, module_dir, reserve_port,
    start_envoy_from_bootstrap,
};

/// The controller and an Envoy serving Gateway `default/edge`, with the manifest directory they follow.
///
/// Fields drop in declaration order: Envoy first, then the controller, then the manifests it watches.
pub struct ControlledGateway {
    /// Envoy, started on the controller's bootstrap.
    pub envoy: Envoy,
    /// The controller (`dynagate run --manifests`), on ephemeral xDS and admin ports.
    pub controller: Controller,
    /// The directory the controller watches; write to it to push a change.
    pub manifests: ManifestDir,
    /// Where Envoy's Gateway listener (the one on `port`) accepts connections.
    pub addr: SocketAddr,
    /// The Gateway listener's port, as written in the Gateway manifest.
    pub port: u16,
}

impl ControlledGateway {
    /// Reserves a port, writes `gateway.yaml` (`gateway(port)`, usually [`dynagate_e2e::gateway_manifest`])
    /// and then `files` (name, YAML) to a new manifest directory, starts the controller on it and Envoy on
    /// the bootstrap it renders, and waits until the listener `listener~{port}` is bound.
    pub async fn start<N, T>(gateway: impl FnOnce(u16) -> String, files: &[(N, T)]) -> Self
    where
        N: AsRef<str>,
        T: AsRef<str>,
    {
        Self::start_with(gateway, files, EnvoyOptions::default()).await
    }

    /// [`Self::start`], with Envoy started with `options` (e.g. environment variables for the proxy).
    pub async fn start_with<N, T>(
        gateway: impl FnOnce(u16) -> String,
        files: &[(N, T)],
        options: EnvoyOptions,
    ) -> Self
    where
        N: AsRef<str>,
        T: AsRef<str>,
    {
        Self::start_translated(gateway, files, options, TranslateOptions::default()).await
    }

    /// [`Self::start_with`], with the controller translating with `translate` (what `dynagate run`
    /// flags such as `--aws-sts-endpoint` set).
    pub async fn start_translated<N, T>(
        gateway: impl FnOnce(u16) -> String,
        files: &[(N, T)],
        options: EnvoyOptions,
        translate: TranslateOptions,
    ) -> Self
    where
        N: AsRef<str>,
        T: AsRef<str>,
    {
        let manifests = ManifestDir::new().unwrap();
        let port = reserve_port().unwrap();
        manifests.write("gateway.yaml", &gateway(port)).unwrap();
        for (name, text) in files {
            manifests.write(name.as_ref(), text.as_ref()).unwrap();
        }
        let controller =
            Controller::start_with(manifests.path(), "127.0.0.1:0", "127.0.0.1:0", translate)
                .await
                .unwrap();
        let mut params = BootstrapParams::new(
            GatewayKey::new(GATEWAY_NAMESPACE, GATEWAY_NAME),
            controller.xds_addr().to_string().parse().unwrap(),
        );
        params.admin_port = 0;
        params.module_dir = Some(module_dir().unwrap());
        let (envoy, addr) = start_envoy_from_bootstrap(
            &params.render_yaml().unwrap(),
            &format!("listener~{port}"),
            options,
        )
        .await
        .unwrap();
        Self {
            envoy,
            controller,
            manifests,
            addr,
            port,
        }
    }
}
