//! CRD-level rules of `spec.transformation` (kgateway's OpenAPI/CEL validation), for the controller.
//!
//! The filter does not enforce these: a deep merge of two policies may legitimately concatenate lists
//! past the per-policy limits, and the filter checks what it needs itself when it compiles templates.

use std::collections::HashSet;
use std::fmt;

use super::{DynamicMetadataTransformation, HeaderTransformation, Transform, TransformationPolicy};

/// Most entries allowed in each of `set`, `add`, `remove` and `dynamicMetadata`.
pub const MAX_ENTRIES: usize = 16;
/// Longest header name, metadata namespace or metadata key.
pub const MAX_NAME_LEN: usize = 256;

/// One violated rule, with the JSON path of the offending field (e.g. `request.set[2].name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Path of the field, in the camelCase spelling users write.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

impl TransformationPolicy {
    /// Checks the rules the kgateway CRD enforces; returns every violation, in field order.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut errors = Vec::new();
        for (direction, transform) in [("request", &self.request), ("response", &self.response)] {
            if let Some(transform) = transform {
                validate_transform(direction, transform, &mut errors);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn validate_transform(direction: &str, transform: &Transform, errors: &mut Vec<ValidationError>) {
    for (list, entries) in [("set", &transform.set), ("add", &transform.add)] {
        validate_header_list(&format!("{direction}.{list}"), entries, errors);
    }
    let remove = format!("{direction}.remove");
    check_len(&remove, transform.remove.len(), errors);
    let mut seen = HashSet::new();
    for (index, name) in transform.remove.iter().enumerate() {
        let field = format!("{remove}[{index}]");
        check_header_name(&field, name, errors);
        if !seen.insert(name.as_str()) {
            errors.push(error(field, format!("duplicate header name {name:?}")));
        }
    }
    let metadata = format!("{direction}.dynamicMetadata");
    check_len(&metadata, transform.dynamic_metadata.len(), errors);
    for (index, entry) in transform.dynamic_metadata.iter().enumerate() {
        validate_metadata(&format!("{metadata}[{index}]"), entry, errors);
    }
}

fn validate_header_list(
    list: &str,
    entries: &[HeaderTransformation],
    errors: &mut Vec<ValidationError>,
) {
    check_len(list, entries.len(), errors);
    let mut seen = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let field = format!("{list}[{index}].name");
        check_header_name(&field, &entry.name, errors);
        // kgateway declares these lists as list-maps keyed by `name`: the API server rejects duplicates.
        if !seen.insert(entry.name.as_str()) {
            errors.push(error(
                field,
                format!("duplicate header name {:?}", entry.name),
            ));
        }
    }
}

fn validate_metadata(
    entry_path: &str,
    entry: &DynamicMetadataTransformation,
    errors: &mut Vec<ValidationError>,
) {
    for (key, value) in [("namespace", &entry.namespace), ("key", &entry.key)] {
        if value.is_empty() || value.len() > MAX_NAME_LEN {
            let message = format!("must be 1 to {MAX_NAME_LEN} characters long");
            errors.push(error(format!("{entry_path}.{key}"), message));
        }
    }
    if entry
        .value
        .string_value
        .as_deref()
        .is_none_or(str::is_empty)
    {
        let field = format!("{entry_path}.value.stringValue");
        errors.push(error(field, "is required and must not be empty".to_owned()));
    }
}

fn check_len(list: &str, len: usize, errors: &mut Vec<ValidationError>) {
    if len > MAX_ENTRIES {
        let message = format!("has {len} entries, at most {MAX_ENTRIES} are allowed");
        errors.push(error(list.to_owned(), message));
    }
}

fn check_header_name(field: &str, name: &str, errors: &mut Vec<ValidationError>) {
    if let Err(reason) = header_name_syntax(name) {
        errors.push(error(
            field.to_owned(),
            format!("invalid header name {name:?}: {reason}"),
        ));
    }
}

/// kgateway's `HeaderName`: `^:?[A-Za-z0-9!#$%&'*+\-.^_`|~]+$`, 1 to 256 characters.
pub fn header_name_syntax(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err("must be 1 to 256 characters long");
    }
    let token = name.strip_prefix(':').unwrap_or(name);
    if token.is_empty() {
        return Err("a pseudo header needs a name after ':'");
    }
    if !token.bytes().all(is_token_byte) {
        return Err("only letters, digits and !#$%&'*+-.^_`|~ are allowed (and one leading ':')");
    }
    Ok(())
}

/// RFC 9110 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn error(field: String, message: String) -> ValidationError {
    ValidationError { field, message }
}
