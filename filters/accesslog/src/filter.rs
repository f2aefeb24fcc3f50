//! Access log filters (`filter` of a kgateway access log): compiled once, evaluated per request
//! with Envoy's semantics (`source/common/access_log/access_log_impl.cc`).

use crate::entry::{HeaderSource, LogEntry, TraceReason};
use crate::flags::ResponseFlag;
use dynagate_config::access_log::{
    AccessLogFilter, ComparisonFilter, ComparisonOp, GrpcStatusFilter, HeaderMatch, HeaderMatchType,
};
use regex::bytes::Regex;

/// Why a filter was rejected at config load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A filter kind this logger does not implement.
    #[error("{kind} is not supported yet")]
    NotSupported {
        /// `celFilter`, `runtimeFilter`.
        kind: &'static str,
    },
    /// `andFilter` / `orFilter` with fewer than two filters.
    #[error("{kind} needs at least 2 filters, got {count}")]
    TooFewFilters {
        /// `andFilter` or `orFilter`.
        kind: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A response flag name Envoy does not know.
    #[error("unknown response flag {0:?} in responseFlagFilter")]
    UnknownResponseFlag(String),
    /// A header name that is not an HTTP token.
    #[error("invalid header name {0:?} in headerFilter")]
    InvalidHeaderName(String),
    /// A regular expression that does not compile.
    #[error("invalid regular expression {pattern:?} in headerFilter: {error}")]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The compiler's message.
        error: String,
    },
}

/// A compiled filter: decides whether a request is logged.
#[derive(Clone, Debug)]
pub struct LogFilter {
    root: Node,
}

#[derive(Clone, Debug)]
enum Node {
    StatusCode(Comparison),
    Duration(Comparison),
    NotHealthCheck,
    Traceable,
    Header {
        name: Box<str>,
        matcher: ValueMatcher,
    },
    /// Any of the flags in the mask; an empty mask means "any flag at all".
    ResponseFlags(u64),
    GrpcStatus {
        codes: Vec<u64>,
        exclude: bool,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Clone, Copy, Debug)]
struct Comparison {
    op: ComparisonOp,
    value: u64,
}

#[derive(Clone, Debug)]
enum ValueMatcher {
    Exact(Box<[u8]>),
    Regex(Regex),
}

impl LogFilter {
    /// Compiles a filter config.
    pub fn compile(config: &AccessLogFilter) -> Result<Self, FilterError> {
        Ok(Self {
            root: Node::compile(config)?,
        })
    }

    /// Whether `entry` is logged.
    pub fn accepts<E: LogEntry + ?Sized>(&self, entry: &E) -> bool {
        self.root.evaluate(entry)
    }
}

impl Node {
    fn compile(config: &AccessLogFilter) -> Result<Self, FilterError> {
        Ok(match config {
            AccessLogFilter::StatusCodeFilter(c) => Self::StatusCode(Comparison::from(*c)),
            AccessLogFilter::DurationFilter(c) => Self::Duration(Comparison::from(*c)),
            // Presence applies the filter whatever the boolean, as kgateway translates it.
            AccessLogFilter::NotHealthCheckFilter(_) => Self::NotHealthCheck,
            AccessLogFilter::TraceableFilter(_) => Self::Traceable,
            AccessLogFilter::HeaderFilter(filter) => header(&filter.header)?,
            AccessLogFilter::ResponseFlagFilter(filter) => {
                let mut mask = 0;
                for name in &filter.flags {
                    let flag = ResponseFlag::from_short_name(name)
                        .ok_or_else(|| FilterError::UnknownResponseFlag(name.clone()))?;
                    mask |= flag.mask();
                }
                Self::ResponseFlags(mask)
            }
            AccessLogFilter::GrpcStatusFilter(GrpcStatusFilter { statuses, exclude }) => {
                Self::GrpcStatus {
                    codes: statuses.iter().map(|status| status.code()).collect(),
                    exclude: exclude.unwrap_or(false),
                }
            }
            AccessLogFilter::CelFilter(_) => {
                return Err(FilterError::NotSupported { kind: "celFilter" });
            }
            AccessLogFilter::RuntimeFilter(_) => {
                return Err(FilterError::NotSupported {
                    kind: "runtimeFilter",
                });
            }
            AccessLogFilter::AndFilter(filters) => Self::And(operands("andFilter", filters)?),
            AccessLogFilter::OrFilter(filters) => Self::Or(operands("orFilter", filters)?),
        })
    }

    fn evaluate<E: LogEntry + ?Sized>(&self, entry: &E) -> bool {
        match self {
            Self::StatusCode(comparison) => {
                comparison.holds(u64::from(entry.response_code().unwrap_or(0)))
            }
            // Envoy compares the current duration; at log time the stream is complete.
            Self::Duration(comparison) => entry.timing().request_complete.is_some_and(|d| {
                comparison.holds(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }),
            Self::NotHealthCheck => !entry.is_health_check(),
            Self::Traceable => {
                !entry.is_health_check() && entry.trace_reason() == TraceReason::ServiceForced
            }
            Self::Header { name, matcher } => matcher.matches(entry, name),
            Self::ResponseFlags(0) => !entry.response_flags().is_empty(),
            Self::ResponseFlags(mask) => entry.response_flags().intersects(*mask),
            Self::GrpcStatus { codes, exclude } => {
                let found = codes.contains(&grpc_status(entry));
                found != *exclude
            }
            Self::And(nodes) => nodes.iter().all(|node| node.evaluate(entry)),
            Self::Or(nodes) => nodes.iter().any(|node| node.evaluate(entry)),
        }
    }
}

impl From<ComparisonFilter> for Comparison {
    fn from(filter: ComparisonFilter) -> Self {
        Self {
            op: filter.op,
            value: u64::from(filter.value),
        }
    }
}

impl Comparison {
    fn holds(self, value: u64) -> bool {
        match self.op {
            ComparisonOp::Eq => value == self.value,
            ComparisonOp::Ge => value >= self.value,
            ComparisonOp::Le => value <= self.value,
        }
    }
}

fn operands(kind: &'static str, filters: &[AccessLogFilter]) -> Result<Vec<Node>, FilterError> {
    if filters.len() < 2 {
        return Err(FilterError::TooFewFilters {
            kind,
            count: filters.len(),
        });
    }
    filters.iter().map(Node::compile).collect()
}

fn header(config: &HeaderMatch) -> Result<Node, FilterError> {
    let name = config.name.strip_prefix(':').unwrap_or(&config.name);
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(FilterError::InvalidHeaderName(config.name.clone()));
    }
    let matcher = match config.match_type {
        HeaderMatchType::Exact => ValueMatcher::Exact(config.value.as_bytes().into()),
        HeaderMatchType::RegularExpression => {
            // Envoy's safe_regex matches the whole value.
            let anchored = format!("^(?:{})$", config.value);
            let regex = Regex::new(&anchored).map_err(|error| FilterError::InvalidRegex {
                pattern: config.value.clone(),
                error: error.to_string(),
            })?;
            ValueMatcher::Regex(regex)
        }
    };
    Ok(Node::Header {
        name: config.name.to_ascii_lowercase().into(),
        matcher,
    })
}

impl ValueMatcher {
    /// Envoy matches the header's values joined with `,`; an absent header never matches.
    fn matches<E: LogEntry + ?Sized>(&self, entry: &E, name: &str) -> bool {
        let count = entry.header_count(HeaderSource::Request, name);
        let joined;
        let value = match count {
            0 => return false,
            1 => match entry.header(HeaderSource::Request, name) {
                Some(value) => value,
                None => return false,
            },
            _ => {
                let values: Vec<&[u8]> = (0..count)
                    .filter_map(|i| entry.header_value(HeaderSource::Request, name, i))
                    .collect();
                joined = values.join(&b',');
                joined.as_slice()
            }
        };
        match self {
            Self::Exact(expected) => value == &**expected,
            Self::Regex(regex) => regex.is_match(value),
        }
    }
}

/// The gRPC status as Envoy's `Grpc::Common::getGrpcStatus(trailers, headers, info)` finds it:
/// `grpc-status` in the trailers, else in the headers, else mapped from the HTTP status; with no
/// response at all, `UNKNOWN` (2). An unparsable or out-of-range value never matches a name.
fn grpc_status<E: LogEntry + ?Sized>(entry: &E) -> u64 {
    const UNKNOWN: u64 = 2;
    const INVALID: u64 = u64::MAX;
    let header = entry
        .header(HeaderSource::ResponseTrailers, "grpc-status")
        .filter(|v| !v.is_empty())
        .or_else(|| {
            entry
                .header(HeaderSource::Response, "grpc-status")
                .filter(|v| !v.is_empty())
        });
    if let Some(value) = header {
        return std::str::from_utf8(value)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|code| *code <= 16)
            .unwrap_or(INVALID);
    }
    match entry.response_code() {
        Some(400) => 13,
        Some(401) => 16,
        Some(403) => 7,
        Some(404) => 12,
        Some(429 | 502 | 503 | 504) => 14,
        _ => UNKNOWN,
    }
}

#[cfg(test)]
mod tests;
