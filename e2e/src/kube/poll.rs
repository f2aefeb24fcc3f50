//! Polling cluster-side effects with a deadline (garbage collection, controllers, status writes).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::HarnessError;

/// The first pause between polls; doubles up to [`MAX_PAUSE`]. Probes here run kubectl or call the
/// apiserver, so they back off further than the harness's in-process polls.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// Polls `probe` until it yields a value, for up to `timeout`; the timeout error carries the probe's last
/// explanation. Like [`crate::eventually`], with a deadline for slower cluster-side effects.
pub async fn poll_until<T, F>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> F,
) -> Result<T, HarnessError>
where
    F: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let last = match probe().await {
            Ok(value) => return Ok(value),
            Err(last) => last,
        };
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(HarnessError::Timeout {
                what: what.to_owned(),
                waited,
                detail: format!("last observation: {last}"),
            });
        }
        tokio::time::sleep(pause.min(timeout - waited)).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
