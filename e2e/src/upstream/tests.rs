//! The echo upstream on its own, spoken to directly by the client (no Envoy).

use super::echo::split;
use crate::{EchoUpstream, HttpConnection, HttpRequest};
use bytes::Bytes;

#[tokio::test]
async fn echoes_method_target_every_header_value_and_body() {
    let upstream = EchoUpstream::start().await.unwrap();
    let response = HttpRequest::new("PUT", "/a/b?c=d&e")
        .header("x-multi", "one")
        .header("x-multi", "two")
        .header("x-single", "solo")
        .body("payload")
        .send(upstream.addr())
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let echoed = response.echo().unwrap();
    assert_eq!(echoed.method, "PUT");
    assert_eq!(echoed.path, "/a/b?c=d&e");
    assert_eq!(echoed.header_values("X-Multi"), ["one", "two"]);
    assert_eq!(echoed.header("x-single"), Some("solo"));
    assert_eq!(echoed.body, "payload");
    assert!(!echoed.body_base64);
    assert_eq!(upstream.requests(), [echoed]);
    assert_eq!(upstream.request_count(), 1);
}

#[tokio::test]
async fn a_binary_body_is_echoed_as_base64() {
    let upstream = EchoUpstream::start().await.unwrap();
    let bytes = vec![0xff, 0x00, 0xfe, b'a'];
    let response = HttpRequest::post("/")
        .body(bytes.clone())
        .send(upstream.addr())
        .await
        .unwrap();

    let echoed = response.echo().unwrap();
    assert!(echoed.body_base64);
    assert_eq!(echoed.body_bytes(), bytes);
}

#[tokio::test]
async fn control_headers_set_status_headers_and_body() {
    let upstream = EchoUpstream::start().await.unwrap();
    let response = HttpRequest::get("/")
        .header("x-echo-status", "418")
        .header("x-echo-response-header", "x-out: first")
        .header("x-echo-response-header", "x-out: second")
        .header("x-echo-body", "fixed")
        .send(upstream.addr())
        .await
        .unwrap();

    assert_eq!(response.status, 418);
    assert_eq!(response.header_values("x-out"), ["first", "second"]);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(response.text(), "fixed");
}

#[tokio::test]
async fn a_malformed_control_header_is_answered_with_400_saying_why() {
    let upstream = EchoUpstream::start().await.unwrap();
    let response = HttpRequest::get("/")
        .header("x-echo-chunked", "zero")
        .send(upstream.addr())
        .await
        .unwrap();

    assert_eq!(response.status, 400);
    assert!(
        response.text().contains("x-echo-chunked"),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn a_chunked_answer_arrives_in_that_many_chunks() {
    let upstream = EchoUpstream::start().await.unwrap();
    let response = HttpRequest::get("/")
        .header("x-echo-chunked", "3")
        .header("x-echo-body", "abcdefgh")
        .send(upstream.addr())
        .await
        .unwrap();

    assert_eq!(response.text(), "abcdefgh");
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.body_frames, 3);
}

#[tokio::test]
async fn a_chunked_request_body_is_counted_in_chunks() {
    let upstream = EchoUpstream::start().await.unwrap();
    let response = HttpRequest::post("/")
        .chunked_body(["one", "two", "three"])
        .send(upstream.addr())
        .await
        .unwrap();

    let echoed = response.echo().unwrap();
    assert_eq!(echoed.body, "onetwothree");
    assert_eq!(echoed.body_chunks, 3);
    assert_eq!(echoed.header("transfer-encoding"), Some("chunked"));
    assert_eq!(upstream.body_bytes_received(), "onetwothree".len());
}

#[tokio::test]
async fn streamed_chunks_and_trailers_reach_the_upstream_as_they_are_sent() {
    let upstream = EchoUpstream::start().await.unwrap();
    let mut request = HttpRequest::post("/stream")
        .header("trailer", "x-trailer")
        .stream(upstream.addr())
        .await
        .unwrap();

    request.send_chunk("first").await.unwrap();
    upstream.wait_for_body_bytes(5).await.unwrap();
    assert_eq!(upstream.request_count(), 0, "the request is still open");
    request.send_chunk("second").await.unwrap();
    let response = request
        .finish_with_trailers(&[("x-trailer", "t")])
        .await
        .unwrap();

    let echoed = response.echo().unwrap();
    assert_eq!(echoed.body, "firstsecond");
    assert_eq!(echoed.body_chunks, 2);
    assert_eq!(echoed.trailers, [("x-trailer".to_owned(), "t".to_owned())]);
}

#[tokio::test]
async fn waiting_for_requests_sees_requests_from_other_tasks() {
    let upstream = EchoUpstream::start().await.unwrap();
    let addr = upstream.addr();
    let sender = tokio::spawn(async move {
        for path in ["/1", "/2"] {
            HttpRequest::get(path).send(addr).await.unwrap();
        }
    });

    let seen = upstream.wait_for_requests(2).await.unwrap();
    let paths: Vec<&str> = seen.iter().map(|request| request.path.as_str()).collect();
    assert_eq!(paths, ["/1", "/2"]);
    sender.await.unwrap();
}

#[test]
fn split_cuts_into_at_most_count_nonempty_chunks_covering_the_content() {
    let content = Bytes::from_static(b"abcdefghij");
    assert_eq!(split(&content, 3), ["abcd", "efgh", "ij"]);
    assert_eq!(split(&content, 1), ["abcdefghij"]);
    assert_eq!(split(&Bytes::from_static(b"ab"), 5), ["a", "b"]);
    assert!(split(&Bytes::new(), 4).is_empty());
}

#[tokio::test]
async fn one_connection_carries_several_requests() {
    let upstream = EchoUpstream::start().await.unwrap();
    let mut connection = HttpConnection::open(upstream.addr()).await.unwrap();

    for path in ["/first", "/second"] {
        let response = connection.send(HttpRequest::get(path)).await.unwrap();
        assert_eq!(response.echo().unwrap().path, path);
    }
    assert_eq!(upstream.request_count(), 2);
}
