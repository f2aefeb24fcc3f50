//! Envoy's log (stderr and stdout): read it, and wait for a line to appear.

use std::path::Path;

use super::Envoy;
use crate::HarnessError;
use crate::error::{TAIL_LINES, tail};
use crate::wait::{DEFAULT_WAIT, Deadline};

/// A position in Envoy's log; lines written after it are "new" (see [`Envoy::wait_for_log_since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogCursor(usize);

impl LogCursor {
    /// The start of the log.
    pub const START: Self = Self(0);
}

impl Envoy {
    /// Everything Envoy has logged so far.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The current end of the log, to later look only at what comes after it.
    pub fn log_cursor(&self) -> LogCursor {
        LogCursor(self.log_bytes().len())
    }

    /// What Envoy logged after `cursor`.
    pub fn log_since(&self, cursor: LogCursor) -> String {
        let bytes = self.log_bytes();
        String::from_utf8_lossy(bytes.get(cursor.0..).unwrap_or_default()).into_owned()
    }

    /// Waits until a complete log line contains `needle` (anywhere in the log); returns that line.
    pub async fn wait_for_log(&self, needle: &str) -> Result<String, HarnessError> {
        self.wait_for_log_since(LogCursor::START, needle).await
    }

    /// Waits until a complete line logged after `cursor` contains `needle`; returns that line.
    /// Gives up early when Envoy has exited.
    pub async fn wait_for_log_since(
        &self,
        cursor: LogCursor,
        needle: &str,
    ) -> Result<String, HarnessError> {
        self.wait_for_line("an Envoy log line", needle, || self.log_since(cursor))
            .await
    }

    /// Waits until a complete line of file `path` (relative to [`Envoy::work_dir`], e.g. an access log)
    /// contains `needle`; returns that line.
    pub async fn wait_for_file_line(
        &self,
        path: impl AsRef<Path>,
        needle: &str,
    ) -> Result<String, HarnessError> {
        let path = self.work_dir().join(path);
        let what = format!("a line of {}", path.display());
        self.wait_for_line(&what, needle, || {
            std::fs::read(&path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default()
        })
        .await
    }

    async fn wait_for_line(
        &self,
        what: &str,
        needle: &str,
        read: impl Fn() -> String,
    ) -> Result<String, HarnessError> {
        let mut deadline = Deadline::after(DEFAULT_WAIT);
        loop {
            // Read the exit status first: a line written before the exit is still found below.
            let exited = self.exit_status().is_some();
            let text = read();
            // Only complete lines: a line still being written could miss the end of the needle.
            let complete = text.rfind('\n').map_or("", |end| &text[..end]);
            if let Some(line) = complete.lines().find(|line| line.contains(needle)) {
                return Ok(line.to_owned());
            }
            if exited || !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("{what} containing {needle:?}"),
                    waited: deadline.elapsed(),
                    detail: format!(
                        "{}last lines:\n{}",
                        self.exit_note(),
                        tail(&text, TAIL_LINES)
                    ),
                });
            }
        }
    }

    fn log_bytes(&self) -> Vec<u8> {
        std::fs::read(self.process.log_path()).unwrap_or_default()
    }
}
