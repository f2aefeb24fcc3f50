//! Fakes for unit-testing filters and loggers without Envoy (feature `testing`).
//!
//! * [`FakeConfigContext`]: pass to a factory's `new_config`; records metric definitions.
//! * [`FakeHttpHost`]: an in-memory `HttpHost` that records what a filter did (headers, bodies,
//!   local replies, resets, metadata, logs, route-cache clears, metrics, callouts, schedules).
//! * [`FakeStream`]: drives a filter through events *under the SDK's real panic guard*, with
//!   Envoy-like body buffering, or through a whole exchange with [`FakeStream::exchange`].
//! * [`FakeAccessLogHost`]: a canned log event for access loggers.

mod access_log_host;
mod config_context;
mod http_host;
mod message;
mod metrics;
mod stream;

pub use access_log_host::FakeAccessLogHost;
pub use config_context::FakeConfigContext;
pub use http_host::{FakeHttpHost, LocalReply, RecordedCallout};
pub use message::{Exchange, FakeMessage};
pub use metrics::{MetricDef, MetricKind};
pub use stream::FakeStream;

#[cfg(test)]
mod tests;
