//! The pure template functions (no request state): string, base64, JSON and cookie helpers.
//!
//! kgateway semantics throughout: invalid input renders an empty string instead of failing the
//! template, so `prefix-{{ base64_decode("!") }}` renders `prefix-` and a header rendering empty is
//! removed. Values of any kind are accepted where a string is expected (numbers use their display form).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, general_purpose::STANDARD_NO_PAD};
use jsonpath_rust::parser::model::JpQuery;
use minijinja::Value;
use minijinja::value::ValueKind;

use crate::json;

/// URL-safe decoding that accepts input with or without padding (JWT segments have none).
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The text form of an argument: strings as they are, undefined and none as empty, the rest displayed.
pub(crate) fn text(value: Option<&Value>) -> Cow<'_, str> {
    let Some(value) = value else {
        return Cow::Borrowed("");
    };
    if let Some(text) = value.as_str() {
        return Cow::Borrowed(text);
    }
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Cow::Borrowed(""),
        // JSON spelling (MiniJinja displays `True`), as the classic filter renders booleans.
        ValueKind::Bool => Cow::Borrowed(if value.is_true() { "true" } else { "false" }),
        ValueKind::Bytes => match value.as_bytes() {
            Some(bytes) => String::from_utf8_lossy(bytes),
            None => Cow::Borrowed(""),
        },
        ValueKind::Seq | ValueKind::Map => {
            Cow::Owned(serde_json::to_string(value).unwrap_or_default())
        }
        _ => Cow::Owned(value.to_string()),
    }
}

/// `base64_encode(s)`: standard alphabet, padded.
pub(crate) fn base64_encode(input: Option<&Value>) -> String {
    STANDARD.encode(text(input).as_bytes())
}

/// `base64_decode(s)`: standard alphabet, canonical padding; invalid input or a non-UTF-8 result is empty.
pub(crate) fn base64_decode(input: Option<&Value>) -> String {
    decode_utf8(&STANDARD, &text(input))
}

/// `base64url_encode(s)`: URL-safe alphabet, padded (as kgateway's rustformation).
pub(crate) fn base64url_encode(input: Option<&Value>) -> String {
    URL_SAFE.encode(text(input).as_bytes())
}

/// `base64url_decode(s)`: URL-safe alphabet, padding optional; invalid input or non-UTF-8 result is empty.
pub(crate) fn base64url_decode(input: Option<&Value>) -> String {
    decode_utf8(&URL_SAFE_LENIENT, &text(input))
}

fn decode_utf8(engine: &GeneralPurpose, input: &str) -> String {
    engine
        .decode(input)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// 128 random bits as unpadded standard base64 (22 characters), the `replace_with_random` token.
pub(crate) fn random_token(bytes: [u8; 16]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// `substring(s, start[, len])`, in characters (kgateway counts bytes, which can split UTF-8).
///
/// A start that is negative, past the end or not an integer gives `""`; a length that is absent, not
/// positive or running past the end takes the rest of the string; a length that is not an integer
/// gives `""`.
pub(crate) fn substring(
    input: Option<&Value>,
    start: Option<&Value>,
    len: Option<&Value>,
) -> String {
    let input = text(input);
    let Some(start) = start.and_then(integer) else {
        return String::new();
    };
    let len = match len {
        None => None,
        Some(len) if len.is_undefined() || len.is_none() => None,
        Some(len) => match integer(len) {
            Some(len) => Some(len),
            None => return String::new(),
        },
    };
    let Ok(start) = usize::try_from(start) else {
        return String::new();
    };
    let Some((start_byte, _)) = input.char_indices().nth(start) else {
        return String::new();
    };
    let rest = &input[start_byte..];
    let taken = match len
        .and_then(|len| usize::try_from(len).ok())
        .filter(|len| *len > 0)
    {
        Some(len) => rest
            .char_indices()
            .nth(len)
            .map_or(rest, |(end, _)| &rest[..end]),
        None => rest,
    };
    taken.to_owned()
}

fn integer(value: &Value) -> Option<i64> {
    if value.is_integer() {
        value.as_i64()
    } else {
        None
    }
}

/// C `isspace`: the whitespace of `trim` and `word_count`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// `trim(s)`: strips leading and trailing ASCII whitespace.
pub(crate) fn trim(input: Option<&Value>) -> String {
    text(input).trim_matches(is_space).to_owned()
}

/// `replace_with_string(s, pattern, replacement)`: literal replace-all; an empty pattern changes nothing.
pub(crate) fn replace_with_string(
    input: Option<&Value>,
    pattern: Option<&Value>,
    replacement: Option<&Value>,
) -> String {
    replace_all(&text(input), &text(pattern), &text(replacement))
}

/// Literal replace-all; an empty pattern changes nothing (rather than inserting between characters).
pub(crate) fn replace_all(input: &str, pattern: &str, replacement: &str) -> String {
    if pattern.is_empty() {
        input.to_owned()
    } else {
        input.replace(pattern, replacement)
    }
}

/// `raw_string(v)`: a string JSON-escaped without its quotes, ready to embed in a JSON body; any
/// other value as its JSON text.
pub(crate) fn raw_string(input: Option<&Value>) -> String {
    let Some(value) = input else {
        return String::new();
    };
    if let Some(text) = value.as_str() {
        let quoted = serde_json::to_string(text).unwrap_or_default();
        return quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default()
            .to_owned();
    }
    match value.kind() {
        ValueKind::Undefined => String::new(),
        _ => json::to_json_text(value).unwrap_or_default(),
    }
}

/// `word_count(v)`: words of a string; strings, numbers and booleans inside arrays and objects
/// (object keys included) counted recursively; numbers and booleans count one.
pub(crate) fn word_count(input: Option<&Value>) -> i64 {
    input.map_or(0, count_words_in)
}

fn count_words_in(value: &Value) -> i64 {
    match value.kind() {
        ValueKind::String => value.as_str().map_or(0, count_words),
        ValueKind::Number | ValueKind::Bool => 1,
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()
            .map_or(0, |items| items.map(|item| count_words_in(&item)).sum()),
        ValueKind::Map => value.try_iter().map_or(0, |keys| {
            keys.map(|key| {
                let item = value.get_item(&key).unwrap_or_default();
                count_words_in(&key) + count_words_in(&item)
            })
            .sum()
        }),
        _ => 0,
    }
}

fn count_words(text: &str) -> i64 {
    let words = text.split(is_space).filter(|word| !word.is_empty()).count();
    i64::try_from(words).unwrap_or(i64::MAX)
}

/// The value of cookie `name` in `Cookie` header values (`a=1; b=2`), first match wins; a value in
/// double quotes is unquoted. `ignore_case` compares names ASCII-case-insensitively (`get_cookie_i`).
pub(crate) fn find_cookie<'h>(
    cookie_headers: impl IntoIterator<Item = &'h str>,
    name: &str,
    ignore_case: bool,
) -> Option<&'h str> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| {
            let key = key.trim_matches(is_space);
            if ignore_case {
                key.eq_ignore_ascii_case(name)
            } else {
                key == name
            }
        })
        .map(|(_, value)| {
            let value = value.trim_matches(is_space);
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
        })
}

/// `jsonpath(value, "$.expr")`: the JSON text of the match, a bare string when the match is a string,
/// a JSON array when several nodes match, `""` when nothing matches, the expression is invalid or a
/// string `value` is not JSON.
pub(crate) fn jsonpath(value: Option<&Value>, expression: Option<&Value>) -> String {
    let Some(value) = value.filter(|value| !value.is_undefined() && !value.is_none()) else {
        return String::new();
    };
    // A node of the parsed body is queried in place; anything else is converted first.
    let converted;
    let document = match (
        value.as_str(),
        value.downcast_object_ref::<json::JsonNode>(),
    ) {
        (_, Some(node)) => node.json(),
        (Some(text), None) => match serde_json::from_str(text) {
            Ok(parsed) => {
                converted = parsed;
                &converted
            }
            Err(_) => return String::new(),
        },
        (None, None) => match json::as_json(value) {
            Some(parsed) => {
                converted = parsed;
                &converted
            }
            None => return String::new(),
        },
    };
    let Some(query) = parsed_query(&text(expression)) else {
        return String::new();
    };
    let Ok(found) = jsonpath_rust::query::js_path_process(&query, document) else {
        return String::new();
    };
    let matches: Vec<&serde_json::Value> = found.into_iter().map(|found| found.val()).collect();
    match matches.as_slice() {
        [] => String::new(),
        [serde_json::Value::String(text)] => text.clone(),
        [single] => single.to_string(),
        many => serde_json::to_string(many).unwrap_or_default(),
    }
}

/// Parsing a JSONPath costs more than running it: keep the parsed queries of each worker thread.
fn parsed_query(expression: &str) -> Option<Rc<JpQuery>> {
    /// Templates name few distinct expressions; the bound only guards against computed ones.
    const MAX_CACHED: usize = 64;
    thread_local! {
        static QUERIES: RefCell<HashMap<Box<str>, Rc<JpQuery>>> = RefCell::new(HashMap::new());
    }
    QUERIES.with(|cell| {
        let mut queries = cell.borrow_mut();
        if let Some(query) = queries.get(expression) {
            return Some(Rc::clone(query));
        }
        let query = Rc::new(jsonpath_rust::parser::parse_json_path(expression).ok()?);
        if queries.len() >= MAX_CACHED {
            queries.clear();
        }
        queries.insert(expression.into(), Rc::clone(&query));
        Some(query)
    })
}

#[cfg(test)]
mod tests;
