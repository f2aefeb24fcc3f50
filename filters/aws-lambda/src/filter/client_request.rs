//! The client's request as the Envoy-mode event describes it, kept in the downstream stream's
//! filter state so every upstream attempt maps the same request.
//!
//! Why: in the cluster placement Envoy runs the filter once per attempt, and a retry hands the
//! next attempt the request headers the previous attempt rewrote in place (`POST` to the
//! invocation path, `application/json`, our `authorization` and `x-amz-security-token`).
//! Rendered from those, the event would describe the previous Invoke call and carry our
//! session token to the function. The first attempt therefore stores the rendered head, and
//! later attempts reuse it instead of reading the headers.

use crate::event::{EventHead, OriginalRequest};
use crate::target::LambdaTarget;
use dynagate_sdk::{HeaderMap, HttpHost, envoy_log};

/// Filter-state key of the stored event head (one `aws_lambda` filter per route).
pub(super) const CLIENT_REQUEST_STATE: &str = "dynagate.aws_lambda.client_request";

/// The event head of the client's request: the one an earlier attempt stored, else rendered
/// from the request headers (and stored for later attempts).
pub(super) fn event_head(host: &mut dyn HttpHost, target: &LambdaTarget) -> EventHead {
    let stored = host
        .filter_state(CLIENT_REQUEST_STATE)
        .map(EventHead::restore);
    if let Some(Some(head)) = stored {
        return head;
    }
    let head = render(host, target);
    // Envoy stores the value read-only: setting an existing key again is an error, so a
    // foreign value under the key is left alone.
    if stored.is_none() && !host.set_filter_state(CLIENT_REQUEST_STATE, &head.to_stored()) {
        envoy_log!(
            host,
            Debug,
            "aws_lambda: no filter state to keep the client request for retries"
        );
    }
    head
}

/// Renders the head from the request headers as they are now.
fn render(host: &mut dyn HttpHost, target: &LambdaTarget) -> EventHead {
    let map = HeaderMap::RequestHeaders;
    let rewritten = looks_rewritten(&*host, target);
    if rewritten {
        envoy_log!(
            host,
            Warn,
            "aws_lambda: request already rewritten by an earlier attempt and no stored original; \
             its credentials are left out of the event"
        );
    }
    let all = host.headers(map);
    // An earlier attempt's signature and session token are ours, never the client's: they must
    // not reach the function even when the original request is lost.
    let headers: Vec<(&[u8], &[u8])> = all
        .into_iter()
        .filter(|(name, _)| !(rewritten && is_credential_header(name)))
        .collect();
    let request = OriginalRequest {
        method: host.header(map, ":method").unwrap_or_default(),
        path: host.header(map, ":path").unwrap_or_default(),
        headers: &headers,
    };
    EventHead::new(&request)
}

/// True when the headers are this filter's own Invoke request (an earlier attempt's rewrite):
/// the invocation path with our invocation-type header.
fn looks_rewritten(host: &dyn HttpHost, target: &LambdaTarget) -> bool {
    let map = HeaderMap::RequestHeaders;
    host.header(map, ":path") == Some(target.path().as_bytes())
        && host.header(map, "x-amz-invocation-type") == Some(target.invocation_type().as_bytes())
}

/// Headers the rewrite drops from the client and the signer sets.
fn is_credential_header(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"authorization") || name.starts_with(b"x-amz-")
}
