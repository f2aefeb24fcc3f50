//! A compiled Lambda target: the config validated once at load, with everything a request
//! needs prepared (path, authority, header values, signer, credential source).

#[cfg(test)]
mod tests;

use crate::clock::Clock;
use crate::credentials::{CredentialSource, Environment, SigningCredentials, WebIdentityProviders};
use crate::sigv4::{InvokeSigner, SignatureHeaders};
use dynagate_config::aws_lambda::{
    AwsLambda, AwsLambdaConfigError, InvocationMode, PayloadTransformMode,
};
use std::sync::Arc;

/// Everything needed to turn a request into a signed Invoke call of one function.
#[derive(Debug)]
pub struct LambdaTarget {
    path: String,
    authority: String,
    mode: InvocationMode,
    transform: PayloadTransformMode,
    signer: InvokeSigner,
    credentials: CredentialSource,
    clock: Arc<dyn Clock>,
}

impl LambdaTarget {
    /// Validates `config` and prepares the target. Credentials are resolved now: the Secret's
    /// keys, or the environment as it is at load (`env`).
    pub fn compile(
        config: &AwsLambda,
        env: &dyn Environment,
        clock: Arc<dyn Clock>,
        providers: &WebIdentityProviders,
    ) -> Result<Self, AwsLambdaConfigError> {
        config.validate()?;
        let (path, authority) = (config.invocation_path(), config.endpoint()?.authority());
        Ok(Self {
            signer: InvokeSigner::new(config.region(), &authority, &path),
            path,
            authority,
            mode: config.invocation_mode,
            transform: config.payload_transform_mode,
            credentials: CredentialSource::resolve(&config.credentials, env, &clock, providers),
            clock,
        })
    }

    /// Parses, validates and compiles the filter config JSON.
    pub fn from_json(
        json: &str,
        env: &dyn Environment,
        clock: Arc<dyn Clock>,
        providers: &WebIdentityProviders,
    ) -> Result<Self, AwsLambdaConfigError> {
        Self::compile(&AwsLambda::from_json(json)?, env, clock, providers)
    }

    /// `/2015-03-31/functions/<function>/invocations`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `:authority` Lambda is reached at.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `x-amz-invocation-type`.
    pub fn invocation_type(&self) -> &'static str {
        self.mode.invocation_type()
    }

    /// Sync or async.
    pub fn mode(&self) -> InvocationMode {
        self.mode
    }

    /// Envoy or None.
    pub fn transform(&self) -> PayloadTransformMode {
        self.transform
    }

    /// Where keys come from.
    pub fn credentials(&self) -> &CredentialSource {
        &self.credentials
    }

    /// The clock signing uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Signs the Invoke request with `content_type` (if the request carries one) and `body`, at
    /// the clock's time.
    pub fn sign(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        credentials: &SigningCredentials,
    ) -> SignatureHeaders {
        self.signer.sign(
            self.invocation_type(),
            content_type,
            body,
            credentials,
            self.clock.now(),
        )
    }
}
