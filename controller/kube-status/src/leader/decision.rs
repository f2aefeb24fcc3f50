//! The leader-election decision, free of I/O: given the Lease as read, our identity and the time, what to
//! write (renew or acquire) or whom to wait for.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use tokio::time::Instant;

/// What to do with the Lease.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LeaseDecision {
    /// Create the Lease (it does not exist) with this spec; we lead once the create succeeds.
    Create(LeaseSpec),
    /// We hold the Lease: write this renewed spec.
    Renew(LeaseSpec),
    /// The Lease is free or expired: write this spec to take it.
    Acquire(LeaseSpec),
    /// Someone else holds an unexpired Lease.
    Wait {
        /// The holder's identity.
        holder: String,
    },
}

impl LeaseDecision {
    /// The spec to write, if any.
    pub(crate) fn spec(self) -> Option<LeaseSpec> {
        match self {
            Self::Create(spec) | Self::Renew(spec) | Self::Acquire(spec) => Some(spec),
            Self::Wait { .. } => None,
        }
    }
}

/// Decides from the Lease spec as read (`None` if the Lease does not exist) and how long this candidate
/// has seen that record unchanged. A holder's Lease expires once it has gone unrenewed for its own
/// `leaseDurationSeconds` by our clock (as client-go judges it: comparing `renewTime` with our wall clock
/// would let clock skew between nodes elect two leaders); one without holder is free.
pub(crate) fn decide(
    current: Option<&LeaseSpec>,
    identity: &str,
    lease_duration: Duration,
    now: Timestamp,
    unchanged_for: Duration,
) -> LeaseDecision {
    let duration_seconds = i32::try_from(lease_duration.as_secs().max(1)).unwrap_or(i32::MAX);
    let Some(current) = current else {
        return LeaseDecision::Create(LeaseSpec {
            holder_identity: Some(identity.to_owned()),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_duration_seconds: Some(duration_seconds),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        });
    };
    let holder = current.holder_identity.as_deref().unwrap_or_default();
    if holder == identity {
        return LeaseDecision::Renew(LeaseSpec {
            renew_time: Some(MicroTime(now)),
            lease_duration_seconds: Some(duration_seconds),
            ..current.clone()
        });
    }
    if !holder.is_empty() && !is_expired(current, unchanged_for) {
        return LeaseDecision::Wait {
            holder: holder.to_owned(),
        };
    }
    LeaseDecision::Acquire(LeaseSpec {
        holder_identity: Some(identity.to_owned()),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        lease_duration_seconds: Some(duration_seconds),
        lease_transitions: Some(current.lease_transitions.unwrap_or(0).saturating_add(1)),
        ..current.clone()
    })
}

/// Whether a held Lease seen unchanged for `unchanged_for` has run out. One without a duration counts
/// as expired once seen: it cannot prove anyone holds it.
pub(crate) fn is_expired(spec: &LeaseSpec, unchanged_for: Duration) -> bool {
    let seconds = spec.lease_duration_seconds.unwrap_or(0).max(0);
    unchanged_for >= Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// The part of a Lease that changes when its holder renews or a new holder takes it.
type LeaseRecord = (Option<String>, Option<MicroTime>, Option<i32>);

/// When this candidate first saw the current Lease record, by its own monotonic clock.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    record: Option<LeaseRecord>,
    since: Option<Instant>,
}

impl Observation {
    /// Notes the record as read at `now`; returns how long it has been unchanged.
    pub(crate) fn unchanged_for(&mut self, spec: Option<&LeaseSpec>, now: Instant) -> Duration {
        let record = spec.map(|s| {
            (
                s.holder_identity.clone(),
                s.renew_time.clone(),
                s.lease_transitions,
            )
        });
        match self.since {
            Some(since) if self.record == record => now.saturating_duration_since(since),
            _ => {
                self.record = record;
                self.since = Some(now);
                Duration::ZERO
            }
        }
    }
}

/// The spec that gives the Lease up (on graceful shutdown): no holder, so the next candidate takes it at
/// once instead of waiting for expiry.
pub(crate) fn released(spec: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: None,
        renew_time: Some(MicroTime(now)),
        lease_duration_seconds: Some(1),
        ..spec.clone()
    }
}

#[cfg(test)]
mod tests;
