//! Golden tests: `tests/golden/<case>/input.yaml` -> `output.yaml` (every xDS resource as proto3 JSON with
//! `Any` expanded, plus the status report). `UPDATE_GOLDEN=1 cargo test -p dynagate-ir --test golden`
//! rewrites the outputs; review the diff before committing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure should fail loudly"
)]

use std::path::{Path, PathBuf};

use dynagate_api::manifest::parse_manifests;
use dynagate_ir::{Resources, translate, type_url};

#[path = "support/descriptors.rs"]
mod descriptors;

use descriptors::to_json;

/// Renders a translation as YAML: per Gateway, per xDS type, resources in name order; then status.
fn render(input: &str) -> String {
    let parsed = parse_manifests(Path::new("input.yaml"), input);
    assert!(
        parsed.errors.is_empty(),
        "input has errors: {:#?}",
        parsed.errors
    );
    let resources = Resources::new(parsed.objects).expect("no duplicates");
    let translation = translate(&resources);
    let mut proxies = serde_json::Map::new();
    for (key, proxy) in &translation.proxies {
        let mut by_type = serde_json::Map::new();
        for (type_url, resources) in proxy.resources_by_type() {
            if resources.is_empty() {
                continue;
            }
            let short = type_url.rsplit('.').next().unwrap().to_owned();
            let list = resources
                .iter()
                .map(|r| to_json(&r.resource.type_url, &r.resource.value))
                .collect();
            by_type.insert(short, serde_json::Value::Array(list));
        }
        proxies.insert(key.to_string(), serde_json::Value::Object(by_type));
    }
    let document = serde_json::json!({
        "proxies": proxies,
        "status": serde_json::to_value(&translation.status).unwrap(),
    });
    serde_yaml::to_string(&document).unwrap()
}

fn first_difference(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let at = expected
        .iter()
        .zip(&actual)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(actual.len()));
    let from = at.saturating_sub(4);
    let mut out = format!("first difference at line {}:\n", at + 1);
    for (i, line) in expected.iter().enumerate().skip(from).take(10) {
        out.push_str(&format!("-{:5} {line}\n", i + 1));
    }
    for (i, line) in actual.iter().enumerate().skip(from).take(10) {
        out.push_str(&format!("+{:5} {line}\n", i + 1));
    }
    out
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    cases.sort();
    cases
}

#[test]
fn golden_outputs_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = cases();
    assert!(!cases.is_empty(), "no golden cases found");
    let mut failures = Vec::new();
    for case in &cases {
        let input = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let actual = render(&input);
        let output = case.join("output.yaml");
        if update {
            std::fs::write(&output, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&output).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}:\n{}",
                case.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ (UPDATE_GOLDEN=1 regenerates):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn translation_is_byte_identical_across_runs() {
    for case in cases() {
        let input = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let objects = || parse_manifests(Path::new("input.yaml"), &input).objects;
        let first = translate(&Resources::new(objects()).unwrap());
        let second = translate(&Resources::new(objects()).unwrap());
        assert_eq!(first.status, second.status, "{}", case.display());
        for (key, proxy) in &first.proxies {
            let again = &second.proxies[key];
            for url in type_url::ALL {
                assert_eq!(
                    proxy.resources_by_type()[url],
                    again.resources_by_type()[url],
                    "{} {url}",
                    case.display()
                );
            }
        }
    }
}
