//! Rotation: rename + SIGHUP / SIGUSR1 with the real Envoy, and a new path through a policy
//! update; no line is lost or duplicated across the old and the new file.

use std::path::Path;
use std::time::Instant;

use dynagate_e2e::{
    AccessLog, CONTROL_PLANE_WAIT, EchoUpstream, Envoy, HttpRequest, eventually, gateway_manifest,
    json, static_backend_manifest,
};
use rustix::process::Signal;

use super::controlled::ControlledGateway;
use super::{LOGGER, lines_of, listener, routed_and_logged, signal, start, wait_for_ok};

/// `/app/<batch>/<n>` for `n` in `0..count`: distinct paths whose last one is no prefix of another.
fn numbered(batch: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("/app/{batch}/{n}")).collect()
}

async fn get_all(envoy: &Envoy, paths: &[String]) {
    for path in paths {
        assert_eq!(envoy.get(path).await.unwrap().status, 200, "{path}");
    }
}

/// Waits until `file` (in Envoy's working directory) exists.
async fn wait_for_file(envoy: &Envoy, file: &str) {
    let path = envoy.work_dir().join(file);
    eventually(&format!("{} to be created", path.display()), || {
        let exists = path.exists();
        async move {
            if exists {
                Ok(())
            } else {
                Err("absent".to_owned())
            }
        }
    })
    .await
    .unwrap();
}

/// logrotate's `create` mode with a signal: the file is renamed away, Envoy is signalled, and
/// every line is in exactly one of the two files, the earlier requests in the old file and the
/// requests sent after the reopen in the new one.
async fn rotation_by_rename_and(reopen_signal: Signal) {
    const PATH_FORMAT: &str = "%REQ(:PATH)%\n";
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = listener()
        .access_log(AccessLog::dynagate(
            LOGGER,
            json!({ "fileSink": { "path": "ours.log", "stringFormat": PATH_FORMAT } }),
        ))
        .access_log(AccessLog::file_with_format("builtin.log", PATH_FORMAT));
    let envoy = start(&upstream, listener).await;

    let before = numbered("before", 20);
    get_all(&envoy, &before).await;
    envoy
        .wait_for_file_line("ours.log", before.last().unwrap())
        .await
        .unwrap();
    envoy
        .wait_for_file_line("builtin.log", before.last().unwrap())
        .await
        .unwrap();
    for file in ["ours.log", "builtin.log"] {
        let dir = envoy.work_dir();
        std::fs::rename(dir.join(file), dir.join(format!("{file}.1"))).unwrap();
    }
    signal(&envoy, reopen_signal);
    // The reopen creates the new file; nothing was sent since the rename.
    wait_for_file(&envoy, "ours.log").await;

    let after = numbered("after", 20);
    get_all(&envoy, &after).await;
    envoy
        .wait_for_file_line("ours.log", after.last().unwrap())
        .await
        .unwrap();
    assert_eq!(envoy.exit_status(), None, "the signal must not stop Envoy");

    assert_eq!(lines_of(&envoy, "ours.log.1"), before, "the old file");
    assert_eq!(lines_of(&envoy, "ours.log"), after, "the new file");
    // Envoy's file logger reopens on SIGUSR1 and ignores SIGHUP; whichever it did, it wrote each
    // line once too, so the signal still reached Envoy's own handler.
    envoy
        .wait_for_file_line(
            if reopen_signal == Signal::USR1 {
                "builtin.log"
            } else {
                "builtin.log.1"
            },
            after.last().unwrap(),
        )
        .await
        .unwrap();
    let mut builtin = lines_of(&envoy, "builtin.log.1");
    builtin.extend(lines_of(&envoy, "builtin.log"));
    let all: Vec<String> = before.iter().chain(&after).cloned().collect();
    assert_eq!(builtin, all, "Envoy's own logger");
}

#[tokio::test]
async fn rotation_by_rename_and_sighup_loses_and_duplicates_no_line() {
    rotation_by_rename_and(Signal::HUP).await;
}

#[tokio::test]
async fn rotation_by_rename_and_sigusr1_loses_and_duplicates_no_line() {
    rotation_by_rename_and(Signal::USR1).await;
}

/// The request paths of a policy log written by [`routed_and_logged`], in file order.
fn logged_paths(log: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split(' ').next())
        .filter(|path| path.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// A policy update moving the log to another path: requests keep flowing across the xDS update
/// and each one is logged exactly once, in the old file or the new one; later ones in the new one.
#[tokio::test]
async fn a_policy_changing_the_log_path_loses_and_duplicates_no_line() {
    const SWITCH: &str = "/switch/";
    let upstream = EchoUpstream::start().await.unwrap();
    let logs = tempfile::tempdir().unwrap();
    let first_log = logs.path().join("first.log");
    let second_log = logs.path().join("second.log");
    let files = [
        (
            "echo.yaml",
            static_backend_manifest("echo", upstream.addr()),
        ),
        ("logged.yaml", routed_and_logged(&first_log)),
    ];
    let ControlledGateway {
        envoy,
        controller: _controller,
        manifests,
        addr,
        ..
    } = ControlledGateway::start(gateway_manifest, &files).await;
    wait_for_ok(addr, "/warmup").await;
    envoy
        .wait_for_file_line(&first_log, "/warmup")
        .await
        .unwrap();

    manifests
        .write("logged.yaml", &routed_and_logged(&second_log))
        .unwrap();
    // Requests one after the other until the new file has one (xDS update, then a flush tick).
    let mut sent = Vec::new();
    let started = Instant::now();
    while logged_paths(&second_log, SWITCH).is_empty() {
        assert!(
            started.elapsed() < CONTROL_PLANE_WAIT,
            "{} never received a line; {} requests sent",
            second_log.display(),
            sent.len()
        );
        let path = format!("{SWITCH}{}", sent.len());
        let response = HttpRequest::get(&path).send(addr).await.unwrap();
        assert_eq!(response.status, 200, "{path}");
        sent.push(path);
    }
    let last = format!("{SWITCH}last");
    let response = HttpRequest::get(&last).send(addr).await.unwrap();
    assert_eq!(response.status, 200, "{last}");
    sent.push(last.clone());
    envoy
        .wait_for_file_line(&second_log, &format!("{last} "))
        .await
        .unwrap();

    // Lines of the old config still queued are written by its sink's next tick (or its drop).
    let expected = sent.len();
    eventually("every request to be logged", || {
        let logged =
            logged_paths(&first_log, SWITCH).len() + logged_paths(&second_log, SWITCH).len();
        async move {
            if logged >= expected {
                Ok(())
            } else {
                Err(format!("{logged} of {expected} logged"))
            }
        }
    })
    .await
    .unwrap();
    let mut logged = logged_paths(&first_log, SWITCH);
    logged.extend(logged_paths(&second_log, SWITCH));
    logged.sort();
    sent.sort();
    assert_eq!(logged, sent, "each request once, in one of the files");
}
