//! The proxy's environment as a credential source: static keys, or the IRSA variables.

use super::SigningCredentials;
use super::web_identity::{RefreshPolicy, TokenSource, WebIdentitySettings};
use dynagate_config::aws_lambda::StsEndpoint;
use std::path::PathBuf;

/// Reads environment variables (injectable: tests never touch the process environment).
pub trait Environment {
    /// The variable's value; unset, empty or non-UTF-8 values are `None`.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment, read when a config loads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Environment for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name).filter(|value| !value.is_empty())
    }
}

/// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), when both keys are set.
pub(super) fn static_keys(env: &dyn Environment) -> Option<SigningCredentials> {
    let access_key = env.var("AWS_ACCESS_KEY_ID")?;
    let secret_key = env.var("AWS_SECRET_ACCESS_KEY")?;
    let token = env.var("AWS_SESSION_TOKEN");
    Some(SigningCredentials::new(
        &access_key,
        &secret_key,
        token.as_deref(),
        None,
    ))
}

/// The IRSA variables the EKS pod identity webhook injects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IrsaEnvironment {
    role_arn: String,
    token_file: PathBuf,
    session_name: Option<String>,
}

impl IrsaEnvironment {
    /// Settings for a provider exchanging the token at `sts`.
    pub(super) fn settings(self, sts: StsEndpoint) -> WebIdentitySettings {
        WebIdentitySettings {
            role_arn: self.role_arn,
            session_name: self.session_name.unwrap_or_else(|| "dynagate".to_owned()),
            token: TokenSource::File(self.token_file),
            sts,
            policy: RefreshPolicy::default(),
        }
    }
}

/// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`), when both are set.
pub(super) fn web_identity(env: &dyn Environment) -> Option<IrsaEnvironment> {
    Some(IrsaEnvironment {
        token_file: PathBuf::from(env.var("AWS_WEB_IDENTITY_TOKEN_FILE")?),
        role_arn: env.var("AWS_ROLE_ARN")?,
        session_name: env.var("AWS_ROLE_SESSION_NAME"),
    })
}
