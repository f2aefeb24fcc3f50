//! The HTTP filter model: factory -> immutable config -> one filter per stream, driving a host.

mod callout;
mod filter;
mod host;
mod types;

pub use callout::{CalloutRequest, CalloutResponse};
pub use filter::{HttpFilter, HttpFilterConfig, HttpFilterFactory, RouteConfig};
pub use host::HttpHost;
pub use types::{
    BodyBuffer, BodyStatus, Direction, HeaderMap, HeadersStatus, MetadataSource, TrailersStatus,
};
