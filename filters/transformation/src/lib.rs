//! kgateway-compatible transformation filter: MiniJinja templates over headers and bodies.
//!
//! Two layers. The host-agnostic core compiles a `TrafficPolicy.transformation` config once
//! ([`CompiledTransformation::compile`]) and renders it per message against a [`MessageView`]
//! ([`CompiledTransformation::render`]), producing [`Mutations`] or a [`LocalReply`]. The Envoy wiring
//! ([`filter`], feature `filter`, on by default) decides from the [`DirectionPlan`] whether to buffer,
//! takes the header snapshots, applies the mutations and clears the route cache. The core is pure Rust
//! (no FFI): the controller compiles configs with it (`default-features = false`) to reject bad
//! templates before Envoy sees them.
//!
//! Template functions: `header`, `request_header`, `body`, `context`, `env`, `base64_encode`,
//! `base64_decode`, `base64url_encode`, `base64url_decode`, `substring`, `trim`, `replace_with_random`,
//! `replace_with_string`, `raw_string`, `word_count`, `get_cookie`, `get_cookie_i`, `dynamic_metadata`
//! and `jsonpath`, with kgateway's semantics (invalid input renders empty). Where kgateway's two
//! engines disagree or misbehave, this crate chooses, and the tests pin the choice:
//! * a repeated header reads as its values joined with `, ` (`; ` for `cookie`);
//! * `substring` counts characters, not bytes; `replace_with_random` is fresh per message and stable
//!   per pattern within one message; `base64url_decode` accepts missing padding;
//! * booleans, `none`, lists and maps print as JSON (`true`, `null`, `[1,"a"]`);
//! * a JSON body key never hides a function (`{"env": 1}` leaves `env()` working);
//! * `dynamic_metadata` takes string-literal arguments (the values are fetched before rendering);
//! * a rendered header value with CR, LF or NUL is refused (the header is removed), an empty or
//!   malformed pseudo header leaves the original in place, `host` is set as `:authority`;
//! * without a `body` key the body is neither buffered nor readable (`body()` is empty).

mod compiled;
mod engine;
mod error;
#[cfg(feature = "filter")]
pub mod filter;
mod functions;
mod headers;
mod json;
mod message;
mod mutation;
mod options;
mod render;

pub use compiled::{CompiledTransformation, Direction, DirectionPlan};
pub use engine::{DEFAULT_METADATA_NAMESPACE, RENDER_FUEL};
pub use error::{ConfigError, LocalReply};
#[cfg(feature = "filter")]
pub use filter::{FILTER_NAME, TransformationFactory};
pub use headers::HeaderSnapshot;
pub use message::{MessageView, MetadataValue, OwnedMessage};
pub use mutation::{HeaderMutation, MetadataWrite, Mutations, TemplateFailure};
pub use options::{CompileOptions, RandomSource, ThreadRandom};
