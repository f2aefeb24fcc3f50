use super::*;
use crate::clock::Nanos;
use core::time::Duration;
use dynagate_config::rate_limit::GenericDescriptorEntry;

fn limit(max: u32) -> Limit {
    Limit::new(max, 1, Duration::from_secs(1)).unwrap()
}

#[test]
fn an_unchanged_limit_keeps_its_bucket_across_pushes() {
    let registry = BucketRegistry::default();
    let old_config = registry.policy_bucket("HTTPRoute/ns/a", limit(3));
    assert!(old_config.take(Nanos(0)).admitted());
    // The push parses the new config while the old one still runs.
    let new_config = registry.policy_bucket("HTTPRoute/ns/a", limit(3));
    drop(old_config);
    assert_eq!(
        new_config.available(Nanos(0)),
        2,
        "the push must not refill"
    );
}

#[test]
fn a_changed_limit_or_another_attachment_starts_a_new_bucket() {
    let registry = BucketRegistry::default();
    let bucket = registry.policy_bucket("HTTPRoute/ns/a", limit(3));
    assert!(bucket.take(Nanos(0)).admitted());
    let changed = registry.policy_bucket("HTTPRoute/ns/a", limit(4));
    assert_eq!(changed.available(Nanos(0)), 4);
    let other = registry.policy_bucket("HTTPRoute/ns/b", limit(3));
    assert!(!Arc::ptr_eq(&bucket, &other));
    assert_eq!(other.available(Nanos(0)), 3);
    // The policy's own bucket and a descriptor with the same limit are different buckets.
    let descriptor = registry.descriptor_buckets(
        "HTTPRoute/ns/a",
        &[DescriptorEntry::Generic(GenericDescriptorEntry {
            key: "k".into(),
            value: "v".into(),
        })],
        limit(3),
    );
    match descriptor {
        DescriptorBuckets::Single(single) => assert!(!Arc::ptr_eq(&single, &bucket)),
        DescriptorBuckets::Keyed(_) => panic!("constant entries need one bucket"),
    }
}

#[test]
fn removed_configs_free_their_buckets() {
    let registry = BucketRegistry::default();
    let kept = registry.policy_bucket("Gateway/ns/gw", limit(1));
    for i in 0..1_000 {
        let bucket = registry.policy_bucket(&format!("HTTPRoute/ns/r{i}"), limit(1));
        assert!(bucket.take(Nanos(0)).admitted());
        // The config using it goes away.
    }
    assert_eq!(registry.live(), 1);
    assert!(registry.held() <= 64, "{} entries held", registry.held());
    // A removed and re-added route starts full.
    let again = registry.policy_bucket("HTTPRoute/ns/r5", limit(1));
    assert_eq!(again.available(Nanos(0)), 1);
    assert!(Arc::ptr_eq(
        &kept,
        &registry.policy_bucket("Gateway/ns/gw", limit(1))
    ));
}

#[test]
fn request_derived_descriptors_get_keyed_buckets_shared_by_identity() {
    let registry = BucketRegistry::default();
    let entries = [DescriptorEntry::Header("x-user".into())];
    let first = registry.descriptor_buckets("HTTPRoute/ns/a", &entries, limit(1));
    let second = registry.descriptor_buckets("HTTPRoute/ns/a", &entries, limit(1));
    match (first, second) {
        (DescriptorBuckets::Keyed(a), DescriptorBuckets::Keyed(b)) => {
            assert!(a.take(b"alice", Nanos(0)).admitted());
            assert!(Arc::ptr_eq(&a, &b));
            assert!(!b.take(b"alice", Nanos(0)).admitted());
        }
        _ => panic!("a header entry needs keyed buckets"),
    }
}
