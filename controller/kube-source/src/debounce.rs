//! Debounced change notifications: a burst of watch events (a `kubectl apply -f dir/`, a rollout's
//! EndpointSlice churn) becomes one translation, and nothing is reported before the source is settled.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

#[cfg(test)]
mod tests;

/// A change is reported once events stop for this long...
pub const QUIET: Duration = Duration::from_millis(150);
/// ...or this long after the first event, whichever comes first (steady churn still gets through).
pub const MAX_DELAY: Duration = Duration::from_millis(500);

/// The state of a source, as published to its [`Changes`] receivers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bumped on every change of the object set.
    pub generation: u64,
    /// Every watcher has completed its initial list.
    pub synced: bool,
    /// Synced, and no referenced Secret is waiting to be fetched: a snapshot now is complete.
    pub settled: bool,
}

/// Debounced notifications that the object set changed.
#[derive(Debug)]
pub struct Changes {
    progress: watch::Receiver<Progress>,
    quiet: Duration,
    max_delay: Duration,
    /// Generation last reported (`None`: nothing reported yet, so the first settled state is reported).
    reported: Option<u64>,
}

impl Changes {
    /// Notifications for `progress` with the default timing.
    pub fn new(progress: watch::Receiver<Progress>) -> Self {
        Self::with_timing(progress, QUIET, MAX_DELAY)
    }

    /// Notifications with explicit timing.
    pub fn with_timing(
        progress: watch::Receiver<Progress>,
        quiet: Duration,
        max_delay: Duration,
    ) -> Self {
        Self {
            progress,
            quiet,
            max_delay,
            reported: None,
        }
    }

    /// Resolves once the object set differs from the last report, the changes have settled (quiet
    /// for `quiet`, or `max_delay` after the first) and the source is settled. The first call
    /// reports the first settled state (the initial lists, coalesced the same way). `None` when the
    /// source is gone.
    pub async fn next(&mut self) -> Option<Progress> {
        let reported = self.reported;
        self.progress
            .wait_for(|p| reported != Some(p.generation))
            .await
            .ok()?;
        self.coalesce().await?;
        let settled = *self.progress.wait_for(|p| p.settled).await.ok()?;
        self.reported = Some(settled.generation);
        Some(settled)
    }

    /// Waits until no change arrived for `quiet`, or `max_delay` passed.
    async fn coalesce(&mut self) -> Option<()> {
        let deadline = Instant::now() + self.max_delay;
        loop {
            let wake = (Instant::now() + self.quiet).min(deadline);
            tokio::select! {
                changed = self.progress.changed() => changed.ok()?,
                () = tokio::time::sleep_until(wake) => return Some(()),
            }
            if Instant::now() >= deadline {
                return Some(());
            }
        }
    }
}
