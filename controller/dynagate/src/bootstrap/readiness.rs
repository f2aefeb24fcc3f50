//! The readiness endpoint of a deployed proxy: a static listener on all interfaces whose only route,
//! `GET /ready`, goes to Envoy's admin `/ready` (200 `LIVE` once the initial xDS is applied). The admin
//! endpoint itself stays on 127.0.0.1, out of reach of anything but this route.

use serde_json::{Value, json};

/// Name of the static listener (what `/listeners` on the admin endpoint shows).
pub const READINESS_LISTENER: &str = "dynagate-readiness";
/// Name of the static cluster that reaches the admin endpoint.
pub const ADMIN_CLUSTER: &str = "dynagate-admin";

/// The listener on `0.0.0.0:port`.
pub(super) fn listener(port: u16) -> Value {
    json!({
        "name": READINESS_LISTENER,
        "address": { "socket_address": { "address": "0.0.0.0", "port_value": port } },
        "filter_chains": [{
            "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": "readiness",
                    "route_config": {
                        "name": "readiness",
                        "virtual_hosts": [{
                            "name": "readiness",
                            "domains": ["*"],
                            "routes": [{
                                "match": { "path": "/ready", "headers": [{ "name": ":method", "string_match": { "exact": "GET" } }] },
                                "route": { "cluster": ADMIN_CLUSTER }
                            }]
                        }]
                    },
                    "http_filters": [{
                        "name": "envoy.filters.http.router",
                        "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
                    }]
                }
            }]
        }]
    })
}

/// The cluster that reaches the admin endpoint on `127.0.0.1:admin_port`.
pub(super) fn admin_cluster(admin_port: u16) -> Value {
    json!({
        "name": ADMIN_CLUSTER,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": ADMIN_CLUSTER,
            "endpoints": [{ "lb_endpoints": [{ "endpoint": { "address": {
                "socket_address": { "address": "127.0.0.1", "port_value": admin_port }
            } } }] }]
        }
    })
}
