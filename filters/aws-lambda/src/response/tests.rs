use super::*;
use dynagate_config::aws_lambda::{InvocationMode::*, PayloadTransformMode::*};

#[test]
fn only_successful_sync_envoy_mode_answers_with_a_body_are_unwrapped() {
    assert_eq!(
        plan(Envoy, Sync, Some(200), false, false),
        ResponsePlan::Unwrap
    );
    assert_eq!(
        plan(Envoy, Sync, Some(299), false, false),
        ResponsePlan::Unwrap
    );
    for (transform, mode, status, function_error, end) in [
        (Envoy, Sync, Some(300), false, false),
        (Envoy, Sync, Some(404), false, false),
        (Envoy, Sync, Some(429), false, false),
        (Envoy, Sync, Some(500), false, false),
        (Envoy, Sync, Some(200), true, false),
        (Envoy, Sync, Some(200), false, true),
        (Envoy, Sync, None, false, false),
        (Envoy, Async, Some(202), false, false),
        (Passthrough, Sync, Some(200), false, false),
    ] {
        assert_eq!(
            plan(transform, mode, status, function_error, end),
            ResponsePlan::PassThrough,
            "{transform:?} {mode:?} {status:?} error={function_error} eos={end}"
        );
    }
}

#[test]
fn full_response_is_decoded() {
    let response = decode_function_response(
        br#"{"statusCode":201,"headers":{"X-Custom":"a","content-type":"text/plain",":status":"999"},
             "cookies":["a=1; Path=/","b=2"],"body":"created","isBase64Encoded":false,"extra":{"ignored":true}}"#,
    )
    .unwrap();
    assert_eq!(
        response,
        FunctionResponse {
            status: Some(201),
            headers: vec![
                ("content-type".into(), "text/plain".into()),
                ("x-custom".into(), "a".into())
            ],
            cookies: vec!["a=1; Path=/".into(), "b=2".into()],
            body: b"created".to_vec(),
        }
    );
}

#[test]
fn snake_case_and_string_status_are_accepted() {
    let response = decode_function_response(
        br#"{"status_code":"418","body":"AAEC/w==","is_base64_encoded":true}"#,
    )
    .unwrap();
    assert_eq!(response.status, Some(418));
    assert_eq!(response.body, [0, 1, 2, 255]);
}

#[test]
fn empty_object_keeps_lambdas_status_and_gives_an_empty_body() {
    let response = decode_function_response(b"{}").unwrap();
    assert_eq!(response, FunctionResponse::default());
    let zero = decode_function_response(br#"{"statusCode":0,"headers":null,"body":null}"#).unwrap();
    assert_eq!(zero.status, None);
}

#[test]
fn non_json_and_wrong_shapes_are_errors() {
    for answer in [
        &b"not json"[..],
        b"",
        b"[1,2]",
        b"[]",
        b"null",
        b"\"text\"",
        br#"{"body":{"nested":1}}"#,
        br#"{"headers":{"x":1}}"#,
    ] {
        assert!(
            matches!(
                decode_function_response(answer),
                Err(InvalidFunctionResponse::NotJson(_))
            ),
            "{}",
            String::from_utf8_lossy(answer)
        );
    }
}

#[test]
fn bad_status_base64_and_headers_are_errors() {
    assert_eq!(
        decode_function_response(br#"{"statusCode":1000}"#),
        Err(InvalidFunctionResponse::Status(1000))
    );
    assert_eq!(
        decode_function_response(br#"{"statusCode":-1}"#),
        Err(InvalidFunctionResponse::Status(-1))
    );
    assert_eq!(
        decode_function_response(br#"{"body":"!!","isBase64Encoded":true}"#),
        Err(InvalidFunctionResponse::Base64)
    );
    assert!(matches!(
        decode_function_response(br#"{"headers":{"bad name":"x"}}"#),
        Err(InvalidFunctionResponse::Header(_))
    ));
    assert!(matches!(
        decode_function_response(br#"{"headers":{"x":"a\r\nInjected: 1"}}"#),
        Err(InvalidFunctionResponse::Header(_))
    ));
    let cookie = decode_function_response(br#"{"cookies":["session=secret\nx"]}"#).unwrap_err();
    assert!(!cookie.to_string().contains("secret"), "{cookie}");
}
