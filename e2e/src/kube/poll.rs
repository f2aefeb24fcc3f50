//! Polling cluster-side effects with a deadline (garbage collection, controllers, status writes).

use std::future::Future;
use std::time::Duration;

use crate::HarnessError;
use crate::wait::{Deadline, poll};

/// The first pause between polls; doubles up to [`MAX_PAUSE`]. Probes here run kubectl or call the
/// apiserver, so they back off further than the harness's in-process polls.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// Polls `probe` until it yields a value, for up to `timeout`; the timeout error carries the probe's last
/// explanation. Like [`crate::eventually`], with a deadline for slower cluster-side effects.
pub async fn poll_until<T, F>(
    what: &str,
    timeout: Duration,
    probe: impl FnMut() -> F,
) -> Result<T, HarnessError>
where
    F: Future<Output = Result<T, String>>,
{
    let deadline = Deadline::with_pauses(timeout, FIRST_PAUSE, MAX_PAUSE);
    poll(what, deadline, probe).await
}
