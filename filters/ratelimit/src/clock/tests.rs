use super::*;
use std::time::Instant;

#[test]
fn the_monotonic_clock_moves_forward_in_nanoseconds() {
    let clock = MonotonicClock;
    let first = clock.now();
    let started = Instant::now();
    // Poll (no sleep) until 2ms have passed by std's clock, with a generous deadline.
    while started.elapsed() < Duration::from_millis(2) {
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let second = clock.now();
    assert!(
        second >= first.after(Duration::from_millis(2)),
        "{first:?} -> {second:?}"
    );
    assert!(second < first.after(Duration::from_secs(5)));
}

#[test]
fn the_monotonic_clock_agrees_across_threads() {
    let before = MonotonicClock.now();
    let other = std::thread::spawn(|| MonotonicClock.now()).join().unwrap();
    let after = MonotonicClock.now();
    assert!(before <= other && other <= after);
}

#[test]
fn the_manual_clock_moves_only_when_told() {
    let clock = ManualClock::new(Nanos(5));
    assert_eq!(clock.now(), Nanos(5));
    assert_eq!(clock.now(), Nanos(5));
    clock.advance(Duration::from_micros(2));
    assert_eq!(clock.now(), Nanos(2_005));
    clock.set(Nanos(1));
    assert_eq!(clock.now(), Nanos(1));
}

#[test]
fn nanos_saturate() {
    assert_eq!(Nanos::from_duration(Duration::MAX), Nanos(u64::MAX));
    assert_eq!(
        Nanos(u64::MAX - 1).after(Duration::from_secs(1)),
        Nanos(u64::MAX)
    );
}

#[test]
fn the_counter_clock_keeps_pace_with_the_monotonic_clock() {
    let counter = CounterClock::new();
    let (counter_start, monotonic_start) = (counter.now(), MonotonicClock.now());
    let started = Instant::now();
    // Poll (no sleep) for 50ms of std's clock, with a generous deadline.
    while started.elapsed() < Duration::from_millis(50) {
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let counter_elapsed = counter.now().0 - counter_start.0;
    let monotonic_elapsed = MonotonicClock.now().0 - monotonic_start.0;
    // Calibration is good to parts per million; allow 1% plus a little scheduling noise.
    let slack = monotonic_elapsed / 100 + 200_000;
    assert!(
        counter_elapsed.abs_diff(monotonic_elapsed) <= slack,
        "counter {counter_elapsed} ns, monotonic {monotonic_elapsed} ns"
    );
}

#[test]
fn the_counter_clock_agrees_across_threads() {
    let counter = CounterClock::new();
    for _ in 0..100 {
        let before = counter.now();
        let other = std::thread::spawn(move || counter.now()).join().unwrap();
        let after = counter.now();
        assert!(
            before <= other && other <= after,
            "{before:?} {other:?} {after:?}"
        );
    }
}
