//! Steady traffic beside a test: loops sending one request over and over while the configuration changes,
//! recording what each response carried, so a test can assert that no request failed during a change.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::task::JoinHandle;

use super::eventually;
use crate::{HarnessError, HttpConnection, HttpRequest, HttpResponse};

/// What one request got: the tag the echo upstream saw (the value of the tag header, `<none>` when
/// absent), or why it failed (transport error, or a status other than 200 with its body).
pub type Outcome = Result<String, String>;

/// Outcomes of one loop, in the order its requests were sent.
type Log = Arc<Mutex<Vec<Outcome>>>;

/// Running request loops; [`Traffic::stop`] ends them.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    logs: Vec<Log>,
    loops: Vec<JoinHandle<()>>,
}

/// How to send and read each request of a loop.
#[derive(Clone)]
struct LoopPlan {
    addr: SocketAddr,
    request: HttpRequest,
    tag_header: String,
    keep_alive: bool,
}

impl Traffic {
    /// Starts `keep_alive` loops that each send `request` over one connection (reopened only when it
    /// breaks or Envoy announces `connection: close`), and `fresh` loops that open a connection per
    /// request. Each success records the `tag_header` value the echo upstream received.
    pub fn start(
        addr: SocketAddr,
        request: &HttpRequest,
        tag_header: &str,
        keep_alive: usize,
        fresh: usize,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let kinds = std::iter::repeat_n(true, keep_alive).chain(std::iter::repeat_n(false, fresh));
        let mut logs = Vec::new();
        let mut loops = Vec::new();
        for keep_alive in kinds {
            let log = Log::default();
            let plan = LoopPlan {
                addr,
                request: request.clone(),
                tag_header: tag_header.to_owned(),
                keep_alive,
            };
            loops.push(tokio::spawn(request_loop(
                plan,
                Arc::clone(&stop),
                Arc::clone(&log),
            )));
            logs.push(log);
        }
        Self { stop, logs, loops }
    }

    /// Each loop's outcomes so far.
    pub fn outcomes(&self) -> Vec<Vec<Outcome>> {
        self.logs.iter().map(|log| lock(log).clone()).collect()
    }

    /// How many requests have completed, over all loops.
    pub fn completed(&self) -> usize {
        self.logs.iter().map(|log| lock(log).len()).sum()
    }

    /// Waits until `condition` holds for the outcomes of every loop.
    pub async fn wait_for_every_loop(
        &self,
        what: &str,
        condition: impl Fn(&[Outcome]) -> bool,
    ) -> Result<(), HarnessError> {
        eventually(what, || async {
            let loops = self.outcomes();
            if loops.iter().all(|outcomes| condition(outcomes)) {
                Ok(())
            } else {
                let last: Vec<_> = loops.iter().map(|outcomes| outcomes.last()).collect();
                Err(format!("last outcome of each loop: {last:?}"))
            }
        })
        .await
    }

    /// Waits until the latest request of every loop saw `tag` (loops are sequential: the latest is the
    /// newest configuration that loop has met).
    pub async fn wait_for_tag(&self, tag: &str) -> Result<(), HarnessError> {
        self.wait_for_every_loop(&format!("every loop to see tag {tag}"), |outcomes| {
            outcomes
                .last()
                .is_some_and(|last| last.as_deref() == Ok(tag))
        })
        .await
    }

    /// Waits until at least `more` further requests have completed, over all loops.
    pub async fn wait_for_more(&self, more: usize) -> Result<(), HarnessError> {
        let target = self.completed() + more;
        eventually(&format!("{more} more requests"), || async {
            let completed = self.completed();
            if completed >= target {
                Ok(())
            } else {
                Err(format!("{completed} of {target} completed"))
            }
        })
        .await
    }

    /// Ends the loops (each finishes its current request) and returns every outcome.
    pub async fn stop(mut self) -> Result<TrafficReport, HarnessError> {
        self.stop.store(true, Ordering::Relaxed);
        for request_loop in std::mem::take(&mut self.loops) {
            request_loop.await.map_err(|err| HarnessError::Unexpected {
                what: "a request loop".to_owned(),
                detail: err.to_string(),
            })?;
        }
        let outcomes = self.logs.iter().flat_map(|log| lock(log).clone()).collect();
        Ok(TrafficReport { outcomes })
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        // A test that fails before `stop` must not leave loops hammering a dead Envoy.
        for request_loop in &self.loops {
            request_loop.abort();
        }
    }
}

/// Every outcome of a stopped [`Traffic`].
#[derive(Debug, Clone)]
pub struct TrafficReport {
    /// All outcomes, loop after loop.
    pub outcomes: Vec<Outcome>,
}

impl TrafficReport {
    /// Why each failed request failed.
    pub fn failures(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter_map(|outcome| outcome.as_ref().err().map(String::as_str))
            .collect()
    }

    /// How many successful requests saw each tag.
    pub fn tags(&self) -> BTreeMap<String, usize> {
        let mut tags = BTreeMap::new();
        for tag in self.outcomes.iter().flatten() {
            *tags.entry(tag.clone()).or_default() += 1;
        }
        tags
    }
}

fn lock(log: &Log) -> std::sync::MutexGuard<'_, Vec<Outcome>> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn request_loop(plan: LoopPlan, stop: Arc<AtomicBool>, log: Log) {
    let mut connection: Option<HttpConnection> = None;
    while !stop.load(Ordering::Relaxed) {
        let request = plan.request.clone();
        let response = if plan.keep_alive {
            let open = match connection.take() {
                Some(open) => Ok(open),
                None => HttpConnection::open(plan.addr).await,
            };
            match open {
                Ok(mut open) => {
                    let response = open.send(request).await;
                    connection = Some(open);
                    response
                }
                Err(err) => Err(err),
            }
        } else {
            request.send(plan.addr).await
        };
        let outcome = match response {
            Ok(response) => {
                if response.header("connection") == Some("close") {
                    connection = None;
                }
                outcome(&response, &plan.tag_header)
            }
            Err(err) => {
                connection = None;
                Err(err.to_string())
            }
        };
        lock(&log).push(outcome);
    }
}

fn outcome(response: &HttpResponse, tag_header: &str) -> Outcome {
    if response.status != 200 {
        return Err(format!("{}: {}", response.status, response.text()));
    }
    let seen = response.echo().map_err(|err| err.to_string())?;
    Ok(seen.header(tag_header).unwrap_or("<none>").to_owned())
}
