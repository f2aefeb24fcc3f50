//! `translate`: the whole pipeline from [`Resources`] to per-Gateway xDS and status.
//!
//! Order: GatewayClasses we own -> their Gateways (listeners validated) -> HTTPRoutes compiled once and
//! attached to listeners -> TrafficPolicies indexed -> per Gateway, listeners/routes/clusters assembled ->
//! status of policies and Backends.

mod assemble;
mod attach;
mod backend;
mod backend_status;
mod clusters;
mod detmap;
mod duration;
mod gateway;
mod hostname;
mod listener_policy;
mod policy;
mod reasons;
mod refs;
mod route;
mod tls;

use std::collections::{BTreeMap, BTreeSet};

use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_config::aws_lambda::LambdaEndpoint;

use crate::proxy::{GatewayKey, ProxyConfig};
use crate::resources::{NsName, Resources};
use crate::status::StatusReport;

/// Name of the dynamic module Envoy loads (`libdynagate.so`).
pub const DYNAMIC_MODULE_NAME: &str = "dynagate";
/// The module's filter that runs TrafficPolicy `transformation`.
pub const TRANSFORMATION_FILTER: &str = "transformation";
/// Name of the transformation HTTP filter in the HCM (the key of its per-route configs).
pub const TRANSFORMATION_HTTP_FILTER_NAME: &str = "dynagate.transformation";
/// The module's filter that runs TrafficPolicy `rateLimit.local`.
pub const RATE_LIMIT_FILTER: &str = "rate_limit";
/// Name of the rate limit HTTP filter in the HCM (the key of its per-route configs).
pub const RATE_LIMIT_HTTP_FILTER_NAME: &str = "dynagate.rate_limit";

/// Result of one translation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translation {
    /// One configuration per accepted Gateway of our GatewayClasses.
    pub proxies: BTreeMap<GatewayKey, ProxyConfig>,
    /// Conditions for every object translation looked at.
    pub status: StatusReport,
    /// Policies and Backends with a field the translation rejected as invalid (not merely unsupported):
    /// what [`crate::LastGood`] replaces by their last good version.
    pub invalid: BTreeSet<ObjectKey>,
}

/// Settings of a translation that come from the controller's deployment, not from manifests.
///
/// Kept as plain data so `controller/ir` stays pure: the binary reads flags and environment
/// variables and passes the result in (`dynagate run --aws-sts-endpoint`, defaulting to the
/// standard `AWS_ENDPOINT_URL_STS` of the controller's environment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TranslateOptions {
    /// Where IRSA exchanges web identity tokens (STS `AssumeRoleWithWebIdentity`) for Lambda
    /// Backends without `auth`, instead of the regional `sts.<region>.amazonaws.com:443`: a
    /// private (VPC) endpoint, or a fake in tests. Every region's STS cluster then points here.
    pub aws_sts_endpoint: Option<LambdaEndpoint>,
}

impl TranslateOptions {
    /// These options with STS at `url` (`http(s)://host[:port]`, no path), or why `url` is not
    /// such an endpoint.
    pub fn with_aws_sts_endpoint(self, url: &str) -> Result<Self, String> {
        let endpoint = LambdaEndpoint::parse(url)
            .map_err(|problem| format!("AWS STS endpoint {url:?}: {problem}"))?;
        Ok(Self {
            aws_sts_endpoint: Some(endpoint),
        })
    }
}

/// Translates every Gateway of our classes (and what attaches to it) into xDS and status,
/// with default [`TranslateOptions`].
pub fn translate(resources: &Resources) -> Translation {
    translate_with(resources, &TranslateOptions::default())
}

/// [`translate()`] with `options`.
pub fn translate_with(resources: &Resources, options: &TranslateOptions) -> Translation {
    let mut status = StatusReport::default();
    let classes = gateway::our_classes(resources, &mut status);

    let mut gateways: BTreeMap<NsName, gateway::GatewayModel> = resources
        .gateways
        .iter()
        .filter(|(_, g)| classes.contains(&g.spec.gateway_class_name))
        .map(|(key, g)| (key.clone(), gateway::model_gateway(resources, key, g)))
        .collect();

    // Only routes with a parent among our Gateways are compiled (and get status from us).
    let mut routes: BTreeMap<NsName, route::CompiledRoute> = BTreeMap::new();
    let mut attachments: BTreeMap<NsName, Vec<attach::Attachment>> = BTreeMap::new();
    for (key, http_route) in &resources.http_routes {
        let parents = http_route.spec.parent_refs.as_deref().unwrap_or_default();
        let ours = parents
            .iter()
            .filter_map(|p| attach::parent_gateway(&key.0, p))
            .any(|g| gateways.contains_key(&g));
        if !ours {
            continue;
        }
        let compiled = route::compile(resources, key, http_route);
        attach::attach_route(
            resources,
            &mut gateways,
            &compiled,
            parents,
            &mut attachments,
            &mut status,
        );
        routes.insert(key.clone(), compiled);
    }

    let policies = policy::PolicyIndex::build(resources);
    let mut usage = policy::status::PolicyUsage::default();
    let mut proxies = BTreeMap::new();
    for (key, model) in &gateways {
        if model.accepted {
            let inputs = assemble::Inputs {
                resources,
                gateway: model,
                attachments: attachments.get(key).map(Vec::as_slice).unwrap_or_default(),
                routes: &routes,
                policies: &policies,
                options,
            };
            proxies.insert(model.key.clone(), assemble::assemble(&inputs, &mut usage));
        }
        let entry = status.entry(ObjectKey::new(ObjectKind::Gateway, &key.0, &key.1));
        entry.conditions = model.conditions.clone();
        entry.listeners = model.listeners.iter().map(|l| l.status.clone()).collect();
    }
    policy::status::write(&policies, &usage, &mut status);
    let mut invalid: BTreeSet<ObjectKey> = policies
        .policies
        .iter()
        .filter(|(_, policy)| !policy.invalid.is_empty())
        .map(|((namespace, name), _)| ObjectKey::new(ObjectKind::TrafficPolicy, namespace, name))
        .collect();
    invalid.extend(backend_status::write_backend_status(resources, &mut status));
    invalid.extend(listener_policy::write(resources, &mut status));
    Translation {
        proxies,
        status,
        invalid,
    }
}

#[cfg(test)]
mod tests;
