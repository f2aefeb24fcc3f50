//! `Backend.spec.aws.lambda` (+ `region`, `accountId`, resolved `auth`): the config of the
//! `aws_lambda` filter.
//!
//! The controller emits one [`AwsLambda`] per Backend, as the `filter_config` of the filter on
//! the Backend's cluster (upstream HTTP filter, so every retry is signed afresh) or as a route's
//! per-route config. Field names follow the kgateway CRD (`functionName`, `endpointURL`, ...);
//! `credentials` is what the controller resolved from `auth`: the Secret's keys inline, or the
//! proxy's own environment (static keys or IRSA web identity through STS).
//!
//! Secrets: [`SecretString`] never prints its value (`Debug` redacts), and parse errors of a
//! config carrying credentials withhold serde's value excerpts. [`AwsLambda::validate`] is what
//! the controller runs to put a bad Backend on its status instead of sending it to Envoy.

mod endpoint;
mod secret;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use endpoint::LambdaEndpoint;
pub use secret::SecretString;

/// Region used when the Backend names none (kgateway's default).
pub const DEFAULT_REGION: &str = "us-east-1";
/// Qualifier used when the Backend names none: the unpublished latest version.
pub const DEFAULT_QUALIFIER: &str = "$LATEST";

/// One Lambda function as a backend: where it lives, how to invoke it, how to sign.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsLambda {
    /// AWS region of the function (`us-east-1` when empty); also the SigV4 signing region.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// 12-digit account id owning the function (from `lambda.accountId`, else `aws.accountId`).
    /// Without it the function is addressed as `name:qualifier` instead of by ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Function name (`^[A-Za-z0-9-_]{1,140}$`). Required.
    #[serde(default)]
    pub function_name: String,
    /// Version or alias (`$LATEST` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// Synchronous (`RequestResponse`) or asynchronous (`Event`) invocation.
    #[serde(default)]
    pub invocation_mode: InvocationMode,
    /// Custom endpoint (`http(s)://host[:port]`), e.g. LocalStack; the regional Lambda endpoint
    /// when absent.
    #[serde(
        default,
        rename = "endpointURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint_url: Option<String>,
    /// Whether the request and response are mapped to and from kgateway's JSON event.
    #[serde(default)]
    pub payload_transform_mode: PayloadTransformMode,
    /// Where signing credentials come from.
    #[serde(default)]
    pub credentials: LambdaCredentials,
}

/// `invocationMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum InvocationMode {
    /// Wait for the function's result (`x-amz-invocation-type: RequestResponse`).
    #[default]
    Sync,
    /// Queue the event; Lambda answers 202 at once (`x-amz-invocation-type: Event`).
    Async,
}

impl InvocationMode {
    /// The `x-amz-invocation-type` header value.
    pub const fn invocation_type(self) -> &'static str {
        match self {
            Self::Sync => "RequestResponse",
            Self::Async => "Event",
        }
    }
}

/// `payloadTransformMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum PayloadTransformMode {
    /// The request becomes Envoy's JSON event; the function's JSON answer becomes the response.
    #[default]
    Envoy,
    /// `None`: the body goes to Lambda as-is and the answer comes back as-is.
    #[serde(rename = "None")]
    Passthrough,
}

/// Where the filter gets the keys it signs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum LambdaCredentials {
    /// `auth.type: Secret`: the Secret's keys, inlined by the controller.
    Secret(SecretCredentials),
    /// No `auth`: the proxy's environment — `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
    /// (`AWS_SESSION_TOKEN`), else IRSA (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`) through
    /// STS `AssumeRoleWithWebIdentity`.
    Environment(EnvironmentCredentials),
}

impl Default for LambdaCredentials {
    fn default() -> Self {
        Self::Environment(EnvironmentCredentials::default())
    }
}

/// The keys of a kgateway AWS Secret (`accessKey`, `secretKey`, optional `sessionToken`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretCredentials {
    /// Access key id (`AKIA...`/`ASIA...`).
    #[serde(default)]
    pub access_key: SecretString,
    /// Secret access key.
    #[serde(default)]
    pub secret_key: SecretString,
    /// Session token of temporary keys; absent or empty for long-lived keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<SecretString>,
}

/// Credentials from the proxy's environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentCredentials {
    /// The STS endpoint IRSA exchanges its web identity token at. Without it, IRSA is off and
    /// only the static environment keys are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts: Option<StsEndpoint>,
}

/// An STS endpoint reachable through an Envoy cluster the controller created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StsEndpoint {
    /// Envoy cluster name the callout goes to.
    pub cluster: String,
    /// `host` of the STS request, e.g. `sts.us-east-1.amazonaws.com`.
    pub authority: String,
}

/// The config could not be parsed, or parsed into something the filter cannot run.
#[derive(Debug, thiserror::Error)]
pub enum AwsLambdaConfigError {
    /// Bad JSON, an unknown key, or a wrong type (the message names the key).
    #[error("invalid aws_lambda config: {0}")]
    Json(String),
    /// A field broke a rule of the Backend API.
    #[error("invalid aws_lambda config: {field}: {message}")]
    Invalid {
        /// The field, as users spell it (`functionName`, `credentials.secret.secretKey`).
        field: &'static str,
        /// What is wrong (never a secret's value).
        message: String,
    },
}

impl AwsLambda {
    /// Parses and checks the filter config JSON.
    pub fn from_json(json: &str) -> Result<Self, AwsLambdaConfigError> {
        let config: Self = serde_json::from_str(json).map_err(|error| json_error(json, &error))?;
        config.validate()?;
        Ok(config)
    }

    /// The canonical JSON the controller puts in the Envoy filter config (secrets included).
    pub fn to_json(&self) -> String {
        // Plain strings, options and unit enums always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks every field against the Backend API's patterns, the endpoint URL and the keys.
    pub fn validate(&self) -> Result<(), AwsLambdaConfigError> {
        let region = self.region();
        if region.len() > 63
            || !region
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        {
            return Err(invalid(
                "region",
                format!("{region:?} is not an AWS region (^[a-z0-9-]{{1,63}}$)"),
            ));
        }
        if self.function_name.is_empty() {
            return Err(invalid("functionName", "is required".to_owned()));
        }
        if self.function_name.len() > 140 || !self.function_name.bytes().all(is_name_byte) {
            return Err(invalid(
                "functionName",
                format!(
                    "{:?} must match ^[A-Za-z0-9-_]{{1,140}}$",
                    self.function_name
                ),
            ));
        }
        let qualifier = self.qualifier();
        if qualifier != DEFAULT_QUALIFIER
            && (qualifier.is_empty()
                || qualifier.len() > 128
                || !qualifier.bytes().all(is_name_byte))
        {
            return Err(invalid(
                "qualifier",
                format!(
                    "{qualifier:?} must be $LATEST, a version or an alias (^[A-Za-z0-9-_]{{1,128}}$)"
                ),
            ));
        }
        if let Some(account) = &self.account_id
            && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid(
                "accountId",
                format!("{account:?} must be 12 digits"),
            ));
        }
        self.endpoint()?;
        self.credentials.validate()
    }

    /// The region, defaulted.
    pub fn region(&self) -> &str {
        if self.region.is_empty() {
            DEFAULT_REGION
        } else {
            &self.region
        }
    }

    /// The qualifier, defaulted.
    pub fn qualifier(&self) -> &str {
        self.qualifier.as_deref().unwrap_or(DEFAULT_QUALIFIER)
    }

    /// How the Invoke API names the function: the qualified ARN
    /// (`arn:aws:lambda:<region>:<account>:function:<name>:<qualifier>`) when the account is
    /// known, else `<name>:<qualifier>` (which Lambda resolves in the caller's account).
    pub fn function_identifier(&self) -> String {
        let (name, qualifier) = (&self.function_name, self.qualifier());
        match &self.account_id {
            Some(account) => {
                let (region, partition) = (self.region(), partition(self.region()));
                format!("arn:{partition}:lambda:{region}:{account}:function:{name}:{qualifier}")
            }
            None => format!("{name}:{qualifier}"),
        }
    }

    /// The Invoke path: `/2015-03-31/functions/<identifier>/invocations`. Every character of
    /// the identifier is a valid path character (`:` and `$` included), so it is sent raw.
    pub fn invocation_path(&self) -> String {
        format!(
            "/2015-03-31/functions/{}/invocations",
            self.function_identifier()
        )
    }

    /// Where requests go: `endpointURL` parsed, else the regional Lambda endpoint over TLS.
    pub fn endpoint(&self) -> Result<LambdaEndpoint, AwsLambdaConfigError> {
        match &self.endpoint_url {
            Some(url) => LambdaEndpoint::parse(url)
                .map_err(|message| invalid("endpointURL", format!("{url:?}: {message}"))),
            None => Ok(LambdaEndpoint::regional(self.region())),
        }
    }
}

impl LambdaCredentials {
    fn validate(&self) -> Result<(), AwsLambdaConfigError> {
        match self {
            Self::Secret(secret) => {
                if secret.access_key.is_empty() {
                    return Err(invalid(
                        "credentials.secret.accessKey",
                        "is missing or empty".to_owned(),
                    ));
                }
                if secret.secret_key.is_empty() {
                    return Err(invalid(
                        "credentials.secret.secretKey",
                        "is missing or empty".to_owned(),
                    ));
                }
                Ok(())
            }
            Self::Environment(EnvironmentCredentials { sts: Some(sts) }) => {
                if sts.cluster.is_empty() {
                    return Err(invalid(
                        "credentials.environment.sts.cluster",
                        "must not be empty".to_owned(),
                    ));
                }
                if sts.authority.is_empty() {
                    return Err(invalid(
                        "credentials.environment.sts.authority",
                        "must not be empty".to_owned(),
                    ));
                }
                Ok(())
            }
            Self::Environment(_) => Ok(()),
        }
    }
}

/// The AWS partition of a region (`aws-cn` for China, `aws-us-gov` for GovCloud).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

const fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

fn invalid(field: &'static str, message: String) -> AwsLambdaConfigError {
    AwsLambdaConfigError::Invalid { field, message }
}

/// serde's messages quote the offending value (`invalid type: string "AKIA..."`). When the
/// document carries credentials, keep only messages made of key names, so a misplaced secret
/// never reaches a log or a status condition.
fn json_error(json: &str, error: &serde_json::Error) -> AwsLambdaConfigError {
    let message = error.to_string();
    let names_only = message.starts_with("unknown field")
        || message.starts_with("missing field")
        || error.is_syntax()
        || error.is_eof();
    if names_only || !json.contains("\"credentials\"") {
        return AwsLambdaConfigError::Json(message);
    }
    AwsLambdaConfigError::Json(format!(
        "invalid value at line {} column {} (details withheld: the config carries credentials)",
        error.line(),
        error.column()
    ))
}
