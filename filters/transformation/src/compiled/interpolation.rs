//! A fast path for the commonest dynamic templates: text around `{{ header("x-user") }}`-style lookups.
//!
//! Starting the MiniJinja VM costs about a microsecond per template; most header templates only
//! interpolate a header, a cookie or a metadata value. Those are recognised at load with a deliberately
//! strict grammar and rendered by concatenation (`env()` calls become text at load, since `env()` is
//! a load-time snapshot). Anything else (filters, whitespace control, escapes,
//! statements, a trailing newline, a wrong argument count) returns `None` and stays with MiniJinja, so
//! both paths render the same output; the tests check them against each other.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::engine::{DEFAULT_METADATA_NAMESPACE, RenderScope, reads};

/// One piece of an interpolation template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Raw text, copied as is.
    Text(Box<str>),
    /// A function call with literal arguments.
    Lookup(Lookup),
}

/// The functions the fast path evaluates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Header(Box<str>),
    RequestHeader(Box<str>),
    Cookie(Box<str>),
    CookieIgnoreCase(Box<str>),
    Metadata { namespace: Box<str>, key: Box<str> },
}

/// The segments of `source`, or `None` when it is not a pure interpolation. `env` is what `env()` reads.
pub(crate) fn parse(source: &str, env: &HashMap<String, String>) -> Option<Box<[Segment]>> {
    // MiniJinja drops one trailing newline; rather than mirror that, leave such templates to it.
    if source.ends_with('\n') {
        return None;
    }
    let mut segments = Vec::new();
    let mut rest = source;
    while !rest.is_empty() {
        let (text, expression) = match rest.find("{{") {
            Some(start) => (&rest[..start], Some(&rest[start + 2..])),
            None => (rest, None),
        };
        if text.contains("{%") || text.contains("{#") {
            return None;
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text.into()));
        }
        let Some(expression) = expression else { break };
        let (call, after) = parse_call(expression)?;
        segments.push(match call {
            Call::Env(name) => {
                Segment::Text(env.get(name).map(String::as_str).unwrap_or_default().into())
            }
            Call::Lookup(lookup) => Segment::Lookup(lookup),
        });
        rest = after;
    }
    Some(segments.into_boxed_slice())
}

/// A recognised call.
enum Call<'s> {
    /// `env("NAME")`.
    Env(&'s str),
    Lookup(Lookup),
}

/// After `{{`: `ident ( "literal" [, "literal"] ) }}`, with optional spaces between tokens.
fn parse_call(expression: &str) -> Option<(Call<'_>, &str)> {
    if expression.starts_with(['-', '+']) {
        return None;
    }
    let rest = expression.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (function, rest) = rest.split_at(end);
    let rest = rest.trim_start().strip_prefix('(')?;
    let (first, rest) = literal(rest.trim_start())?;
    let rest = rest.trim_start();
    let (second, rest) = match rest.strip_prefix(',') {
        Some(rest) => {
            let (second, rest) = literal(rest.trim_start())?;
            (Some(second), rest.trim_start())
        }
        None => (None, rest),
    };
    let rest = rest.strip_prefix(')')?.trim_start().strip_prefix("}}")?;
    let lookup = match (function, second) {
        ("env", None) => return Some((Call::Env(first), rest)),
        (reads::HEADER, None) => Lookup::Header(first.into()),
        (reads::REQUEST_HEADER, None) => Lookup::RequestHeader(first.into()),
        (reads::GET_COOKIE, None) => Lookup::Cookie(first.into()),
        (reads::GET_COOKIE_I, None) => Lookup::CookieIgnoreCase(first.into()),
        (reads::DYNAMIC_METADATA, namespace) => Lookup::Metadata {
            namespace: namespace.unwrap_or(DEFAULT_METADATA_NAMESPACE).into(),
            key: first.into(),
        },
        _ => return None,
    };
    Some((Call::Lookup(lookup), rest))
}

/// A quoted string without escapes.
fn literal(input: &str) -> Option<(&str, &str)> {
    let quote = input.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &input[1..];
    let end = body.find(quote)?;
    let value = &body[..end];
    if value.contains('\\') {
        return None;
    }
    Some((value, &body[end + 1..]))
}

/// Renders the segments against a scope.
pub(crate) fn render(segments: &[Segment], scope: &RenderScope) -> String {
    let mut out = String::new();
    for segment in segments {
        let piece: Cow<'_, str> = match segment {
            Segment::Text(text) => Cow::Borrowed(text),
            Segment::Lookup(Lookup::Header(name)) => scope.header(name),
            Segment::Lookup(Lookup::RequestHeader(name)) => scope.request_header(name),
            Segment::Lookup(Lookup::Cookie(name)) => scope.cookie(name, false),
            Segment::Lookup(Lookup::CookieIgnoreCase(name)) => scope.cookie(name, true),
            Segment::Lookup(Lookup::Metadata { namespace, key }) => scope.metadata(namespace, key),
        };
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests;
