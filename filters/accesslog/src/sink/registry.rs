//! Sinks shared by path: every logger config writing to the same file uses one sink (one queue,
//! one writer, one reopen), as Envoy's access log manager shares files.

use super::{FileSink, SinkOptions};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Live sinks by path. A sink lives while a config holds it; the next config for the same path
/// (an xDS update) picks up the live one, so the file is never closed between updates.
#[derive(Debug, Default)]
pub struct SinkRegistry {
    sinks: Mutex<HashMap<PathBuf, Weak<FileSink>>>,
}

impl SinkRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry used by the Envoy logger.
    pub fn global() -> &'static Self {
        static GLOBAL: std::sync::OnceLock<SinkRegistry> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(Self::new)
    }

    /// The live sink for `path`, or a new one opened with `options`.
    pub fn get_or_open(&self, path: &Path, options: &SinkOptions) -> io::Result<Arc<FileSink>> {
        // A panic elsewhere while holding the lock leaves the map consistent (insert/retain).
        let mut sinks = self.sinks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sink) = sinks.get(path).and_then(Weak::upgrade) {
            return Ok(sink);
        }
        sinks.retain(|_, sink| sink.strong_count() > 0);
        let sink = Arc::new(FileSink::open(path, options.clone())?);
        sinks.insert(path.to_path_buf(), Arc::downgrade(&sink));
        Ok(sink)
    }
}
