//! `DirectResponse`: a fixed response, used from an HTTPRoute rule `ExtensionRef` filter.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `DirectResponse.spec`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gateway.kgateway.dev",
    version = "v1alpha1",
    kind = "DirectResponse",
    plural = "directresponses",
    namespaced,
    status = "DirectResponseStatus",
    derive = "Default",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct DirectResponseSpec {
    /// HTTP status code, 200-599.
    #[schemars(range(min = 200, max = 599))]
    pub status: u32,
    /// Response body (at most 4096 bytes); exclusive with `bodyFormat`.
    #[schemars(length(min = 1, max = 4096))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Formatted body (Envoy substitution operators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_format: Option<DirectResponseBodyFormat>,
}

/// `spec.bodyFormat`: exactly one of `text` and `json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DirectResponseBodyFormat {
    /// A format string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A JSON object whose string values are format strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Map<String, serde_json::Value>>,
    /// Content type of the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// `DirectResponse.status` (kgateway keeps it empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DirectResponseStatus {}
