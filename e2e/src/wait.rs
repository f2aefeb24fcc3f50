//! Polling with a deadline: how the harness waits for a condition instead of sleeping a fixed time.

use std::time::Duration;

use tokio::time::Instant;

/// How long `wait_for_*` helpers poll before giving up. Generous: the machine may be busy compiling.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// A deadline with growing pauses between polls: fast for conditions that hold almost at once, cheap for
/// slow ones.
///
/// ```text
/// let mut deadline = Deadline::after(DEFAULT_WAIT);
/// loop {
///     if condition() { break; }
///     if !deadline.pause().await { return Err(timeout) }
/// }
/// ```
#[derive(Debug)]
pub(crate) struct Deadline {
    started: Instant,
    at: Instant,
    next_pause: Duration,
    max_pause: Duration,
}

impl Deadline {
    const FIRST_PAUSE: Duration = Duration::from_millis(1);
    const MAX_PAUSE: Duration = Duration::from_millis(25);

    pub(crate) fn after(timeout: Duration) -> Self {
        Self::with_pauses(timeout, Self::FIRST_PAUSE, Self::MAX_PAUSE)
    }

    /// A deadline whose pauses start at `first` and double up to `max` (for probes that cost more than
    /// a local check, e.g. a kubectl run).
    pub(crate) fn with_pauses(timeout: Duration, first: Duration, max: Duration) -> Self {
        let started = Instant::now();
        Self {
            started,
            at: started + timeout,
            next_pause: first,
            max_pause: max,
        }
    }

    /// How long the caller has been polling.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Pauses before the next poll; `false` once the deadline has passed (poll no more).
    pub(crate) async fn pause(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.at {
            return false;
        }
        tokio::time::sleep(self.next_pause.min(self.at - now)).await;
        self.next_pause = (self.next_pause * 2).min(self.max_pause);
        true
    }
}

/// Polls `probe` until it yields a value or `deadline` passes; the timeout error names `what` and carries
/// the probe's last explanation (its `Err` value).
pub(crate) async fn poll<T, F>(
    what: &str,
    mut deadline: Deadline,
    mut probe: impl FnMut() -> F,
) -> Result<T, crate::HarnessError>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    loop {
        let last = match probe().await {
            Ok(value) => return Ok(value),
            Err(last) => last,
        };
        if !deadline.pause().await {
            return Err(crate::HarnessError::Timeout {
                what: what.to_owned(),
                waited: deadline.elapsed(),
                detail: format!("last observation: {last}"),
            });
        }
    }
}
