//! Tokenizer of Envoy format strings: literal text, `%%`, and `%NAME(params):N%` commands.
//!
//! Grammar (Envoy's): a command is `%`, a name of `[A-Z0-9_]+`, optionally `(params)`, optionally
//! `:digits`, then `%`. Params end at the first `)` that is followed by `:digits%` or `%`, so they
//! may contain `%` and `)` (`%START_TIME(%H:%M)%`) but not a newline. Any other `%` is an error
//! at that byte position.

use super::FormatError;

/// One piece of a format string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// Text copied as is (`%%` already folded to `%`).
    Literal(String),
    /// A command operator.
    Command(Command<'a>),
}

/// A command operator before its arguments are interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    /// `REQ`, `START_TIME`, ...
    pub(crate) name: &'a str,
    /// The text between the parentheses; `None` without parentheses.
    pub(crate) params: Option<&'a str>,
    /// The `:N` length limit.
    pub(crate) max_length: Option<usize>,
}

/// Splits `format` into literals and commands.
pub(crate) fn tokenize(format: &str) -> Result<Vec<Token<'_>>, FormatError> {
    let bytes = format.as_bytes();
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(offset) = format[pos..].find('%') else {
            literal.push_str(&format[pos..]);
            break;
        };
        literal.push_str(&format[pos..pos + offset]);
        pos += offset;
        if bytes.get(pos + 1) == Some(&b'%') {
            literal.push('%');
            pos += 2;
            continue;
        }
        let (command, end) = command_at(format, pos).ok_or_else(|| FormatError::Syntax {
            format: format.to_owned(),
            position: pos,
        })?;
        if !literal.is_empty() {
            tokens.push(Token::Literal(std::mem::take(&mut literal)));
        }
        tokens.push(Token::Command(command));
        pos = end;
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    Ok(tokens)
}

/// Parses the command starting at the `%` at `start`; returns it and the index after its closing
/// `%`, or `None` when no valid command starts there.
fn command_at(format: &str, start: usize) -> Option<(Command<'_>, usize)> {
    let bytes = format.as_bytes();
    let name_start = start + 1;
    let name_len = bytes[name_start..]
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
        .count();
    if name_len == 0 {
        return None;
    }
    let name_end = name_start + name_len;
    let name = &format[name_start..name_end];
    if bytes.get(name_end) != Some(&b'(') {
        let (max_length, end) = length_and_close(bytes, name_end)?;
        return Some((
            Command {
                name,
                params: None,
                max_length,
            },
            end,
        ));
    }
    // The shortest params whose `)` is followed by a valid tail; no newline inside.
    let params_start = name_end + 1;
    for (offset, byte) in bytes[params_start..].iter().enumerate() {
        match byte {
            b'\n' => return None,
            b')' => {
                let close = params_start + offset;
                if let Some((max_length, end)) = length_and_close(bytes, close + 1) {
                    let params = Some(&format[params_start..close]);
                    return Some((
                        Command {
                            name,
                            params,
                            max_length,
                        },
                        end,
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses `(:digits)?%` at `pos`: the optional length and the index after the `%`. A length that
/// does not fit is rejected as Envoy does (it fails to parse it as an integer).
fn length_and_close(bytes: &[u8], pos: usize) -> Option<(Option<usize>, usize)> {
    match bytes.get(pos)? {
        b'%' => Some((None, pos + 1)),
        b':' => {
            let digits = bytes[pos + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 || bytes.get(pos + 1 + digits) != Some(&b'%') {
                return None;
            }
            let text = std::str::from_utf8(&bytes[pos + 1..pos + 1 + digits]).ok()?;
            let length = text.parse::<usize>().ok()?;
            Some((Some(length), pos + digits + 2))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
