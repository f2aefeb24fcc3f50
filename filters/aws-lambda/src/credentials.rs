//! Signing credentials and where they come from: the Backend's Secret, the proxy's environment
//! (snapshot at config load), or IRSA web identity exchanged at STS and cached.

mod environment;
mod sts;
#[cfg(test)]
mod tests;
mod web_identity;

use crate::clock::Clock;
use core::fmt;
use dynagate_config::aws_lambda::{EnvironmentCredentials, LambdaCredentials};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

pub use environment::{Environment, ProcessEnvironment};
#[cfg(any(test, feature = "testing"))]
pub(crate) use sts::days_from_civil;
pub use sts::{StsCallout, StsCredentials, StsError, parse_assume_role_response, parse_iso8601};
pub use web_identity::{
    Lookup, RefreshPolicy, RefreshTicket, TokenSource, WebIdentityProvider, WebIdentityProviders,
    WebIdentitySettings,
};

/// One set of keys to sign with, shared by requests; caches the derived signing key per day
/// and region (deriving it is four HMACs, about half the cost of a signature).
pub struct SigningCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiry: Option<SystemTime>,
    signing_key: Mutex<Option<CachedSigningKey>>,
}

struct CachedSigningKey {
    day: u64,
    region: Box<str>,
    key: Arc<[u8]>,
}

impl SigningCredentials {
    /// Keys; an empty `session_token` counts as none (kgateway allows `sessionToken: ""`).
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        expiry: Option<SystemTime>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            session_token: session_token
                .filter(|token| !token.is_empty())
                .map(str::to_owned),
            expiry,
            signing_key: Mutex::new(None),
        }
    }

    /// The access key id (not secret, but only its prefix is ever logged).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary keys (sent as `x-amz-security-token`).
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// Whether requests carry `x-amz-security-token`.
    pub fn has_session_token(&self) -> bool {
        self.session_token.is_some()
    }

    /// When temporary keys stop working.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// The signing key of `day` (days since the epoch) and `region`, derived with `derive` on
    /// a miss.
    pub(crate) fn signing_key(
        &self,
        day: u64,
        region: &str,
        derive: impl FnOnce() -> Vec<u8>,
    ) -> Arc<[u8]> {
        let mut cache = self
            .signing_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = cache.as_ref()
            && cached.day == day
            && &*cached.region == region
        {
            return Arc::clone(&cached.key);
        }
        let key: Arc<[u8]> = derive().into();
        *cache = Some(CachedSigningKey {
            day,
            region: region.into(),
            key: Arc::clone(&key),
        });
        key
    }
}

impl fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.access_key_id.get(..4).unwrap_or("");
        f.debug_struct("SigningCredentials")
            .field("access_key_id", &format_args!("{shown}****"))
            .field("session_token", &self.has_session_token())
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

/// Where a compiled Lambda target gets its keys, decided once at config load.
#[derive(Clone, Debug)]
pub enum CredentialSource {
    /// Fixed keys: the Backend's Secret, or the environment's `AWS_ACCESS_KEY_ID` set.
    Static(Arc<SigningCredentials>),
    /// IRSA: temporary keys from STS, cached and refreshed by request-driven callouts.
    WebIdentity(Arc<WebIdentityProvider>),
    /// Nothing to sign with; every request is answered 500 with this reason (logged at load).
    Unavailable(Arc<str>),
}

impl CredentialSource {
    /// Resolves the config: the Secret's keys, else the default chain over `env` (static
    /// environment keys first, then IRSA when an STS endpoint is configured).
    pub fn resolve(
        config: &LambdaCredentials,
        env: &dyn Environment,
        clock: &Arc<dyn Clock>,
        providers: &WebIdentityProviders,
    ) -> Self {
        match config {
            LambdaCredentials::Secret(secret) => Self::Static(Arc::new(SigningCredentials::new(
                secret.access_key.expose(),
                secret.secret_key.expose(),
                secret.session_token.as_ref().map(|token| token.expose()),
                None,
            ))),
            LambdaCredentials::Environment(EnvironmentCredentials { sts }) => {
                if let Some(credentials) = environment::static_keys(env) {
                    return Self::Static(Arc::new(credentials));
                }
                match (environment::web_identity(env), sts) {
                    (Some(irsa), Some(sts)) => {
                        let settings = irsa.settings(sts.clone());
                        Self::WebIdentity(providers.get_or_create(settings, clock))
                    }
                    (Some(_), None) => Self::Unavailable(Arc::from(
                        "IRSA is configured in the proxy environment (AWS_WEB_IDENTITY_TOKEN_FILE, \
                         AWS_ROLE_ARN) but the filter config names no STS endpoint",
                    )),
                    (None, _) => Self::Unavailable(Arc::from(
                        "no AWS credentials: neither AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY nor \
                         AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN are set in the proxy environment",
                    )),
                }
            }
        }
    }

    /// Registers `wake` to run when the fetch seen as `Lookup::Wait { generation }` ends (see
    /// [`WebIdentityProvider::wait`]); other sources have nothing to wait for and wake at once.
    pub fn wait(&self, generation: u64, wake: Box<dyn FnOnce() + Send>) {
        match self {
            Self::WebIdentity(provider) => provider.wait(generation, wake),
            Self::Static(_) | Self::Unavailable(_) => wake(),
        }
    }

    /// What a request should do about credentials right now (never blocks).
    pub fn lookup(&self) -> Lookup {
        match self {
            Self::Static(credentials) => Lookup::Ready {
                credentials: Arc::clone(credentials),
                refresh: None,
            },
            Self::WebIdentity(provider) => provider.lookup(),
            Self::Unavailable(reason) => Lookup::Unavailable {
                reason: reason.to_string(),
            },
        }
    }
}
