//! IRSA: the STS endpoint a credential-less Lambda Backend exchanges its web identity token at,
//! and the Envoy cluster that carries that callout (one per region, shared by its Backends).
//!
//! The filter only uses STS when the proxy has `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
//! and no static keys, so emitting the block for every Backend without `auth` costs nothing
//! where IRSA is not set up, and makes it work wherever it is.

use std::net::IpAddr;

use dynagate_config::aws_lambda::{
    AwsLambda, EnvironmentCredentials, LambdaCredentials, LambdaEndpoint, StsEndpoint,
};
use envoy_types::pb::envoy::config::cluster::v3::{Cluster, cluster};

use super::{CONNECT_TIMEOUT, tls_socket};
use crate::translate::TranslateOptions;
use crate::translate::clusters::assignment;
use crate::translate::duration::to_proto;

/// Prefix of STS cluster names (`aws_sts_<region>`); Backend clusters start with `backend_`
/// and Service clusters with `kube_`, so the names never collide.
const STS_CLUSTER_PREFIX: &str = "aws_sts_";

/// The region whose STS cluster `config` needs, after pointing its environment credentials at
/// that cluster; `None` (and `config` untouched) for Backends signing with a Secret's keys.
pub(super) fn attach_sts(config: &mut AwsLambda, options: &TranslateOptions) -> Option<String> {
    let region = config.region().to_owned();
    let LambdaCredentials::Environment(EnvironmentCredentials { sts }) = &mut config.credentials
    else {
        return None;
    };
    *sts = Some(StsEndpoint {
        cluster: cluster_name(&region),
        authority: endpoint(&region, options).authority(),
    });
    Some(region)
}

/// The STS cluster of `region`: the regional STS endpoint (or the override), TLS with SNI when
/// https — the callout carries the web identity token, so the peer must be verified like Lambda.
pub(crate) fn sts_cluster(region: &str, options: &TranslateOptions) -> Cluster {
    let name = cluster_name(region);
    let endpoint = endpoint(region, options);
    let discovery = if endpoint.host.parse::<IpAddr>().is_ok() {
        cluster::DiscoveryType::Static
    } else {
        cluster::DiscoveryType::LogicalDns
    };
    Cluster {
        connect_timeout: Some(to_proto(CONNECT_TIMEOUT)),
        cluster_discovery_type: Some(cluster::ClusterDiscoveryType::Type(discovery as i32)),
        load_assignment: Some(assignment(
            &name,
            vec![(endpoint.host.clone(), u32::from(endpoint.port))],
        )),
        transport_socket: endpoint.tls.then(|| tls_socket(&endpoint.host)),
        name,
        ..Cluster::default()
    }
}

fn cluster_name(region: &str) -> String {
    format!("{STS_CLUSTER_PREFIX}{region}")
}

/// The override when set, else `sts.<region>.amazonaws.com:443` (`.com.cn` in China).
fn endpoint(region: &str, options: &TranslateOptions) -> LambdaEndpoint {
    if let Some(endpoint) = &options.aws_sts_endpoint {
        return endpoint.clone();
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    LambdaEndpoint {
        tls: true,
        host: format!("sts.{region}.{suffix}"),
        port: 443,
    }
}

#[cfg(test)]
mod tests;
