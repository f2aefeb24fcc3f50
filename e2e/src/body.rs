//! Bodies whose framing tests control: one wire chunk per frame, or frames pushed by the test as it goes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

/// The one body type the client and the echo upstream send.
pub(crate) type BoxedBody = UnsyncBoxBody<Bytes, Infallible>;

pub(crate) fn empty() -> BoxedBody {
    Empty::new().boxed_unsync()
}

pub(crate) fn full(bytes: Bytes) -> BoxedBody {
    Full::new(bytes).boxed_unsync()
}

/// A chunked body that yields to the connection between frames, so each frame is flushed as its own
/// chunk instead of being coalesced into one write.
pub(crate) fn paced(chunks: impl IntoIterator<Item = Bytes>) -> BoxedBody {
    // An empty chunk would read as the terminating chunk on the wire.
    let chunks = chunks
        .into_iter()
        .filter(|chunk| !chunk.is_empty())
        .collect();
    PacedChunks {
        chunks,
        yielded: false,
    }
    .boxed_unsync()
}

/// A chunked body fed frame by frame by a test (see [`crate::StreamingRequest`]).
pub(crate) fn channel(frames: mpsc::Receiver<Frame<Bytes>>) -> BoxedBody {
    ChannelBody { frames }.boxed_unsync()
}

struct PacedChunks {
    chunks: VecDeque<Bytes>,
    yielded: bool,
}

impl Body for PacedChunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.chunks.is_empty() {
            return Poll::Ready(None);
        }
        // Returning Pending once makes hyper flush what it has written so far before the next frame.
        if !this.yielded {
            this.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.yielded = false;
        Poll::Ready(this.chunks.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }
}

struct ChannelBody {
    frames: mpsc::Receiver<Frame<Bytes>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .frames
            .poll_recv(cx)
            .map(|frame| frame.map(Ok))
    }
}
