//! dynagate on a real Kubernetes API server (v1.20, local processes; see `dynagate_e2e::kube`): the Helm
//! chart installed, the controller running as the chart's ServiceAccount (so the chart's RBAC is what is
//! tested), Gateway API objects applied with kubectl, and a real Envoy on the bootstrap the controller deployed.
//!
//! Each test starts its own cluster: tests are independent of order and of each other.
//!
//! The controller is the `dynagate` binary `make modules` builds (`DYNAGATE_BIN` overrides it);
//! `DYNAGATE_E2E_CONTROLLER_LOG=debug` (any `DYNAGATE_LOG` filter) makes it log more when a step fails.
#![allow(
    clippy::unwrap_used,
    reason = "the fixtures here fail loudly: a panic with the error is how a test step reports failure"
)]

#[path = "kubernetes/controller.rs"]
mod controller;
#[path = "kubernetes/gateway.rs"]
mod gateway;
#[path = "kubernetes/harness.rs"]
mod harness;
#[path = "kubernetes/installed.rs"]
mod installed;
#[path = "kubernetes/manifests.rs"]
mod manifests;
#[path = "kubernetes/proxy.rs"]
mod proxy;
#[path = "kubernetes/status.rs"]
mod status;
