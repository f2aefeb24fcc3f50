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
