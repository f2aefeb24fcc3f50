//! The Envoy OS process: its working directory, kept with its log and the log shown when the test fails.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::thread;

use tempfile::TempDir;

use crate::HarnessError;
use crate::error::{TAIL_LINES, tail};
use crate::process::GroupChild;

pub(crate) use crate::process::command;

/// A running (or exited) Envoy and its working directory.
pub(crate) struct Process {
    child: GroupChild,
    work_dir: Option<TempDir>,
    work_path: PathBuf,
}

impl Process {
    /// Starts `command` in `work_dir`, stdout and stderr both appended to `work_dir/envoy.log`.
    pub(crate) fn spawn(
        command: std::process::Command,
        work_dir: TempDir,
    ) -> Result<Self, HarnessError> {
        let work_path = work_dir.path().to_path_buf();
        let child = GroupChild::spawn(command, &work_path, work_path.join("envoy.log"), "Envoy")?;
        Ok(Self {
            child,
            work_dir: Some(work_dir),
            work_path,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }

    pub(crate) fn work_path(&self) -> &Path {
        &self.work_path
    }

    pub(crate) fn log_path(&self) -> &Path {
        self.child.log_path()
    }

    /// Everything Envoy has written so far.
    pub(crate) fn log(&self) -> String {
        self.child.log()
    }

    /// How it ended, once it has.
    pub(crate) fn exit_status(&self) -> Option<ExitStatus> {
        self.child.exit_status()
    }

    /// Kills the whole process group and reaps the process.
    pub(crate) fn kill(&self) {
        self.child.kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            // The test failed: keep the directory (bootstrap, log) and show why Envoy might be involved.
            if let Some(dir) = self.work_dir.take() {
                let _kept = dir.keep();
            }
            eprintln!(
                "--- Envoy pid {} log (kept in {}), last {TAIL_LINES} lines ---\n{}\n--- end of Envoy log ---",
                self.pid(),
                self.work_path.display(),
                tail(&self.log(), TAIL_LINES)
            );
        }
    }
}
