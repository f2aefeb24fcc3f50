//! The status writer: a task that applies the latest [`StatusReport`] to the API server.
//!
//! Reports describe the whole state, so the queue holds one report: a newer one replaces an older unsent
//! one (`tokio::sync::watch`). Per report, only objects whose desired status differs from what this
//! writer last wrote are applied, at most [`MAX_CONCURRENT_WRITES`] at a time. Failed writes that may
//! succeed later are retried by re-running the latest report after a growing delay.

mod apply;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dynagate_api::ObjectKey;
use dynagate_ir::{ObjectStatus, StatusReport};
use futures::StreamExt;
use tokio::sync::watch;

use crate::document::StatusShape;
use apply::WriteOutcome;

/// Field manager of every status write (server-side apply).
pub const FIELD_MANAGER: &str = "dynagate-controller";

/// Most status writes in flight at once.
pub const MAX_CONCURRENT_WRITES: usize = 4;

/// First delay before re-running a report that had retryable failures; doubles up to [`MAX_RERUN_DELAY`].
const FIRST_RERUN_DELAY: Duration = Duration::from_secs(1);
/// Longest delay between re-runs of a report with failures.
const MAX_RERUN_DELAY: Duration = Duration::from_secs(60);

/// Handle to the status writer task. Cheap to clone; the task ends when every handle is dropped.
#[derive(Clone, Debug)]
pub struct StatusWriter {
    latest: Arc<watch::Sender<Option<Arc<StatusReport>>>>,
}

impl StatusWriter {
    /// Starts the writer task on the current Tokio runtime.
    pub fn spawn(client: kube::Client) -> Self {
        let (latest, reports) = watch::channel(None);
        tokio::spawn(run(client, reports));
        Self {
            latest: Arc::new(latest),
        }
    }

    /// Queues a report for writing; never blocks. A report not yet picked up is replaced by this one.
    ///
    /// Callers submit only while they lead (see [`crate::LeaderElection`]): followers must not write.
    pub fn submit(&self, report: Arc<StatusReport>) {
        self.latest.send_replace(Some(report));
    }
}

/// The writer loop: waits for a new report (or a re-run after failures) and writes it.
async fn run(client: kube::Client, mut reports: watch::Receiver<Option<Arc<StatusReport>>>) {
    let mut written = WrittenStatus::default();
    let mut rerun: Option<Duration> = None;
    loop {
        match rerun {
            None => {
                if reports.changed().await.is_err() {
                    return;
                }
            }
            Some(delay) => {
                tokio::select! {
                    changed = reports.changed() => if changed.is_err() { return },
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
        let Some(report) = reports.borrow_and_update().clone() else {
            continue;
        };
        let failures = written.write(&client, &report).await;
        rerun = next_rerun_delay(rerun, failures);
        if let Some(delay) = rerun {
            tracing::info!(
                failures,
                ?delay,
                "some status writes failed; retrying later"
            );
        }
    }
}

/// After a pass with `failures` retryable failures, how long to wait before re-running (None: wait for
/// the next report only).
pub(crate) fn next_rerun_delay(previous: Option<Duration>, failures: usize) -> Option<Duration> {
    if failures == 0 {
        return None;
    }
    Some(previous.map_or(FIRST_RERUN_DELAY, |d| (d * 2).min(MAX_RERUN_DELAY)))
}

/// What this writer last applied, per object (desired status without timestamps).
#[derive(Debug, Default)]
pub(crate) struct WrittenStatus {
    applied: HashMap<ObjectKey, ObjectStatus>,
}

impl WrittenStatus {
    /// Objects of the report whose status must be written: those of a kind with a writable status whose
    /// desired status differs from what was last written.
    pub(crate) fn changed<'a>(
        &self,
        report: &'a StatusReport,
    ) -> Vec<(&'a ObjectKey, &'a ObjectStatus, StatusShape)> {
        report
            .objects
            .iter()
            .filter_map(|(key, status)| {
                let shape = StatusShape::of(key.kind)?;
                (self.applied.get(key) != Some(status)).then_some((key, status, shape))
            })
            .collect()
    }

    /// Records the outcome of one write.
    pub(crate) fn record(&mut self, key: &ObjectKey, status: &ObjectStatus, outcome: WriteOutcome) {
        match outcome {
            // A write the server refuses for good is not retried until the desired status changes.
            WriteOutcome::Written | WriteOutcome::Rejected => {
                self.applied.insert(key.clone(), status.clone());
            }
            // Forget deleted objects: one recreated under the same name gets its status written.
            WriteOutcome::Gone => {
                self.applied.remove(key);
            }
            WriteOutcome::Failed => {}
        }
    }

    /// Writes every changed object of the report; returns how many writes failed but may succeed later.
    async fn write(&mut self, client: &kube::Client, report: &StatusReport) -> usize {
        // Owned items: a stream of borrowing closures inside a spawned task trips the compiler's
        // higher-ranked lifetime inference.
        let changed: Vec<(ObjectKey, ObjectStatus, StatusShape)> = self
            .changed(report)
            .into_iter()
            .map(|(key, status, shape)| (key.clone(), status.clone(), shape))
            .collect();
        let outcomes: Vec<_> = futures::stream::iter(changed)
            .map(|(key, status, shape)| {
                let client = client.clone();
                async move {
                    let outcome = apply::write_object(&client, &key, &status, shape).await;
                    (key, status, outcome)
                }
            })
            .buffer_unordered(MAX_CONCURRENT_WRITES)
            .collect()
            .await;
        let mut failures = 0;
        for (key, status, outcome) in outcomes {
            if outcome == WriteOutcome::Failed {
                failures += 1;
            }
            self.record(&key, &status, outcome);
        }
        failures
    }
}

#[cfg(test)]
mod tests;
