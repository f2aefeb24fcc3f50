//! Upstream clusters: one static address each, optionally with upstream (per-attempt) HTTP filters.

use std::net::SocketAddr;

use serde_json::{Map, Value, json};

use super::module::{DynamicModule, HttpFilter};

const HTTP_PROTOCOL_OPTIONS: &str = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/// A `STATIC` cluster with a single endpoint.
#[derive(Debug, Clone)]
pub struct Cluster {
    name: String,
    address: SocketAddr,
    upstream_filters: Vec<HttpFilter>,
    extra: Map<String, Value>,
}

impl Cluster {
    /// Cluster `name` sending to `address` over HTTP/1.1.
    pub fn new(name: &str, address: SocketAddr) -> Self {
        Self {
            name: name.to_owned(),
            address,
            upstream_filters: Vec::new(),
            extra: Map::new(),
        }
    }

    /// The cluster name routes refer to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends an upstream HTTP filter: it runs once per upstream attempt, after routing, before the codec.
    pub fn upstream_filter(mut self, filter: impl Into<HttpFilter>) -> Self {
        self.upstream_filters.push(filter.into());
        self
    }

    /// Sets any other `Cluster` field (`connect_timeout`, `per_connection_buffer_limit_bytes`, ...).
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    pub(crate) fn modules(&self) -> impl Iterator<Item = &DynamicModule> {
        self.upstream_filters.iter().filter_map(HttpFilter::module)
    }

    pub(crate) fn to_json(&self) -> Value {
        let endpoint = json!({
            "address": { "socket_address": {
                "address": self.address.ip().to_string(),
                "port_value": self.address.port(),
            } }
        });
        let mut json = Map::new();
        json.insert("name".to_owned(), json!(self.name));
        json.insert("type".to_owned(), json!("STATIC"));
        json.insert("connect_timeout".to_owned(), json!("2s"));
        json.insert(
            "load_assignment".to_owned(),
            json!({
                "cluster_name": self.name,
                "endpoints": [{ "lb_endpoints": [{ "endpoint": endpoint }] }],
            }),
        );
        if !self.upstream_filters.is_empty() {
            let mut filters: Vec<Value> = self
                .upstream_filters
                .iter()
                .map(HttpFilter::to_json)
                .collect();
            // The codec must be last: it is what actually talks to the upstream.
            filters.push(json!({
                "name": "envoy.filters.http.upstream_codec",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec"
                },
            }));
            json.insert(
                "typed_extension_protocol_options".to_owned(),
                json!({ HTTP_PROTOCOL_OPTIONS: {
                    "@type": format!("type.googleapis.com/{HTTP_PROTOCOL_OPTIONS}"),
                    "explicit_http_config": { "http_protocol_options": {} },
                    "http_filters": filters,
                } }),
            );
        }
        json.extend(self.extra.clone());
        Value::Object(json)
    }
}
