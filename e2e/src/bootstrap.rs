//! Builds the static Envoy bootstrap a test runs: admin and listeners on 127.0.0.1 port 0, HTTP connection
//! managers with an ordered filter chain (router last), routes, clusters and access logs.

mod cluster;
mod module;
mod route;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Map, Value, json};

pub use cluster::Cluster;
pub use module::{AccessLog, DynamicModule, HttpFilter, ModuleConfig, ModuleFilter};
pub use route::{Route, VirtualHost};

use crate::{Envoy, EnvoyOptions, HarnessError};

/// The listener [`Bootstrap::proxy`] creates (and [`Envoy::send`] targets when it is the first).
pub const MAIN_LISTENER: &str = "main";
/// The cluster [`Bootstrap::proxy`] routes to.
pub const UPSTREAM_CLUSTER: &str = "upstream";

type Patch = Arc<dyn Fn(&mut Value) + Send + Sync>;

/// A complete static bootstrap. Build it, then [`Bootstrap::start`] Envoy on it.
#[derive(Clone, Default)]
pub struct Bootstrap {
    listeners: Vec<Listener>,
    clusters: Vec<Cluster>,
    patches: Vec<Patch>,
}

impl Bootstrap {
    /// An empty bootstrap: admin only.
    pub fn new() -> Self {
        Self::default()
    }

    /// The common shape: listener [`MAIN_LISTENER`] runs `filters` (then the router) and sends every path to
    /// cluster [`UPSTREAM_CLUSTER`] at `upstream`.
    pub fn proxy<F: Into<HttpFilter>>(
        upstream: SocketAddr,
        filters: impl IntoIterator<Item = F>,
    ) -> Self {
        let listener = filters
            .into_iter()
            .fold(Listener::new(MAIN_LISTENER), Listener::http_filter)
            .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER));
        Self::new()
            .listener(listener)
            .cluster(Cluster::new(UPSTREAM_CLUSTER, upstream))
    }

    /// [`Bootstrap::proxy`] without filters: Envoy only routes.
    pub fn passthrough(upstream: SocketAddr) -> Self {
        Self::proxy(upstream, Vec::<HttpFilter>::new())
    }

    /// Adds a listener. Readiness waits until every listener is bound.
    pub fn listener(mut self, listener: Listener) -> Self {
        self.listeners.push(listener);
        self
    }

    /// Adds a cluster.
    pub fn cluster(mut self, cluster: Cluster) -> Self {
        self.clusters.push(cluster);
        self
    }

    /// Edits the rendered JSON before Envoy sees it: the escape hatch for anything the builder lacks
    /// (overload manager, layered runtime, stats config...).
    pub fn patch(mut self, patch: impl Fn(&mut Value) + Send + Sync + 'static) -> Self {
        self.patches.push(Arc::new(patch));
        self
    }

    /// The listener names, in order.
    pub fn listener_names(&self) -> Vec<String> {
        self.listeners.iter().map(|l| l.name.clone()).collect()
    }

    /// Every dynamic module the config references (filters, per-route configs, loggers).
    pub fn modules(&self) -> Vec<DynamicModule> {
        let mut modules: Vec<DynamicModule> = self
            .listeners
            .iter()
            .flat_map(Listener::modules)
            .chain(self.clusters.iter().flat_map(Cluster::modules))
            .cloned()
            .collect();
        modules.sort();
        modules.dedup();
        modules
    }

    /// The bootstrap as Envoy reads it.
    pub fn to_json(&self) -> Value {
        let listeners: Vec<Value> = self.listeners.iter().map(Listener::to_json).collect();
        let clusters: Vec<Value> = self.clusters.iter().map(Cluster::to_json).collect();
        let mut json = json!({
            "admin": { "address": loopback(0) },
            "static_resources": { "listeners": listeners, "clusters": clusters },
        });
        for patch in &self.patches {
            patch(&mut json);
        }
        json
    }

    /// Starts Envoy with [`EnvoyOptions::default`]; fails with the log when Envoy rejects the config.
    pub async fn start(&self) -> Result<Envoy, HarnessError> {
        Envoy::start(self, EnvoyOptions::default()).await
    }

    /// Starts Envoy with `options`.
    pub async fn start_with(&self, options: EnvoyOptions) -> Result<Envoy, HarnessError> {
        Envoy::start(self, options).await
    }
}

impl fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bootstrap({})", self.to_json())
    }
}

/// A listener on 127.0.0.1 port 0 with one HTTP connection manager.
#[derive(Debug, Clone)]
pub struct Listener {
    name: String,
    http_filters: Vec<HttpFilter>,
    routes: Vec<Route>,
    virtual_hosts: Vec<VirtualHost>,
    access_logs: Vec<AccessLog>,
    hcm_extra: Map<String, Value>,
    listener_extra: Map<String, Value>,
}

impl Listener {
    /// Listener `name`; its stat prefix is `name` too (`http.<name>.downstream_rq_total`).
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            http_filters: Vec::new(),
            routes: Vec::new(),
            virtual_hosts: Vec::new(),
            access_logs: Vec::new(),
            hcm_extra: Map::new(),
            listener_extra: Map::new(),
        }
    }

    /// Appends an HTTP filter; the router is always appended after the last one.
    pub fn http_filter(mut self, filter: impl Into<HttpFilter>) -> Self {
        self.http_filters.push(filter.into());
        self
    }

    /// Appends a route to the catch-all (`*`) virtual host.
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// Adds a virtual host; Envoy prefers exact domains over the catch-all, whatever the order.
    pub fn virtual_host(mut self, virtual_host: VirtualHost) -> Self {
        self.virtual_hosts.push(virtual_host);
        self
    }

    /// Appends an HCM access logger.
    pub fn access_log(mut self, access_log: AccessLog) -> Self {
        self.access_logs.push(access_log);
        self
    }

    /// Sets any other `HttpConnectionManager` field (`stream_idle_timeout`, `request_timeout`, ...).
    pub fn hcm_field(mut self, key: &str, value: Value) -> Self {
        self.hcm_extra.insert(key.to_owned(), value);
        self
    }

    /// Sets any other `Listener` field (`per_connection_buffer_limit_bytes`, ...).
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.listener_extra.insert(key.to_owned(), value);
        self
    }

    fn modules(&self) -> impl Iterator<Item = &DynamicModule> {
        let filters = self.http_filters.iter().filter_map(HttpFilter::module);
        let routes = self.routes.iter().flat_map(Route::modules);
        let hosts = self.virtual_hosts.iter().flat_map(VirtualHost::modules);
        let logs = self.access_logs.iter().filter_map(AccessLog::module_ref);
        filters.chain(routes).chain(hosts).chain(logs)
    }

    fn to_json(&self) -> Value {
        let mut virtual_hosts: Vec<Value> = self
            .virtual_hosts
            .iter()
            .map(VirtualHost::to_json)
            .collect();
        if !self.routes.is_empty() {
            let catch_all = self
                .routes
                .iter()
                .cloned()
                .fold(VirtualHost::new("default", &["*"]), VirtualHost::route);
            virtual_hosts.push(catch_all.to_json());
        }
        let mut http_filters: Vec<Value> =
            self.http_filters.iter().map(HttpFilter::to_json).collect();
        http_filters.push(json!({
            "name": "envoy.filters.http.router",
            "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
        }));
        let mut hcm = Map::new();
        hcm.insert(
            "@type".to_owned(),
            json!("type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
        );
        hcm.insert("stat_prefix".to_owned(), json!(self.name));
        hcm.insert(
            "route_config".to_owned(),
            json!({ "name": self.name, "virtual_hosts": virtual_hosts }),
        );
        hcm.insert("http_filters".to_owned(), Value::Array(http_filters));
        if !self.access_logs.is_empty() {
            let logs: Vec<Value> = self.access_logs.iter().map(AccessLog::to_json).collect();
            hcm.insert("access_log".to_owned(), Value::Array(logs));
        }
        hcm.extend(self.hcm_extra.clone());

        let mut listener = Map::new();
        listener.insert("name".to_owned(), json!(self.name));
        listener.insert("address".to_owned(), loopback(0));
        listener.insert(
            "filter_chains".to_owned(),
            json!([{ "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": hcm,
            }] }]),
        );
        listener.extend(self.listener_extra.clone());
        Value::Object(listener)
    }
}

fn loopback(port: u16) -> Value {
    json!({ "socket_address": { "address": "127.0.0.1", "port_value": port } })
}
