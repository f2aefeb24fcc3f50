//! `DirectResponse` objects and the 500 answer of invalid rules, as Envoy direct responses.

use dynagate_api::kgateway::DirectResponseSpec;
use envoy_types::pb::envoy::config::core::v3::{
    DataSource, SubstitutionFormatString, data_source, substitution_format_string,
};
use envoy_types::pb::envoy::config::route::v3::DirectResponseAction;
use envoy_types::pb::google::protobuf::{ListValue, Struct, Value, value};

use crate::translate::detmap;

/// Longest body kgateway accepts.
const MAX_BODY: usize = 4096;

/// The answer for rules that cannot be served as written (Gateway API: 500).
pub(crate) fn internal_error() -> DirectResponseAction {
    DirectResponseAction {
        status: 500,
        ..DirectResponseAction::default()
    }
}

/// A DirectResponse as an Envoy direct response.
pub(crate) fn action(spec: &DirectResponseSpec) -> Result<DirectResponseAction, String> {
    if !(200..=599).contains(&spec.status) {
        return Err(format!("status {} is outside 200-599", spec.status));
    }
    if spec.body.is_some() && spec.body_format.is_some() {
        return Err("body and bodyFormat are mutually exclusive".to_owned());
    }
    let mut action = DirectResponseAction {
        status: spec.status,
        ..DirectResponseAction::default()
    };
    if let Some(body) = &spec.body {
        if body.len() > MAX_BODY {
            return Err(format!("body is longer than {MAX_BODY} bytes"));
        }
        action.body = Some(DataSource {
            specifier: Some(data_source::Specifier::InlineString(body.clone())),
            ..DataSource::default()
        });
    }
    if let Some(format) = &spec.body_format {
        let kind = match (&format.text, &format.json) {
            (Some(text), None) => {
                substitution_format_string::Format::TextFormatSource(DataSource {
                    specifier: Some(data_source::Specifier::InlineString(text.clone())),
                    ..DataSource::default()
                })
            }
            (None, Some(json)) => substitution_format_string::Format::JsonFormat(to_struct(json)),
            _ => return Err("bodyFormat needs exactly one of text and json".to_owned()),
        };
        action.body_format = Some(SubstitutionFormatString {
            format: Some(kind),
            content_type: format.content_type.clone().unwrap_or_default(),
            ..SubstitutionFormatString::default()
        });
    }
    Ok(action)
}

/// JSON object -> `google.protobuf.Struct` (maps built with the shared hasher for stable encoding).
pub(crate) fn to_struct(map: &serde_json::Map<String, serde_json::Value>) -> Struct {
    let mut fields = detmap::new_map();
    for (k, v) in map {
        fields.insert(k.clone(), to_value(v));
    }
    Struct { fields }
}

fn to_value(v: &serde_json::Value) -> Value {
    let kind = match v {
        serde_json::Value::Null => value::Kind::NullValue(0),
        serde_json::Value::Bool(b) => value::Kind::BoolValue(*b),
        serde_json::Value::Number(n) => value::Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => value::Kind::StringValue(s.clone()),
        serde_json::Value::Array(items) => value::Kind::ListValue(ListValue {
            values: items.iter().map(to_value).collect(),
        }),
        serde_json::Value::Object(map) => value::Kind::StructValue(to_struct(map)),
    };
    Value { kind: Some(kind) }
}
