//! `payloadTransformMode: Envoy`, request side: the HTTP request as the JSON event kgateway's
//! data plane (Envoy's `aws_lambda` filter) sends to the function.
//!
//! ```json
//! {"raw_path":"/echo?x=1","method":"POST","headers":{"content-type":"text/plain","x-a":"1,2"},
//!  "query_string_parameters":{"x":"1"},"body":"...","is_base64_encoded":false}
//! ```
//! Every field is always present (Envoy prints defaults). Headers exclude pseudo-headers and
//! join repeated names with `,`; query parameters keep the first value of a key, not decoded;
//! the body is text only for textual content types without a transfer encoding, else base64.

#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::borrow::Cow;
use std::io::Write as _;

/// The request as received, before the filter rewrote it.
#[derive(Debug, Clone, Copy)]
pub struct OriginalRequest<'a> {
    /// `:method`.
    pub method: &'a [u8],
    /// `:path`, query included.
    pub path: &'a [u8],
    /// Every header in order (one entry per value), pseudo-headers allowed (they are skipped).
    pub headers: &'a [(&'a [u8], &'a [u8])],
}

/// Encodes the JSON event. `body` is `None` for a request without body (`"body":""`).
pub fn encode_request_event(request: &OriginalRequest<'_>, body: Option<&[u8]>) -> Vec<u8> {
    EventHead::new(request).finish(body)
}

/// First byte of a stored head: the body is textual / binary.
const STORED_TEXTUAL: u8 = b't';
const STORED_BINARY: u8 = b'b';

/// The event up to its `body`, rendered when the request headers arrive, so the headers need
/// not be kept until the body is complete.
#[derive(Debug, Clone)]
pub struct EventHead {
    json: Vec<u8>,
    textual: bool,
}

impl EventHead {
    /// Renders `raw_path`, `method`, `headers` and `query_string_parameters`.
    pub fn new(request: &OriginalRequest<'_>) -> Self {
        let mut out =
            Vec::with_capacity(192 + request.path.len() * 2 + headers_len(request.headers));
        out.extend_from_slice(b"{\"raw_path\":");
        json_string(&mut out, &String::from_utf8_lossy(request.path));
        out.extend_from_slice(b",\"method\":");
        json_string(&mut out, &String::from_utf8_lossy(request.method));

        out.extend_from_slice(b",\"headers\":{");
        for (index, (name, value)) in merged_headers(request.headers).iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            json_string(&mut out, name);
            out.push(b':');
            json_string(&mut out, value);
        }

        out.extend_from_slice(b"},\"query_string_parameters\":{");
        let query = query_of(request.path);
        for (index, (key, value)) in first_query_values(&query).iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            json_string(&mut out, key);
            out.push(b':');
            json_string(&mut out, value);
        }
        out.extend_from_slice(b"},\"body\":");
        Self {
            json: out,
            textual: is_textual(request.headers),
        }
    }

    /// The head as bytes for keeping across upstream attempts (see [`EventHead::restore`]).
    pub fn to_stored(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.json.len() + 1);
        out.push(if self.textual {
            STORED_TEXTUAL
        } else {
            STORED_BINARY
        });
        out.extend_from_slice(&self.json);
        out
    }

    /// A head kept by [`EventHead::to_stored`]; `None` for anything else (a foreign value
    /// under the same key must not become part of the event).
    pub fn restore(stored: &[u8]) -> Option<Self> {
        let (&flag, json) = stored.split_first()?;
        let textual = match flag {
            STORED_TEXTUAL => true,
            STORED_BINARY => false,
            _ => return None,
        };
        let well_formed = json.starts_with(b"{\"raw_path\":") && json.ends_with(b",\"body\":");
        well_formed.then(|| Self {
            json: json.to_vec(),
            textual,
        })
    }

    /// The whole event with `body` (`None`: a request without body).
    pub fn finish(&self, body: Option<&[u8]>) -> Vec<u8> {
        let body_len = body.map_or(0, <[u8]>::len);
        let mut out = Vec::with_capacity(self.json.len() + body_len * 4 / 3 + 40);
        out.extend_from_slice(&self.json);
        let encoded = match body {
            None => {
                out.extend_from_slice(b"\"\"");
                false
            }
            Some(body) => match core::str::from_utf8(body) {
                Ok(text) if self.textual => {
                    json_string(&mut out, text);
                    false
                }
                // Not declared textual, or not UTF-8 although declared so (Envoy would fail to
                // print it as a JSON string): base64.
                _ => {
                    out.push(b'"');
                    let start = out.len();
                    out.resize(
                        start + base64::encoded_len(body.len(), true).unwrap_or(0),
                        0,
                    );
                    let written = BASE64.encode_slice(body, &mut out[start..]).unwrap_or(0);
                    out.truncate(start + written);
                    out.push(b'"');
                    true
                }
            },
        };
        out.extend_from_slice(if encoded {
            b",\"is_base64_encoded\":true}"
        } else {
            b",\"is_base64_encoded\":false}"
        });
        out
    }
}

fn headers_len(headers: &[(&[u8], &[u8])]) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 6)
        .sum()
}

/// Appends `text` as a JSON string literal.
fn json_string(out: &mut Vec<u8>, text: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Non-pseudo headers, sorted by name (stable: values keep their order), repeats joined by `,`.
fn merged_headers<'a>(headers: &'a [(&'a [u8], &'a [u8])]) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let mut sorted: Vec<_> = headers
        .iter()
        .filter(|(name, _)| !name.starts_with(b":"))
        .collect();
    sorted.sort_by_key(|(name, _)| *name);
    let mut merged: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(sorted.len());
    for (name, value) in sorted {
        let value = String::from_utf8_lossy(value);
        match merged.last_mut() {
            Some((last, joined)) if last.as_bytes() == *name => {
                let joined = joined.to_mut();
                joined.push(',');
                joined.push_str(&value);
            }
            _ => merged.push((String::from_utf8_lossy(name), value)),
        }
    }
    merged
}

/// The query of a path: after the first `?`, before any `#`.
fn query_of(path: &[u8]) -> Cow<'_, str> {
    let Some(start) = path.iter().position(|&b| b == b'?') else {
        return Cow::Borrowed("");
    };
    let query = &path[start + 1..];
    let end = query.iter().position(|&b| b == b'#').unwrap_or(query.len());
    String::from_utf8_lossy(&query[..end])
}

/// `key=value` pairs split on `&`, first value per key, as written (not percent-decoded); a
/// key without `=` has an empty value; empty pieces are skipped. Sorted by key.
fn first_query_values(query: &str) -> Vec<(&str, &str)> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        if !pairs.iter().any(|(seen, _)| *seen == key) {
            pairs.push((key, value));
        }
    }
    pairs.sort_by_key(|(key, _)| *key);
    pairs
}

/// Envoy's rule: textual iff no transfer-encoding other than `identity`, and a content-type of
/// exactly `application/json`, `application/javascript`, `application/xml`, or `text/*`. (So
/// `application/json; charset=utf-8` is base64-encoded, as in Envoy.)
pub fn is_textual(headers: &[(&[u8], &[u8])]) -> bool {
    let first = |wanted: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted.as_bytes()))
            .map(|(_, value)| *value)
    };
    if let Some(encoding) = first("transfer-encoding")
        && !encoding.eq_ignore_ascii_case(b"identity")
    {
        return false;
    }
    let Some(content_type) = first("content-type") else {
        return false;
    };
    let content_type = content_type.to_ascii_lowercase();
    matches!(
        content_type.as_slice(),
        b"application/json" | b"application/javascript" | b"application/xml"
    ) || content_type.starts_with(b"text/")
}

/// Writes `value` as a decimal `content-length`.
pub fn content_length(length: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    let _ = write!(out, "{length}");
    out
}
