//! Small vocabulary types of the HTTP filter API: header maps, body buffers, hook statuses.

use dynagate_abi as abi;

/// Which way data flows through the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Downstream -> upstream (decoding).
    Request,
    /// Upstream -> downstream (encoding).
    Response,
}

/// One of the four header maps of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderMap {
    /// Request headers, including `:method`, `:path`, `:authority`, `:scheme`.
    RequestHeaders,
    /// Request trailers (only during `on_request_trailers`).
    RequestTrailers,
    /// Response headers, including `:status`.
    ResponseHeaders,
    /// Response trailers (only during `on_response_trailers`).
    ResponseTrailers,
}

impl HeaderMap {
    pub(crate) const fn to_abi(self) -> abi::HttpHeaderType {
        match self {
            Self::RequestHeaders => abi::HttpHeaderType::REQUEST_HEADER,
            Self::RequestTrailers => abi::HttpHeaderType::REQUEST_TRAILER,
            Self::ResponseHeaders => abi::HttpHeaderType::RESPONSE_HEADER,
            Self::ResponseTrailers => abi::HttpHeaderType::RESPONSE_TRAILER,
        }
    }
}

/// A body buffer of a stream. *Received* is the data of the current body event (only inside
/// `on_*_body`); *buffered* is what this filter chain has buffered so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyBuffer {
    /// The request data of the current `on_request_body` event.
    ReceivedRequest,
    /// The request data buffered so far.
    BufferedRequest,
    /// The response data of the current `on_response_body` event.
    ReceivedResponse,
    /// The response data buffered so far.
    BufferedResponse,
}

impl BodyBuffer {
    /// The received buffer of `direction`.
    pub const fn received(direction: Direction) -> Self {
        match direction {
            Direction::Request => Self::ReceivedRequest,
            Direction::Response => Self::ReceivedResponse,
        }
    }

    /// The buffered buffer of `direction`.
    pub const fn buffered(direction: Direction) -> Self {
        match direction {
            Direction::Request => Self::BufferedRequest,
            Direction::Response => Self::BufferedResponse,
        }
    }

    /// The direction this buffer belongs to.
    pub const fn direction(self) -> Direction {
        match self {
            Self::ReceivedRequest | Self::BufferedRequest => Direction::Request,
            Self::ReceivedResponse | Self::BufferedResponse => Direction::Response,
        }
    }

    pub(crate) const fn to_abi(self) -> abi::HttpBodyType {
        match self {
            Self::ReceivedRequest => abi::HttpBodyType::RECEIVED_REQUEST_BODY,
            Self::BufferedRequest => abi::HttpBodyType::BUFFERED_REQUEST_BODY,
            Self::ReceivedResponse => abi::HttpBodyType::RECEIVED_RESPONSE_BODY,
            Self::BufferedResponse => abi::HttpBodyType::BUFFERED_RESPONSE_BODY,
        }
    }
}

/// Where metadata is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetadataSource {
    /// The stream's dynamic metadata (what filters write).
    Dynamic,
    /// The matched route's metadata.
    Route,
    /// The upstream cluster's metadata.
    Cluster,
    /// The upstream host's metadata.
    Host,
    /// The upstream host locality's metadata.
    HostLocality,
}

impl MetadataSource {
    pub(crate) const fn to_abi(self) -> abi::MetadataSource {
        match self {
            Self::Dynamic => abi::MetadataSource::DYNAMIC,
            Self::Route => abi::MetadataSource::ROUTE,
            Self::Cluster => abi::MetadataSource::CLUSTER,
            Self::Host => abi::MetadataSource::HOST,
            Self::HostLocality => abi::MetadataSource::HOST_LOCALITY,
        }
    }
}

/// What a headers hook tells Envoy (`FilterHeadersStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeadersStatus {
    /// Pass the headers on.
    Continue,
    /// Hold the headers; body events still arrive. Resume with `continue_request/response`.
    StopIteration,
    /// Pass the headers on but keep the stream open even if they ended it.
    ContinueAndDontEndStream,
    /// Hold headers and buffer body and trailers until resumed.
    StopAllIterationAndBuffer,
    /// Hold headers; apply watermark flow control instead of buffering.
    StopAllIterationAndWatermark,
}

impl HeadersStatus {
    pub(crate) const fn to_abi(self) -> abi::HeadersStatus {
        match self {
            Self::Continue => abi::HeadersStatus::CONTINUE,
            Self::StopIteration => abi::HeadersStatus::STOP_ITERATION,
            Self::ContinueAndDontEndStream => abi::HeadersStatus::CONTINUE_AND_DONT_END_STREAM,
            Self::StopAllIterationAndBuffer => abi::HeadersStatus::STOP_ALL_ITERATION_AND_BUFFER,
            Self::StopAllIterationAndWatermark => {
                abi::HeadersStatus::STOP_ALL_ITERATION_AND_WATERMARK
            }
        }
    }

    /// Whether the headers go on to the next filter now.
    pub const fn continues(self) -> bool {
        matches!(self, Self::Continue | Self::ContinueAndDontEndStream)
    }
}

/// What a body hook tells Envoy (`FilterDataStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyStatus {
    /// Pass the data on (together with anything buffered so far).
    Continue,
    /// Keep the data in the buffered body and wait for more (subject to the buffer limit).
    StopIterationAndBuffer,
    /// Keep the data buffered but apply watermark flow control.
    StopIterationAndWatermark,
    /// Hold the data without buffering it.
    StopIterationNoBuffer,
}

impl BodyStatus {
    pub(crate) const fn to_abi(self) -> abi::BodyStatus {
        match self {
            Self::Continue => abi::BodyStatus::CONTINUE,
            Self::StopIterationAndBuffer => abi::BodyStatus::STOP_ITERATION_AND_BUFFER,
            Self::StopIterationAndWatermark => abi::BodyStatus::STOP_ITERATION_AND_WATERMARK,
            Self::StopIterationNoBuffer => abi::BodyStatus::STOP_ITERATION_NO_BUFFER,
        }
    }
}

/// What a trailers hook tells Envoy (`FilterTrailersStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrailersStatus {
    /// Pass the trailers on.
    Continue,
    /// Hold the trailers until resumed.
    StopIteration,
}

impl TrailersStatus {
    pub(crate) const fn to_abi(self) -> abi::TrailersStatus {
        match self {
            Self::Continue => abi::TrailersStatus::CONTINUE,
            Self::StopIteration => abi::TrailersStatus::STOP_ITERATION,
        }
    }
}
