use std::collections::BTreeMap;

use envoy_types::pb::envoy::service::discovery::v3::{DiscoveryRequest, DiscoveryResponse};
use envoy_types::pb::google::protobuf::Any;
use envoy_types::pb::google::rpc::Status;

use super::{StreamState, Verdict};
use crate::snapshot::{Snapshot, type_url};

fn snapshot(entries: &[(&str, &str, &str)]) -> Snapshot {
    let mut resources: BTreeMap<String, Vec<(String, Any)>> = BTreeMap::new();
    for (url, name, payload) in entries {
        let any = Any {
            type_url: (*url).to_owned(),
            value: payload.as_bytes().to_vec(),
        };
        resources
            .entry((*url).to_owned())
            .or_default()
            .push(((*name).to_owned(), any));
    }
    Snapshot::new(resources).unwrap()
}

fn request(type_url: &str, names: &[&str]) -> DiscoveryRequest {
    DiscoveryRequest {
        type_url: type_url.to_owned(),
        resource_names: names.iter().map(|n| (*n).to_owned()).collect(),
        ..DiscoveryRequest::default()
    }
}

/// The request Envoy sends after applying `response`.
fn ack(response: &DiscoveryResponse, names: &[&str]) -> DiscoveryRequest {
    DiscoveryRequest {
        version_info: response.version_info.clone(),
        response_nonce: response.nonce.clone(),
        ..request(&response.type_url, names)
    }
}

fn nack(response: &DiscoveryResponse, message: &str) -> DiscoveryRequest {
    DiscoveryRequest {
        response_nonce: response.nonce.clone(),
        error_detail: Some(Status {
            code: 3,
            message: message.to_owned(),
            details: Vec::new(),
        }),
        ..request(&response.type_url, &[])
    }
}

fn payloads(response: &DiscoveryResponse) -> Vec<String> {
    response
        .resources
        .iter()
        .map(|any| String::from_utf8(any.value.clone()).unwrap())
        .collect()
}

fn base() -> Snapshot {
    snapshot(&[
        (type_url::CLUSTER, "c1", "cluster-1"),
        (type_url::CLUSTER, "c2", "cluster-2"),
        (type_url::ENDPOINT, "c1", "endpoints-1"),
        (type_url::ENDPOINT, "c2", "endpoints-2"),
        (type_url::LISTENER, "l80", "listener-80"),
        (type_url::ROUTE, "r80", "routes-80"),
    ])
}

#[test]
fn first_wildcard_request_gets_every_resource_and_its_ack_gets_nothing() {
    let snap = base();
    let mut stream = StreamState::default();
    let (verdict, response) = stream.on_request(&request(type_url::CLUSTER, &[]), Some(&snap));
    assert_eq!(verdict, Verdict::Subscribe);
    let response = response.expect("first request is answered");
    assert_eq!(payloads(&response), ["cluster-1", "cluster-2"]);
    assert_eq!(response.version_info, snap.type_version(type_url::CLUSTER));
    assert!(!response.nonce.is_empty());

    let (verdict, again) = stream.on_request(&ack(&response, &[]), Some(&snap));
    assert_eq!(
        verdict,
        Verdict::Ack {
            version: response.version_info.clone()
        }
    );
    assert!(again.is_none(), "an ACK asks for nothing");
}

#[test]
fn named_types_get_only_the_requested_names() {
    let snap = base();
    let mut stream = StreamState::default();
    let (_, response) = stream.on_request(
        &request(type_url::ENDPOINT, &["c2", "missing"]),
        Some(&snap),
    );
    assert_eq!(payloads(&response.unwrap()), ["endpoints-2"]);
}

#[test]
fn a_changed_name_list_is_answered_even_when_nothing_else_changed() {
    let snap = base();
    let mut stream = StreamState::default();
    let (_, first) = stream.on_request(&request(type_url::ENDPOINT, &["c1"]), Some(&snap));
    let first = first.unwrap();
    let (verdict, second) = stream.on_request(&ack(&first, &["c1", "c2"]), Some(&snap));
    assert_eq!(
        verdict,
        Verdict::Ack {
            version: first.version_info.clone()
        }
    );
    let second = second.expect("new names are answered");
    assert_eq!(payloads(&second), ["endpoints-1", "endpoints-2"]);
    assert_ne!(second.nonce, first.nonce);
}

#[test]
fn empty_names_keep_a_wildcard_subscription_but_empty_a_named_one() {
    let snap = base();
    let mut stream = StreamState::default();
    let (_, listeners) = stream.on_request(&request(type_url::LISTENER, &[]), Some(&snap));
    let (_, again) = stream.on_request(&ack(&listeners.unwrap(), &[]), Some(&snap));
    assert!(
        again.is_none(),
        "an empty list after a wildcard request is still the wildcard"
    );

    let (_, routes) = stream.on_request(&request(type_url::ROUTE, &["r80"]), Some(&snap));
    let (_, unsubscribed) = stream.on_request(&ack(&routes.unwrap(), &[]), Some(&snap));
    assert!(payloads(&unsubscribed.expect("unsubscribing changes the subscription")).is_empty());
}

#[test]
fn no_snapshot_means_no_answer_until_one_arrives() {
    let mut stream = StreamState::default();
    let (verdict, response) = stream.on_request(&request(type_url::LISTENER, &[]), None);
    assert_eq!(verdict, Verdict::Subscribe);
    assert!(response.is_none());
    let pushed = stream.on_snapshot(&base());
    assert_eq!(pushed.len(), 1);
    assert_eq!(payloads(&pushed[0]), ["listener-80"]);
}

#[test]
fn a_new_snapshot_pushes_only_types_whose_content_changed() {
    let mut stream = StreamState::default();
    let snap = base();
    for url in [type_url::CLUSTER, type_url::LISTENER] {
        let (_, response) = stream.on_request(&request(url, &[]), Some(&snap));
        stream.on_request(&ack(&response.unwrap(), &[]), Some(&snap));
    }
    assert!(
        stream.on_snapshot(&base()).is_empty(),
        "same content, nothing to push"
    );

    let changed = snapshot(&[
        (type_url::CLUSTER, "c1", "cluster-1"),
        (type_url::CLUSTER, "c2", "cluster-2"),
        (type_url::LISTENER, "l80", "listener-80-changed"),
    ]);
    let pushed = stream.on_snapshot(&changed);
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].type_url, type_url::LISTENER);
}

#[test]
fn a_named_subscription_ignores_changes_to_other_names() {
    let mut stream = StreamState::default();
    let (_, response) = stream.on_request(&request(type_url::ENDPOINT, &["c1"]), Some(&base()));
    stream.on_request(&ack(&response.unwrap(), &["c1"]), Some(&base()));
    let other_changed = snapshot(&[
        (type_url::ENDPOINT, "c1", "endpoints-1"),
        (type_url::ENDPOINT, "c2", "endpoints-2-changed"),
    ]);
    assert!(stream.on_snapshot(&other_changed).is_empty());
}

#[test]
fn changes_go_out_clusters_before_endpoints_before_listeners_before_routes() {
    let mut stream = StreamState::default();
    let snap = base();
    for (url, names) in [
        (type_url::ROUTE, vec!["r80"]),
        (type_url::LISTENER, vec![]),
        (type_url::ENDPOINT, vec!["c1"]),
        (type_url::CLUSTER, vec![]),
    ] {
        let (_, response) = stream.on_request(&request(url, &names), Some(&snap));
        stream.on_request(&ack(&response.unwrap(), &names), Some(&snap));
    }
    let everything_changed = snapshot(&[
        (type_url::CLUSTER, "c1", "cluster-1b"),
        (type_url::ENDPOINT, "c1", "endpoints-1b"),
        (type_url::LISTENER, "l80", "listener-80b"),
        (type_url::ROUTE, "r80", "routes-80b"),
    ]);
    let order: Vec<String> = stream
        .on_snapshot(&everything_changed)
        .into_iter()
        .map(|r| r.type_url)
        .collect();
    assert_eq!(
        order,
        [
            type_url::CLUSTER,
            type_url::ENDPOINT,
            type_url::LISTENER,
            type_url::ROUTE
        ]
    );
}

#[test]
fn a_nacked_version_is_not_resent_but_the_next_content_is() {
    let mut stream = StreamState::default();
    let snap = base();
    let (_, response) = stream.on_request(&request(type_url::LISTENER, &[]), Some(&snap));
    let response = response.unwrap();
    let (verdict, again) = stream.on_request(&nack(&response, "bad listener"), Some(&snap));
    assert_eq!(
        verdict,
        Verdict::Nack {
            version: response.version_info.clone(),
            message: "bad listener".to_owned()
        }
    );
    assert!(again.is_none());
    assert!(
        stream.on_snapshot(&snap).is_empty(),
        "same content would be rejected again"
    );
    let fixed = snapshot(&[(type_url::LISTENER, "l80", "listener-80-fixed")]);
    assert_eq!(stream.on_snapshot(&fixed).len(), 1);
}

#[test]
fn a_request_answering_an_older_response_is_stale() {
    let mut stream = StreamState::default();
    let (_, first) = stream.on_request(&request(type_url::LISTENER, &[]), Some(&base()));
    let first = first.unwrap();
    let newer = snapshot(&[(type_url::LISTENER, "l80", "listener-80-new")]);
    let second = stream.on_snapshot(&newer);
    assert_eq!(second.len(), 1);
    let (verdict, response) = stream.on_request(&nack(&first, "old news"), Some(&newer));
    assert_eq!(verdict, Verdict::Stale);
    assert!(response.is_none());
}

#[test]
fn a_reconnecting_envoy_gets_the_current_snapshot_whatever_version_it_reports() {
    let snap = base();
    let mut old_stream = StreamState::default();
    let (_, response) = old_stream.on_request(&request(type_url::CLUSTER, &[]), Some(&snap));
    let response = response.unwrap();

    let mut new_stream = StreamState::default();
    let reconnect = DiscoveryRequest {
        version_info: response.version_info.clone(),
        ..request(type_url::CLUSTER, &[])
    };
    let (verdict, again) = new_stream.on_request(&reconnect, Some(&snap));
    assert_eq!(verdict, Verdict::Subscribe);
    assert_eq!(payloads(&again.unwrap()), ["cluster-1", "cluster-2"]);
}

#[test]
fn an_emptied_wildcard_type_is_pushed_as_an_empty_list() {
    let mut stream = StreamState::default();
    let (_, response) = stream.on_request(&request(type_url::CLUSTER, &[]), Some(&base()));
    stream.on_request(&ack(&response.unwrap(), &[]), Some(&base()));
    let pushed = stream.on_snapshot(&Snapshot::empty());
    assert_eq!(pushed.len(), 1);
    assert!(
        pushed[0].resources.is_empty(),
        "Envoy removes clusters missing from a CDS response"
    );
}
