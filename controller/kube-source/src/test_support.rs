//! Test fixtures shared by the unit tests.

use std::path::Path;

use dynagate_api::Object;
use dynagate_api::manifest::parse_manifests;

/// The objects of a YAML text (panics on any manifest error).
pub(crate) fn objects(yaml: &str) -> Vec<Object> {
    let parsed = parse_manifests(Path::new("test.yaml"), yaml);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.objects
}

/// The one object of a YAML text.
pub(crate) fn object(yaml: &str) -> Object {
    let mut all = objects(yaml);
    assert_eq!(all.len(), 1, "expected one object");
    all.remove(0)
}
