//! `TrafficPolicy.spec.transformation`: the config of the `transformation` filter.
//!
//! The JSON is kgateway's `transformation` object exactly as users write it:
//! `{"request": {"set": [{"name", "value"}], "add": [...], "remove": [...], "body": {"parseAs", "value"},
//! "dynamicMetadata": [{"namespace", "key", "value": {"stringValue"}}]}, "response": {...}}`.
//! The filter parses it with [`TransformationPolicy::from_json`]; the controller checks the CRD-level
//! rules with [`TransformationPolicy::validate`] before emitting it. Templates are only compiled by the
//! filter crate (`dynagate-transformation`), which the controller may also use to reject bad templates.

mod validate;

use serde::{Deserialize, Serialize};

pub use validate::{MAX_ENTRIES, MAX_NAME_LEN, ValidationError, header_name_syntax};

/// `spec.transformation`: what to do to the request and to the response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransformationPolicy {
    /// Applied to the request before it is routed upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Transform>,
    /// Applied to the response before it is sent downstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Transform>,
}

/// One direction of a transformation. Templates render against the message as it was before this
/// transform; then `set`, `add` and `remove` apply in that order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transform {
    /// Headers replaced (all values) by a rendered value; an empty rendering removes the header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<HeaderTransformation>,
    /// Header values appended; an empty rendering is skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<HeaderTransformation>,
    /// Header names removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// How the body is read and what replaces it; absent means the body is neither read nor replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyTransformation>,
    /// Rendered strings stored in Envoy dynamic metadata (kgateway 2.3+).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_metadata: Vec<DynamicMetadataTransformation>,
}

impl Transform {
    /// True when this transform changes nothing (the filter then passes the message through).
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.add.is_empty()
            && self.remove.is_empty()
            && self.dynamic_metadata.is_empty()
            && self
                .body
                .as_ref()
                .is_none_or(|body| body.value.as_deref().is_none_or(str::is_empty))
    }
}

/// A header name and the template producing its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderTransformation {
    /// Header name, case-insensitive; the pseudo headers `:path`, `:method`, `:authority`, `:scheme`
    /// (request) and `:status` (response) may be set.
    pub name: String,
    /// MiniJinja template; absent or empty means "remove" for `set` and "skip" for `add`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// How the body is read and what replaces it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BodyTransformation {
    /// How the buffered body is exposed to templates.
    #[serde(default)]
    pub parse_as: BodyParseBehavior,
    /// Template rendering the new body; absent or empty keeps the body (ignored with `parseAs: None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `body.parseAs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BodyParseBehavior {
    /// The body is available to templates as `body()`.
    #[default]
    AsString,
    /// The body is parsed as JSON: top-level keys become template variables, `context()` is the whole value.
    AsJson,
    /// The body is never buffered; `body()` and `context()` are empty and `body.value` is ignored.
    None,
}

/// One `dynamicMetadata[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DynamicMetadataTransformation {
    /// Metadata namespace (filter name), e.g. `envoy.lb` or `dynagate.transformation`.
    pub namespace: String,
    /// Key within the namespace.
    pub key: String,
    /// The value to store.
    pub value: DynamicMetadataValue,
}

/// The value of a dynamic metadata entry: exactly one kind (only `stringValue` exists).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DynamicMetadataValue {
    /// Template rendering a string value; an empty rendering stores nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
}

/// The `filter_config` JSON could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid transformation config: {0}")]
pub struct ParseError(#[from] serde_json::Error);

impl TransformationPolicy {
    /// Parses the filter config JSON; unknown keys are errors that name the key.
    pub fn from_json(json: &str) -> Result<Self, ParseError> {
        Ok(serde_json::from_str(json)?)
    }

    /// The canonical JSON the controller puts in the Envoy `filter_config`.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// True when neither direction changes anything.
    pub fn is_empty(&self) -> bool {
        self.request.as_ref().is_none_or(Transform::is_empty)
            && self.response.as_ref().is_none_or(Transform::is_empty)
    }
}

#[cfg(test)]
mod tests;
