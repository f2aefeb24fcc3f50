//! The `access_log` logger of `libdynagate.so` against the real Envoy 1.40: its lines equal Envoy's
//! own file logger's for the same requests (text, default and JSON formats), every filter kind
//! selects the right requests, and a destination that stops accepting bytes drops and counts
//! lines instead of stalling requests; rotation (rename + SIGHUP / SIGUSR1, or a new path through a
//! policy update) loses and duplicates no line; the traceable filter selects what Envoy's does.
//! Through the controller: a Gateway-level HTTPListenerPolicy logs the requests of every listener
//! of the Gateway.
#![allow(clippy::unwrap_used, reason = "test helpers should fail loudly")]

#[path = "support/controlled.rs"]
mod controlled;
#[path = "access_log/rotation.rs"]
mod rotation;
#[path = "access_log/traceable.rs"]
mod traceable;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use controlled::ControlledGateway;
use dynagate_e2e::{
    AccessLog, Bootstrap, DEFAULT_REQUEST_TIMEOUT, ECHO_DELAY_MS, ECHO_RESPONSE_HEADER,
    ECHO_STATUS, EchoUpstream, Envoy, EnvoyOptions, GATEWAY_NAME, GATEWAY_NAMESPACE,
    HttpConnection, HttpRequest, Listener, MAIN_LISTENER, Route, UPSTREAM_CLUSTER, Value,
    eventually, gateway_manifest, json, reserve_port, static_backend_manifest,
};
use rustix::process::Signal;

const LOGGER: &str = "access_log";
/// The counter the logger bumps per dropped line, as Envoy's admin shows it.
const DROPPED_STAT: &str = "dynamicmodulescustom.dynagate.access_log.dropped_lines";

/// A text format using most operators users write in kgateway manifests.
const RICH_FORMAT: &str = "[%START_TIME%] [%START_TIME(%s.%3f)%] \
\"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% \
%RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% \
%REQUEST_DURATION% %RESPONSE_DURATION% \"%RESP(CONTENT-TYPE)%\" \
%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %TRAILER(GRPC-STATUS)% \"%REQ(USER-AGENT)%\" \
\"%REQ(X-MULTI)%\" %REQ(X-LONG):5% %REQ(X-ABSENT)% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% \
%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% \
%DOWNSTREAM_LOCAL_ADDRESS% %ROUTE_NAME% %HOSTNAME% %DYNAMIC_METADATA(dynagate:missing)% \
%FILTER_STATE(missing.key)% %REQUESTED_SERVER_NAME% %CONNECTION_TERMINATION_DETAILS%\n";

/// Routes: `/app...` to the echo upstream (named, so `%ROUTE_NAME%` has a value), `/direct` a local
/// reply; anything else matches no route (404, flag `NR`).
fn listener() -> Listener {
    Listener::new(MAIN_LISTENER)
        .route(
            Route::prefix("/app")
                .to_cluster(UPSTREAM_CLUSTER)
                .field("name", json!("app-route")),
        )
        .route(Route::prefix("/direct").direct_response(418, "teapot"))
}

async fn start(upstream: &EchoUpstream, listener: Listener) -> Envoy {
    Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        // One worker: every logger sees the requests in the order they were sent.
        .start_with(EnvoyOptions::default().concurrency(1))
        .await
        .unwrap()
}

/// Requests covering upstream answers, bodies both ways, errors, local replies and missing routes;
/// the last one is `/app/last`, the marker the comparisons wait for.
fn varied_requests() -> Vec<HttpRequest> {
    vec![
        HttpRequest::get("/app/ok?q=1&r=two")
            .header("user-agent", "dynagate-e2e/1.0")
            .header("x-multi", "a")
            .header("x-multi", "b")
            .header("x-long", "abcdefghij"),
        HttpRequest::post("/app/post").body("hello, access log"),
        HttpRequest::get("/app/fail").header(ECHO_STATUS, "503"),
        HttpRequest::get("/app/grpc").header(ECHO_RESPONSE_HEADER, "grpc-status: 7"),
        HttpRequest::get("/direct/tea"),
        HttpRequest::get("/nowhere"),
        HttpRequest::get("/app/last"),
    ]
}

async fn send_all(envoy: &Envoy, requests: Vec<HttpRequest>) {
    for request in requests {
        envoy.send(request).await.unwrap();
    }
}

fn lines_of(envoy: &Envoy, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(envoy.work_dir().join(file)).unwrap_or_default();
    text.lines().map(str::to_owned).collect()
}

/// Waits for `/app/last` in both files, then returns both files' lines.
async fn both_logs(envoy: &Envoy, ours: &str, envoys: &str) -> (Vec<String>, Vec<String>) {
    envoy.wait_for_file_line(ours, "/app/last").await.unwrap();
    envoy.wait_for_file_line(envoys, "/app/last").await.unwrap();
    (lines_of(envoy, ours), lines_of(envoy, envoys))
}

#[tokio::test]
async fn text_lines_equal_envoys_file_logger_for_the_same_requests() {
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = listener()
        .access_log(AccessLog::dynagate(
            LOGGER,
            json!({ "fileSink": { "path": "ours.log", "stringFormat": RICH_FORMAT } }),
        ))
        .access_log(AccessLog::file_with_format("builtin.log", RICH_FORMAT));
    let envoy = start(&upstream, listener).await;

    send_all(&envoy, varied_requests()).await;

    let (ours, envoys) = both_logs(&envoy, "ours.log", "builtin.log").await;
    assert_eq!(ours.len(), varied_requests().len(), "{ours:#?}");
    for (ours, envoys) in ours.iter().zip(&envoys) {
        assert_eq!(ours, envoys);
    }
    assert_eq!(ours, envoys);
    // The comparison means something only if the operators had values to disagree on.
    let post = ours.iter().find(|line| line.contains("/app/post")).unwrap();
    assert!(post.contains(" 17 "), "request body bytes: {post}");
    assert!(!post.starts_with("[-]"), "start time: {post}");
}

#[tokio::test]
async fn the_default_format_equals_envoys_default() {
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = listener()
        .access_log(AccessLog::dynagate(
            LOGGER,
            json!({ "fileSink": { "path": "ours.log" } }),
        ))
        .access_log(AccessLog::file("builtin.log"));
    let envoy = start(&upstream, listener).await;

    send_all(&envoy, varied_requests()).await;

    let (ours, envoys) = both_logs(&envoy, "ours.log", "builtin.log").await;
    assert_eq!(ours.len(), varied_requests().len(), "{ours:#?}");
    assert_eq!(ours, envoys);
}

#[tokio::test]
async fn json_lines_equal_envoys_json_file_logger() {
    let format = json!({
        "start": "%START_TIME%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "protocol": "%PROTOCOL%",
        "code": "%RESPONSE_CODE%",
        "details": "%RESPONSE_CODE_DETAILS%",
        "flags": "%RESPONSE_FLAGS%",
        "received": "%BYTES_RECEIVED%",
        "sent": "%BYTES_SENT%",
        "duration": "%DURATION%",
        "upstream_duration": "%RESPONSE_DURATION%",
        "upstream": "%UPSTREAM_HOST%",
        "absent_header": "%REQ(X-ABSENT)%",
        "user_agent": "%REQ(USER-AGENT)%",
        "client": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
        "mixed": "%REQ(:METHOD)% to %REQ(:PATH)%",
        "route": "%ROUTE_NAME%",
    });
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = listener()
        .access_log(AccessLog::dynagate(
            LOGGER,
            json!({ "fileSink": { "path": "ours.log", "jsonFormat": format } }),
        ))
        .access_log(AccessLog::file_json("builtin.log", format));
    let envoy = start(&upstream, listener).await;

    send_all(&envoy, varied_requests()).await;

    let (ours, envoys) = both_logs(&envoy, "ours.log", "builtin.log").await;
    assert_eq!(ours.len(), varied_requests().len(), "{ours:#?}");
    assert_eq!(ours, envoys);
    // Numbers stay numbers and missing values are null, as in Envoy's JSON.
    let ok: Value = serde_json::from_str(&ours[0]).unwrap();
    assert_eq!(ok["code"], 200, "{ok}");
    assert!(ok["duration"].is_number(), "{ok}");
    assert_eq!(ok["absent_header"], Value::Null, "{ok}");
}

/// One logger per filter, each writing the paths it accepts to its own file.
fn filtered(file: &str, filter: Value) -> AccessLog {
    AccessLog::dynagate(
        LOGGER,
        json!({
            "fileSink": { "path": file, "stringFormat": "%REQ(:PATH)%\n" },
            "filter": filter,
        }),
    )
}

#[tokio::test]
async fn every_filter_kind_selects_its_requests() {
    let tag =
        |value: &str| json!({ "headerFilter": { "header": { "name": "x-tag", "value": value } } });
    let cases: BTreeMap<&str, (Value, Vec<&str>)> = BTreeMap::from([
        (
            "status_ge.log",
            (
                json!({ "statusCodeFilter": { "op": "GE", "value": 500 } }),
                vec!["/app/fail"],
            ),
        ),
        (
            "status_eq.log",
            (
                json!({ "statusCodeFilter": { "op": "EQ", "value": 404 } }),
                vec!["/nowhere"],
            ),
        ),
        (
            "status_le.log",
            (
                json!({ "statusCodeFilter": { "op": "LE", "value": 200 } }),
                vec![
                    "/app/slow",
                    "/app/tagged",
                    "/app/regex",
                    "/app/grpc-denied",
                    "/app/grpc-ok",
                ],
            ),
        ),
        (
            // Only the request the upstream holds for a second lasts 800 ms or more.
            "duration.log",
            (
                json!({ "durationFilter": { "op": "GE", "value": 800 } }),
                vec!["/app/slow"],
            ),
        ),
        ("header_exact.log", (tag("blue"), vec!["/app/tagged"])),
        (
            "header_regex.log",
            (
                json!({ "headerFilter": { "header": {
                    "type": "RegularExpression", "name": "x-tag", "value": "red-[0-9]+"
                } } }),
                vec!["/app/regex"],
            ),
        ),
        (
            "flags.log",
            (
                json!({ "responseFlagFilter": { "flags": ["NR"] } }),
                vec!["/nowhere"],
            ),
        ),
        (
            "grpc.log",
            (
                json!({ "grpcStatusFilter": { "statuses": ["PERMISSION_DENIED"] } }),
                vec!["/app/grpc-denied"],
            ),
        ),
        (
            // gRPC statuses other than OK and PERMISSION_DENIED; HTTP answers map to one
            // (503 -> UNAVAILABLE, 404 -> UNIMPLEMENTED, 200 -> UNKNOWN), as in Envoy.
            "grpc_exclude.log",
            (
                json!({ "grpcStatusFilter": {
                    "statuses": ["OK", "PERMISSION_DENIED", "UNKNOWN"], "exclude": true
                } }),
                vec!["/app/fail", "/nowhere"],
            ),
        ),
        (
            "and.log",
            (
                json!({ "andFilter": [
                    { "notHealthCheckFilter": true },
                    { "statusCodeFilter": { "op": "GE", "value": 400 } },
                ] }),
                vec!["/app/fail", "/nowhere"],
            ),
        ),
        (
            "or.log",
            (
                json!({ "orFilter": [tag("blue"), { "responseFlagFilter": { "flags": ["NR"] } }] }),
                vec!["/nowhere", "/app/tagged"],
            ),
        ),
    ]);
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = cases
        .iter()
        .fold(listener(), |listener, (file, (filter, _))| {
            listener.access_log(filtered(file, filter.clone()))
        });
    let envoy = start(&upstream, listener).await;

    let requests = [
        HttpRequest::get("/app/fail").header(ECHO_STATUS, "503"),
        HttpRequest::get("/nowhere"),
        HttpRequest::get("/app/slow").header(ECHO_DELAY_MS, "1000"),
        HttpRequest::get("/app/tagged").header("x-tag", "blue"),
        HttpRequest::get("/app/regex").header("x-tag", "red-42"),
        HttpRequest::get("/app/grpc-denied").header(ECHO_RESPONSE_HEADER, "grpc-status: 7"),
        HttpRequest::get("/app/grpc-ok").header(ECHO_RESPONSE_HEADER, "grpc-status: 0"),
    ];
    for request in requests {
        envoy.send(request).await.unwrap();
    }
    for (file, (_, expected)) in &cases {
        let last = expected.last().unwrap();
        envoy.wait_for_file_line(file, last).await.unwrap();
    }
    // A clean shutdown flushes every sink: a wrongly accepted line sent after the last expected
    // one would be in the files now.
    terminate(&envoy).await;
    for (file, (_, expected)) in &cases {
        assert_eq!(&lines_of(&envoy, file), expected, "{file}");
    }
}

/// Sends `signal` to the Envoy process.
fn signal(envoy: &Envoy, signal: Signal) {
    let pid = i32::try_from(envoy.pid())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

/// Asks Envoy to shut down (SIGTERM) and waits for it to exit.
async fn terminate(envoy: &Envoy) {
    signal(envoy, Signal::TERM);
    envoy.wait_for_exit().await.unwrap();
}

/// Loggers writing into one FIFO that nobody reads: once the pipe and the queue are full, every
/// further line must be dropped (the writer thread is stuck in `write`, workers must not be).
const LOGGERS_ON_FIFO: usize = 32;
/// The queue holds this many lines (`SinkOptions::default().queue_lines`).
const QUEUE_LINES: usize = 16 * 1024;
/// Requests of the burst: 32 lines each, far more than the queue and the pipe hold.
const BURST: usize = 1_500;
/// What each logger writes per burst request.
const BURST_LINE: &str = "GET /app/burst 200 HTTP/1.1 ............\n";

fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Reads `fifo` to its end on a thread, counting lines into the returned counter.
fn count_lines_of(fifo: File) -> Arc<AtomicUsize> {
    let lines = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&lines);
    std::thread::spawn(move || {
        let mut fifo = fifo;
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(read @ 1..) = fifo.read(&mut buffer) {
            let newlines = buffer[..read].iter().filter(|&&b| b == b'\n').count();
            counter.fetch_add(newlines, Ordering::Relaxed);
        }
    });
    lines
}

#[tokio::test]
async fn a_burst_into_a_stuck_destination_drops_and_counts_without_stalling_requests() {
    let dir = tempfile::tempdir().unwrap();
    let fifo: PathBuf = dir.path().join("stuck.fifo");
    make_fifo(&fifo);
    // Held open for reading and writing, never read: Envoy's open does not wait for a reader, and
    // its writes block once the pipe buffer is full.
    let keeper = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let line_format = "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %PROTOCOL% ............\n";
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = (0..LOGGERS_ON_FIFO).fold(listener(), |listener, _| {
        listener.access_log(AccessLog::dynagate(
            LOGGER,
            json!({ "fileSink": { "path": fifo, "stringFormat": line_format } }),
        ))
    });
    let envoy = start(&upstream, listener).await;

    let mut connection = HttpConnection::open(envoy.addr().unwrap()).await.unwrap();
    let mut slowest = Duration::ZERO;
    for _ in 0..BURST {
        let sent = Instant::now();
        let response = connection
            .send(HttpRequest::get("/app/burst"))
            .await
            .unwrap();
        slowest = slowest.max(sent.elapsed());
        assert_eq!(response.status, 200);
    }

    // At most the queue, one 64 KiB batch in the writer and the 64 KiB pipe buffer took lines
    // (plus one request's worth of slack for the queue's approximate length); the rest was dropped.
    let total = BURST * LOGGERS_ON_FIFO;
    let accepted_at_most = QUEUE_LINES + 2 * 64 * 1024 / BURST_LINE.len() + LOGGERS_ON_FIFO;
    let dropped = envoy
        .wait_for_stat(DROPPED_STAT, (total - accepted_at_most) as u64)
        .await
        .unwrap();
    // A worker waiting on the queue would never have answered; a slow one would show here.
    assert!(
        slowest < DEFAULT_REQUEST_TIMEOUT / 4,
        "slowest request of the burst took {slowest:?}"
    );

    // Unblock the writer: every line not dropped reaches the file, none is lost silently.
    // (Opening for reading does not wait: Envoy holds the FIFO open for writing.)
    let written = count_lines_of(File::open(&fifo).unwrap());
    drop(keeper);
    let dropped = usize::try_from(dropped).unwrap();
    eventually("written + dropped lines to add up to every line", || {
        let written = written.load(Ordering::Relaxed);
        async move {
            if written + dropped == total {
                Ok(())
            } else {
                Err(format!("{written} written + {dropped} dropped of {total}"))
            }
        }
    })
    .await
    .unwrap();
}

/// An HTTPRoute sending everything to the kgateway Backend `echo`, attached to every listener of the
/// Gateway, and an HTTPListenerPolicy on the Gateway logging each request's path and listener.
fn routed_and_logged(log: &Path) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: all, namespace: {GATEWAY_NAMESPACE}}}
spec:
  parentRefs: [{{name: {GATEWAY_NAME}}}]
  rules: [{{backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: echo}}]}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {{name: logs, namespace: {GATEWAY_NAMESPACE}}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: Gateway, name: {GATEWAY_NAME}}}]
  accessLog:
  - fileSink:
      path: {}
      stringFormat: \"%REQ(:PATH)% %RESPONSE_CODE% %UPSTREAM_HOST%\\n\"
",
        log.display()
    )
}

/// Sends `path` to `addr` until the routes have arrived over xDS and it is answered 200.
async fn wait_for_ok(addr: std::net::SocketAddr, path: &str) {
    eventually(&format!("{path} on {addr} to be answered 200"), || async {
        match HttpRequest::get(path).send(addr).await {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{}: {}", response.status, response.text())),
            Err(err) => Err(err.to_string()),
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_gateway_level_http_listener_policy_logs_every_listener() {
    let upstream = EchoUpstream::start().await.unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("gateway-access.log");
    let second = reserve_port().unwrap();
    let files = [
        (
            "echo.yaml",
            static_backend_manifest("echo", upstream.addr()),
        ),
        ("logged.yaml", routed_and_logged(&log)),
    ];
    let with_second_listener = |first| {
        format!(
            "{}  - name: second\n    protocol: HTTP\n    port: {second}\n",
            gateway_manifest(first)
        )
    };
    let ControlledGateway {
        envoy,
        controller: _controller,
        manifests: _manifests,
        addr: first_addr,
        ..
    } = ControlledGateway::start(with_second_listener, &files).await;
    let second_addr = envoy
        .wait_for_listener(&format!("listener~{second}"))
        .await
        .unwrap();

    wait_for_ok(first_addr, "/via-first").await;
    wait_for_ok(second_addr, "/via-second").await;

    let upstream_host = upstream.addr().to_string();
    for path in ["/via-first", "/via-second"] {
        let line = envoy.wait_for_file_line(&log, path).await.unwrap();
        assert_eq!(line, format!("{path} 200 {upstream_host}"));
    }
}
