//! A real Envoy process: started on a bootstrap (or any config file), ready once the admin API says LIVE
//! and every listener is bound, spoken to over loopback, killed on drop.

mod admin;
mod log;
mod options;
mod process;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use tempfile::TempDir;

pub use log::LogCursor;
pub use options::EnvoyOptions;

use crate::error::{StartupFailure, StartupOutcome, TAIL_LINES, tail};
use crate::locate::{envoy_binary, module_dir};
use crate::wait::{DEFAULT_WAIT, Deadline};
use crate::{Bootstrap, HarnessError, HttpRequest, HttpResponse, StreamingRequest};
use process::Process;

/// The environment variable Envoy searches for `lib<name>.so` modules.
const MODULE_SEARCH_PATH: &str = "ENVOY_DYNAMIC_MODULES_SEARCH_PATH";

/// A running Envoy. Dropping it kills the process (and its process group).
pub struct Envoy {
    process: Process,
    admin: SocketAddr,
    listeners: BTreeMap<String, SocketAddr>,
    default_listener: Option<String>,
}

impl Envoy {
    /// Writes `bootstrap` and starts Envoy on it. Ready means: LIVE, and every listener bound.
    /// A rejected config comes back as [`HarnessError::Startup`] carrying Envoy's log.
    pub async fn start(bootstrap: &Bootstrap, options: EnvoyOptions) -> Result<Self, HarnessError> {
        for module in bootstrap.modules() {
            module.check_present()?;
        }
        let work_dir = work_dir()?;
        let config = work_dir.path().join("bootstrap.json");
        let text = serde_json::to_string_pretty(&bootstrap.to_json()).map_err(|err| {
            HarnessError::Unexpected {
                what: "bootstrap".to_owned(),
                detail: err.to_string(),
            }
        })?;
        std::fs::write(&config, text)
            .map_err(|err| HarnessError::io(format!("write {}", config.display()), err))?;
        Self::launch(work_dir, &config, &bootstrap.listener_names(), options).await
    }

    /// Starts Envoy on any config file (e.g. the bootstrap the controller prints). Ready means LIVE; listeners
    /// that arrive later are found with [`Envoy::wait_for_listener`].
    pub async fn start_from_file(
        config: &Path,
        options: EnvoyOptions,
    ) -> Result<Self, HarnessError> {
        let config = std::path::absolute(config)
            .map_err(|err| HarnessError::io(format!("resolve {}", config.display()), err))?;
        Self::launch(work_dir()?, &config, &[], options).await
    }

    async fn launch(
        work_dir: TempDir,
        config: &Path,
        listeners: &[String],
        options: EnvoyOptions,
    ) -> Result<Self, HarnessError> {
        let binary = envoy_binary()?;
        let admin_file = work_dir.path().join("admin-address");
        let mut command = process::command(&binary);
        command
            .arg("--config-path")
            .arg(config)
            .args(["--concurrency", &options.concurrency.to_string()])
            // No hot restart means no shared memory and no domain socket: any number of Envoys, in this
            // process or others, run side by side without --base-id bookkeeping.
            .arg("--disable-hot-restart")
            .arg("--admin-address-path")
            .arg(&admin_file)
            .args(["--log-level", &options.log_level])
            // File access logs are flushed every 10 s by default; tests read them right after a request.
            .args(["--file-flush-interval-msec", "20"]);
        if let Some(levels) = &options.component_log_level {
            command.args(["--component-log-level", levels]);
        }
        command.args(&options.args);
        if let Ok(dir) = module_dir() {
            command.env(MODULE_SEARCH_PATH, dir);
        }
        command.envs(options.env.iter().map(|(name, value)| (name, value)));

        let process = Process::spawn(command, work_dir)?;
        let (admin, bound) =
            await_ready(&process, &admin_file, listeners, options.startup_timeout).await?;
        let default_listener = listeners.first().or_else(|| bound.keys().next()).cloned();
        Ok(Self {
            process,
            admin,
            listeners: bound,
            default_listener,
        })
    }

    /// The admin API address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// Where listener `name` is bound.
    pub fn listener_addr(&self, name: &str) -> Result<SocketAddr, HarnessError> {
        self.listeners
            .get(name)
            .copied()
            .ok_or_else(|| HarnessError::Unexpected {
                what: format!("listener {name}"),
                detail: format!(
                    "not bound at startup; bound: {:?}",
                    self.listeners.keys().collect::<Vec<_>>()
                ),
            })
    }

    /// Where the first listener of the bootstrap is bound.
    pub fn addr(&self) -> Result<SocketAddr, HarnessError> {
        match &self.default_listener {
            Some(name) => self.listener_addr(name),
            None => Err(HarnessError::Unexpected {
                what: "Envoy listeners".to_owned(),
                detail: "no listener was bound at startup".to_owned(),
            }),
        }
    }

    /// Sends `request` to the first listener.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HarnessError> {
        let addr = self.addr()?;
        request.send(addr).await.map_err(|err| self.annotate(err))
    }

    /// Sends `request` to listener `listener`.
    pub async fn send_to(
        &self,
        listener: &str,
        request: HttpRequest,
    ) -> Result<HttpResponse, HarnessError> {
        let addr = self.listener_addr(listener)?;
        request.send(addr).await.map_err(|err| self.annotate(err))
    }

    /// `GET path` on the first listener.
    pub async fn get(&self, path: &str) -> Result<HttpResponse, HarnessError> {
        self.send(HttpRequest::get(path)).await
    }

    /// Starts `request` on the first listener with a body pushed chunk by chunk.
    pub async fn stream(&self, request: HttpRequest) -> Result<StreamingRequest, HarnessError> {
        request.stream(self.addr()?).await
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Envoy's working directory (holds `bootstrap.json`, `envoy.log`, and relative access log files).
    pub fn work_dir(&self) -> &Path {
        self.process.work_path()
    }

    /// The file holding Envoy's stderr and stdout.
    pub fn log_path(&self) -> PathBuf {
        self.process.log_path().to_path_buf()
    }

    /// How Envoy ended, if it has (a module panic aborts it).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.process.exit_status()
    }

    /// Waits until Envoy exits by itself; returns how.
    pub async fn wait_for_exit(&self) -> Result<ExitStatus, HarnessError> {
        let mut deadline = Deadline::after(DEFAULT_WAIT);
        loop {
            if let Some(status) = self.exit_status() {
                return Ok(status);
            }
            if !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("Envoy (pid {}) to exit", self.pid()),
                    waited: deadline.elapsed(),
                    detail: String::new(),
                });
            }
        }
    }

    /// Kills Envoy now (dropping does the same).
    pub fn kill(&self) {
        self.process.kill();
    }

    /// "Envoy exited (status); log tail", or empty while it runs: added to errors so a crash explains itself.
    fn exit_note(&self) -> String {
        match self.exit_status() {
            Some(status) => format!(
                "Envoy exited ({status}); last log lines:\n{}\n",
                tail(&self.log(), TAIL_LINES)
            ),
            None => String::new(),
        }
    }

    fn annotate(&self, err: HarnessError) -> HarnessError {
        let note = self.exit_note();
        match err {
            HarnessError::Http { what, detail } if !note.is_empty() => HarnessError::Http {
                what,
                detail: format!("{detail}\n{note}"),
            },
            other => other,
        }
    }
}

impl fmt::Debug for Envoy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envoy")
            .field("pid", &self.pid())
            .field("admin", &self.admin)
            .field("listeners", &self.listeners)
            .field("work_dir", &self.work_dir())
            .finish()
    }
}

fn work_dir() -> Result<TempDir, HarnessError> {
    tempfile::Builder::new()
        .prefix("dynagate-e2e-")
        .tempdir()
        .map_err(|err| HarnessError::io("create Envoy's working directory", err))
}

/// Polls until Envoy is LIVE with every `listeners` bound; fails fast with the log when it exits.
async fn await_ready(
    process: &Process,
    admin_file: &Path,
    listeners: &[String],
    timeout: Duration,
) -> Result<(SocketAddr, BTreeMap<String, SocketAddr>), HarnessError> {
    let mut deadline = Deadline::after(timeout);
    let mut admin = None;
    loop {
        if let Some(status) = process.exit_status() {
            return Err(StartupFailure {
                outcome: StartupOutcome::Exited(status),
                log: process.log(),
            }
            .into());
        }
        if admin.is_none() {
            admin = admin::read_admin_address(admin_file);
        }
        if let Some(addr) = admin
            && admin::is_live(addr).await
            && let Ok(bound) = admin::listeners(addr).await
            && listeners.iter().all(|name| bound.contains_key(name))
        {
            return Ok((addr, bound));
        }
        if !deadline.pause().await {
            process.kill();
            return Err(StartupFailure {
                outcome: StartupOutcome::NotReady(timeout),
                log: process.log(),
            }
            .into());
        }
    }
}
