//! `payloadTransformMode: Envoy`, response side: which Lambda answers are unwrapped, and the
//! function's JSON (`statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`) decoded.
//!
//! Passed through untouched, as in Envoy: any status >= 300 (Lambda's own errors, throttling
//! 429, unknown function or qualifier 404), an `x-amz-function-error` answer (the function
//! threw), async invocations (202), `None` mode, and answers without a body. Everything else
//! must be the JSON object above; anything else becomes a 500 with a short explanation.

#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dynagate_config::aws_lambda::{InvocationMode, PayloadTransformMode};
use serde::Deserialize;
use std::collections::BTreeMap;

/// What the filter does with Lambda's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponsePlan {
    /// Forward as received.
    PassThrough,
    /// Buffer the body and turn the function's JSON into the HTTP response.
    Unwrap,
}

/// Decides from the response headers.
pub fn plan(
    transform: PayloadTransformMode,
    invocation: InvocationMode,
    status: Option<u16>,
    function_error: bool,
    end_of_stream: bool,
) -> ResponsePlan {
    let unwrap = transform == PayloadTransformMode::Envoy
        && invocation == InvocationMode::Sync
        && !end_of_stream
        && !function_error
        && status.is_some_and(|status| status < 300);
    if unwrap {
        ResponsePlan::Unwrap
    } else {
        ResponsePlan::PassThrough
    }
}

/// The HTTP response a function described.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionResponse {
    /// `statusCode` (absent or 0: keep Lambda's 200).
    pub status: Option<u16>,
    /// `headers`: each replaces the response header of that name (pseudo-headers dropped).
    pub headers: Vec<(String, String)>,
    /// `cookies`: one `set-cookie` each.
    pub cookies: Vec<String>,
    /// `body`, base64-decoded when `isBase64Encoded`.
    pub body: Vec<u8>,
}

/// Why a function's answer could not be turned into a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFunctionResponse {
    /// Not a JSON object of the expected shape.
    #[error("the function's answer is not a valid response object: {0}")]
    NotJson(String),
    /// `statusCode` is not an HTTP status.
    #[error("the function's statusCode {0} is not an HTTP status (100-599)")]
    Status(i64),
    /// `isBase64Encoded` but `body` is not base64.
    #[error("the function's body is flagged base64 but does not decode")]
    Base64,
    /// A header name that is not an HTTP token, or a value with CR, LF or NUL.
    #[error("the function's header {0:?} is not a valid HTTP header")]
    Header(String),
}

/// The wire shape; both protobuf JSON spellings are accepted, unknown keys ignored (as Envoy's
/// protobuf JSON parsing does).
#[derive(Deserialize)]
struct Wire {
    #[serde(default, rename = "statusCode", alias = "status_code")]
    status_code: Option<StatusCode>,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    cookies: Option<Vec<String>>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default, rename = "isBase64Encoded", alias = "is_base64_encoded")]
    is_base64_encoded: Option<bool>,
}

/// protobuf JSON accepts an int32 as a number or a numeric string.
#[derive(Deserialize)]
#[serde(untagged)]
enum StatusCode {
    Number(i64),
    Text(String),
}

/// Decodes the function's JSON answer.
pub fn decode_function_response(body: &[u8]) -> Result<FunctionResponse, InvalidFunctionResponse> {
    // serde would also read a struct from a JSON array; protobuf JSON (and so Envoy) would not.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(InvalidFunctionResponse::NotJson(
            "expected a JSON object".to_owned(),
        ));
    }
    let wire: Wire = serde_json::from_slice(body)
        .map_err(|error| InvalidFunctionResponse::NotJson(error.to_string()))?;
    let status = match wire.status_code {
        None => None,
        Some(StatusCode::Number(code)) => Some(code),
        Some(StatusCode::Text(text)) => Some(text.trim().parse::<i64>().map_err(|_| {
            InvalidFunctionResponse::NotJson(format!("statusCode {text:?} is not a number"))
        })?),
    };
    let status = match status {
        None | Some(0) => None,
        Some(code) => Some(
            u16::try_from(code)
                .ok()
                .filter(|code| (100..=599).contains(code))
                .ok_or(InvalidFunctionResponse::Status(code))?,
        ),
    };
    let body = match wire.body {
        Some(body) if wire.is_base64_encoded == Some(true) => BASE64
            .decode(body.as_bytes())
            .map_err(|_| InvalidFunctionResponse::Base64)?,
        Some(body) => body.into_bytes(),
        None => Vec::new(),
    };
    let mut headers = Vec::new();
    for (name, value) in wire.headers.unwrap_or_default() {
        if name.starts_with(':') {
            continue;
        }
        if name.is_empty() || !name.bytes().all(is_token_byte) || !is_header_value(&value) {
            return Err(InvalidFunctionResponse::Header(name));
        }
        headers.push((name.to_ascii_lowercase(), value));
    }
    headers.sort();
    let cookies = wire.cookies.unwrap_or_default();
    if cookies.iter().any(|cookie| !is_header_value(cookie)) {
        // The value stays out of the message: cookies are often credentials.
        return Err(InvalidFunctionResponse::Header("set-cookie".to_owned()));
    }
    Ok(FunctionResponse {
        status,
        headers,
        cookies,
        body,
    })
}

/// RFC 9110 `tchar`.
const fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_header_value(value: &str) -> bool {
    !value.bytes().any(|byte| matches!(byte, b'\r' | b'\n' | 0))
}
