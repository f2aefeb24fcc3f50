//! botocore as a second, independent SigV4 verifier: every request the fake Lambda received is re-signed
//! by `e2e/sigv4_check.py` (botocore's `SigV4Auth`, in the project venv that `scripts/install-envoy.sh`
//! sets up) and the signatures compared.

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dynagate_aws_lambda::testing::ReceivedInvoke;
use dynagate_e2e::{Value, json, repo_root};

/// A key botocore may sign with: access key id, secret, session token.
pub type Key<'a> = (&'a str, &'a str, Option<&'a str>);

/// What botocore made of the requests.
#[derive(Debug)]
pub struct BotocoreReport {
    /// Requests re-signed.
    pub checked: usize,
    /// Every request whose signature botocore does not reproduce.
    pub mismatches: Vec<Mismatch>,
}

/// A request botocore signs differently.
#[derive(Debug)]
pub struct Mismatch {
    /// Its position in the requests checked.
    pub index: usize,
    /// What differs.
    pub reason: String,
}

/// Re-signs `requests` with botocore for `region`, service `lambda`, and the given keys.
pub fn check(requests: &[ReceivedInvoke], region: &str, keys: &[Key<'_>]) -> BotocoreReport {
    let keys: serde_json::Map<String, Value> = keys
        .iter()
        .map(|(id, secret, token)| ((*id).to_owned(), json!({"secret": secret, "token": token})))
        .collect();
    let requests: Vec<Value> = requests
        .iter()
        .map(|request| {
            json!({
                "method": request.method,
                "path": request.path,
                "headers": request.headers,
                "body_base64": BASE64.encode(&request.body),
            })
        })
        .collect();
    let job = json!({"region": region, "service": "lambda", "keys": keys, "requests": requests});

    let root = repo_root();
    let python = root.join(".venv/bin/python");
    let mut child = Command::new(&python)
        .arg(root.join("e2e/sigv4_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{}: {err} (run scripts/install-envoy.sh)", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "sigv4_check.py failed (is botocore in .venv? run scripts/install-envoy.sh): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    BotocoreReport {
        checked: usize::try_from(report["checked"].as_u64().unwrap()).unwrap(),
        mismatches: report["mismatches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| Mismatch {
                index: usize::try_from(m["index"].as_u64().unwrap()).unwrap(),
                reason: m["reason"].as_str().unwrap().to_owned(),
            })
            .collect(),
    }
}
