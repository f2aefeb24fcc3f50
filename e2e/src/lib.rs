//! End-to-end harness: real Envoy 1.40 with libdynagate.so, echo upstream, real HTTP over loopback.
//!
//! Every test that needs a real Envoy uses this crate. Tests run under tokio (`#[tokio::test]`): the echo
//! upstream and the client's connections run as tasks on the test's runtime.
//!
//! ```no_run
//! use dynagate_e2e::{Bootstrap, EchoUpstream, HttpRequest, ModuleFilter, json};
//!
//! # async fn example() -> Result<(), dynagate_e2e::HarnessError> {
//! let upstream = EchoUpstream::start().await?;
//! let filter = ModuleFilter::dynagate("transformation", json!({ "request": {} }));
//! let envoy = Bootstrap::proxy(upstream.addr(), [filter]).start().await?;
//!
//! let response = envoy.send(HttpRequest::post("/pets?id=1").header("x-a", "1").body("hi")).await?;
//! assert_eq!(response.status, 200);
//! let seen = response.echo()?; // what reached the upstream
//! assert_eq!(seen.header("x-a"), Some("1"));
//! envoy.wait_for_stat("http.main.downstream_rq_2xx", 1).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Locations: the Envoy binary is `ENVOY_BIN` or what `scripts/install-envoy.sh` installs; modules come from
//! `DYNAGATE_MODULE_DIR` or the cargo profile directory of the test binary (build them with `make modules`).
//! When a test fails, each Envoy it owned prints its log tail and keeps its working directory.

mod body;
mod bootstrap;
mod client;
mod envoy;
mod error;
mod gateway;
pub mod kube;
mod locate;
mod process;
mod upstream;
mod wait;

pub use bootstrap::{
    AccessLog, Bootstrap, Cluster, DynamicModule, HttpFilter, Listener, MAIN_LISTENER,
    ModuleConfig, ModuleFilter, Route, UPSTREAM_CLUSTER, VirtualHost,
};
pub use client::{
    DEFAULT_REQUEST_TIMEOUT, HttpConnection, HttpRequest, HttpResponse, StreamingRequest,
};
pub use envoy::{Envoy, EnvoyOptions, LogCursor};
pub use error::{HarnessError, StartupFailure, StartupOutcome};
pub use gateway::{
    CONTROL_PLANE_WAIT, GATEWAY_CLASS, GATEWAY_NAME, GATEWAY_NAMESPACE, ManifestDir, Outcome,
    TOLERANCE_SIGMAS, Traffic, TrafficReport, binomial_range, endpoint_service_manifest,
    eventually, gateway_manifest, reserve_port, start_envoy_from_bootstrap,
    static_backend_manifest,
};
pub use locate::{DYNAGATE_MODULE, PROBE_MODULE, envoy_binary, module_dir, module_path, repo_root};
pub use upstream::{
    ECHO_BODY, ECHO_CHUNKED, ECHO_DELAY_MS, ECHO_RESPONSE_HEADER, ECHO_STATUS, EchoUpstream,
    EchoedRequest,
};
pub use wait::DEFAULT_WAIT;

/// Re-exported so tests build configs and compare headers without extra dependencies.
pub use http::{HeaderMap, StatusCode};
pub use serde_json::{Value, json};
