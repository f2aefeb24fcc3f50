//! The fake's request handling: signature, operation, function and qualifier, invocation type,
//! payload, then the function's behaviour; every outcome is recorded.

use super::{FakeFunction, State};
use crate::testing::sigv4_verifier::ReceivedRequest;
use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
const INVOKE_SUFFIX: &str = "/invocations";

/// An invocation the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedInvocation {
    /// Function name.
    pub function: String,
    /// Qualifier it resolved to (`$LATEST` when none was given).
    pub qualifier: String,
    /// `RequestResponse`, `Event` or `DryRun`.
    pub invocation_type: String,
    /// The payload (what the filter sent as body).
    pub payload: Vec<u8>,
    /// Request headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The key that signed it.
    pub access_key_id: String,
    /// Headers covered by the signature.
    pub signed_headers: Vec<String>,
}

impl RecordedInvocation {
    /// First value of a request header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A request to the Invoke API exactly as it arrived, before any check: for re-verifying its
/// signature with another implementation (the e2e tests use botocore).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedInvoke {
    /// `POST`, ...
    pub method: String,
    /// The request target as sent (path and query, not decoded).
    pub path: String,
    /// Headers in arrival order, lowercase names (`host` added from `:authority` on HTTP/2).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A request the fake refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRequest {
    /// The request path.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// `x-amzn-errortype` answered.
    pub error_type: String,
    /// Human-readable reason.
    pub reason: String,
}

pub(super) type Answer = Response<Full<Bytes>>;

pub(super) fn answer(
    status: StatusCode,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn refuse(
    state: &State,
    path: &str,
    status: StatusCode,
    error_type: &str,
    reason: String,
) -> Answer {
    let body = json!({"Type": "User", "message": reason}).to_string();
    {
        let mut log = state.log();
        log.rejections.push(RejectedRequest {
            path: path.to_owned(),
            status: status.as_u16(),
            error_type: error_type.to_owned(),
            reason,
        });
    }
    state.handled.send_modify(|count| *count += 1);
    answer(
        status,
        &[
            ("content-type", "application/json"),
            ("x-amzn-errortype", error_type),
        ],
        body,
    )
}

/// Handles one request.
pub(super) async fn handle(state: &State, parts: &Parts, body: &[u8]) -> Answer {
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    if !headers.iter().any(|(name, _)| name == "host")
        && let Some(authority) = parts.uri.authority()
    {
        // HTTP/2 carries the host as :authority.
        headers.push(("host".to_owned(), authority.as_str().to_owned()));
    }

    if path == "/" && parts.method == hyper::Method::POST && state.web_identity.is_some() {
        return super::sts::handle(state, body);
    }
    state.log().received.push(ReceivedInvoke {
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        headers: headers.clone(),
        body: body.to_vec(),
    });
    let request = ReceivedRequest {
        method: parts.method.as_str(),
        path: &path,
        headers: &headers,
        body,
    };
    let verified = state.verifier().verify(&request, state.clock.now());
    let verified = match verified {
        Ok(verified) => verified,
        Err(rejection) => {
            return refuse(
                state,
                &path,
                StatusCode::FORBIDDEN,
                rejection.error_type(),
                rejection.to_string(),
            );
        }
    };

    let (target, query) = path.split_once('?').unwrap_or((&path, ""));
    let Some(identifier) = target
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix(INVOKE_SUFFIX))
        .filter(|_| parts.method == hyper::Method::POST)
    else {
        return refuse(
            state,
            &path,
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("unknown operation {} {target}", parts.method),
        );
    };
    let identifier = percent_decode(identifier);
    let query_qualifier = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("Qualifier="))
        .map(percent_decode);
    let (name, qualifier) = match parse_function(&identifier, &state.region, &state.account_id) {
        Ok(parsed) => parsed,
        Err(reason) => {
            return refuse(
                state,
                &path,
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                reason,
            );
        }
    };
    let qualifier = qualifier
        .or(query_qualifier)
        .unwrap_or_else(|| "$LATEST".to_owned());
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{name}:{qualifier}",
        state.region, state.account_id
    );
    let Some(entry) = state
        .functions
        .get(&name)
        .filter(|entry| entry.qualifiers.contains(&qualifier))
    else {
        return refuse(
            state,
            &path,
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Function not found: {arn}"),
        );
    };

    let invocation_type = request_header(&headers, "x-amz-invocation-type")
        .unwrap_or("RequestResponse")
        .to_owned();
    if !matches!(
        invocation_type.as_str(),
        "RequestResponse" | "Event" | "DryRun"
    ) {
        let reason = format!("invalid invocation type {invocation_type:?}");
        return refuse(
            state,
            &path,
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            reason,
        );
    }
    if !body.is_empty() && serde_json::from_slice::<serde_json::Value>(body).is_err() {
        let reason = "Could not parse request body into json".to_owned();
        return refuse(
            state,
            &path,
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            reason,
        );
    }

    let request_id = {
        let mut log = state.log();
        log.next_request_id += 1;
        log.invocations.push(RecordedInvocation {
            function: name.clone(),
            qualifier: qualifier.clone(),
            invocation_type: invocation_type.clone(),
            payload: body.to_vec(),
            headers: headers.clone(),
            access_key_id: verified.access_key_id,
            signed_headers: verified.signed_headers,
        });
        format!("fake-{}", log.next_request_id)
    };
    state.handled.send_modify(|count| *count += 1);

    let common = [
        ("x-amzn-requestid", request_id.as_str()),
        ("x-amz-executed-version", qualifier.as_str()),
    ];
    match invocation_type.as_str() {
        "Event" => answer(StatusCode::ACCEPTED, &common, Bytes::new()),
        "DryRun" => answer(StatusCode::NO_CONTENT, &common, Bytes::new()),
        _ => run(&entry.behaviour, &name, body, &common).await,
    }
}

fn run<'a>(
    behaviour: &'a FakeFunction,
    name: &'a str,
    payload: &'a [u8],
    common: &'a [(&'a str, &'a str)],
) -> Pin<Box<dyn Future<Output = Answer> + Send + 'a>> {
    Box::pin(async move {
        let with = |extra: &[(&'a str, &'a str)]| -> Vec<(&'a str, &'a str)> {
            let mut headers = common.to_vec();
            headers.extend_from_slice(extra);
            headers
        };
        let json = [("content-type", "application/json")];
        match behaviour {
            FakeFunction::Echo => {
                let output = json!({
                    "statusCode": 200,
                    "headers": {"content-type": "application/json", "x-fake-function": name},
                    "body": String::from_utf8_lossy(payload),
                });
                answer(StatusCode::OK, &with(&json), output.to_string())
            }
            FakeFunction::Mirror => {
                let event: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
                let output = json!({
                    "statusCode": 200,
                    "headers": {"content-type": "application/octet-stream"},
                    "body": event["body"],
                    "isBase64Encoded": event["is_base64_encoded"],
                });
                answer(StatusCode::OK, &with(&json), output.to_string())
            }
            FakeFunction::Returns(value) => answer(StatusCode::OK, &with(&json), value.to_string()),
            FakeFunction::Error(message) => {
                let output = json!({"errorMessage": message, "errorType": "Error"}).to_string();
                let headers = with(&[json[0], ("x-amz-function-error", "Unhandled")]);
                answer(StatusCode::OK, &headers, output)
            }
            FakeFunction::NotJson(text) => answer(StatusCode::OK, &with(&json), text.clone()),
            FakeFunction::Slow(delay, then) => {
                tokio::time::sleep(*delay).await;
                run(then, name, payload, common).await
            }
            FakeFunction::Throttled => {
                let output = json!({"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User", "message": "Rate Exceeded."});
                let headers = with(&[
                    json[0],
                    ("x-amzn-errortype", "TooManyRequestsException"),
                    ("retry-after", "1"),
                ]);
                answer(StatusCode::TOO_MANY_REQUESTS, &headers, output.to_string())
            }
        }
    })
}

fn request_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// `name[:qualifier]`, `account:function:name[:qualifier]` or the full ARN; region and account
/// of an ARN must be the fake's.
fn parse_function(
    identifier: &str,
    region: &str,
    account: &str,
) -> Result<(String, Option<String>), String> {
    let parts: Vec<&str> = identifier.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [
            "arn",
            _partition,
            "lambda",
            arn_region,
            arn_account,
            "function",
            name,
            rest @ ..,
        ] => {
            if *arn_region != region || *arn_account != account {
                return Err(format!(
                    "Function not found: {identifier} (this fake is {region}/{account})"
                ));
            }
            (*name, rest)
        }
        [arn_account, "function", name, rest @ ..] => {
            if *arn_account != account {
                return Err(format!("Function not found: {identifier}"));
            }
            (*name, rest)
        }
        [name, rest @ ..] => (*name, rest),
        [] => return Err("empty function name".to_owned()),
    };
    match qualifier {
        [] => Ok((name.to_owned(), None)),
        [qualifier] => Ok((name.to_owned(), Some((*qualifier).to_owned()))),
        _ => Err(format!("malformed function name {identifier:?}")),
    }
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let decoded = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = decoded {
            out.push(byte);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
