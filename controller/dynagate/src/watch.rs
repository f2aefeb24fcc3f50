//! Watches the manifest directory and reports debounced changes (an editor's save is several events).

use std::path::Path;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

use crate::manifests::is_manifest_file;

/// A change is acted on once events stop for this long...
const QUIET: Duration = Duration::from_millis(100);
/// ...or this long after the first event, whichever comes first (a steady stream of writes still reloads).
const MAX_DELAY: Duration = Duration::from_millis(500);
/// Poll interval when the OS watcher is unavailable (e.g. inotify limits reached).
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Change notifications for one directory tree.
pub struct DirWatcher {
    /// Kept alive: dropping it stops the notifications.
    _watcher: Box<dyn Watcher + Send>,
    changes: mpsc::Receiver<()>,
}

impl std::fmt::Debug for DirWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirWatcher").finish_non_exhaustive()
    }
}

impl DirWatcher {
    /// Watches `dir` recursively, with the OS watcher or, failing that, by polling.
    pub fn new(dir: &Path) -> notify::Result<Self> {
        // Capacity 1: pending changes coalesce into one; the reload reads the whole directory anyway.
        let (sender, changes) = mpsc::channel(1);
        let handler = move |event: notify::Result<Event>| {
            let relevant = match &event {
                Ok(event) => is_relevant(event),
                Err(err) => {
                    tracing::warn!(error = %err, "manifest watcher error; reloading to be safe");
                    true
                }
            };
            if relevant {
                let _ = sender.try_send(());
            }
        };
        let watcher: Box<dyn Watcher + Send> = match RecommendedWatcher::new(
            handler.clone(),
            notify::Config::default(),
        )
        .and_then(|mut watcher| {
            watcher
                .watch(dir, RecursiveMode::Recursive)
                .map(|()| watcher)
        }) {
            Ok(watcher) => Box::new(watcher),
            Err(err) => {
                tracing::warn!(error = %err, "OS file watcher unavailable; polling the manifest directory");
                let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
                let mut watcher = PollWatcher::new(handler, config)?;
                watcher.watch(dir, RecursiveMode::Recursive)?;
                Box::new(watcher)
            }
        };
        Ok(Self {
            _watcher: watcher,
            changes,
        })
    }

    /// Waits for the next change and for it to settle. `None` when the watcher stopped.
    pub async fn changed(&mut self) -> Option<()> {
        self.changes.recv().await?;
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            let wait = QUIET.min(deadline.saturating_duration_since(Instant::now()));
            match timeout(wait, self.changes.recv()).await {
                Ok(Some(())) if Instant::now() < deadline => continue,
                Ok(None) => return None,
                _ => return Some(()),
            }
        }
    }
}

/// Reads (our own reloads) are not changes; files that cannot be manifests are not either. Directories
/// and extension-less paths count, since a removed directory may have held manifests.
fn is_relevant(event: &Event) -> bool {
    let is_read = matches!(event.kind, EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write));
    if is_read {
        return false;
    }
    event.paths.is_empty()
        || event
            .paths
            .iter()
            .any(|path| is_manifest_file(path) || path.extension().is_none())
}
