//! Header entries of a transform: names validated and lowercased at load, pseudo headers checked.

use dynagate_config::transformation::header_name_syntax;

use super::template::Template;
use crate::{ConfigError, Direction};

/// What a header entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeaderOp {
    /// Replace every value (`set`); an empty rendering removes the header.
    Set,
    /// Append a value (`add`); an empty rendering is skipped.
    Append,
    /// Remove the header (`remove`).
    Remove,
}

/// One `set`, `add` or `remove` entry, ready to render.
#[derive(Clone, Debug)]
pub(crate) struct HeaderRule {
    /// e.g. `request.set[0] (x-user)`: names the entry in errors.
    pub location: Box<str>,
    pub op: HeaderOp,
    /// Lowercase; `host` is set as `:authority` on requests.
    pub name: Box<str>,
    /// A pseudo header: never removed by an empty rendering, and its value is checked.
    pub pseudo: bool,
    pub value: Template,
}

const REQUEST_PSEUDO: [&str; 4] = [":path", ":method", ":authority", ":scheme"];
const RESPONSE_PSEUDO: [&str; 1] = [":status"];

/// The stored form of a header name, or why it cannot be used in this entry.
pub(crate) fn parse_name(
    direction: Direction,
    op: HeaderOp,
    location: &str,
    name: &str,
) -> Result<(Box<str>, bool), ConfigError> {
    let invalid = |reason| ConfigError::HeaderName {
        location: location.to_owned(),
        name: name.to_owned(),
        reason,
    };
    header_name_syntax(name).map_err(invalid)?;
    let lower = name.to_ascii_lowercase();
    // Envoy keeps the request's Host as `:authority`; a `host` entry would become a second Host line.
    if direction == Direction::Request && op == HeaderOp::Set && lower == "host" {
        return Ok((":authority".into(), true));
    }
    if !lower.starts_with(':') {
        return Ok((lower.into(), false));
    }
    if op != HeaderOp::Set {
        return Err(invalid("pseudo headers can only be set"));
    }
    match direction {
        Direction::Request if REQUEST_PSEUDO.contains(&lower.as_str()) => Ok((lower.into(), true)),
        Direction::Request => Err(invalid(
            "a request transform can set only :path, :method, :authority and :scheme",
        )),
        Direction::Response if RESPONSE_PSEUDO.contains(&lower.as_str()) => {
            Ok((lower.into(), true))
        }
        Direction::Response => Err(invalid("a response transform can set only :status")),
    }
}

/// Whether a rendered value may go into header `name`: no CR, LF or NUL anywhere (header injection),
/// and pseudo headers must be well formed, since Envoy would otherwise fail the stream later.
pub(crate) fn valid_value(name: &str, value: &str) -> bool {
    if value.bytes().any(|byte| matches!(byte, b'\r' | b'\n' | 0)) {
        return false;
    }
    match name {
        ":status" => {
            value.len() == 3
                && value
                    .parse::<u16>()
                    .is_ok_and(|code| (100..=599).contains(&code))
        }
        ":method" | ":scheme" => value.bytes().all(|byte| byte.is_ascii_graphic()),
        ":path" | ":authority" => value
            .bytes()
            .all(|byte| byte.is_ascii_graphic() || byte >= 0x80),
        _ => true,
    }
}
