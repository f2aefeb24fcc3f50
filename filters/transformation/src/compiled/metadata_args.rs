//! Finds the literal arguments of every `dynamic_metadata(key[, namespace])` call in a template.
//!
//! Templates render without access to the host (MiniJinja functions must be `'static`), so the metadata
//! a template reads is fetched before rendering. That needs the `(namespace, key)` pairs at load, hence
//! the rule that both arguments are string literals. Only expression blocks (`{{ }}` and `{% %}`) are
//! scanned; the template has already compiled, so its syntax is known to be valid.

use crate::engine::{DEFAULT_METADATA_NAMESPACE, reads::DYNAMIC_METADATA};

/// `(namespace, key)` of every call in `source`, or `None` when a call has non-literal arguments.
pub(crate) fn literal_keys(source: &str) -> Option<Vec<(String, String)>> {
    let mut keys = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => {
                rest = after.find("#}").map_or("", |end| &after[end + 2..]);
                continue;
            }
            _ => {
                rest = after;
                continue;
            }
        };
        let (block, remainder) = split_block(&after[1..], close);
        scan_block(block, &mut keys)?;
        rest = remainder;
    }
    Some(keys)
}

/// Splits at the closing delimiter that is not inside a string literal.
fn split_block<'s>(code: &'s str, close: &str) -> (&'s str, &'s str) {
    let mut quote = None;
    let mut chars = code.char_indices();
    while let Some((index, c)) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if code[index..].starts_with(close) => {
                return (&code[..index], &code[index + close.len()..]);
            }
            None => {}
        }
    }
    (code, "")
}

fn scan_block(block: &str, keys: &mut Vec<(String, String)>) -> Option<()> {
    let mut cursor = Cursor { rest: block };
    while let Some(token) = cursor.next_token() {
        if let Token::Identifier(name) = token
            && name == DYNAMIC_METADATA
        {
            keys.push(cursor.literal_call_arguments()?);
        }
    }
    Some(())
}

enum Token<'s> {
    Identifier(&'s str),
    Literal(String),
    Punct(char),
}

struct Cursor<'s> {
    rest: &'s str,
}

impl<'s> Cursor<'s> {
    fn next_token(&mut self) -> Option<Token<'s>> {
        self.rest = self.rest.trim_start();
        let first = self.rest.chars().next()?;
        if first == '"' || first == '\'' {
            return Some(Token::Literal(self.string_literal(first)));
        }
        if first.is_alphabetic() || first == '_' {
            let end = self
                .rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(self.rest.len());
            let (identifier, rest) = self.rest.split_at(end);
            self.rest = rest;
            return Some(Token::Identifier(identifier));
        }
        self.rest = &self.rest[first.len_utf8()..];
        Some(Token::Punct(first))
    }

    /// Reads the unescaped contents of a literal opened by `quote`.
    fn string_literal(&mut self, quote: char) -> String {
        let mut value = String::new();
        let mut chars = self.rest.char_indices().skip(1);
        while let Some((index, c)) = chars.next() {
            if c == quote {
                self.rest = &self.rest[index + 1..];
                return value;
            }
            if c == '\\' {
                match chars.next().map(|(_, escaped)| escaped) {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some(escaped) => value.push(escaped),
                    None => break,
                }
            } else {
                value.push(c);
            }
        }
        self.rest = "";
        value
    }

    /// After the function name: `( "key" )` or `( "key" , "namespace" )`.
    fn literal_call_arguments(&mut self) -> Option<(String, String)> {
        let Some(Token::Punct('(')) = self.next_token() else {
            return None;
        };
        let Some(Token::Literal(key)) = self.next_token() else {
            return None;
        };
        match self.next_token()? {
            Token::Punct(')') => Some((DEFAULT_METADATA_NAMESPACE.to_owned(), key)),
            Token::Punct(',') => {
                let Some(Token::Literal(namespace)) = self.next_token() else {
                    return None;
                };
                let Some(Token::Punct(')')) = self.next_token() else {
                    return None;
                };
                Some((namespace, key))
            }
            _ => None,
        }
    }
}
