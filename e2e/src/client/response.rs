//! A response read in full: status, every header value, body, how it was framed, trailers.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::de::DeserializeOwned;

use super::http_error;
use crate::{EchoedRequest, HarnessError};

/// What came back.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code (compares with integers: `response.status == 200`).
    pub status: StatusCode,
    /// All headers, every value kept.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// How many non-empty data frames the body arrived in (chunks, for a chunked response).
    pub body_frames: usize,
    /// Trailers, when the response had any.
    pub trailers: Option<HeaderMap>,
}

impl HttpResponse {
    pub(crate) async fn read(
        response: hyper::Response<Incoming>,
        what: &str,
    ) -> Result<Self, HarnessError> {
        let (parts, mut incoming) = response.into_parts();
        let mut body = BytesMut::new();
        let mut body_frames = 0;
        let mut trailers = None;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|err| http_error(&format!("body of {what}"), &err))?;
            match frame.into_data() {
                Ok(data) => {
                    if !data.is_empty() {
                        body_frames += 1;
                        body.extend_from_slice(&data);
                    }
                }
                Err(frame) => trailers = frame.into_trailers().ok(),
            }
        }
        Ok(Self {
            status: parts.status,
            headers: parts.headers,
            body: body.freeze(),
            body_frames,
            trailers,
        })
    }

    /// The first value of header `name`, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `content-length` header as a number, when present and well formed.
    pub fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.parse().ok()
    }

    /// Every value of header `name`, in order (non-printable values are skipped).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HarnessError> {
        serde_json::from_slice(&self.body).map_err(|err| HarnessError::Unexpected {
            what: format!("{} response body", self.status),
            detail: format!("{err}; body: {}", self.text()),
        })
    }

    /// The request as the echo upstream saw it (the body of an echo response).
    pub fn echo(&self) -> Result<EchoedRequest, HarnessError> {
        self.json()
    }
}
