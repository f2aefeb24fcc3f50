//! Accuracy: a bounded burst, then a steady stream over several fill intervals from several connections
//! (so both workers take tokens), and the admitted count must equal the formula exactly.
//!
//! The bucket's schedule starts when its first token is taken, some time between the first request
//! being sent and the first admitted answer; the run ends at the last decision, between the last send
//! and the last answer. The formula `maxTokens + floor(elapsed / fillInterval) * tokensPerFill` is
//! evaluated at both extremes of `elapsed`; the run stops half an interval away from any fill, so the
//! extremes agree unless the machine stalls for half a second (then the run is reported inconclusive
//! rather than guessed at).

use std::time::{Duration, Instant};

use dynagate_e2e::{EchoUpstream, HttpConnection, HttpRequest, json};

use super::{ALLOWED, LIMITED, limit, listener_filter, route, start};

const MAX_TOKENS: u64 = 4;
const TOKENS_PER_FILL: u64 = 3;
const FILL_INTERVAL: Duration = Duration::from_secs(1);
/// Whole fill intervals the stream covers (it stops half an interval after the last).
const INTERVALS: u32 = 3;
/// Requests of the opening burst, sent at once: several times the bucket.
const BURST: usize = 12;
/// Connections of the steady stream, each sending back to back.
const STREAMS: usize = 3;

/// One request: when it was sent, when answered, whether admitted.
#[derive(Clone, Copy)]
struct Sample {
    sent: Instant,
    answered: Instant,
    admitted: bool,
}

async fn timed(connection: &mut HttpConnection) -> Sample {
    let sent = Instant::now();
    let status = connection.send(HttpRequest::get("/")).await.unwrap().status;
    assert!(status == 200 || status == 429, "unexpected status {status}");
    Sample {
        sent,
        answered: Instant::now(),
        admitted: status == 200,
    }
}

fn fills_within(elapsed: Duration) -> u64 {
    (elapsed.as_nanos() / FILL_INTERVAL.as_nanos()) as u64
}

#[tokio::test]
async fn admitted_requests_match_the_token_bucket_formula_exactly() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = listener_filter(json!({}));
    let local = json!({
        "tokenBucket": {
            "maxTokens": MAX_TOKENS,
            "tokensPerFill": TOKENS_PER_FILL,
            "fillInterval": format!("{}ms", FILL_INTERVAL.as_millis()),
        },
    });
    let routes = vec![route(&filter, "/", Some(limit("accuracy", local)))];
    let envoy = start(&upstream, filter, routes).await;
    let addr = envoy.addr().unwrap();

    // Connections first, so the burst is requests only.
    let mut burst_connections = Vec::new();
    for _ in 0..BURST {
        burst_connections.push(HttpConnection::open(addr).await.unwrap());
    }
    let mut stream_connections = Vec::new();
    for _ in 0..STREAMS {
        stream_connections.push(HttpConnection::open(addr).await.unwrap());
    }

    let burst: Vec<Sample> = futures_join(
        burst_connections
            .into_iter()
            .map(|mut c| tokio::spawn(async move { timed(&mut c).await })),
    )
    .await;
    let first_sent = burst.iter().map(|s| s.sent).min().unwrap();
    let first_admitted_answer = burst
        .iter()
        .filter(|s| s.admitted)
        .map(|s| s.answered)
        .min()
        .expect("a fresh bucket admits the first request");
    let burst_end = burst.iter().map(|s| s.answered).max().unwrap();
    assert!(
        burst_end - first_sent < FILL_INTERVAL,
        "inconclusive: the burst took {:?}, longer than a fill interval",
        burst_end - first_sent
    );
    let burst_admitted = burst.iter().filter(|s| s.admitted).count() as u64;
    assert_eq!(
        burst_admitted, MAX_TOKENS,
        "the burst gets exactly the bucket"
    );

    // The stream stops half an interval past the last counted fill, as late as the schedule may have begun.
    let stop = first_admitted_answer + FILL_INTERVAL * INTERVALS + FILL_INTERVAL / 2;
    let streams = stream_connections.into_iter().map(|mut connection| {
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < stop {
                samples.push(timed(&mut connection).await);
            }
            samples
        })
    });
    let stream: Vec<Sample> = futures_join(streams).await.into_iter().flatten().collect();

    let all: Vec<Sample> = burst.iter().chain(&stream).copied().collect();
    let last_sent = all.iter().map(|s| s.sent).max().unwrap();
    let last_answer = all.iter().map(|s| s.answered).max().unwrap();
    let shortest = last_sent.saturating_duration_since(first_admitted_answer);
    let longest = last_answer - first_sent;
    let fills = fills_within(shortest);
    assert_eq!(
        fills,
        fills_within(longest),
        "inconclusive: elapsed is between {shortest:?} and {longest:?}, straddling a fill"
    );
    let admitted = all.iter().filter(|s| s.admitted).count() as u64;
    let expected = MAX_TOKENS + fills * TOKENS_PER_FILL;
    eprintln!(
        "{} requests over {longest:?}: {admitted} admitted, formula {expected}",
        all.len()
    );
    assert_eq!(admitted, expected);
    assert!(
        all.len() as u64 > expected * 10,
        "the stream must overload the bucket for the formula to be exact"
    );

    // Envoy's counters agree with what the clients saw.
    assert_eq!(
        envoy.wait_for_stat(ALLOWED, admitted).await.unwrap(),
        admitted
    );
    let limited = all.len() as u64 - admitted;
    assert_eq!(
        envoy.wait_for_stat(LIMITED, limited).await.unwrap(),
        limited
    );
}

/// Awaits spawned tasks in order, collecting one output each (a panicking task fails the test).
async fn futures_join<T: Send + 'static>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}
