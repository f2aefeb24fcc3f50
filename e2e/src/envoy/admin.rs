//! Envoy's admin API: readiness, the addresses listeners bound, stats.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::Envoy;
use crate::wait::{DEFAULT_WAIT, Deadline};
use crate::{HarnessError, HttpRequest};

/// Admin calls are local and cheap; a slow one means Envoy is wedged.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET` or `POST` an admin path, expecting 200.
pub(crate) async fn call(
    admin: SocketAddr,
    method: &str,
    path: &str,
) -> Result<String, HarnessError> {
    let response = HttpRequest::new(method, path)
        .timeout(ADMIN_TIMEOUT)
        .send(admin)
        .await?;
    if response.status != 200 {
        return Err(HarnessError::Unexpected {
            what: format!("admin {method} {path}"),
            detail: format!("{}: {}", response.status, response.text().trim()),
        });
    }
    Ok(response.text())
}

/// The admin address Envoy wrote to `--admin-address-path`, once it has.
pub(crate) fn read_admin_address(path: &Path) -> Option<SocketAddr> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether the server state is LIVE (initialisation done, listeners accepting).
pub(crate) async fn is_live(admin: SocketAddr) -> bool {
    matches!(call(admin, "GET", "/ready").await, Ok(body) if body.trim() == "LIVE")
}

/// Listener name to bound address, from `/listeners?format=json` (unbound listeners are left out).
pub(crate) async fn listeners(
    admin: SocketAddr,
) -> Result<BTreeMap<String, SocketAddr>, HarnessError> {
    let body = call(admin, "GET", "/listeners?format=json").await?;
    parse_listeners(&body).map_err(|detail| HarnessError::Unexpected {
        what: "admin /listeners?format=json".to_owned(),
        detail,
    })
}

#[derive(Deserialize)]
struct ListenersReply {
    #[serde(default)]
    listener_statuses: Vec<ListenerStatus>,
}

#[derive(Deserialize)]
struct ListenerStatus {
    name: String,
    local_address: Option<AddressReply>,
}

#[derive(Deserialize)]
struct AddressReply {
    socket_address: Option<SocketAddressReply>,
}

#[derive(Deserialize)]
struct SocketAddressReply {
    address: String,
    #[serde(default)]
    port_value: u16,
}

pub(crate) fn parse_listeners(body: &str) -> Result<BTreeMap<String, SocketAddr>, String> {
    let reply: ListenersReply =
        serde_json::from_str(body).map_err(|err| format!("{err}: {body}"))?;
    let mut bound = BTreeMap::new();
    for status in reply.listener_statuses {
        let Some(socket) = status
            .local_address
            .and_then(|address| address.socket_address)
        else {
            continue;
        };
        if socket.port_value == 0 {
            continue;
        }
        let ip = socket.address.parse().map_err(|err| {
            format!(
                "listener {}: address {}: {err}",
                status.name, socket.address
            )
        })?;
        bound.insert(status.name, SocketAddr::new(ip, socket.port_value));
    }
    Ok(bound)
}

/// Counters and gauges from the text `/stats` output (histogram lines are skipped).
pub(crate) fn parse_stats(body: &str) -> BTreeMap<String, u64> {
    body.lines()
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(": ")?;
            Some((name.to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

impl Envoy {
    /// `GET path` on the admin API (e.g. `/config_dump`, `/clusters`), expecting 200.
    pub async fn admin_get(&self, path: &str) -> Result<String, HarnessError> {
        call(self.admin, "GET", path).await
    }

    /// `POST path` on the admin API (e.g. `/logging?level=debug`, `/reset_counters`), expecting 200.
    pub async fn admin_post(&self, path: &str) -> Result<String, HarnessError> {
        call(self.admin, "POST", path).await
    }

    /// Every counter and gauge.
    pub async fn stats(&self) -> Result<BTreeMap<String, u64>, HarnessError> {
        Ok(parse_stats(&self.admin_get("/stats").await?))
    }

    /// One counter or gauge by its full name (`http.main.downstream_rq_2xx`); `None` when it does not exist.
    pub async fn stat(&self, name: &str) -> Result<Option<u64>, HarnessError> {
        Ok(self.stats().await?.get(name).copied())
    }

    /// Waits until stat `name` exists and is at least `at_least`; returns its value.
    pub async fn wait_for_stat(&self, name: &str, at_least: u64) -> Result<u64, HarnessError> {
        let mut deadline = Deadline::after(DEFAULT_WAIT);
        loop {
            let last = self.stat(name).await?;
            if let Some(value) = last.filter(|value| *value >= at_least) {
                return Ok(value);
            }
            if !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("stat {name} >= {at_least}"),
                    waited: deadline.elapsed(),
                    detail: match last {
                        Some(value) => format!("last value: {value}"),
                        None => "the stat does not exist".to_owned(),
                    },
                });
            }
        }
    }

    /// Waits until listener `name` is bound (for listeners that arrive later, e.g. over xDS); returns its
    /// address.
    pub async fn wait_for_listener(&self, name: &str) -> Result<SocketAddr, HarnessError> {
        let mut deadline = Deadline::after(DEFAULT_WAIT);
        loop {
            if let Some(addr) = listeners(self.admin).await?.get(name) {
                return Ok(*addr);
            }
            if !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("listener {name} to be bound"),
                    waited: deadline.elapsed(),
                    detail: self.exit_note(),
                });
            }
        }
    }
}
