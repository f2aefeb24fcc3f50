//! The state-of-the-world protocol of one ADS stream, as a synchronous state machine (no I/O).
//!
//! Per type URL it remembers what the Envoy subscribed to and what was last sent (version, nonce), and
//! decides from each request and each new snapshot whether to respond. The rules Envoy relies on:
//! - the first request for a type is always answered once a snapshot exists (a reconnecting Envoy gets
//!   the current configuration, whatever version it says it has);
//! - a request carrying the nonce of the last response is an ACK, or a NACK when it has `error_detail`;
//!   a request carrying an older nonce is stale and ignored (a newer response is already on its way);
//! - a NACKed version is not sent again; the next different content is;
//! - a type is pushed on a new snapshot only when the content it selects changed;
//! - routes, endpoints and secrets are served by name (only the requested ones), listeners and clusters as
//!   a wildcard; a changed name list is answered even when nothing else changed;
//! - when several types change at once they go out in [`type_url::PUSH_ORDER`];
//! - a type on hold (see [`crate::rollout`]) is neither answered nor pushed until released; a request for
//!   it is remembered, and the release pushes it.

use std::collections::{BTreeSet, HashMap};

use envoy_types::pb::envoy::service::discovery::v3::{DiscoveryRequest, DiscoveryResponse};

use crate::snapshot::{NamedResource, Snapshot, selection_version, type_url};

#[cfg(test)]
mod tests;

/// Which resources of a type the Envoy asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Subscription {
    /// Every resource of the type.
    Wildcard,
    /// Only these names.
    Names(BTreeSet<String>),
}

impl Subscription {
    /// Applies the xDS wildcard rules to a request's names: `*` asks for everything; an empty list is
    /// "everything" on the first request of a wildcard-by-default type (and stays so afterwards, as Envoy
    /// keeps sending empty lists for listeners and clusters), and "nothing" otherwise.
    fn from_request(type_url: &str, names: &[String], previous: Option<&Subscription>) -> Self {
        if names.iter().any(|name| name == "*") {
            return Self::Wildcard;
        }
        if names.is_empty() {
            let legacy_wildcard = match previous {
                None => type_url::is_wildcard_by_default(type_url),
                Some(previous) => *previous == Self::Wildcard,
            };
            if legacy_wildcard {
                return Self::Wildcard;
            }
        }
        Self::Names(names.iter().cloned().collect())
    }

    fn includes(&self, name: &str) -> bool {
        match self {
            Self::Wildcard => true,
            Self::Names(names) => names.contains(name),
        }
    }
}

/// The last response sent for a type.
#[derive(Clone, Debug)]
struct Sent {
    version: String,
    nonce: String,
}

#[derive(Clone, Debug)]
struct TypeState {
    subscription: Subscription,
    sent: Option<Sent>,
    /// The version of the last response Envoy ACKed on this stream.
    acked: Option<String>,
}

/// What a request said about the previous response, for the tracker and the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// First request for the type on this stream (no nonce).
    Subscribe,
    /// The response with this version was applied.
    Ack { version: String },
    /// The response with this version was rejected, for this reason.
    Nack { version: String, message: String },
    /// The request answers an older response; ignored.
    Stale,
}

/// The state of one ADS stream.
#[derive(Debug, Default)]
pub(crate) struct StreamState {
    types: HashMap<String, TypeState>,
    nonces: u64,
    /// Types withheld for now: requests for them are recorded but not answered.
    held: BTreeSet<String>,
}

impl StreamState {
    /// Withholds exactly `type_urls` from now on (an empty list releases every type).
    pub(crate) fn hold(&mut self, type_urls: &[&str]) {
        self.held = type_urls.iter().map(|url| (*url).to_owned()).collect();
    }

    /// Whether Envoy ACKed, on this stream, exactly what `snapshot` selects for its subscription to
    /// `type_url`, and that subscription covers every name in `required` (a wildcard covers all).
    pub(crate) fn has_applied(
        &self,
        type_url: &str,
        snapshot: &Snapshot,
        required: &BTreeSet<String>,
    ) -> bool {
        let Some(state) = self.types.get(type_url) else {
            return false;
        };
        let covered = required
            .iter()
            .all(|name| state.subscription.includes(name));
        covered
            && state.acked.as_deref()
                == Some(select(snapshot, type_url, &state.subscription).0.as_str())
    }

    /// Whether Envoy subscribed to `type_url` on this stream.
    pub(crate) fn is_subscribed(&self, type_url: &str) -> bool {
        self.types.contains_key(type_url)
    }

    /// Handles one request: classifies it and returns the response to send, if any.
    pub(crate) fn on_request(
        &mut self,
        request: &DiscoveryRequest,
        snapshot: Option<&Snapshot>,
    ) -> (Verdict, Option<DiscoveryResponse>) {
        let type_url = request.type_url.as_str();
        let previous = self.types.get(type_url);
        let verdict = match (
            previous.and_then(|state| state.sent.as_ref()),
            request.response_nonce.as_str(),
        ) {
            (_, "") => Verdict::Subscribe,
            (Some(sent), nonce) if sent.nonce == nonce => match &request.error_detail {
                Some(error) => Verdict::Nack {
                    version: sent.version.clone(),
                    message: error.message.clone(),
                },
                None => Verdict::Ack {
                    version: request.version_info.clone(),
                },
            },
            _ => return (Verdict::Stale, None),
        };

        let subscription = Subscription::from_request(
            type_url,
            &request.resource_names,
            previous.map(|state| &state.subscription),
        );
        let changed = previous.is_none_or(|state| state.subscription != subscription);
        let state = self.types.entry(type_url.to_owned()).or_insert(TypeState {
            subscription: subscription.clone(),
            sent: None,
            acked: None,
        });
        state.subscription = subscription;
        if let (Verdict::Ack { .. }, Some(sent)) = (&verdict, &state.sent) {
            state.acked = Some(sent.version.clone());
        }

        // Answer a new stream or a new subscription; an ACK or NACK alone asks for nothing.
        let answer = (verdict == Verdict::Subscribe || changed || state.sent.is_none())
            && !self.held.contains(type_url);
        let response = match snapshot {
            Some(snapshot) if answer => Some(self.respond(type_url, snapshot)),
            _ => None,
        };
        (verdict, response)
    }

    /// Handles a new snapshot: the responses for every requested type whose selected content changed,
    /// in push order.
    pub(crate) fn on_snapshot(&mut self, snapshot: &Snapshot) -> Vec<DiscoveryResponse> {
        let mut due: Vec<String> = self
            .types
            .iter()
            .filter(|(type_url, state)| {
                if self.held.contains(type_url.as_str()) {
                    return false;
                }
                let current = select(snapshot, type_url, &state.subscription).0;
                state
                    .sent
                    .as_ref()
                    .is_none_or(|sent| sent.version != current)
            })
            .map(|(type_url, _)| type_url.clone())
            .collect();
        due.sort_by_key(|url| (type_url::push_rank(url), url.clone()));
        due.iter().map(|url| self.respond(url, snapshot)).collect()
    }

    fn respond(&mut self, type_url: &str, snapshot: &Snapshot) -> DiscoveryResponse {
        self.nonces += 1;
        let nonce = self.nonces.to_string();
        let state = self.types.entry(type_url.to_owned()).or_insert(TypeState {
            subscription: Subscription::Wildcard,
            sent: None,
            acked: None,
        });
        let (version, selected) = select(snapshot, type_url, &state.subscription);
        let resources = selected
            .into_iter()
            .map(|item| item.resource.clone())
            .collect();
        state.sent = Some(Sent {
            version: version.clone(),
            nonce: nonce.clone(),
        });
        DiscoveryResponse {
            version_info: version,
            resources,
            type_url: type_url.to_owned(),
            nonce,
            ..DiscoveryResponse::default()
        }
    }
}

/// The resources of `type_url` a subscription selects, and the version of exactly that selection.
fn select<'a>(
    snapshot: &'a Snapshot,
    type_url: &str,
    subscription: &Subscription,
) -> (String, Vec<&'a NamedResource>) {
    let items = snapshot
        .get(type_url)
        .map(|group| group.items())
        .unwrap_or_default();
    match subscription {
        Subscription::Wildcard => (snapshot.type_version(type_url), items.iter().collect()),
        Subscription::Names(_) => {
            let selected: Vec<&NamedResource> = items
                .iter()
                .filter(|item| subscription.includes(&item.name))
                .collect();
            (
                selection_version(type_url, selected.iter().copied()),
                selected,
            )
        }
    }
}
