use dynagate_ir::{Condition as DesiredCondition, ConditionStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::{parse, stamp};

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn previous(condition_type: &str, status: &str, since: i64) -> Condition {
    Condition {
        type_: condition_type.into(),
        status: status.into(),
        reason: "Old".into(),
        message: "old message".into(),
        observed_generation: Some(1),
        last_transition_time: Time(at(since)),
    }
}

#[test]
fn unchanged_status_keeps_its_transition_time_even_with_a_new_reason() {
    let mut want = DesiredCondition::ok("Accepted", "Accepted", "fine now");
    want.observed_generation = Some(2);
    let stamped = stamp(&[want], &[previous("Accepted", "True", 100)], at(500));
    assert_eq!(stamped.len(), 1);
    assert_eq!(stamped[0].last_transition_time, Time(at(100)));
    assert_eq!(stamped[0].reason, "Accepted");
    assert_eq!(stamped[0].message, "fine now");
    assert_eq!(stamped[0].observed_generation, Some(2));
}

#[test]
fn changed_status_and_new_types_transition_now() {
    let desired = [
        DesiredCondition::failed("Accepted", "Invalid", "broken"),
        DesiredCondition::ok("Programmed", "Programmed", ""),
    ];
    let stamped = stamp(&desired, &[previous("Accepted", "True", 100)], at(500));
    assert_eq!(stamped[0].status, "False");
    assert_eq!(stamped[0].last_transition_time, Time(at(500)));
    assert_eq!(stamped[1].type_, "Programmed");
    assert_eq!(stamped[1].last_transition_time, Time(at(500)));
}

#[test]
fn unknown_status_is_spelled_as_the_api_wants() {
    let want = DesiredCondition::new("Accepted", ConditionStatus::Unknown, "Pending", "");
    let stamped = stamp(&[want], &[], at(1));
    assert_eq!(stamped[0].status, "Unknown");
}

#[test]
fn parse_skips_entries_that_are_not_conditions() {
    let live = json!([
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
         "lastTransitionTime": "2026-01-02T03:04:05Z"},
        {"type": "Broken"},
        "not an object",
    ]);
    let parsed = parse(Some(&live));
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].type_, "Accepted");
    assert_eq!(
        parsed[0].last_transition_time,
        Time("2026-01-02T03:04:05Z".parse().unwrap())
    );
    assert!(parse(None).is_empty());
    assert!(parse(Some(&json!({"not": "a list"}))).is_empty());
}

#[test]
fn an_empty_message_is_written_as_the_reason() {
    let stamped = stamp(
        &[DesiredCondition::ok("Accepted", "Accepted", "")],
        &[],
        at(1),
    );
    assert_eq!(stamped[0].message, "Accepted");
}
