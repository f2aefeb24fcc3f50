//! One Invoke call, response side: pass Lambda's answer through, or unwrap the function's JSON
//! into the HTTP response (`payloadTransformMode: Envoy`, sync, 2xx, no function error).

use super::invocation::{Hook, replace_body};
use crate::event::content_length;
use crate::response::{FunctionResponse, ResponsePlan, decode_function_response, plan};
use dynagate_config::aws_lambda::{InvocationMode, PayloadTransformMode};
use dynagate_sdk::{
    BodyStatus, Direction, HeaderMap, HeadersStatus, HttpHost, TrailersStatus, envoy_log,
};

/// The response side of one Invoke call.
#[derive(Debug)]
pub(in crate::filter) struct ResponseSide {
    transform: PayloadTransformMode,
    mode: InvocationMode,
    plan: ResponsePlan,
}

impl ResponseSide {
    pub(super) const fn new(transform: PayloadTransformMode, mode: InvocationMode) -> Self {
        Self {
            transform,
            mode,
            plan: ResponsePlan::PassThrough,
        }
    }

    pub(in crate::filter) fn on_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let map = HeaderMap::ResponseHeaders;
        let status = host
            .header_str(map, ":status")
            .and_then(|status| status.parse().ok());
        let function_error = host.header(map, "x-amz-function-error").is_some();
        self.plan = plan(
            self.transform,
            self.mode,
            status,
            function_error,
            end_of_stream,
        );
        match self.plan {
            ResponsePlan::Unwrap => HeadersStatus::StopIteration,
            ResponsePlan::PassThrough => HeadersStatus::Continue,
        }
    }

    pub(in crate::filter) fn on_body(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> BodyStatus {
        match self.plan {
            ResponsePlan::PassThrough => BodyStatus::Continue,
            ResponsePlan::Unwrap if !end_of_stream => BodyStatus::StopIterationAndBuffer,
            ResponsePlan::Unwrap => {
                self.unwrap(host, Hook::Body);
                BodyStatus::Continue
            }
        }
    }

    pub(in crate::filter) fn on_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        if self.plan == ResponsePlan::Unwrap {
            self.unwrap(host, Hook::Other);
        }
        TrailersStatus::Continue
    }

    fn unwrap(&mut self, host: &mut dyn HttpHost, hook: Hook) {
        self.plan = ResponsePlan::PassThrough;
        let answer = host.whole_body(Direction::Response);
        match decode_function_response(&answer) {
            Ok(response) => apply(host, hook, &response),
            Err(error) => {
                envoy_log!(host, Debug, "aws_lambda: {error}");
                let body = format!("aws_lambda: {error}\n");
                replace(host, hook, 500, "text/plain", body.as_bytes());
            }
        }
    }
}

fn apply(host: &mut dyn HttpHost, hook: Hook, response: &FunctionResponse) {
    let map = HeaderMap::ResponseHeaders;
    // JSON unless the function says otherwise.
    host.set_header(map, "content-type", b"application/json");
    for (name, value) in &response.headers {
        host.set_header(map, name, value.as_bytes());
    }
    for cookie in &response.cookies {
        host.add_header(map, "set-cookie", cookie.as_bytes());
    }
    if let Some(status) = response.status {
        host.set_header(map, ":status", status.to_string().as_bytes());
    }
    replace_body(host, Direction::Response, hook, &response.body);
    host.remove_header(map, "transfer-encoding");
    host.set_header(map, "content-length", &content_length(response.body.len()));
}

fn replace(host: &mut dyn HttpHost, hook: Hook, status: u16, content_type: &str, body: &[u8]) {
    let map = HeaderMap::ResponseHeaders;
    host.set_header(map, ":status", status.to_string().as_bytes());
    host.set_header(map, "content-type", content_type.as_bytes());
    replace_body(host, Direction::Response, hook, body);
    host.remove_header(map, "transfer-encoding");
    host.set_header(map, "content-length", &content_length(body.len()));
}
