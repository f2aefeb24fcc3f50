//! The harness error type, and the startup failure tests assert on when Envoy rejects a config.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong while driving Envoy, the echo upstream or an HTTP exchange.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// `ENVOY_BIN` points nowhere, or `scripts/install-envoy.sh` failed.
    #[error("cannot find the Envoy binary: {0}")]
    EnvoyBinary(String),
    /// The directory holding the built modules could not be derived.
    #[error("cannot locate the dynamic module directory: {0}")]
    ModuleDir(String),
    /// A dynamic module the bootstrap uses has not been built.
    #[error(
        "dynamic module {} does not exist: run `make modules` (or set DYNAGATE_MODULE_DIR to the \
         directory holding it)",
        path.display()
    )]
    ModuleMissing {
        /// Where the harness looked.
        path: PathBuf,
    },
    /// A file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Envoy exited or never became ready.
    #[error(transparent)]
    Startup(#[from] StartupFailure),
    /// A condition polled with a deadline never held.
    #[error(
        "timed out after {waited:?} waiting for {what}{}",
        detail_suffix(detail)
    )]
    Timeout {
        /// The condition.
        what: String,
        /// How long the harness polled.
        waited: Duration,
        /// The last observation (a stat value, a log tail), empty when there is nothing useful.
        detail: String,
    },
    /// An HTTP exchange (test client, admin API) failed below the HTTP status level.
    #[error("HTTP {what}: {detail}")]
    Http {
        /// Which exchange (e.g. `GET 127.0.0.1:10000/ready`).
        what: String,
        /// The transport or protocol error.
        detail: String,
    },
    /// A response did not have the shape the harness expected (admin output, echo JSON).
    #[error("unexpected response from {what}: {detail}")]
    Unexpected {
        /// Which response.
        what: String,
        /// What was wrong with it.
        detail: String,
    },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!("\n{detail}")
    }
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The startup failure, when this error is one: lets a test assert on a rejected config.
    pub fn startup_failure(&self) -> Option<&StartupFailure> {
        match self {
            Self::Startup(failure) => Some(failure),
            _ => None,
        }
    }
}

/// Why Envoy did not become ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartupOutcome {
    /// The process exited on its own (typically: config rejected, exit code 1).
    Exited(ExitStatus),
    /// The process kept running but was not ready (LIVE, with every expected listener bound) in time.
    NotReady(Duration),
}

/// Envoy did not start: how it ended and everything it logged. Tests that expect a rejection assert on
/// [`StartupFailure::log_contains`] or [`StartupFailure::error_lines`].
#[derive(Debug, thiserror::Error)]
#[error(
    "Envoy did not start ({outcome}); last log lines:\n{}",
    tail(log, TAIL_LINES)
)]
pub struct StartupFailure {
    /// How it ended.
    pub outcome: StartupOutcome,
    /// Envoy's complete stderr/stdout up to the failure.
    pub log: String,
}

impl std::fmt::Display for StartupOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exited(status) => write!(f, "exited: {status}"),
            Self::NotReady(waited) => write!(f, "not ready after {waited:?}"),
        }
    }
}

impl StartupFailure {
    /// Whether Envoy exited by itself (a rejected config) rather than hanging.
    pub fn exited(&self) -> bool {
        matches!(self.outcome, StartupOutcome::Exited(_))
    }

    /// Whether any log line contains `needle`.
    pub fn log_contains(&self, needle: &str) -> bool {
        self.log.contains(needle)
    }

    /// The `[error]` and `[critical]` lines: where Envoy says why it gave up.
    pub fn error_lines(&self) -> Vec<&str> {
        self.log
            .lines()
            .filter(|line| line.contains("][error][") || line.contains("][critical]["))
            .collect()
    }
}

/// How many log lines a failure message shows.
pub(crate) const TAIL_LINES: usize = 40;

/// The last `lines` lines of `log`.
pub(crate) fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
