//! AWS Lambda backends: SigV4-signed Invoke calls and kgateway's payload mapping.
//!
//! The `aws_lambda` filter turns a request routed to a kgateway `Backend` of type AWS Lambda
//! into `POST /2015-03-31/functions/<function>/invocations` on the Lambda endpoint, signed
//! with SigV4, and (in `payloadTransformMode: Envoy`) maps the request to the JSON event and
//! the function's JSON answer back to an HTTP response.
//!
//! It is meant to run as an **upstream (cluster) HTTP filter** of the Backend's cluster: Envoy
//! runs upstream filters once per attempt, so each retry is rebuilt from the original request
//! and signed with a fresh date and the current keys. It also works in the downstream chain
//! with per-route config.
//!
//! Layers: [`target`] (compiled config), [`sigv4`] (signing), [`event`] / [`response`] (payload
//! mapping), [`credentials`] (Secret, environment, IRSA cache), [`clock`]; [`filter`] wires them
//! to the SDK. [`testing`] (feature `testing`) holds an independent SigV4 verifier and a
//! loopback fake of the Lambda Invoke API.

pub mod clock;
pub mod credentials;
pub mod event;
pub mod filter;
pub mod response;
pub mod sigv4;
pub mod target;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use filter::{AwsLambdaConfig, AwsLambdaFactory, AwsLambdaFilter, FILTER_NAME};
pub use target::LambdaTarget;
