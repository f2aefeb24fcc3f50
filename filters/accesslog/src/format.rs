//! Envoy's format language: a text or JSON line format compiled once at config load, then
//! rendered per request into a reused buffer.
//!
//! Text formats are written verbatim (Envoy adds no newline; the default format ends with one).
//! JSON formats are objects whose string values are format strings: a value that is exactly one
//! operator keeps its type (numbers are numbers, missing is `null`), a value mixing text and
//! operators is a string with `-` for missing parts; keys are emitted sorted, and a newline ends
//! the line, all as Envoy 1.40 does.

mod json;
mod operator;
mod parse;
mod time;
mod value;

use crate::entry::LogEntry;
use json::JsonTemplate;
use operator::Operator;
use parse::Token;

/// Envoy's default access log format (used when a sink names none).
pub const ENVOY_DEFAULT_FORMAT: &str = concat!(
    "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" ",
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ",
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ",
    "\"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" ",
    "\"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n",
);

/// Why a format was rejected at config load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A `%` that starts no valid command (`100%`, `%REQ(x)y%`).
    #[error("invalid format {format:?}: no valid command operator at byte {position}")]
    Syntax {
        /// The format string.
        format: String,
        /// Byte offset of the offending `%`.
        position: usize,
    },
    /// An operator name Envoy does not know either.
    #[error("unknown command operator %{name}%")]
    UnknownOperator {
        /// The operator name.
        name: String,
    },
    /// An Envoy operator this logger does not implement.
    #[error("command operator %{name}% is not supported yet")]
    NotSupported {
        /// The operator name.
        name: String,
    },
    /// The operator's parameters or length are invalid.
    #[error("command operator %{name}%: {problem}")]
    Arguments {
        /// The operator name.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

impl FormatError {
    fn arguments(name: &str, problem: impl Into<String>) -> Self {
        Self::Arguments {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// What compiling a format needs from the environment, resolved once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormatContext {
    /// `%HOSTNAME%`; `None` renders as missing.
    pub hostname: Option<String>,
}

impl FormatContext {
    /// The machine's host name, as `gethostname(2)` reports it.
    pub fn from_system() -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|name| name.trim_end().to_owned())
            .filter(|name| !name.is_empty());
        Self { hostname }
    }
}

/// A compiled line format.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFormat {
    template: Template,
}

#[derive(Clone, Debug, PartialEq)]
enum Template {
    Text(Vec<Segment>),
    Json(JsonTemplate),
}

/// A piece of a compiled text template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Segment {
    Literal(Box<[u8]>),
    Operator(Operator, Option<usize>),
}

impl LineFormat {
    /// Compiles an Envoy text format (`stringFormat`).
    pub fn text(format: &str, context: &FormatContext) -> Result<Self, FormatError> {
        Ok(Self {
            template: Template::Text(compile_segments(format, context)?),
        })
    }

    /// Compiles an Envoy JSON format (`jsonFormat`).
    pub fn json(
        format: &serde_json::Map<String, serde_json::Value>,
        context: &FormatContext,
    ) -> Result<Self, FormatError> {
        Ok(Self {
            template: Template::Json(JsonTemplate::compile(format, context)?),
        })
    }

    /// Envoy's default text format.
    pub fn envoy_default(context: &FormatContext) -> Result<Self, FormatError> {
        Self::text(ENVOY_DEFAULT_FORMAT, context)
    }

    /// Appends the line for `entry` to `out`.
    pub fn write<E: LogEntry + ?Sized>(&self, entry: &E, out: &mut Vec<u8>) {
        match &self.template {
            Template::Text(segments) => write_text(segments, entry, out),
            Template::Json(template) => template.write(entry, out),
        }
    }

    /// The line for `entry` (convenience for tests and previews; loggers reuse a buffer).
    pub fn render<E: LogEntry + ?Sized>(&self, entry: &E) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write(entry, &mut out);
        out
    }
}

pub(crate) fn compile_segments(
    format: &str,
    context: &FormatContext,
) -> Result<Vec<Segment>, FormatError> {
    parse::tokenize(format)?
        .into_iter()
        .map(|token| match token {
            Token::Literal(text) => Ok(Segment::Literal(text.into_bytes().into_boxed_slice())),
            Token::Command(command) => {
                let operator = Operator::compile(command, context.hostname.as_deref())?;
                Ok(Segment::Operator(operator, command.max_length))
            }
        })
        .collect()
}

pub(crate) fn write_text<E: LogEntry + ?Sized>(segments: &[Segment], entry: &E, out: &mut Vec<u8>) {
    for segment in segments {
        match segment {
            Segment::Literal(bytes) => out.extend_from_slice(bytes),
            Segment::Operator(operator, max_length) => {
                operator.value(entry).write_text(*max_length, out);
            }
        }
    }
}

#[cfg(test)]
mod tests;
