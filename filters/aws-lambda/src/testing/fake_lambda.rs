//! A loopback fake of the Lambda Invoke API (`POST /2015-03-31/functions/<fn>/invocations`)
//! for e2e tests: verifies every request's SigV4 signature with [`SigV4Verifier`], resolves the
//! function and qualifier, honours `x-amz-invocation-type`, and answers like Lambda.
//!
//! ```text
//! let lambda = FakeLambda::builder("us-east-1")
//!     .key("AKIDEXAMPLE", "secret", None)
//!     .function("echo", FakeFunction::Echo)
//!     .qualifiers("echo", ["1", "live"])
//!     .start()
//!     .await?;
//! let config = lambda.config_for("echo"); // AwsLambda JSON pointing at the fake, Secret keys
//! ```
//!
//! With [`FakeLambdaBuilder::web_identity`] the same listener also plays STS: `POST /` with
//! `Action=AssumeRoleWithWebIdentity` and the expected role and token issues temporary keys
//! that the Invoke API then accepts (IRSA tests point the filter's STS cluster here).

mod invoke;
mod sts;

use super::sigv4_verifier::SigV4Verifier;
use crate::clock::{Clock, SystemClock};
use dynagate_config::aws_lambda::{AwsLambda, LambdaCredentials, SecretCredentials};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use invoke::{ReceivedInvoke, RecordedInvocation, RejectedRequest};
pub use sts::StsCall;

/// What a fake function does when invoked synchronously.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeFunction {
    /// Returns `{"statusCode":200,"headers":{"content-type":"application/json",
    /// "x-fake-function":<name>},"body":<the payload it received, as text>}`: with
    /// `payloadTransformMode: Envoy` the client reads back the event the filter sent.
    Echo,
    /// Answers the event's `body` and `is_base64_encoded` as its result (`statusCode` 200,
    /// `content-type: application/octet-stream`): with `payloadTransformMode: Envoy` the client
    /// gets back exactly the bytes it sent.
    Mirror,
    /// Returns this value as the function's result.
    Returns(serde_json::Value),
    /// Throws: 200 with `x-amz-function-error: Unhandled` and `{"errorMessage", "errorType"}`.
    Error(String),
    /// Answers these raw bytes (not JSON), as a broken custom runtime would.
    NotJson(String),
    /// Waits, then behaves like the inner function.
    Slow(Duration, Box<FakeFunction>),
    /// Lambda refuses to run it: 429 `TooManyRequestsException`.
    Throttled,
}

#[derive(Debug, Clone)]
struct WebIdentityGrant {
    role_arn: String,
    token: String,
    lifetime: Duration,
}

#[derive(Debug, Clone)]
struct FunctionEntry {
    behaviour: FakeFunction,
    qualifiers: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct SigningKey {
    access_key_id: String,
    secret: String,
    session_token: Option<String>,
}

/// Builds a [`FakeLambda`].
pub struct FakeLambdaBuilder {
    region: String,
    account_id: String,
    keys: Vec<SigningKey>,
    functions: BTreeMap<String, FunctionEntry>,
    web_identity: Option<WebIdentityGrant>,
    clock: Arc<dyn Clock>,
}

impl core::fmt::Debug for FakeLambdaBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeLambdaBuilder")
            .field("region", &self.region)
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FakeLambdaBuilder {
    /// Accepts requests signed by `access_key_id`; with `session_token`, only with that token.
    #[must_use]
    pub fn key(mut self, access_key_id: &str, secret: &str, session_token: Option<&str>) -> Self {
        self.keys.push(SigningKey {
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
            session_token: session_token.map(str::to_owned),
        });
        self
    }

    /// Deploys function `name` (answering to `$LATEST`).
    #[must_use]
    pub fn function(mut self, name: &str, behaviour: FakeFunction) -> Self {
        let qualifiers = BTreeSet::from(["$LATEST".to_owned()]);
        self.functions.insert(
            name.to_owned(),
            FunctionEntry {
                behaviour,
                qualifiers,
            },
        );
        self
    }

    /// Publishes versions or aliases of function `name` (added with [`Self::function`] first).
    #[must_use]
    pub fn qualifiers<const N: usize>(mut self, name: &str, qualifiers: [&str; N]) -> Self {
        if let Some(entry) = self.functions.get_mut(name) {
            entry
                .qualifiers
                .extend(qualifiers.iter().map(|qualifier| (*qualifier).to_owned()));
        }
        self
    }

    /// The account id in ARNs (default `123456789012`).
    #[must_use]
    pub fn account_id(mut self, account_id: &str) -> Self {
        account_id.clone_into(&mut self.account_id);
        self
    }

    /// Plays STS too: exchanging `token` for `role_arn` issues keys valid for `lifetime`.
    #[must_use]
    pub fn web_identity(mut self, role_arn: &str, token: &str, lifetime: Duration) -> Self {
        self.web_identity = Some(WebIdentityGrant {
            role_arn: role_arn.to_owned(),
            token: token.to_owned(),
            lifetime,
        });
        self
    }

    /// The clock signatures are checked against (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Binds 127.0.0.1:0 and serves (HTTP/1.1 and cleartext HTTP/2) on the current runtime.
    pub async fn start(self) -> Result<FakeLambda, FakeLambdaError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(FakeLambdaError::Io)?;
        let addr = listener.local_addr().map_err(FakeLambdaError::Io)?;
        let verifier = self.keys.iter().fold(
            SigV4Verifier::new(&self.region, "lambda"),
            |verifier, key| {
                verifier.with_key(
                    &key.access_key_id,
                    &key.secret,
                    key.session_token.as_deref(),
                )
            },
        );
        let state = Arc::new(State {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            functions: self.functions,
            web_identity: self.web_identity,
            verifier: Mutex::new(verifier),
            clock: self.clock,
            log: Mutex::new(Log::default()),
            handled: watch::Sender::new(0),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(FakeLambda {
            addr,
            keys: self.keys,
            state,
            server,
        })
    }
}

#[derive(Default)]
struct Log {
    received: Vec<ReceivedInvoke>,
    invocations: Vec<RecordedInvocation>,
    rejections: Vec<RejectedRequest>,
    sts_calls: Vec<StsCall>,
    next_request_id: u64,
}

struct State {
    region: String,
    account_id: String,
    functions: BTreeMap<String, FunctionEntry>,
    web_identity: Option<WebIdentityGrant>,
    verifier: Mutex<SigV4Verifier>,
    clock: Arc<dyn Clock>,
    log: Mutex<Log>,
    /// Requests answered so far (invocations, rejections, STS calls), for waiters.
    handled: watch::Sender<usize>,
}

impl State {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn verifier(&self) -> MutexGuard<'_, SigV4Verifier> {
        self.verifier.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running fake Lambda; stops when dropped.
pub struct FakeLambda {
    addr: SocketAddr,
    keys: Vec<SigningKey>,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl core::fmt::Debug for FakeLambda {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeLambda")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The fake could not start, or a wait timed out.
#[derive(Debug, thiserror::Error)]
pub enum FakeLambdaError {
    /// Binding the listener failed.
    #[error("fake Lambda I/O: {0}")]
    Io(std::io::Error),
    /// `wait_for_requests` ran out of time.
    #[error("fake Lambda saw {seen} requests, wanted {wanted} within {waited:?}")]
    Timeout {
        /// Requests handled.
        seen: usize,
        /// Requests wanted.
        wanted: usize,
        /// How long it waited.
        waited: Duration,
    },
}

impl FakeLambda {
    /// A builder for region `region` with no keys and no functions.
    pub fn builder(region: &str) -> FakeLambdaBuilder {
        FakeLambdaBuilder {
            region: region.to_owned(),
            account_id: "123456789012".to_owned(),
            keys: Vec::new(),
            functions: BTreeMap::new(),
            web_identity: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the Backend's `endpointURL`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The filter config invoking `function` here, signed with the first key as a Secret.
    pub fn config_for(&self, function: &str) -> AwsLambda {
        let credentials = self
            .keys
            .first()
            .map_or_else(LambdaCredentials::default, |key| {
                LambdaCredentials::Secret(SecretCredentials {
                    access_key: key.access_key_id.as_str().into(),
                    secret_key: key.secret.as_str().into(),
                    session_token: key.session_token.as_deref().map(Into::into),
                })
            });
        AwsLambda {
            region: self.state.region.clone(),
            account_id: Some(self.state.account_id.clone()),
            function_name: function.to_owned(),
            endpoint_url: Some(self.endpoint_url()),
            credentials,
            ..AwsLambda::default()
        }
    }

    /// Every request to the Invoke API so far (accepted or refused), as it arrived, in order.
    pub fn received(&self) -> Vec<ReceivedInvoke> {
        self.state.log().received.clone()
    }

    /// Accepted invocations so far, in order.
    pub fn invocations(&self) -> Vec<RecordedInvocation> {
        self.state.log().invocations.clone()
    }

    /// Refused requests so far (bad signature, unknown function or qualifier, bad payload).
    pub fn rejections(&self) -> Vec<RejectedRequest> {
        self.state.log().rejections.clone()
    }

    /// STS `AssumeRoleWithWebIdentity` calls so far.
    pub fn sts_calls(&self) -> Vec<StsCall> {
        self.state.log().sts_calls.clone()
    }

    /// Waits until at least `count` requests were answered (accepted or refused).
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<(), FakeLambdaError> {
        let mut handled = self.state.handled.subscribe();
        match tokio::time::timeout(timeout, handled.wait_for(|seen| *seen >= count)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(FakeLambdaError::Timeout {
                seen: *self.state.handled.borrow(),
                wanted: count,
                waited: timeout,
            }),
        }
    }
}

impl Drop for FakeLambda {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _peer)) = accepted {
                    let state = Arc::clone(&state);
                    connections.spawn(async move {
                        let service = service_fn(move |request: hyper::Request<Incoming>| {
                            let state = Arc::clone(&state);
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
                                Ok::<_, std::convert::Infallible>(invoke::handle(&state, &parts, &body).await)
                            }
                        });
                        // Peers resetting connections is part of what tests provoke.
                        let _closed = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
            Some(_done) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
