//! Virtual hosts and routes of a listener's route table.

use serde_json::{Map, Value, json};

use super::module::{DynamicModule, ModuleConfig, ModuleFilter};

/// One route: a match, an action (upstream cluster or direct response) and per-filter overrides.
#[derive(Debug, Clone)]
pub struct Route {
    json: Map<String, Value>,
    modules: Vec<DynamicModule>,
}

impl Route {
    /// Matches paths starting with `prefix`.
    pub fn prefix(prefix: &str) -> Self {
        Self::matching(json!({ "prefix": prefix }))
    }

    /// Matches exactly `path` (query string excluded).
    pub fn path(path: &str) -> Self {
        Self::matching(json!({ "path": path }))
    }

    /// Any `RouteMatch` (e.g. `{"safe_regex": {"regex": "/v[0-9]+/.*"}}`).
    pub fn matching(route_match: Value) -> Self {
        let mut json = Map::new();
        json.insert("match".to_owned(), route_match);
        Self {
            json,
            modules: Vec::new(),
        }
    }

    /// Also requires request header `name` to equal `value`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let matcher = json!({ "name": name, "string_match": { "exact": value } });
        if let Some(Value::Object(route_match)) = self.json.get_mut("match") {
            match route_match.get_mut("headers") {
                Some(Value::Array(headers)) => headers.push(matcher),
                _ => {
                    route_match.insert("headers".to_owned(), json!([matcher]));
                }
            }
        }
        self
    }

    /// Forwards to `cluster`.
    pub fn to_cluster(self, cluster: &str) -> Self {
        self.route_option("cluster", json!(cluster))
    }

    /// Sets a `RouteAction` field (`cluster`, `prefix_rewrite`, `timeout`, `request_mirror_policies`, ...).
    pub fn route_option(mut self, key: &str, value: Value) -> Self {
        let action = self
            .json
            .entry("route")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(action) = action {
            action.insert(key.to_owned(), value);
        }
        self
    }

    /// Answers `status` with `body` from Envoy itself, without an upstream.
    pub fn direct_response(self, status: u16, body: &str) -> Self {
        self.field(
            "direct_response",
            json!({ "status": status, "body": { "inline_string": body } }),
        )
    }

    /// Sets any top-level `Route` field (`name`, `request_headers_to_add`, `metadata`, ...).
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.json.insert(key.to_owned(), value);
        self
    }

    /// Per-route config for one of our filters: `DynamicModuleFilterPerRoute` under the filter's HCM name,
    /// read by the module's `per_route_config_new(filter_name, config)`.
    pub fn module_config(
        self,
        filter: &ModuleFilter,
        filter_name: &str,
        config: impl Into<ModuleConfig>,
    ) -> Self {
        let typed = filter.per_route_json(filter_name, &config.into());
        let mut route = self.filter_config(filter.name(), typed);
        route.modules.push(filter.module().clone());
        route
    }

    /// Any `typed_per_filter_config` entry (e.g. `envoy.config.route.v3.FilterConfig{disabled: true}`).
    pub fn filter_config(mut self, filter_name: &str, typed_config: Value) -> Self {
        let per_filter = self
            .json
            .entry("typed_per_filter_config")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(per_filter) = per_filter {
            per_filter.insert(filter_name.to_owned(), typed_config);
        }
        self
    }

    pub(crate) fn modules(&self) -> impl Iterator<Item = &DynamicModule> {
        self.modules.iter()
    }

    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.json.clone())
    }
}

/// A virtual host: domains and their ordered routes.
#[derive(Debug, Clone)]
pub struct VirtualHost {
    name: String,
    domains: Vec<String>,
    routes: Vec<Route>,
    extra: Map<String, Value>,
}

impl VirtualHost {
    /// A virtual host answering for `domains` (`"*"` matches everything).
    pub fn new(name: &str, domains: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            domains: domains.iter().map(|domain| (*domain).to_owned()).collect(),
            routes: Vec::new(),
            extra: Map::new(),
        }
    }

    /// Appends a route; Envoy takes the first that matches.
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// Sets any other `VirtualHost` field (`typed_per_filter_config`, `request_headers_to_add`, ...).
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn modules(&self) -> impl Iterator<Item = &DynamicModule> {
        self.routes.iter().flat_map(Route::modules)
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut json = self.extra.clone();
        json.insert("name".to_owned(), json!(self.name));
        json.insert("domains".to_owned(), json!(self.domains));
        let routes: Vec<Value> = self.routes.iter().map(Route::to_json).collect();
        json.insert("routes".to_owned(), Value::Array(routes));
        Value::Object(json)
    }
}
