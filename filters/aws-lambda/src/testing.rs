//! Test support (feature `testing`): an independent SigV4 verifier and a loopback fake of the
//! Lambda Invoke API for e2e tests.
//!
//! The verifier is written from the AWS Signature Version 4 specification and checked against
//! AWS's published test vectors and botocore-signed requests; it shares no code with the
//! `aws-sigv4` crate the filter signs with, so a test passing means two implementations agree.

#[cfg(feature = "testing")]
mod fake_lambda;
mod sigv4_verifier;

#[cfg(feature = "testing")]
pub use fake_lambda::{
    FakeFunction, FakeLambda, FakeLambdaBuilder, FakeLambdaError, ReceivedInvoke,
    RecordedInvocation, RejectedRequest,
};
pub use sigv4_verifier::{ReceivedRequest, Rejection, SigV4Verifier, Verified, parse_amz_date};
