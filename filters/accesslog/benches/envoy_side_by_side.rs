//! Per-line cost of our `access_log` logger next to Envoy's own file logger, measured in the same
//! run at the process level: Envoy's formatter cannot run in criterion, so each logger runs inside
//! a real Envoy 1.40 (`--concurrency 1`), a fixed client sends the same requests, and the Envoy
//! process's CPU time (utime + stime of `/proc/<pid>/stat`, every thread: workers, our writer,
//! Envoy's flush thread) is divided by the request count. An Envoy without an access log gives the
//! baseline; "per line" is the difference to it.
//!
//! Run: `make bench` (or `cargo build --release -p dynagate-module && cargo bench -p
//! dynagate-accesslog --bench envoy_side_by_side`). `ACCESS_LOG_BENCH_REQUESTS` sets the requests
//! per run (default 50000), `ACCESS_LOG_BENCH_ROUNDS` the rounds (default 3; the minimum counts).
//! Under `cargo test` (no `--bench` argument) it does nothing.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark whose setup is broken should stop loudly"
)]

use std::path::Path;
use std::time::Duration;

use dynagate_e2e::{
    AccessLog, Bootstrap, Envoy, EnvoyOptions, HttpConnection, HttpRequest, Listener,
    MAIN_LISTENER, Route, Value, json,
};

/// The same typical JSON format as the criterion bench (`format.rs`).
const TYPICAL_JSON: &str = r#"{
    "start_time": "%START_TIME%",
    "method": "%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "duration": "%DURATION%",
    "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%",
    "user_agent": "%REQ(USER-AGENT)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "authority": "%REQ(:AUTHORITY)%",
    "upstream_host": "%UPSTREAM_HOST%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "route_name": "%ROUTE_NAME%"
}"#;

const LOG_FILE: &str = "access.log";
const WARMUP: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Logger {
    None,
    OursJson,
    EnvoyJson,
    OursText,
    EnvoyText,
}

impl Logger {
    const ALL: [Self; 5] = [
        Self::None,
        Self::OursJson,
        Self::EnvoyJson,
        Self::OursText,
        Self::EnvoyText,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::None => "no access log (baseline)",
            Self::OursJson => "dynagate access_log, JSON",
            Self::EnvoyJson => "Envoy file logger, JSON",
            Self::OursText => "dynagate access_log, default text",
            Self::EnvoyText => "Envoy file logger, default text",
        }
    }

    fn access_log(self) -> Option<AccessLog> {
        let json: Value = serde_json::from_str(TYPICAL_JSON).expect("valid JSON format");
        match self {
            Self::None => None,
            Self::OursJson => Some(AccessLog::dynagate(
                "access_log",
                json!({ "fileSink": { "path": LOG_FILE, "jsonFormat": json } }),
            )),
            Self::EnvoyJson => Some(AccessLog::file_json(LOG_FILE, json)),
            Self::OursText => Some(AccessLog::dynagate(
                "access_log",
                json!({ "fileSink": { "path": LOG_FILE } }),
            )),
            Self::EnvoyText => Some(AccessLog::file(LOG_FILE)),
        }
    }
}

/// A browser-like `GET` answered directly by Envoy (no upstream: less noise around the logger).
fn request(n: usize) -> HttpRequest {
    HttpRequest::get(&format!("/api/v1/orders?limit=10&cursor={n}"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        )
        .header("accept", "application/json")
        .header("x-forwarded-for", "203.0.113.7")
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name (which may hold spaces) start at field 3, `state`.
    let after_name = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let field = |number: usize| -> u64 { fields[number - 3].parse().expect("numeric stat field") };
    field(14) + field(15)
}

fn ticks_per_second() -> f64 {
    let output = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf CLK_TCK");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("numeric CLK_TCK")
}

fn line_count(path: &Path) -> usize {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// Waits (bounded) until the log holds `lines` lines, so the writing is inside the measurement.
async fn wait_for_lines(envoy: &Envoy, lines: usize) {
    let path = envoy.work_dir().join(LOG_FILE);
    for _ in 0..2_000 {
        if line_count(&path) >= lines {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "{} has {} of {lines} lines",
        path.display(),
        line_count(&path)
    );
}

/// Envoy CPU seconds spent on `requests` requests with `logger`.
async fn measure(logger: Logger, requests: usize, ticks_per_second: f64) -> f64 {
    let mut listener =
        Listener::new(MAIN_LISTENER).route(Route::prefix("/").direct_response(200, "ok"));
    if let Some(access_log) = logger.access_log() {
        listener = listener.access_log(access_log);
    }
    let envoy = Bootstrap::new()
        .listener(listener)
        .start_with(EnvoyOptions::default().concurrency(1).log_level("warning"))
        .await
        .expect("Envoy starts");
    let mut connection = HttpConnection::open(envoy.addr().unwrap()).await.unwrap();
    for n in 0..WARMUP {
        connection.send(request(n)).await.unwrap();
    }
    let logged = logger != Logger::None;
    if logged {
        wait_for_lines(&envoy, WARMUP).await;
    }
    let before = cpu_ticks(envoy.pid());
    for n in 0..requests {
        let response = connection.send(request(n)).await.unwrap();
        assert_eq!(response.status, 200);
    }
    if logged {
        wait_for_lines(&envoy, WARMUP + requests).await;
    }
    let spent = cpu_ticks(envoy.pid()) - before;
    spent as f64 / ticks_per_second
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("envoy_side_by_side: a benchmark; run it with `cargo bench`");
        return;
    }
    let requests = env_number("ACCESS_LOG_BENCH_REQUESTS", 50_000);
    let rounds = env_number("ACCESS_LOG_BENCH_ROUNDS", 3).max(1);
    let ticks = ticks_per_second();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Rounds interleave the loggers so machine-load drift hits all of them alike.
    let mut best = [f64::INFINITY; Logger::ALL.len()];
    for _ in 0..rounds {
        for (slot, logger) in Logger::ALL.into_iter().enumerate() {
            let seconds = runtime.block_on(measure(logger, requests, ticks));
            best[slot] = best[slot].min(seconds);
        }
    }
    let per_request_us = |slot: usize| best[slot] * 1e6 / requests as f64;
    let baseline = per_request_us(0);
    println!(
        "Envoy CPU per request (utime+stime, best of {rounds} rounds of {requests} requests, \
         --concurrency 1, tick {:.0} us):",
        1e6 / ticks
    );
    for (slot, logger) in Logger::ALL.into_iter().enumerate() {
        let total = per_request_us(slot);
        if logger == Logger::None {
            println!("  {:<36} {total:8.2} us/request", logger.name());
        } else {
            println!(
                "  {:<36} {total:8.2} us/request, logger {:8.0} ns/line",
                logger.name(),
                (total - baseline) * 1e3
            );
        }
    }
    for (ours, envoys, what) in [(1, 2, "JSON"), (3, 4, "default text")] {
        println!(
            "  {what}: dynagate - Envoy = {:+.0} ns/line",
            (per_request_us(ours) - per_request_us(envoys)) * 1e3
        );
    }
}
