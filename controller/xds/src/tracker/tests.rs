use super::{Nack, Tracker};
use crate::cache::NodeKey;
use crate::metrics::XdsMetrics;
use crate::snapshot::type_url;

#[test]
fn an_ack_after_a_nack_clears_the_rejection_but_keeps_the_count() {
    let tracker = Tracker::new(XdsMetrics::default());
    let node = NodeKey::new("default/gw");
    tracker.stream_opened(&node, "envoy-1");
    tracker.pushed(&node, "envoy-1", type_url::LISTENER, "v1");
    tracker.nacked(
        &node,
        "envoy-1",
        type_url::LISTENER,
        Nack {
            version: "v1".into(),
            message: "bad".into(),
        },
    );
    let listener =
        &tracker.status()["default/gw"]["envoy-1"].types["envoy.config.listener.v3.Listener"];
    assert_eq!(
        listener.last_nack.as_ref().map(|n| n.message.as_str()),
        Some("bad")
    );
    assert_eq!(listener.acked_version, None);

    tracker.pushed(&node, "envoy-1", type_url::LISTENER, "v2");
    tracker.acked(&node, "envoy-1", type_url::LISTENER, "v2");
    let listener =
        &tracker.status()["default/gw"]["envoy-1"].types["envoy.config.listener.v3.Listener"];
    assert_eq!(listener.last_nack, None);
    assert_eq!(listener.nacks, 1);
    assert_eq!(listener.pushes, 2);
    assert_eq!(listener.acked_version.as_deref(), Some("v2"));
}

#[test]
fn an_envoy_is_forgotten_when_its_last_stream_closes() {
    let tracker = Tracker::new(XdsMetrics::default());
    let node = NodeKey::new("default/gw");
    tracker.stream_opened(&node, "envoy-1");
    tracker.stream_opened(&node, "envoy-1");
    tracker.stream_closed(&node, "envoy-1");
    assert_eq!(tracker.status()["default/gw"]["envoy-1"].streams, 1);
    tracker.stream_closed(&node, "envoy-1");
    assert!(tracker.status().is_empty());
}
