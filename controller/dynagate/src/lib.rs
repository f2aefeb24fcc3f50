//! The dynagate controller: command line, directory source, publication to the xDS server, admin endpoint.
//!
//! Data flow: manifests (directory, or [`kubernetes`] watches) -> [`pipeline::evaluate`] (load with `dynagate-api`, translate with
//! `dynagate-ir`) -> [`publish::Publisher`] (one snapshot per Gateway) -> `dynagate-xds` (ADS) -> Envoy.
//! [`bootstrap`] writes the Envoy side of that contract and is reused by the Kubernetes deployer.

pub mod admin;
pub mod bootstrap;
pub mod cli;
pub mod crds;
pub mod kubernetes;
pub mod manifests;
pub mod metrics;
mod outcome;
pub mod pipeline;
pub mod publish;
pub mod reload;
pub mod run;
pub mod status;
pub mod validate;
pub mod watch;

pub use cli::{Cli, execute};
