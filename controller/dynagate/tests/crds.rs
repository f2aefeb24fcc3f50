//! The CRDs the chart installs: the committed YAML is what `dynagate crds` generates, every schema is one a
//! Kubernetes API server accepts (structural, no constructs old servers reject), and the example manifests
//! survive pruning (no field silently dropped by the server).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize as _;
use serde_json::Value;

use schema_rules::{pruned_paths, structural_violations};

#[path = "crds/schema_rules.rs"]
mod schema_rules;

const DYNAGATE: &str = env!("CARGO_BIN_EXE_dynagate");
const CRDS_FILE: &str = "charts/dynagate/crds/gateway.kgateway.dev.yaml";
const REGENERATE: &str =
    "cargo run -q -p dynagate-controller -- crds > charts/dynagate/crds/gateway.kgateway.dev.yaml";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|doc| !doc.is_null())
        .collect()
}

fn committed_crds() -> Vec<Value> {
    let path = repo_root().join(CRDS_FILE);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{}: {err}; generate it with: {REGENERATE}", path.display()));
    yaml_documents(&text)
}

fn crd<'a>(crds: &'a [Value], kind: &str) -> &'a Value {
    crds.iter()
        .find(|crd| crd["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no CRD for kind {kind}"))
}

fn schema(crd: &Value) -> &Value {
    &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

/// Follows `properties` (and `items` for `[]`) from `node` along a dotted path like `spec.rules[].name`.
fn at<'a>(node: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(node, |node, step| {
        let (name, array) = match step.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (step, false),
        };
        let child = &node["properties"][name];
        assert!(
            !child.is_null(),
            "no property {name:?} on the way to {path}"
        );
        if array { &child["items"] } else { child }
    })
}

#[test]
fn committed_crds_match_the_generated_ones() {
    let output = Command::new(DYNAGATE).arg("crds").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).unwrap();
    let committed = fs::read_to_string(repo_root().join(CRDS_FILE)).unwrap_or_default();
    assert!(
        generated == committed,
        "{CRDS_FILE} is stale or hand-edited; regenerate it from the API types with:\n  {REGENERATE}"
    );
}

#[test]
fn every_kgateway_kind_is_a_namespaced_v1alpha1_crd_with_a_status_subresource_where_kgateway_has_one()
 {
    let crds = committed_crds();
    let mut kinds: Vec<&str> = crds
        .iter()
        .map(|crd| crd["spec"]["names"]["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "Backend",
            "DirectResponse",
            "GatewayParameters",
            "HTTPListenerPolicy",
            "ListenerPolicy",
            "TrafficPolicy"
        ]
    );
    for crd in &crds {
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap();
        assert_eq!(crd["apiVersion"], "apiextensions.k8s.io/v1", "{kind}");
        assert_eq!(crd["spec"]["group"], "gateway.kgateway.dev", "{kind}");
        assert_eq!(crd["spec"]["scope"], "Namespaced", "{kind}");
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap();
        assert_eq!(
            crd["metadata"]["name"],
            format!("{plural}.gateway.kgateway.dev"),
            "{kind}"
        );
        let versions = crd["spec"]["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 1, "{kind}");
        assert_eq!(versions[0]["name"], "v1alpha1", "{kind}");
        assert_eq!(versions[0]["served"], true, "{kind}");
        assert_eq!(versions[0]["storage"], true, "{kind}");
        if kind != "GatewayParameters" {
            // The controller writes status through the status subresource.
            assert!(versions[0]["subresources"]["status"].is_object(), "{kind}");
        }
    }
}

#[test]
fn every_schema_is_structural_and_loads_on_old_servers() {
    let mut violations = Vec::new();
    for crd in committed_crds() {
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_owned();
        let root = schema(&crd);
        assert_eq!(root["type"], "object", "{kind}: root must be an object");
        structural_violations(root, &kind, false, &mut violations);
        // The server owns metadata: a schema may only say it is an object (name/generateName aside).
        if let Some(metadata) = root["properties"]["metadata"].as_object() {
            assert!(
                metadata.keys().all(|key| key == "type"),
                "{kind}: metadata schema {metadata:?}"
            );
        }
    }
    assert!(
        violations.is_empty(),
        "not structural:\n{}",
        violations.join("\n")
    );
}

#[test]
fn kgateway_validation_reaches_the_server() {
    let crds = committed_crds();
    let direct = schema(crd(&crds, "DirectResponse"));
    assert_eq!(at(direct, "spec.status")["minimum"], 200.0);
    assert_eq!(at(direct, "spec.status")["maximum"], 599.0);
    assert_eq!(at(direct, "spec.body")["maxLength"], 4096);
    assert!(
        at(direct, "spec")["required"]
            .as_array()
            .unwrap()
            .contains(&"status".into())
    );

    let traffic = schema(crd(&crds, "TrafficPolicy"));
    let bucket = at(traffic, "spec.rateLimit.local.tokenBucket");
    assert_eq!(
        at(traffic, "spec.rateLimit.local.tokenBucket.maxTokens")["minimum"],
        1.0
    );
    assert!(
        bucket["required"]
            .as_array()
            .unwrap()
            .contains(&"fillInterval".into())
    );
    assert_eq!(
        at(traffic, "spec.rateLimit.local.percentEnabled")["maximum"],
        100.0
    );
    let parse_as = at(traffic, "spec.transformation.request.body.parseAs");
    assert_eq!(
        parse_as["enum"],
        serde_json::json!(["AsString", "AsJson", "None"])
    );

    let backend = schema(crd(&crds, "Backend"));
    assert!(
        at(backend, "spec.static")["required"]
            .as_array()
            .unwrap()
            .contains(&"hosts".into())
    );
    assert_eq!(at(backend, "spec.static.hosts[].port")["maximum"], 65535.0);
}

#[test]
fn opaque_kgateway_fields_are_kept_not_pruned() {
    // Fields dynagate does not translate yet must reach the controller (to be reported as not supported).
    let crds = committed_crds();
    let traffic = schema(crd(&crds, "TrafficPolicy"));
    assert_eq!(
        at(traffic, "spec.extAuth")["x-kubernetes-preserve-unknown-fields"],
        true
    );
    let listener = schema(crd(&crds, "HTTPListenerPolicy"));
    assert_eq!(
        at(listener, "spec.accessLog[].fileSink.jsonFormat")["type"],
        "object"
    );
    assert_eq!(
        at(listener, "spec.accessLog[].fileSink.jsonFormat")["x-kubernetes-preserve-unknown-fields"],
        true
    );
    // Typed sections stay closed, so typos are pruned by the server rather than stored.
    assert!(at(traffic, "spec")["x-kubernetes-preserve-unknown-fields"].is_null());
}

#[test]
fn example_manifests_survive_pruning() {
    let crds = committed_crds();
    let mut checked = 0;
    let mut pruned = Vec::new();
    for entry in fs::read_dir(repo_root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        for object in yaml_documents(&fs::read_to_string(&path).unwrap()) {
            if object["apiVersion"] != "gateway.kgateway.dev/v1alpha1" {
                continue;
            }
            let kind = object["kind"].as_str().unwrap();
            let name = format!("{}:{kind}", path.file_name().unwrap().to_string_lossy());
            pruned_paths(
                &object["spec"],
                at(schema(crd(&crds, kind)), "spec"),
                &name,
                &mut pruned,
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no gateway.kgateway.dev example found");
    assert!(pruned.is_empty(), "the server would drop: {pruned:?}");
}

/// The `rules:` of the chart's ClusterRole (the part of the template with no template directives).
fn chart_cluster_role_rules() -> Vec<Value> {
    let path = repo_root().join("charts/dynagate/templates/clusterrole.yaml");
    let text = fs::read_to_string(path).unwrap();
    let (_, rules) = text
        .split_once("\nrules:\n")
        .expect("clusterrole.yaml has a rules: list");
    assert!(
        !rules.contains("{{"),
        "rules must stay plain YAML for this check"
    );
    serde_yaml::from_str(rules).unwrap()
}

#[test]
fn chart_rbac_reads_every_crd_and_writes_status_only_where_there_is_one() {
    let rules = chart_cluster_role_rules();
    let granted = |resource: &str, verb: &str| {
        rules.iter().any(|rule| {
            rule["apiGroups"]
                .as_array()
                .unwrap()
                .contains(&"gateway.kgateway.dev".into())
                && rule["resources"]
                    .as_array()
                    .unwrap()
                    .contains(&resource.into())
                && rule["verbs"].as_array().unwrap().contains(&verb.into())
        })
    };
    for crd in committed_crds() {
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap();
        for verb in ["get", "list", "watch"] {
            assert!(granted(plural, verb), "chart RBAC lacks {verb} on {plural}");
        }
        assert!(
            !granted(plural, "update"),
            "the controller never writes {plural} specs"
        );
        let status = format!("{plural}/status");
        let has_status = crd["spec"]["versions"][0]["subresources"]["status"].is_object();
        assert_eq!(granted(&status, "patch"), has_status, "patch on {status}");
    }
}
