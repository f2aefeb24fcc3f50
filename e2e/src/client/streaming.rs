//! A request whose body the test pushes chunk by chunk, observing Envoy between chunks.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use hyper::body::Frame;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{HttpConnection, HttpRequest, HttpResponse};
use crate::HarnessError;
use crate::body;

/// An exchange in progress: headers sent, body open. Dropping it aborts the exchange.
pub struct StreamingRequest {
    what: String,
    frames: Option<mpsc::Sender<Frame<Bytes>>>,
    exchange: JoinHandle<Result<HttpResponse, HarnessError>>,
}

impl StreamingRequest {
    pub(super) fn start(mut connection: HttpConnection, request: HttpRequest) -> Self {
        let what = request.describe(connection.addr);
        // Room for one frame: `send_chunk` returns once the connection has taken the previous one.
        let (frames, receiver) = mpsc::channel(1);
        let body = body::channel(receiver);
        let exchange = tokio::spawn(async move { connection.exchange(request, body).await });
        Self {
            what,
            frames: Some(frames),
            exchange,
        }
    }

    /// Sends one body chunk. Fails when the exchange already ended (e.g. Envoy answered early or reset).
    pub async fn send_chunk(&mut self, chunk: impl Into<Bytes>) -> Result<(), HarnessError> {
        self.send_frame(Frame::data(chunk.into())).await
    }

    /// Ends the body and reads the whole response.
    pub async fn finish(mut self) -> Result<HttpResponse, HarnessError> {
        self.frames = None;
        self.await_response().await
    }

    /// Ends the body with trailers and reads the whole response. The request must declare them in a
    /// `trailer` header (`.header("trailer", "x-checksum")`): the HTTP/1 encoder drops undeclared trailers.
    pub async fn finish_with_trailers(
        mut self,
        trailers: &[(&str, &str)],
    ) -> Result<HttpResponse, HarnessError> {
        let mut map = HeaderMap::new();
        for (name, value) in trailers {
            let parsed = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            );
            let (Ok(header_name), Ok(header_value)) = parsed else {
                return Err(HarnessError::Http {
                    what: self.what.clone(),
                    detail: format!("invalid trailer {name}: {value}"),
                });
            };
            map.append(header_name, header_value);
        }
        self.send_frame(Frame::trailers(map)).await?;
        self.finish().await
    }

    /// Reads the response while the body stays open (for an answer that comes before the body ends).
    pub async fn response(mut self) -> Result<HttpResponse, HarnessError> {
        self.await_response().await
    }

    async fn send_frame(&mut self, frame: Frame<Bytes>) -> Result<(), HarnessError> {
        let sent = match &self.frames {
            Some(frames) => frames.send(frame).await.is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(HarnessError::Http {
                what: self.what.clone(),
                detail: "the request body is closed: the exchange already ended".to_owned(),
            })
        }
    }

    async fn await_response(&mut self) -> Result<HttpResponse, HarnessError> {
        match (&mut self.exchange).await {
            Ok(result) => result,
            Err(join) => Err(HarnessError::Http {
                what: self.what.clone(),
                detail: format!("the exchange task failed: {join}"),
            }),
        }
    }
}

impl Drop for StreamingRequest {
    fn drop(&mut self) {
        self.exchange.abort();
    }
}
