//! A background process of a test cluster (etcd, kube-apiserver, the controller under test): output in a log
//! file, its own process group, killed with the test process and on drop, its log shown when a test fails.

use std::path::Path;
use std::process::ExitStatus;
use std::thread;
use std::time::Duration;

use crate::HarnessError;
use crate::error::{TAIL_LINES, tail};
use crate::process::{GroupChild, command};
use crate::wait::Deadline;

/// A running (or exited) background process. Dropping it kills its process group.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    child: GroupChild,
}

impl Daemon {
    /// Starts `binary args..` with `env`, stdout and stderr appended to `log_dir/<name>.log`.
    pub fn spawn(
        name: &str,
        binary: &Path,
        args: &[String],
        env: &[(String, String)],
        log_dir: &Path,
    ) -> Result<Self, HarnessError> {
        let mut command = command(binary);
        command
            .args(args)
            .envs(env.iter().map(|(key, value)| (key, value)));
        let log_path = log_dir.join(format!("{name}.log"));
        let what = format!("{name} ({})", binary.display());
        let child = GroupChild::spawn(command, log_dir, log_path, &what)?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// The name given at spawn (also the log file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The file holding its stdout and stderr.
    pub fn log_path(&self) -> &Path {
        self.child.log_path()
    }

    /// Everything it has written so far.
    pub fn log(&self) -> String {
        self.child.log()
    }

    /// How it ended, once it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.exit_status()
    }

    /// Polls its log for a line containing `needle` and returns that line; fails early when it exits.
    pub async fn wait_for_line(
        &self,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, HarnessError> {
        let mut deadline = Deadline::after(timeout);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|line| line.contains(needle)) {
                return Ok(line.to_owned());
            }
            if let Some(status) = self.exit_status() {
                return Err(self.failure(&format!("exited ({status}) before printing {needle:?}")));
            }
            if !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("{} to print {needle:?}", self.name),
                    waited: deadline.elapsed(),
                    detail: tail(&log, TAIL_LINES),
                });
            }
        }
    }

    /// An error saying `what` happened to this daemon, with its log tail.
    pub fn failure(&self, what: &str) -> HarnessError {
        HarnessError::Unexpected {
            what: format!("{} (pid {})", self.name, self.pid()),
            detail: format!(
                "{what}; last log lines ({}):\n{}",
                self.log_path().display(),
                tail(&self.log(), TAIL_LINES)
            ),
        }
    }

    /// Kills the whole process group and reaps the process.
    pub fn kill(&self) {
        self.child.kill();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            eprintln!(
                "--- {} pid {} log ({}), last {TAIL_LINES} lines ---\n{}\n--- end of {} log ---",
                self.name,
                self.pid(),
                self.log_path().display(),
                tail(&self.log(), TAIL_LINES),
                self.name
            );
        }
    }
}
