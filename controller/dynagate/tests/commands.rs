//! The `dynagate` binary's commands, run as a user would: exit codes, output, and the admin endpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DYNAGATE: &str = env!("CARGO_BIN_EXE_dynagate");

fn dynagate(args: &[&str]) -> Output {
    Command::new(DYNAGATE).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  gatewayClassName: dynagate
  listeners:
  - name: http
    protocol: HTTP
    port: 8080
";

const BAD_POLICY: &str = "apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata:
  name: typo
spec:
  transformaton: {}
";

#[test]
fn validate_reports_file_document_field_and_reason_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gateway.yaml"), GATEWAY).unwrap();
    fs::write(
        dir.path().join("policy.yaml"),
        format!("# a comment\n---\n{BAD_POLICY}"),
    )
    .unwrap();

    let output = dynagate(&["validate", dir.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let error = text
        .lines()
        .find(|line| line.starts_with("error:"))
        .expect("an error line");
    assert!(error.contains("policy.yaml"), "{error}");
    assert!(error.contains("document 2"), "{error}");
    assert!(error.contains("spec.transformaton"), "{error}");
    assert!(error.contains("unknown field"), "{error}");
    assert!(text.contains("1 errors"), "{text}");
}

#[test]
fn validate_accepts_a_good_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gateway.yaml"), GATEWAY).unwrap();
    let output = dynagate(&["validate", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("0 errors"));
}

#[test]
fn validate_fails_on_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = dynagate(&["validate", dir.path().join("absent").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("cannot read manifest directory"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn every_example_validates() {
    let examples = repo_root().join("examples");
    let output = dynagate(&["validate", examples.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        !text.contains("warning:"),
        "examples should program cleanly:\n{text}"
    );
}

#[test]
fn bootstrap_prints_yaml_naming_the_gateway_and_the_ads_server() {
    let output = dynagate(&[
        "bootstrap",
        "--gateway",
        "infra/edge",
        "--xds-addr",
        "127.0.0.1:18123",
        "--admin-port",
        "0",
    ]);
    assert!(output.status.success());
    let doc: serde_yaml::Value = serde_yaml::from_str(&stdout(&output)).unwrap();
    assert_eq!(doc["node"]["cluster"], "infra/edge");
    assert_eq!(doc["admin"]["address"]["socket_address"]["port_value"], 0);
    let ads = &doc["dynamic_resources"]["ads_config"];
    assert_eq!(ads["api_type"], "GRPC");
    let cluster_name = ads["grpc_services"][0]["envoy_grpc"]["cluster_name"]
        .as_str()
        .unwrap();
    let cluster = doc["static_resources"]["clusters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"] == cluster_name)
        .expect("the ADS cluster is defined");
    let endpoint =
        &cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"];
    assert_eq!(endpoint["socket_address"]["port_value"], 18123);
}

#[test]
fn bootstrap_rejects_a_gateway_without_namespace() {
    let output = dynagate(&[
        "bootstrap",
        "--gateway",
        "edge",
        "--xds-addr",
        "127.0.0.1:18000",
    ]);
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("NAMESPACE/NAME"));
}

#[test]
fn the_documented_bootstrap_example_is_current() {
    let output = dynagate(&[
        "bootstrap",
        "--gateway",
        "default/example",
        "--xds-addr",
        "127.0.0.1:18000",
        "--module-dir",
        "/path/to/target/debug",
        "--admin-port",
        "19001",
    ]);
    let committed = fs::read_to_string(repo_root().join("envoy/bootstrap.example.yaml")).unwrap();
    assert_eq!(
        stdout(&output),
        committed,
        "regenerate envoy/bootstrap.example.yaml with the command above"
    );
}

/// A running `dynagate run`, killed on drop.
struct Running {
    child: Child,
    admin: String,
}

impl Running {
    fn start(manifests: &Path) -> Self {
        let mut child = Command::new(DYNAGATE)
            .args(["run", "--manifests", manifests.to_str().unwrap()])
            .args(["--xds-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        let admin = ready
            .trim()
            .strip_prefix("dynagate ready: ")
            .and_then(|rest| {
                rest.split_whitespace()
                    .find_map(|kv| kv.strip_prefix("admin="))
            })
            .unwrap_or_else(|| panic!("unexpected first line {ready:?}"))
            .to_owned();
        Self { child, admin }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.admin).unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nhost: admin\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    }

    fn status(&self) -> serde_json::Value {
        let (code, body) = self.get("/status");
        assert_eq!(code, 200);
        serde_json::from_str(&body).unwrap()
    }

    fn wait_for_status(
        &self,
        what: &str,
        condition: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let status = self.status();
            if condition(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last status: {status:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn run_serves_admin_and_keeps_the_last_good_configuration_when_a_file_breaks() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gateway.yaml"), GATEWAY).unwrap();
    let running = Running::start(dir.path());

    assert_eq!(running.get("/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(running.get("/readyz"), (200, "ok\n".to_owned()));
    let first = running.wait_for_status("the first load", |s| s["serving"]["generation"] == 1);
    assert_eq!(first["up_to_date"], true);
    assert_eq!(first["manifests"]["files"], 1);

    fs::write(dir.path().join("policy.yaml"), BAD_POLICY).unwrap();
    let broken = running.wait_for_status("the error to be reported", |s| {
        s["manifests"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    });
    assert_eq!(broken["up_to_date"], false);
    assert_eq!(
        broken["serving"]["generation"], 1,
        "nothing new was published"
    );
    let error = &broken["manifests"]["errors"][0];
    assert!(
        error["file"].as_str().unwrap().ends_with("policy.yaml"),
        "{error}"
    );
    assert_eq!(error["document"], 1);
    assert_eq!(error["field"], "spec.transformaton");

    let (code, metrics) = running.get("/metrics");
    assert_eq!(code, 200);
    assert!(metrics.contains("dynagate_manifest_errors 1"), "{metrics}");
    assert!(
        metrics.contains(r#"dynagate_reloads_total{result="rejected"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("dynagate_translation_duration_seconds_count"),
        "{metrics}"
    );

    fs::write(
        dir.path().join("policy.yaml"),
        BAD_POLICY.replace("transformaton", "transformation"),
    )
    .unwrap();
    let fixed = running.wait_for_status("the fix to be published", |s| {
        s["serving"]["generation"] == 2
    });
    assert_eq!(fixed["up_to_date"], true);
    assert_eq!(fixed["manifests"]["errors"].as_array().unwrap().len(), 0);
}
