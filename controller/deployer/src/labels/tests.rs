use super::*;

#[test]
fn short_names_are_kept_and_long_ones_are_truncated_with_a_stable_distinct_hash() {
    assert_eq!(object_name("web"), "web");
    let exactly = "a".repeat(63);
    assert_eq!(object_name(&exactly), exactly);

    let long_a = format!("{}-one", "x".repeat(70));
    let long_b = format!("{}-two", "x".repeat(70));
    let (a, b) = (object_name(&long_a), object_name(&long_b));
    assert!(a.len() <= 63 && b.len() <= 63, "{a} {b}");
    assert_ne!(a, b, "names differing only past the cut must stay distinct");
    assert_eq!(a, object_name(&long_a));
    assert!(a.starts_with(&"x".repeat(54)));
}

#[test]
fn a_dash_at_the_cut_does_not_leave_a_double_dash() {
    let name = format!("{}-{}", "a".repeat(53), "b".repeat(20));
    let out = object_name(&name);
    assert!(!out.contains("--"), "{out}");
}

#[test]
fn object_labels_carry_selector_class_and_marker() {
    let labels = object_labels("web", "dynagate");
    for (key, value) in selector_labels("web") {
        assert_eq!(labels.get(&key), Some(&value));
    }
    assert_eq!(labels[GATEWAY_CLASS_LABEL], "dynagate");
    assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY_VALUE);
}
