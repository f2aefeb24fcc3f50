//! Which version of each kind the cluster serves, through API discovery.
//!
//! A kind is watched in the version of our Rust type when served, else in another served version whose
//! JSON converts (EndpointSlice `discovery.k8s.io/v1beta1` on Kubernetes < 1.21, Gateway API
//! `v1beta1` on older Gateway API installs), else it is absent: a cluster without our CRDs or without
//! ReferenceGrant still serves Gateways and routes.

use std::collections::BTreeMap;

use dynagate_api::ObjectKind;
use kube::Client;
use kube::discovery::{ApiResource, Discovery, verbs};

use crate::convert::typed_version;

/// How one kind is watched.
#[derive(Clone, Debug)]
pub(crate) enum Served {
    /// In the version of our Rust type.
    Typed,
    /// In another version, as dynamic JSON converted to our type.
    Dynamic(ApiResource),
    /// Not served.
    Absent,
}

/// Runs discovery for the groups we read and decides, for every kind, how to watch it.
pub(crate) async fn discover(client: &Client) -> Result<BTreeMap<ObjectKind, Served>, kube::Error> {
    let mut groups: Vec<&str> = ObjectKind::ALL
        .iter()
        .map(|kind| kind.group())
        .filter(|group| !group.is_empty())
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let discovery = Discovery::new(client.clone()).filter(&groups).run().await?;
    Ok(ObjectKind::ALL
        .into_iter()
        .map(|kind| (kind, served(&discovery, kind)))
        .collect())
}

fn served(discovery: &Discovery, kind: ObjectKind) -> Served {
    // The core group (Service, Secret, Namespace) is always there.
    if kind.group().is_empty() {
        return Served::Typed;
    }
    let Some(group) = discovery.get(kind.group()) else {
        return Served::Absent;
    };
    let watchable = |version: &str| {
        group
            .versioned_resources(version)
            .into_iter()
            .find(|(resource, caps)| {
                resource.kind == kind.name()
                    && caps.supports_operation(verbs::LIST)
                    && caps.supports_operation(verbs::WATCH)
            })
            .map(|(resource, _)| resource)
    };
    let ours = typed_version(kind);
    if watchable(&ours).is_some() {
        return Served::Typed;
    }
    // Preferred version first, then the others in the server's order.
    let preferred = group.preferred_version().map(str::to_owned);
    let versions = preferred
        .into_iter()
        .chain(group.versions().map(str::to_owned))
        .collect::<Vec<_>>();
    versions
        .iter()
        .find_map(|version| watchable(version))
        .map_or(Served::Absent, Served::Dynamic)
}
