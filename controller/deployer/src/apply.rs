//! `Deployer`: server-side applies a [`Plan`] and prunes the proxies no Gateway wants any more.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use dynagate_ir::GatewayKey;
use futures::{StreamExt, stream};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::labels::{MANAGED_BY_LABEL, MANAGED_BY_VALUE, object_name};
use crate::plan::{GatewayPlan, Plan, PlanError, ProxyObjects};
use crate::settings::DeployerSettings;

/// Field manager of every server-side apply the deployer does.
pub const FIELD_MANAGER: &str = "dynagate-deployer";

/// Why a Gateway's proxy is not (fully) in the planned state.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The plan for this Gateway is an error; nothing was changed.
    #[error(transparent)]
    Invalid(#[from] PlanError),
    /// An API call failed (RBAC, validation, connectivity); the next `apply` retries it.
    #[error("{action} {kind} {namespace}/{name}: {source}")]
    Api {
        /// `apply` or `delete`.
        action: &'static str,
        /// Object kind.
        kind: &'static str,
        /// Object namespace.
        namespace: String,
        /// Object name.
        name: String,
        /// The client's error.
        #[source]
        source: Box<kube::Error>,
    },
    /// Listing the deployer's objects for pruning failed; nothing was deleted.
    #[error("list {kind} managed by the deployer: {source}")]
    List {
        /// Object kind.
        kind: &'static str,
        /// The client's error.
        #[source]
        source: Box<kube::Error>,
    },
}

/// What [`Deployer::apply`] did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// One result per Gateway of the plan, sorted by key: `Ok` when its objects are as planned (applied, or
    /// deleted for `SelfManaged`), [`DeployError::Invalid`] for an invalid plan, else the failed call.
    pub gateways: Vec<(GatewayKey, Result<(), DeployError>)>,
    /// Failures while removing the objects of Gateways no longer in the plan (the next `apply` retries).
    pub pruning: Vec<DeployError>,
}

impl ApplyReport {
    /// Whether everything went as planned.
    pub fn is_ok(&self) -> bool {
        self.pruning.is_empty() && self.gateways.iter().all(|(_, r)| r.is_ok())
    }
}

/// Applies plans to a cluster: hold one and call [`Deployer::apply`] after each change.
pub struct Deployer {
    client: Client,
    settings: DeployerSettings,
}

impl std::fmt::Debug for Deployer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Deployer {
    /// A deployer using `client` (its identity needs the RBAC of `charts/dynagate`'s ClusterRole).
    pub fn new(client: Client, settings: DeployerSettings) -> Self {
        Self { client, settings }
    }

    /// Brings the cluster to `plan`: server-side applies (forced, field manager [`FIELD_MANAGER`]) the
    /// ServiceAccount, ConfigMap, Service and Deployment of every [`GatewayPlan::Deploy`], at most
    /// `settings.concurrency` Gateways at a time; then deletes every object labelled
    /// `app.kubernetes.io/managed-by=dynagate` that belongs to no Gateway of the plan or to a `SelfManaged`
    /// one (objects of an [`GatewayPlan::Invalid`] Gateway are kept as they are).
    ///
    /// The plan must describe every Gateway the deployer is responsible for (call it only once the watch
    /// caches are synced), or the proxies of the missing ones are deleted. Never panics; a failed call is
    /// reported and retried by the next `apply`.
    pub async fn apply(&self, plan: &Plan) -> ApplyReport {
        let concurrency = self.settings.concurrency.max(1);
        // Futures of a named `async fn`, collected first: a closure returning `async move` over borrowed
        // plan entries makes the whole future fail the `Send` check (higher-ranked lifetimes), and the
        // controller runs `apply` in a spawned task.
        let per_gateway: Vec<_> = (plan.gateways.iter())
            .map(|(key, gateway_plan)| self.apply_gateway(key, gateway_plan))
            .collect();
        let mut gateways: BTreeMap<GatewayKey, Result<(), DeployError>> = stream::iter(per_gateway)
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut pruning = Vec::new();
        for (owner, error) in self.prune(plan).await {
            // A selfManaged Gateway whose old proxy could not be deleted is not in its planned state.
            match owner.and_then(|key| gateways.get_mut(&key)) {
                Some(result @ Ok(())) => *result = Err(error),
                _ => pruning.push(error),
            }
        }
        ApplyReport {
            gateways: gateways.into_iter().collect(),
            pruning,
        }
    }

    async fn apply_gateway(
        &self,
        key: &GatewayKey,
        gateway_plan: &GatewayPlan,
    ) -> (GatewayKey, Result<(), DeployError>) {
        let result = match gateway_plan {
            GatewayPlan::Deploy(objects) => self.apply_objects(objects).await,
            GatewayPlan::SelfManaged => Ok(()),
            GatewayPlan::Invalid(error) => Err(DeployError::Invalid(error.clone())),
        };
        (key.clone(), result)
    }

    /// In dependency order: the pods start only once their ServiceAccount and ConfigMap exist.
    async fn apply_objects(&self, objects: &ProxyObjects) -> Result<(), DeployError> {
        self.apply_one(&objects.service_account).await?;
        self.apply_one(&objects.config_map).await?;
        self.apply_one(&objects.service).await?;
        self.apply_one(&objects.deployment).await
    }

    async fn apply_one<K>(&self, object: &K) -> Result<(), DeployError>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::Resource
            + Serialize
            + DeserializeOwned
            + Clone
            + Debug,
    {
        let namespace = object.namespace().unwrap_or_default();
        let name = object.name_any();
        let api: Api<K> = Api::namespaced(self.client.clone(), &namespace);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        match api.patch(&name, &params, &Patch::Apply(object)).await {
            Ok(_) => Ok(()),
            Err(source) => Err(DeployError::Api {
                action: "apply",
                kind: <K as k8s_openapi::Resource>::KIND,
                namespace,
                name,
                source: Box::new(source),
            }),
        }
    }

    /// Deletes our objects that no Gateway of the plan keeps; returns the failures with the owning Gateway
    /// when known.
    async fn prune(&self, plan: &Plan) -> Vec<(Option<GatewayKey>, DeployError)> {
        let keep: BTreeSet<(String, String)> = plan
            .gateways
            .iter()
            .filter(|(_, p)| !matches!(p, GatewayPlan::SelfManaged))
            .map(|(key, _)| (key.namespace.clone(), object_name(&key.name)))
            .collect();
        let mut errors = Vec::new();
        // Pods first, so nothing runs with a half-deleted configuration.
        errors.extend(self.prune_kind::<Deployment>(&keep).await);
        errors.extend(self.prune_kind::<Service>(&keep).await);
        errors.extend(self.prune_kind::<ConfigMap>(&keep).await);
        errors.extend(self.prune_kind::<ServiceAccount>(&keep).await);
        errors
    }

    async fn prune_kind<K>(
        &self,
        keep: &BTreeSet<(String, String)>,
    ) -> Vec<(Option<GatewayKey>, DeployError)>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::Resource
            + DeserializeOwned
            + Clone
            + Debug,
    {
        let selector = format!("{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}");
        let all: Api<K> = Api::all(self.client.clone());
        let listed = match all
            .list_metadata(&ListParams::default().labels(&selector))
            .await
        {
            Ok(list) => list,
            Err(source) => {
                tracing::warn!(kind = <K as k8s_openapi::Resource>::KIND, error = %source, "deployer: cannot list for pruning");
                let error = DeployError::List {
                    kind: <K as k8s_openapi::Resource>::KIND,
                    source: Box::new(source),
                };
                return vec![(None, error)];
            }
        };
        let mut errors = Vec::new();
        for item in listed.items {
            let namespace = item.namespace().unwrap_or_default();
            let name = item.name_any();
            if keep.contains(&(namespace.clone(), name.clone())) {
                continue;
            }
            let owner = owning_gateway(&item.metadata, &namespace, &name);
            tracing::info!(kind = <K as k8s_openapi::Resource>::KIND, %namespace, %name, gateway = %owner, "deployer: deleting");
            let api: Api<K> = Api::namespaced(self.client.clone(), &namespace);
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(source) => errors.push((
                    Some(owner),
                    DeployError::Api {
                        action: "delete",
                        kind: <K as k8s_openapi::Resource>::KIND,
                        namespace,
                        name,
                        source: Box::new(source),
                    },
                )),
            }
        }
        errors
    }
}

/// The Gateway an object of ours belongs to: its controlling owner, else (an owner reference removed by
/// hand) the Gateway named like the object.
fn owning_gateway(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    namespace: &str,
    name: &str,
) -> GatewayKey {
    let owner = meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "Gateway" && o.controller == Some(true));
    GatewayKey::new(namespace, owner.map_or(name, |o| o.name.as_str()))
}
