use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

use super::{LeaseDecision, Observation, decide, is_expired, released};

const LEASE: Duration = Duration::from_secs(15);

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

fn held_by(holder: &str, renewed: i64) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(holder.into()),
        acquire_time: Some(MicroTime(at(0))),
        renew_time: Some(MicroTime(at(renewed))),
        lease_duration_seconds: Some(15),
        lease_transitions: Some(3),
        ..LeaseSpec::default()
    }
}

#[test]
fn a_missing_lease_is_created_by_us() {
    let LeaseDecision::Create(spec) = decide(None, "a", LEASE, at(5), Duration::ZERO) else {
        panic!("expected create");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some("a"));
    assert_eq!(spec.lease_transitions, Some(0));
    assert_eq!(spec.lease_duration_seconds, Some(15));
    assert_eq!(spec.renew_time, Some(MicroTime(at(5))));
}

#[test]
fn the_holder_renews_without_a_transition() {
    let current = held_by("a", 10);
    let LeaseDecision::Renew(spec) = decide(Some(&current), "a", LEASE, at(12), secs(2)) else {
        panic!("expected renew");
    };
    assert_eq!(spec.renew_time, Some(MicroTime(at(12))));
    assert_eq!(spec.acquire_time, current.acquire_time);
    assert_eq!(spec.lease_transitions, Some(3));
}

#[test]
fn another_holder_is_waited_for_until_unrenewed_for_its_duration() {
    let current = held_by("b", 10);
    assert_eq!(
        decide(Some(&current), "a", LEASE, at(25), secs(14)),
        LeaseDecision::Wait { holder: "b".into() },
    );
    let LeaseDecision::Acquire(spec) = decide(Some(&current), "a", LEASE, at(26), secs(15)) else {
        panic!("expected acquire after expiry");
    };
    assert_eq!(spec.holder_identity.as_deref(), Some("a"));
    assert_eq!(spec.acquire_time, Some(MicroTime(at(26))));
    assert_eq!(spec.lease_transitions, Some(4));
}

#[test]
fn expiry_ignores_the_wall_clock_of_the_renew_time() {
    // renewTime hours in the past by our clock (skew, or we just started): still wait a full duration.
    let current = held_by("b", -10_000);
    assert!(matches!(
        decide(Some(&current), "a", LEASE, at(0), secs(1)),
        LeaseDecision::Wait { .. }
    ));
}

#[test]
fn expiry_uses_the_holders_duration_not_ours() {
    let mut current = held_by("b", 10);
    current.lease_duration_seconds = Some(60);
    assert!(matches!(
        decide(Some(&current), "a", LEASE, at(30), secs(30)),
        LeaseDecision::Wait { .. }
    ));
    assert!(is_expired(&current, secs(60)));
}

#[test]
fn a_lease_without_holder_or_duration_is_free() {
    let released_lease = released(&held_by("b", 10), at(11));
    assert_eq!(released_lease.holder_identity, None);
    assert!(matches!(
        decide(Some(&released_lease), "a", LEASE, at(11), Duration::ZERO),
        LeaseDecision::Acquire(_)
    ));
    let no_duration = LeaseSpec {
        holder_identity: Some("b".into()),
        ..LeaseSpec::default()
    };
    assert!(is_expired(&no_duration, Duration::ZERO));
}

#[test]
fn observation_restarts_when_the_record_changes() {
    let start = Instant::now();
    let mut observation = Observation::default();
    let first = held_by("b", 10);
    assert_eq!(
        observation.unchanged_for(Some(&first), start),
        Duration::ZERO
    );
    assert_eq!(
        observation.unchanged_for(Some(&first), start + secs(4)),
        secs(4)
    );
    // A renewal is a new record: the clock starts again.
    let renewed = held_by("b", 12);
    assert_eq!(
        observation.unchanged_for(Some(&renewed), start + secs(5)),
        Duration::ZERO
    );
    assert_eq!(
        observation.unchanged_for(Some(&renewed), start + secs(7)),
        secs(2)
    );
    // So is a deleted Lease.
    assert_eq!(
        observation.unchanged_for(None, start + secs(8)),
        Duration::ZERO
    );
}
