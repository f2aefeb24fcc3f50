use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::*;

const SETTLED: Progress = Progress {
    generation: 0,
    synced: true,
    settled: true,
};

fn bump(sender: &watch::Sender<Progress>) {
    sender.send_modify(|p| p.generation += 1);
}

/// Polls `changes.next()` for `limit` of virtual time: the time it resolved at, if it did.
async fn next_within(changes: &mut Changes, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    tokio::time::timeout(limit, changes.next())
        .await
        .ok()
        .flatten()
        .map(|_| start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn nothing_is_reported_before_the_source_is_settled() {
    let (sender, receiver) = watch::channel(Progress::default());
    let mut changes = Changes::new(receiver);
    let waiting = tokio::spawn(async move {
        let start = Instant::now();
        changes.next().await.map(|p| (p, start.elapsed()))
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    sender.send_modify(|p| p.synced = true);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "reported while Secrets were pending"
    );
    sender.send_modify(|p| p.settled = true);
    let (progress, at) = waiting.await.unwrap().unwrap();
    assert!(progress.settled);
    assert_eq!(at, Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn a_burst_is_reported_once_after_it_goes_quiet() {
    let (sender, receiver) = watch::channel(SETTLED);
    let mut changes = Changes::new(receiver);
    assert!(changes.next().await.is_some(), "initial state");

    let burst = tokio::spawn(async move {
        for _ in 0..3 {
            bump(&sender);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sender
    });
    let at = next_within(&mut changes, Duration::from_secs(5))
        .await
        .unwrap();
    // Last event at 100 ms, then QUIET.
    assert_eq!(at, Duration::from_millis(100) + QUIET);
    let sender = burst.await.unwrap();
    assert_eq!(
        next_within(&mut changes, Duration::from_secs(5)).await,
        None
    );
    bump(&sender);
    assert_eq!(
        next_within(&mut changes, Duration::from_secs(5)).await,
        Some(QUIET)
    );
}

#[tokio::test(start_paused = true)]
async fn steady_churn_is_reported_every_max_delay() {
    let (sender, receiver) = watch::channel(SETTLED);
    let mut changes = Changes::new(receiver);
    changes.next().await.unwrap();
    let churn = tokio::spawn(async move {
        loop {
            bump(&sender);
            tokio::time::sleep(QUIET / 2).await;
        }
    });
    assert_eq!(
        next_within(&mut changes, Duration::from_secs(5)).await,
        Some(MAX_DELAY)
    );
    churn.abort();
}

#[tokio::test(start_paused = true)]
async fn ends_when_the_source_is_gone() {
    let (sender, receiver) = watch::channel(SETTLED);
    let mut changes = Changes::new(receiver);
    changes.next().await.unwrap();
    drop(sender);
    assert_eq!(changes.next().await, None);
}
