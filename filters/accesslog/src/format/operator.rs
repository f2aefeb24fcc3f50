//! Command operators: their argument syntax (checked once at config load, with Envoy's rules
//! and messages) and their value for one request.

use super::FormatError;
use super::parse::Command;
use super::time::TimeFormat;
use super::value::{Rewrite, Value};
use crate::entry::{HeaderSource, LogEntry, MetadataValue, SocketAddress};
use std::time::Duration;

/// A compiled command operator.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operator {
    /// `%REQ(h?alt)%`, `%RESP(...)%`, `%TRAILER(...)%`, `%REQ_WITHOUT_QUERY(...)%`.
    Header {
        source: HeaderSource,
        main: Box<str>,
        alternative: Option<Box<str>>,
        strip_query: bool,
    },
    StartTime(TimeFormat),
    Protocol,
    ResponseCode,
    ResponseCodeDetails {
        keep_whitespace: bool,
    },
    ResponseFlags {
        long: bool,
    },
    BytesReceived,
    BytesSent,
    Duration(Span),
    UpstreamHost,
    UpstreamCluster,
    UpstreamLocalAddress,
    UpstreamTransportFailureReason,
    DownstreamRemoteAddress {
        port: bool,
    },
    DownstreamLocalAddress {
        port: bool,
    },
    RouteName,
    /// Resolved once at config load, as Envoy does.
    Hostname(Option<Box<[u8]>>),
    ConnectionTerminationDetails,
    RequestedServerName,
    DynamicMetadata {
        namespace: Box<str>,
        path: Box<str>,
    },
    FilterState {
        key: Box<str>,
    },
}

/// Which duration a duration operator prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// `%DURATION%`: start to stream completion.
    Total,
    /// `%REQUEST_DURATION%`: start to the last request byte.
    Request,
    /// `%RESPONSE_DURATION%`: start to the first upstream response byte.
    Response,
    /// `%RESPONSE_TX_DURATION%`: first upstream response byte to the last byte sent downstream.
    ResponseTx,
}

/// How an operator takes arguments (Envoy's `CommandSyntaxChecker`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// No params, no length.
    Bare,
    /// Optional params, no length.
    OptionalParams,
    /// Params required, length allowed.
    ParamsAndLength,
}

/// Envoy operators this logger does not implement: named "not supported yet" rather than
/// "unknown", so a manifest valid for Envoy gets an honest message.
const NOT_SUPPORTED_YET: &str = "\
    BYTES_RETRANSMITTED CEL CLUSTER_METADATA COMMON_DURATION CONNECTION_ID CUSTOM_FLAGS \
    DOWNSTREAM_DIRECT_LOCAL_ADDRESS DOWNSTREAM_DIRECT_REMOTE_ADDRESS \
    DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT DOWNSTREAM_HANDSHAKE_DURATION \
    DOWNSTREAM_LOCAL_PORT DOWNSTREAM_PEER_CERT DOWNSTREAM_PEER_SUBJECT \
    DOWNSTREAM_REMOTE_PORT DOWNSTREAM_TLS_CIPHER DOWNSTREAM_TLS_VERSION \
    DOWNSTREAM_TRANSPORT_FAILURE_REASON DOWNSTREAM_WIRE_BYTES_RECEIVED \
    DOWNSTREAM_WIRE_BYTES_SENT EMIT_TIME ENVIRONMENT FILTER_CHAIN_NAME GRPC_STATUS \
    GRPC_STATUS_NUMBER LOCAL_REPLY_BODY METADATA PACKETS_RETRANSMITTED REQUEST_HEADERS_BYTES \
    REQUEST_TX_DURATION RESPONSE_HEADERS_BYTES RESPONSE_TRAILERS_BYTES ROUNDTRIP_DURATION \
    START_TIME_LOCAL STREAM_ID TRACE_ID UNIQUE_ID UPSTREAM_CLUSTER_RAW \
    UPSTREAM_CONNECTION_ID UPSTREAM_FILTER_STATE UPSTREAM_HOST_NAME \
    UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT UPSTREAM_LOCAL_PORT UPSTREAM_METADATA \
    UPSTREAM_PROTOCOL UPSTREAM_REMOTE_ADDRESS UPSTREAM_REQUEST_ATTEMPT_COUNT \
    UPSTREAM_TLS_CIPHER UPSTREAM_TLS_VERSION UPSTREAM_WIRE_BYTES_RECEIVED \
    UPSTREAM_WIRE_BYTES_SENT VIRTUAL_CLUSTER_NAME";

impl Operator {
    /// Compiles a command, checking its arguments as Envoy does.
    pub(crate) fn compile(
        command: Command<'_>,
        hostname: Option<&str>,
    ) -> Result<Self, FormatError> {
        let Command {
            name,
            params,
            max_length,
        } = command;
        let (syntax, operator) = match name {
            "REQ" | "RESP" | "TRAILER" | "REQ_WITHOUT_QUERY" => (
                Syntax::ParamsAndLength,
                header(name, params.unwrap_or_default())?,
            ),
            "START_TIME" => {
                let format = TimeFormat::compile(params.unwrap_or_default())?;
                (Syntax::OptionalParams, Self::StartTime(format))
            }
            "RESPONSE_CODE_DETAILS" => {
                let keep_whitespace = params == Some("ALLOW_WHITESPACES");
                (
                    Syntax::OptionalParams,
                    Self::ResponseCodeDetails { keep_whitespace },
                )
            }
            "DYNAMIC_METADATA" => (
                Syntax::ParamsAndLength,
                dynamic_metadata(params.unwrap_or_default())?,
            ),
            "FILTER_STATE" => (
                Syntax::ParamsAndLength,
                filter_state(params.unwrap_or_default())?,
            ),
            _ => (Syntax::Bare, bare(name, hostname)?),
        };
        check_syntax(name, syntax, params, max_length)?;
        Ok(operator)
    }

    /// This operator's value for `entry`.
    pub(crate) fn value<'a, E: LogEntry + ?Sized>(&'a self, entry: &'a E) -> Value<'a> {
        let string = |bytes: Option<&'a [u8]>| bytes.map_or(Value::Missing, Value::Str);
        match self {
            Self::Header {
                source,
                main,
                alternative,
                strip_query,
            } => {
                let found = entry.header(*source, main).or_else(|| {
                    alternative
                        .as_deref()
                        .and_then(|alternative| entry.header(*source, alternative))
                });
                match found {
                    Some(value) if *strip_query => {
                        let end = value.iter().position(|&b| b == b'?').unwrap_or(value.len());
                        Value::Str(&value[..end])
                    }
                    found => string(found),
                }
            }
            Self::StartTime(format) => entry
                .timing()
                .start
                .map_or(Value::Missing, |start| Value::Time(start, format)),
            Self::Protocol => string(entry.protocol()),
            Self::ResponseCode => Value::Uint(u64::from(entry.response_code().unwrap_or(0))),
            Self::ResponseCodeDetails {
                keep_whitespace: true,
            } => string(entry.response_code_details()),
            Self::ResponseCodeDetails {
                keep_whitespace: false,
            } => entry
                .response_code_details()
                .map_or(Value::Missing, |d| Value::Rewritten(d, Rewrite::Whitespace)),
            Self::ResponseFlags { long } => Value::Flags(entry.response_flags(), *long),
            Self::BytesReceived => Value::Uint(entry.bytes().received),
            Self::BytesSent => Value::Uint(entry.bytes().sent),
            Self::Duration(span) => span
                .of(entry)
                .map_or(Value::Missing, |d| Value::Uint(millis(d))),
            Self::UpstreamHost => string(entry.upstream_host()),
            Self::UpstreamCluster => string(entry.upstream_cluster().filter(|c| !c.is_empty())),
            Self::UpstreamLocalAddress => string(entry.upstream_local_address()),
            Self::UpstreamTransportFailureReason => entry
                .upstream_transport_failure_reason()
                .filter(|reason| !reason.is_empty())
                .map_or(Value::Missing, |r| Value::Rewritten(r, Rewrite::Spaces)),
            Self::DownstreamRemoteAddress { port } => {
                address(entry.downstream_remote_address(), *port)
            }
            Self::DownstreamLocalAddress { port } => {
                address(entry.downstream_local_address(), *port)
            }
            Self::RouteName => string(entry.route_name().filter(|name| !name.is_empty())),
            Self::Hostname(hostname) => string(hostname.as_deref()),
            Self::ConnectionTerminationDetails => string(entry.connection_termination_details()),
            Self::RequestedServerName => entry
                .requested_server_name()
                .filter(|sni| !sni.is_empty())
                .map_or(Value::Missing, |sni| {
                    Value::Rewritten(sni, Rewrite::Hostname)
                }),
            Self::DynamicMetadata { namespace, path } => {
                match entry.dynamic_metadata(namespace, path) {
                    None => Value::Missing,
                    Some(MetadataValue::String(s)) => Value::Str(s),
                    Some(MetadataValue::Number(n)) => Value::Float(n),
                    Some(MetadataValue::Bool(b)) => Value::Bool(b),
                }
            }
            Self::FilterState { key } => string(entry.filter_state(key)),
        }
    }
}

impl Span {
    fn of<E: LogEntry + ?Sized>(self, entry: &E) -> Option<Duration> {
        let timing = entry.timing();
        match self {
            Self::Total => timing.request_complete,
            Self::Request => timing.last_downstream_rx_byte_received,
            Self::Response => timing.first_upstream_rx_byte_received,
            Self::ResponseTx => {
                let sent = timing.last_downstream_tx_byte_sent?;
                let first = timing.first_upstream_rx_byte_received?;
                Some(sent.saturating_sub(first))
            }
        }
    }
}

/// Whole milliseconds, truncated (C++ `duration_cast`).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn address(address: Option<SocketAddress<'_>>, with_port: bool) -> Value<'_> {
    match address {
        None => Value::Missing,
        Some(address) if with_port => Value::Address(address.ip, address.port),
        Some(address) => Value::Str(address.ip),
    }
}

fn check_syntax(
    name: &str,
    syntax: Syntax,
    params: Option<&str>,
    max_length: Option<usize>,
) -> Result<(), FormatError> {
    let has_params = params.is_some_and(|p| !p.is_empty());
    let problem = match syntax {
        Syntax::Bare if has_params || max_length.is_some() => {
            "does not take any parameters or length"
        }
        Syntax::OptionalParams if max_length.is_some() => "does not allow a length",
        Syntax::ParamsAndLength if !has_params => "requires parameters",
        _ => return Ok(()),
    };
    Err(FormatError::arguments(name, problem))
}

/// Operators without arguments.
fn bare(name: &str, hostname: Option<&str>) -> Result<Operator, FormatError> {
    Ok(match name {
        "PROTOCOL" => Operator::Protocol,
        "RESPONSE_CODE" => Operator::ResponseCode,
        "RESPONSE_FLAGS" => Operator::ResponseFlags { long: false },
        "RESPONSE_FLAGS_LONG" => Operator::ResponseFlags { long: true },
        "BYTES_RECEIVED" => Operator::BytesReceived,
        "BYTES_SENT" => Operator::BytesSent,
        "DURATION" => Operator::Duration(Span::Total),
        "REQUEST_DURATION" => Operator::Duration(Span::Request),
        "RESPONSE_DURATION" => Operator::Duration(Span::Response),
        "RESPONSE_TX_DURATION" => Operator::Duration(Span::ResponseTx),
        "UPSTREAM_HOST" => Operator::UpstreamHost,
        "UPSTREAM_CLUSTER" => Operator::UpstreamCluster,
        "UPSTREAM_LOCAL_ADDRESS" => Operator::UpstreamLocalAddress,
        "UPSTREAM_TRANSPORT_FAILURE_REASON" => Operator::UpstreamTransportFailureReason,
        "DOWNSTREAM_REMOTE_ADDRESS" => Operator::DownstreamRemoteAddress { port: true },
        "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" => {
            Operator::DownstreamRemoteAddress { port: false }
        }
        "DOWNSTREAM_LOCAL_ADDRESS" => Operator::DownstreamLocalAddress { port: true },
        "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => Operator::DownstreamLocalAddress { port: false },
        "ROUTE_NAME" => Operator::RouteName,
        "HOSTNAME" => Operator::Hostname(hostname.map(|h| h.as_bytes().into())),
        "CONNECTION_TERMINATION_DETAILS" => Operator::ConnectionTerminationDetails,
        "REQUESTED_SERVER_NAME" => Operator::RequestedServerName,
        _ if NOT_SUPPORTED_YET
            .split_ascii_whitespace()
            .any(|known| known == name)
            || name.starts_with("DOWNSTREAM_PEER_") =>
        {
            return Err(FormatError::NotSupported {
                name: name.to_owned(),
            });
        }
        _ => {
            return Err(FormatError::UnknownOperator {
                name: name.to_owned(),
            });
        }
    })
}

/// `REQ(name?alternative)` and friends.
fn header(name: &str, params: &str) -> Result<Operator, FormatError> {
    let mut parts = params.split('?');
    let main = parts.next().unwrap_or_default();
    let alternative = parts.next();
    if parts.next().is_some() {
        return Err(FormatError::arguments(
            name,
            "more than one alternative header",
        ));
    }
    let checked = |header: &str| -> Result<Box<str>, FormatError> {
        if header_name_is_valid(header) {
            Ok(header.to_ascii_lowercase().into())
        } else {
            Err(FormatError::arguments(
                name,
                format!("invalid header name {header:?}"),
            ))
        }
    };
    let (source, strip_query) = match name {
        "RESP" => (HeaderSource::Response, false),
        "TRAILER" => (HeaderSource::ResponseTrailers, false),
        "REQ_WITHOUT_QUERY" => (HeaderSource::Request, true),
        _ => (HeaderSource::Request, false),
    };
    Ok(Operator::Header {
        source,
        main: checked(main)?,
        alternative: alternative.map(checked).transpose()?,
        strip_query,
    })
}

/// An HTTP token (RFC 9110 `tchar`s), optionally a pseudo-header (`:path`).
fn header_name_is_valid(name: &str) -> bool {
    let name = name.strip_prefix(':').unwrap_or(name);
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `DYNAMIC_METADATA(namespace:key[:key...])`.
fn dynamic_metadata(params: &str) -> Result<Operator, FormatError> {
    let (namespace, path) = params.split_once(':').unwrap_or((params, ""));
    if namespace.is_empty() {
        return Err(FormatError::arguments(
            "DYNAMIC_METADATA",
            "requires parameters",
        ));
    }
    if path.is_empty() {
        // The logger ABI reads scalars at a path; a whole namespace (a struct) is unreachable.
        return Err(FormatError::arguments(
            "DYNAMIC_METADATA",
            format!(
                "a whole namespace is not supported yet; name a key: \
                 %DYNAMIC_METADATA({namespace}:key)%"
            ),
        ));
    }
    Ok(Operator::DynamicMetadata {
        namespace: namespace.into(),
        path: path.replace(':', ".").into(),
    })
}

/// `FILTER_STATE(key[:PLAIN|TYPED])`.
fn filter_state(params: &str) -> Result<Operator, FormatError> {
    let mut parts = params.split(':');
    let key = parts.next().unwrap_or_default();
    if key.is_empty() {
        return Err(FormatError::arguments(
            "FILTER_STATE",
            "the key cannot be empty",
        ));
    }
    match (parts.next(), parts.next()) {
        (None | Some("PLAIN" | "TYPED"), None) => Ok(Operator::FilterState { key: key.into() }),
        (Some("FIELD"), _) => Err(FormatError::arguments(
            "FILTER_STATE",
            "FIELD serialization is not supported yet",
        )),
        _ => Err(FormatError::arguments(
            "FILTER_STATE",
            "invalid serialize type, only PLAIN/TYPED/FIELD are supported",
        )),
    }
}
