//! What the echo upstream records about a request, and the response it builds from the `x-echo-*` headers.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::body::{self, BoxedBody};

/// Request header: answer with this status code instead of 200.
pub const ECHO_STATUS: &str = "x-echo-status";
/// Request header, repeatable: `name: value` is added to the response.
pub const ECHO_RESPONSE_HEADER: &str = "x-echo-response-header";
/// Request header: answer with this fixed body (`text/plain`) instead of the JSON echo.
pub const ECHO_BODY: &str = "x-echo-body";
/// Request header: answer with a chunked body split into this many chunks, each flushed separately.
pub const ECHO_CHUNKED: &str = "x-echo-chunked";
/// Request header: wait this many milliseconds before answering (for timeout behaviour only).
pub const ECHO_DELAY_MS: &str = "x-echo-delay-ms";

/// A request as the upstream received it; also the JSON body of every echo response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoedRequest {
    /// The method.
    pub method: String,
    /// The request target: path and query.
    pub path: String,
    /// Every header as `[name, value]`, lower-case names; values of one name keep their order.
    pub headers: Vec<(String, String)>,
    /// The body: UTF-8 text, or base64 when [`EchoedRequest::body_base64`] is set.
    pub body: String,
    /// Whether `body` is base64 (the received bytes were not UTF-8).
    pub body_base64: bool,
    /// How many non-empty data frames the body arrived in.
    pub body_chunks: usize,
    /// Request trailers as `[name, value]`.
    pub trailers: Vec<(String, String)>,
}

impl EchoedRequest {
    pub(super) fn new(
        parts: &Parts,
        body: &[u8],
        body_chunks: usize,
        trailers: Option<&HeaderMap>,
    ) -> Self {
        let (body, body_base64) = match std::str::from_utf8(body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (BASE64.encode(body), true),
        };
        Self {
            method: parts.method.to_string(),
            path: parts.uri.path_and_query().map_or_else(
                || parts.uri.to_string(),
                |target| target.as_str().to_owned(),
            ),
            headers: pairs(&parts.headers),
            body,
            body_base64,
            body_chunks,
            trailers: trailers.map(pairs).unwrap_or_default(),
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The body bytes, decoded from base64 when needed.
    pub fn body_bytes(&self) -> Vec<u8> {
        if self.body_base64 {
            BASE64.decode(&self.body).unwrap_or_default()
        } else {
            self.body.clone().into_bytes()
        }
    }
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// The response the `x-echo-*` headers ask for; a malformed control header gets a 400 saying why.
pub(super) async fn respond(headers: &HeaderMap, echoed: &EchoedRequest) -> Response<BoxedBody> {
    match plan(headers, echoed) {
        Ok(plan) => {
            if let Some(delay) = plan.delay {
                tokio::time::sleep(delay).await;
            }
            plan.response
        }
        Err(reason) => {
            let mut response = Response::new(body::full(Bytes::from(reason)));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
    }
}

struct Plan {
    response: Response<BoxedBody>,
    delay: Option<Duration>,
}

fn plan(headers: &HeaderMap, echoed: &EchoedRequest) -> Result<Plan, String> {
    let status = match control(headers, ECHO_STATUS)? {
        Some(code) => code
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .ok_or_else(|| format!("{ECHO_STATUS}: {code} is not a status code"))?,
        None => StatusCode::OK,
    };
    let (content, content_type) = match control(headers, ECHO_BODY)? {
        Some(text) => (Bytes::from(text.to_owned()), "text/plain"),
        None => {
            let json = serde_json::to_vec(echoed).map_err(|err| err.to_string())?;
            (Bytes::from(json), "application/json")
        }
    };
    let body = match control(headers, ECHO_CHUNKED)? {
        Some(count) => {
            let count = count
                .parse::<usize>()
                .ok()
                .filter(|count| *count > 0)
                .ok_or_else(|| format!("{ECHO_CHUNKED}: {count} is not a positive number"))?;
            body::paced(split(&content, count))
        }
        None => body::full(content),
    };
    let delay = control(headers, ECHO_DELAY_MS)?
        .map(|ms| {
            ms.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("{ECHO_DELAY_MS}: {ms} is not a number"))
        })
        .transpose()?;

    let mut response = Response::new(body);
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    for line in headers.get_all(ECHO_RESPONSE_HEADER) {
        let line = line
            .to_str()
            .map_err(|_| format!("{ECHO_RESPONSE_HEADER} is not text"))?;
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{ECHO_RESPONSE_HEADER}: expected `name: value`, got {line}"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|err| format!("{ECHO_RESPONSE_HEADER}: {name}: {err}"))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|err| format!("{ECHO_RESPONSE_HEADER}: {value}: {err}"))?;
        response_headers.append(name, value);
    }
    if !response_headers.contains_key(header::CONTENT_TYPE) {
        response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    Ok(Plan { response, delay })
}

/// The single value of a control header, if present.
fn control<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    headers
        .get(name)
        .map(|value| value.to_str().map_err(|_| format!("{name} is not text")))
        .transpose()
}

/// `content` cut into `count` nearly equal chunks (fewer when it has fewer bytes).
pub(super) fn split(content: &Bytes, count: usize) -> Vec<Bytes> {
    if content.is_empty() {
        return Vec::new();
    }
    let size = content.len().div_ceil(count);
    (0..content.len())
        .step_by(size)
        .map(|start| content.slice(start..(start + size).min(content.len())))
        .collect()
}
