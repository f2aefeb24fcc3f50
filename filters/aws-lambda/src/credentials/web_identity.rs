//! IRSA: temporary keys from STS `AssumeRoleWithWebIdentity`, cached per role and refreshed
//! before they expire, driven by requests and never blocking one.
//!
//! The module cannot do I/O of its own: a fetch is an Envoy HTTP callout that some request's
//! stream issues. So [`WebIdentityProvider::lookup`] tells each request what to do:
//! * keys valid and fresh: sign ([`Lookup::Ready`]);
//! * keys valid but inside the refresh window: sign now *and*, for exactly one request, start
//!   the refresh with the [`RefreshTicket`] it got (other requests never wait for it);
//! * no usable keys: the first request fetches ([`Lookup::Fetch`]), the others wait to be woken
//!   ([`Lookup::Wait`] + [`WebIdentityProvider::wait`]), and after a failure requests fail fast
//!   until a backoff has passed ([`Lookup::Unavailable`]).
//!
//! A ticket dropped without an answer (its stream died) releases the fetch and wakes the
//! waiters, and a fetch older than `stale_after` is forgotten, so no request waits forever.

use super::SigningCredentials;
use super::sts::{StsCallout, StsCredentials, StsError};
use crate::clock::Clock;
use dynagate_config::aws_lambda::StsEndpoint;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

/// Where the web identity token is read from at each fetch (the kubelet rotates the file).
#[derive(Clone)]
pub enum TokenSource {
    /// A file (`AWS_WEB_IDENTITY_TOKEN_FILE`).
    File(PathBuf),
    /// A function (tests).
    Function(Arc<dyn Fn() -> std::io::Result<String> + Send + Sync>),
}

impl TokenSource {
    fn read(&self) -> std::io::Result<String> {
        match self {
            // A few hundred bytes from a projected volume, once per refresh (hourly).
            Self::File(path) => std::fs::read_to_string(path).map(|token| token.trim().to_owned()),
            Self::Function(read) => read(),
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::File(a), Self::File(b)) => a == b,
            (Self::Function(a), Self::Function(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl core::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Function(_) => f.write_str("Function"),
        }
    }
}

/// Timing of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Start refreshing this long before expiry (AWS SDKs use 5 minutes).
    pub refresh_ahead: Duration,
    /// Stop signing with keys this close to expiry (a request in flight must still be valid).
    pub expiry_margin: Duration,
    /// STS callout timeout.
    pub fetch_timeout: Duration,
    /// First backoff after a failed fetch; doubles per failure up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(300),
            expiry_margin: Duration::from_secs(15),
            fetch_timeout: Duration::from_secs(5),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What identifies one IRSA provider.
#[derive(Debug, Clone)]
pub struct WebIdentitySettings {
    /// `AWS_ROLE_ARN`.
    pub role_arn: String,
    /// `AWS_ROLE_SESSION_NAME` or `dynagate`.
    pub session_name: String,
    /// The token.
    pub token: TokenSource,
    /// Where to exchange it.
    pub sts: StsEndpoint,
    /// Timing.
    pub policy: RefreshPolicy,
}

impl WebIdentitySettings {
    fn same_as(&self, other: &Self) -> bool {
        self.role_arn == other.role_arn
            && self.session_name == other.session_name
            && self.token.same_as(&other.token)
            && self.sts == other.sts
            && self.policy == other.policy
    }
}

/// What a request should do about credentials now.
#[derive(Debug)]
pub enum Lookup {
    /// Sign with these. With a ticket, this request also starts the background refresh.
    Ready {
        /// The keys.
        credentials: Arc<SigningCredentials>,
        /// Start this refresh (do not wait for it).
        refresh: Option<RefreshTicket>,
    },
    /// No usable keys: fetch them with this ticket, then sign.
    Fetch(RefreshTicket),
    /// No usable keys and another request is fetching: register with `wait(generation, ..)`.
    Wait {
        /// Pass to `WebIdentityProvider::wait`.
        generation: u64,
    },
    /// No usable keys and the last fetch failed: answer the request with an error.
    Unavailable {
        /// Why (no secrets in it).
        reason: String,
    },
}

type Waker = Box<dyn FnOnce() + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetch {
    Idle,
    InFlight { ticket: u64, started: SystemTime },
    CoolingDown { until: SystemTime },
}

struct CacheState {
    credentials: Option<Arc<SigningCredentials>>,
    fetch: Fetch,
    failures: u32,
    last_error: Option<String>,
    /// Bumped whenever a fetch ends (success, failure or abandon): waiters compare it.
    generation: u64,
    next_ticket: u64,
    waiters: Vec<Waker>,
}

/// One role's cached keys, shared by every worker and every config naming the same role.
pub struct WebIdentityProvider {
    settings: WebIdentitySettings,
    clock: Arc<dyn Clock>,
    state: Mutex<CacheState>,
}

impl core::fmt::Debug for WebIdentityProvider {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.lock();
        f.debug_struct("WebIdentityProvider")
            .field("role_arn", &self.settings.role_arn)
            .field("credentials", &state.credentials)
            .field("fetch", &state.fetch)
            .field("failures", &state.failures)
            .finish_non_exhaustive()
    }
}

impl WebIdentityProvider {
    /// A provider with an empty cache.
    pub fn new(settings: WebIdentitySettings, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self {
            settings,
            clock,
            state: Mutex::new(CacheState {
                credentials: None,
                fetch: Fetch::Idle,
                failures: 0,
                last_error: None,
                generation: 0,
                next_ticket: 1,
                waiters: Vec::new(),
            }),
        })
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &WebIdentitySettings {
        &self.settings
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        // The state stays consistent between statements, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides what the calling request does (see the module doc). Never blocks on I/O.
    pub fn lookup(self: &Arc<Self>) -> Lookup {
        let now = self.clock.now();
        let policy = &self.settings.policy;
        let mut state = self.lock();
        match state.fetch {
            Fetch::InFlight { started, .. } if now >= started + policy.fetch_timeout * 2 => {
                state.fetch = Fetch::Idle;
            }
            Fetch::CoolingDown { until } if now >= until => state.fetch = Fetch::Idle,
            _ => {}
        }
        let usable = state.credentials.as_ref().filter(|credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| now + policy.expiry_margin < expiry)
        });
        if let Some(credentials) = usable.cloned() {
            let due = credentials
                .expiry()
                .is_some_and(|expiry| now + policy.refresh_ahead >= expiry);
            let refresh = (due && state.fetch == Fetch::Idle).then(|| self.claim(&mut state, now));
            return Lookup::Ready {
                credentials,
                refresh,
            };
        }
        match state.fetch {
            Fetch::Idle => Lookup::Fetch(self.claim(&mut state, now)),
            Fetch::InFlight { .. } => Lookup::Wait {
                generation: state.generation,
            },
            Fetch::CoolingDown { .. } => Lookup::Unavailable {
                reason: state
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "STS fetch failed".to_owned()),
            },
        }
    }

    /// Calls `wake` once the fetch seen at `generation` has ended (at once if it already has).
    /// `wake` runs on whichever thread ends the fetch: it should only post an event.
    pub fn wait(&self, generation: u64, wake: Waker) {
        let mut state = self.lock();
        if state.generation != generation {
            drop(state);
            wake();
            return;
        }
        state.waiters.push(wake);
    }

    fn claim(self: &Arc<Self>, state: &mut CacheState, now: SystemTime) -> RefreshTicket {
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.fetch = Fetch::InFlight {
            ticket,
            started: now,
        };
        RefreshTicket {
            provider: Arc::clone(self),
            id: ticket,
            finished: false,
        }
    }

    /// Ends fetch `ticket`: stores keys or records the failure, then wakes the waiters.
    fn finish(&self, ticket: u64, outcome: Option<Result<StsCredentials, StsError>>) {
        let now = self.clock.now();
        let policy = &self.settings.policy;
        let mut state = self.lock();
        let ours =
            matches!(state.fetch, Fetch::InFlight { ticket: current, .. } if current == ticket);
        match outcome {
            Some(Ok(fresh)) => {
                let newer = state
                    .credentials
                    .as_ref()
                    .and_then(|current| current.expiry())
                    .is_none_or(|current| fresh.expiration > current);
                if newer {
                    state.credentials = Some(Arc::new(SigningCredentials::new(
                        &fresh.access_key_id,
                        &fresh.secret_access_key,
                        Some(&fresh.session_token),
                        Some(fresh.expiration),
                    )));
                }
                state.failures = 0;
                state.last_error = None;
                if ours {
                    state.fetch = Fetch::Idle;
                }
            }
            Some(Err(error)) => {
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(error.to_string());
                if ours {
                    let exponent = state.failures.saturating_sub(1).min(16);
                    let backoff = policy
                        .min_backoff
                        .saturating_mul(1 << exponent)
                        .min(policy.max_backoff);
                    state.fetch = Fetch::CoolingDown {
                        until: now + backoff,
                    };
                }
            }
            // Abandoned (the stream went away): let the next request fetch.
            None if ours => state.fetch = Fetch::Idle,
            None => {}
        }
        state.generation += 1;
        let waiters = std::mem::take(&mut state.waiters);
        drop(state);
        for wake in waiters {
            wake();
        }
    }
}

/// The right to run one STS fetch. Complete it with the callout's outcome; dropping it
/// unfinished releases the fetch for another request.
pub struct RefreshTicket {
    provider: Arc<WebIdentityProvider>,
    id: u64,
    finished: bool,
}

impl core::fmt::Debug for RefreshTicket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RefreshTicket")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl RefreshTicket {
    /// The STS request to send, reading the token file now. A failure to read it ends the
    /// fetch as failed (returned so the caller can report it).
    pub fn callout(&mut self) -> Result<StsCallout, StsError> {
        let settings = &self.provider.settings;
        match settings.token.read() {
            Ok(token) if !token.is_empty() => Ok(StsCallout::assume_role_with_web_identity(
                &settings.sts.cluster,
                &settings.sts.authority,
                &settings.role_arn,
                &settings.session_name,
                &token,
                settings.policy.fetch_timeout,
            )),
            Ok(_) => Err(self.fail(StsError::Token("the token file is empty".to_owned()))),
            Err(error) => Err(self.fail(StsError::Token(error.to_string()))),
        }
    }

    /// Ends the fetch with STS's answer (or the callout's failure).
    pub fn complete(mut self, outcome: Result<StsCredentials, StsError>) {
        self.finished = true;
        self.provider.finish(self.id, Some(outcome));
    }

    fn fail(&mut self, error: StsError) -> StsError {
        self.finished = true;
        self.provider.finish(self.id, Some(Err(error.clone())));
        error
    }
}

impl Drop for RefreshTicket {
    fn drop(&mut self) {
        if !self.finished {
            self.provider.finish(self.id, None);
        }
    }
}

/// Providers by settings, so that every config naming the same role shares one cache, also
/// across config reloads (an xDS push must not trigger an STS call per cluster).
#[derive(Default)]
pub struct WebIdentityProviders {
    providers: Mutex<Vec<Weak<WebIdentityProvider>>>,
}

impl core::fmt::Debug for WebIdentityProviders {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("WebIdentityProviders")
    }
}

impl WebIdentityProviders {
    /// The live provider with these settings, or a new one.
    pub fn get_or_create(
        &self,
        settings: WebIdentitySettings,
        clock: &Arc<dyn Clock>,
    ) -> Arc<WebIdentityProvider> {
        let mut providers = self
            .providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        providers.retain(|provider| provider.strong_count() > 0);
        if let Some(existing) = providers
            .iter()
            .filter_map(Weak::upgrade)
            .find(|provider| provider.settings.same_as(&settings))
        {
            return existing;
        }
        let provider = WebIdentityProvider::new(settings, Arc::clone(clock));
        providers.push(Arc::downgrade(&provider));
        provider
    }
}
