//! A small HTTP/1.1 client for tests: any method, raw headers, body framing under the test's control, and
//! responses with multi-valued headers.

mod response;
mod streaming;

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, header};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

pub use response::HttpResponse;
pub use streaming::StreamingRequest;

use crate::HarnessError;
use crate::body::{self, BoxedBody};

/// How long one exchange (connect, send, read the whole response) may take.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A request to send: build it, then [`HttpRequest::send`] it (or [`crate::Envoy::send`]).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: RequestBody,
    timeout: Duration,
}

#[derive(Debug, Clone)]
enum RequestBody {
    Empty,
    Full(Bytes),
    Chunks(Vec<Bytes>),
}

impl HttpRequest {
    /// `method target` (`target` is the path and query, e.g. `/a?b=c`).
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: RequestBody::Empty,
            timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// `GET target`.
    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }

    /// `POST target`.
    pub fn post(target: &str) -> Self {
        Self::new("POST", target)
    }

    /// Appends a header (repeat the name for several values). `host` defaults to `localhost`.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// A body sent with `content-length`.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = RequestBody::Full(body.into());
        self
    }

    /// A JSON body with `content-type: application/json`.
    pub fn json(self, value: &serde_json::Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }

    /// A body sent with `transfer-encoding: chunked`, one wire chunk per item, each flushed separately.
    /// (Envoy may still read several chunks at once; use [`HttpRequest::stream`] to pace them.)
    pub fn chunked_body<C: Into<Bytes>>(mut self, chunks: impl IntoIterator<Item = C>) -> Self {
        self.body = RequestBody::Chunks(chunks.into_iter().map(Into::into).collect());
        self
    }

    /// Overrides [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the request on a fresh connection to `addr` and reads the whole response.
    pub async fn send(self, addr: SocketAddr) -> Result<HttpResponse, HarnessError> {
        HttpConnection::open(addr).await?.send(self).await
    }

    /// Sends the headers on a fresh connection to `addr`; the body is pushed chunk by chunk through the
    /// returned [`StreamingRequest`]. Any body set on this request is ignored.
    pub async fn stream(self, addr: SocketAddr) -> Result<StreamingRequest, HarnessError> {
        let connection = HttpConnection::open(addr).await?;
        Ok(StreamingRequest::start(connection, self))
    }

    /// `METHOD addr target`, for error messages.
    fn describe(&self, addr: SocketAddr) -> String {
        format!("{} {addr}{}", self.method, self.target)
    }

    /// The hyper request with `body` (this request's own body is not used).
    fn into_hyper(self, body: BoxedBody) -> Result<Request<BoxedBody>, String> {
        let method = Method::from_bytes(self.method.as_bytes()).map_err(|err| err.to_string())?;
        let mut request = Request::builder()
            .method(method)
            .uri(&self.target)
            .body(body)
            .map_err(|err| err.to_string())?;
        let headers = request.headers_mut();
        for (name, value) in self.headers {
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|err| format!("{name}: {err}"))?;
            let value = HeaderValue::from_bytes(&value).map_err(|err| format!("{name}: {err}"))?;
            headers.append(name, value);
        }
        // HTTP/1.1 requires a host; hyper's connection-level client does not add one.
        if !headers.contains_key(header::HOST) {
            headers.insert(header::HOST, HeaderValue::from_static("localhost"));
        }
        Ok(request)
    }
}

/// One client connection, for several requests over the same keep-alive connection.
pub struct HttpConnection {
    addr: SocketAddr,
    sender: SendRequest<BoxedBody>,
    driver: JoinHandle<()>,
}

impl HttpConnection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> Result<Self, HarnessError> {
        let what = format!("connect {addr}");
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|err| HarnessError::io(&what, err))?;
        stream
            .set_nodelay(true)
            .map_err(|err| HarnessError::io(&what, err))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| http_error(&what, &err))?;
        // The connection's I/O runs beside the test; it ends when the peer closes or this is dropped.
        let driver = tokio::spawn(async move {
            let _closed = connection.await;
        });
        Ok(Self {
            addr,
            sender,
            driver,
        })
    }

    /// Sends `request` on this connection and reads the whole response.
    pub async fn send(&mut self, request: HttpRequest) -> Result<HttpResponse, HarnessError> {
        let body = match &request.body {
            RequestBody::Empty => body::empty(),
            RequestBody::Full(bytes) => body::full(bytes.clone()),
            RequestBody::Chunks(chunks) => body::paced(chunks.iter().cloned()),
        };
        self.exchange(request, body).await
    }

    /// Sends `request` (its head) with `body`, and reads the whole response within the request's timeout.
    async fn exchange(
        &mut self,
        request: HttpRequest,
        body: BoxedBody,
    ) -> Result<HttpResponse, HarnessError> {
        let what = request.describe(self.addr);
        let timeout = request.timeout;
        let request = request
            .into_hyper(body)
            .map_err(|detail| HarnessError::Http {
                what: what.clone(),
                detail,
            })?;
        let exchange = async {
            self.sender
                .ready()
                .await
                .map_err(|err| http_error(&what, &err))?;
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|err| http_error(&what, &err))?;
            HttpResponse::read(response, &what).await
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_elapsed| HarnessError::Timeout {
                what: format!("the response to {what}"),
                waited: timeout,
                detail: String::new(),
            })?
    }
}

impl Drop for HttpConnection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// A transport or protocol error with its whole source chain (hyper's top-level message is terse).
pub(crate) fn http_error(what: &str, err: &(dyn StdError + 'static)) -> HarnessError {
    let mut detail = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    HarnessError::Http {
        what: what.to_owned(),
        detail,
    }
}
