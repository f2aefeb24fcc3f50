//! The manifest directory, port reservation, sampling tolerances and request loops on their own (no Envoy).

use super::{ManifestDir, Traffic, binomial_range, reserve_port};
use crate::{EchoUpstream, HttpRequest};

#[test]
fn writes_replace_whole_files_and_leave_no_staged_file_behind() {
    let dir = ManifestDir::new().unwrap();
    dir.write("route.yaml", "first").unwrap();
    dir.write("route.yaml", "second").unwrap();

    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["route.yaml"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("route.yaml")).unwrap(),
        "second"
    );

    dir.remove("route.yaml").unwrap();
    assert!(!dir.path().join("route.yaml").exists());
    assert!(dir.remove("route.yaml").is_err(), "nothing left to remove");
}

#[test]
fn a_reserved_port_is_free_to_bind() {
    let port = reserve_port().unwrap();
    assert_ne!(port, 0);
    std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
}

#[test]
fn the_binomial_range_is_the_mean_plus_minus_five_standard_deviations() {
    // 400 × 0.5: mean 200, σ = 10.
    assert_eq!(binomial_range(400, 0.5), 150..=250);
    // 400 × 0.75: mean 300, σ ≈ 8.66, 5σ ≈ 43.3.
    assert_eq!(binomial_range(400, 0.75), 257..=343);
    // Certain outcomes allow no deviation; the range never leaves 0..=trials.
    assert_eq!(binomial_range(10, 0.0), 0..=0);
    assert_eq!(binomial_range(10, 1.0), 10..=10);
    assert_eq!(*binomial_range(4, 0.5).end(), 4);
}

#[tokio::test]
async fn traffic_records_the_tag_each_request_carried_and_every_failure() {
    let upstream = EchoUpstream::start().await.unwrap();
    let request = HttpRequest::get("/loop").header("x-tag", "blue");
    let traffic = Traffic::start(upstream.addr(), &request, "x-tag", 1, 1);
    traffic.wait_for_tag("blue").await.unwrap();
    traffic.wait_for_more(10).await.unwrap();
    let report = traffic.stop().await.unwrap();
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(report.tags().keys().collect::<Vec<_>>(), ["blue"]);
    assert_eq!(report.tags()["blue"], report.outcomes.len());
    assert_eq!(upstream.request_count(), report.outcomes.len());

    // A status other than 200 is a failure, with the status and body.
    let refused = HttpRequest::get("/loop").header("x-echo-status", "503");
    let traffic = Traffic::start(upstream.addr(), &refused, "x-tag", 1, 0);
    traffic
        .wait_for_every_loop("a failure", |outcomes| !outcomes.is_empty())
        .await
        .unwrap();
    let report = traffic.stop().await.unwrap();
    assert!(!report.failures().is_empty());
    assert!(
        report.failures()[0].starts_with("503"),
        "{:?}",
        report.failures()
    );
    assert!(report.tags().is_empty());
}
