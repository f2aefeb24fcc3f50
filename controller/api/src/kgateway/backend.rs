//! `Backend`: upstreams that are not Kubernetes Services (static hosts, AWS Lambda, ...).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `Backend.spec`: exactly one of `static`, `aws`, `dynamicForwardProxy`, `gcp`, `priorityGroups`, `ai`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gateway.kgateway.dev",
    version = "v1alpha1",
    kind = "Backend",
    plural = "backends",
    namespaced,
    status = "BackendStatus",
    derive = "Default",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct BackendSpec {
    /// Deprecated type discriminator (`AWS`, `Static`, ...); inferred from the set field when absent.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub backend_type: Option<String>,
    /// A fixed list of hosts.
    #[serde(default, rename = "static", skip_serializing_if = "Option::is_none")]
    pub static_backend: Option<StaticBackend>,
    /// An AWS service (Lambda).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsBackend>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_forward_proxy: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_groups: Option<serde_json::Value>,
    /// Not supported yet (kgateway 2.0 AI backends): kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<serde_json::Value>,
}

/// `spec.static`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticBackend {
    /// Hosts to balance over (at least one).
    pub hosts: Vec<StaticHost>,
    /// `http2`, `grpc`, `grpc-web`, `kubernetes.io/h2c` or `kubernetes.io/ws`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// One static host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticHost {
    /// DNS name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// `spec.aws`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsBackend {
    /// AWS region (default `us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// 12-digit account id (required in kgateway 2.0-2.3, deprecated in 2.4 for `lambda.accountId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Explicit credentials; absent means the proxy's default credential chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AwsAuth>,
    /// The Lambda function to invoke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<AwsLambda>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2: Option<serde_json::Value>,
}

/// `spec.aws.auth`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsAuth {
    /// `Secret` or `AssumeRole`.
    #[serde(rename = "type")]
    pub auth_type: String,
    /// Secret with `accessKey`, `secretKey` and optional `sessionToken`, in the Backend's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectRef>,
    /// Role to assume (kgateway 2.4+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<AwsAssumeRole>,
}

/// A same-namespace object reference by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectRef {
    /// Object name.
    pub name: String,
}

/// `spec.aws.auth.assumeRole`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsAssumeRole {
    /// IAM role ARN.
    pub role_arn: String,
}

/// `spec.aws.lambda`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsLambda {
    /// Function name.
    pub function_name: String,
    /// Version or alias (default `$LATEST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// `Sync` (default) or `Async`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_mode: Option<String>,
    /// Override of the Lambda endpoint (testing, LocalStack).
    #[serde(
        default,
        rename = "endpointURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint_url: Option<String>,
    /// `Envoy` (default: wrap the request as JSON, unwrap the response) or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_transform_mode: Option<String>,
    /// Account id (kgateway 2.4+ location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// `Backend.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendStatus {
    /// `Accepted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
