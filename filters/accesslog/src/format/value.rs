//! One operator's value for one request, and its rendering as text (missing: `-`) or as a JSON
//! value (missing: `null`, numbers as numbers), byte-for-byte as Envoy 1.40 renders them.

use super::time::TimeFormat;
use crate::entry::ResponseFlags;
use std::fmt::Write as _;
use std::time::SystemTime;

/// A value before rendering. Borrowed from the log entry or the compiled format.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    /// Not available: `-` in text, `null` in JSON.
    Missing,
    /// A string (header, metadata, name...).
    Str(&'a [u8]),
    /// A string whose characters Envoy rewrites before printing.
    Rewritten(&'a [u8], Rewrite),
    /// An unsigned integer (codes, byte counts, milliseconds).
    Uint(u64),
    /// A protobuf double (metadata numbers), printed like C++ `std::to_chars`.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `ip:port`, with brackets around IPv6.
    Address(&'a [u8], u32),
    /// A timestamp in the operator's format.
    Time(SystemTime, &'a TimeFormat),
    /// Response flags, short or long names.
    Flags(ResponseFlags, bool),
}

/// The character rewrites Envoy applies to some strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rewrite {
    /// Every whitespace character becomes `_` (`%RESPONSE_CODE_DETAILS%`).
    Whitespace,
    /// Every space becomes `_` (`%UPSTREAM_TRANSPORT_FAILURE_REASON%`).
    Spaces,
    /// Anything but `[A-Za-z0-9.-]` becomes `_`, with an `invalid:` prefix when anything
    /// changed (`%REQUESTED_SERVER_NAME%`).
    Hostname,
}

impl Value<'_> {
    /// Whether rendering as JSON gives a JSON string (truncation then applies).
    fn is_json_string(&self) -> bool {
        !matches!(
            self,
            Self::Missing | Self::Uint(_) | Self::Float(_) | Self::Bool(_)
        )
    }

    /// Appends the text rendering, cut to `max_length` bytes. Missing values append `-`.
    pub(crate) fn write_text(&self, max_length: Option<usize>, out: &mut Vec<u8>) {
        let start = out.len();
        match *self {
            Self::Missing => {
                out.push(b'-');
                return;
            }
            Self::Str(bytes) => {
                let cut = max_length.map_or(bytes.len(), |max| max.min(bytes.len()));
                out.extend_from_slice(&bytes[..cut]);
                return;
            }
            Self::Rewritten(bytes, rewrite) => write_rewritten(bytes, rewrite, out),
            Self::Uint(n) => write_u64(n, out),
            Self::Float(x) => write_f64(x, out),
            Self::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Self::Address(ip, port) => write_address(ip, port, out),
            Self::Time(time, format) => format.write(time, out),
            Self::Flags(flags, long) => flags.write(long, out),
        }
        if let Some(max) = max_length {
            out.truncate(start + max.min(out.len() - start));
        }
    }

    /// Appends the JSON rendering; strings are cut to `max_length` bytes before escaping.
    pub(crate) fn write_json(&self, max_length: Option<usize>, out: &mut Vec<u8>) {
        match *self {
            Self::Missing => out.extend_from_slice(b"null"),
            Self::Uint(n) => write_u64(n, out),
            Self::Float(x) if x.is_finite() => write_f64(x, out),
            Self::Float(_) => out.extend_from_slice(b"null"),
            Self::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Self::Str(bytes) => {
                let cut = max_length.map_or(bytes.len(), |max| max.min(bytes.len()));
                write_json_string(&bytes[..cut], out);
            }
            _ => {
                debug_assert!(self.is_json_string());
                out.push(b'"');
                let start = out.len();
                self.write_text(max_length, out);
                escape_in_place(out, start);
                out.push(b'"');
            }
        }
    }
}

fn write_rewritten(bytes: &[u8], rewrite: Rewrite, out: &mut Vec<u8>) {
    match rewrite {
        Rewrite::Whitespace => out.extend(bytes.iter().map(|&b| {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                b'_'
            } else {
                b
            }
        })),
        Rewrite::Spaces => out.extend(bytes.iter().map(|&b| if b == b' ' { b'_' } else { b })),
        Rewrite::Hostname => {
            let valid = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-';
            if !bytes.iter().all(valid) {
                out.extend_from_slice(b"invalid:");
            }
            out.extend(bytes.iter().map(|b| if valid(b) { *b } else { b'_' }));
        }
    }
}

/// `ip:port`, `[ip]:port` for IPv6 (Envoy's `Address::asString`).
fn write_address(ip: &[u8], port: u32, out: &mut Vec<u8>) {
    if ip.contains(&b':') {
        out.push(b'[');
        out.extend_from_slice(ip);
        out.push(b']');
    } else {
        out.extend_from_slice(ip);
    }
    out.push(b':');
    write_u64(u64::from(port), out);
}

/// Decimal digits of `n`.
pub(crate) fn write_u64(n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut pos = digits.len();
    let mut rest = n;
    loop {
        pos -= 1;
        // `rest % 10` is a single digit.
        digits[pos] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[pos..]);
}

/// A double as C++ `std::to_chars(double)` prints it (what Envoy's JSON serializer uses): the
/// shortest digits that round-trip, in fixed or scientific notation, whichever is shorter
/// (fixed on a tie); scientific exponents have a sign and at least two digits (`1e+05`), and
/// fixed integers print the double's exact value.
pub(crate) fn write_f64(x: f64, out: &mut Vec<u8>) {
    if !x.is_finite() {
        out.extend_from_slice(if x.is_nan() {
            b"nan"
        } else if x > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
        return;
    }
    // Rust's `{:e}` is the shortest round-trip representation: `d[.ddd]e<exp>`.
    let mut sci = StackText::<32>::default();
    let _ = write!(sci, "{:e}", x.abs());
    let (mantissa, exponent) = sci.as_str().split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = [0u8; 20];
    let mut count = 0;
    for digit in mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .take(digits.len())
    {
        digits[count] = digit;
        count += 1;
    }
    let digits = &digits[..count];
    let n = i32::try_from(count).unwrap_or(i32::MAX);
    let exponent_digits = if exponent.unsigned_abs() >= 100 { 3 } else { 2 };
    let scientific_len = n + i32::from(count > 1) + 2 + exponent_digits;
    let fixed_len = if exponent >= n - 1 {
        exponent + 1
    } else if exponent >= 0 {
        n + 1
    } else {
        1 - exponent + n
    };

    if x.is_sign_negative() {
        out.push(b'-');
    }
    if scientific_len < fixed_len {
        out.push(digits[0]);
        if count > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.extend_from_slice(if exponent < 0 { b"e-" } else { b"e+" });
        if exponent.unsigned_abs() < 10 {
            out.push(b'0');
        }
        write_u64(u64::from(exponent.unsigned_abs()), out);
    } else if exponent >= n - 1 {
        // An integral value: fixed notation prints its exact digits (12345678901234567168),
        // not the shortest digits padded with zeros. Fixed only wins below ~1e22, where the
        // conversion to u128 is exact.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "integral and below 1e22 when used"
        )]
        let integral = x.abs() as u128;
        let mut text = StackText::<40>::default();
        let _ = write!(text, "{integral}");
        out.extend_from_slice(text.as_str().as_bytes());
    } else if exponent >= 0 {
        let split = usize::try_from(exponent + 1).unwrap_or(0);
        out.extend_from_slice(&digits[..split]);
        out.push(b'.');
        out.extend_from_slice(&digits[split..]);
    } else {
        out.extend_from_slice(b"0.");
        let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
        out.extend(std::iter::repeat_n(b'0', zeros));
        out.extend_from_slice(digits);
    }
}

/// A small stack buffer for `write!` (number formatting without heap allocation).
struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for StackText<N> {
    fn default() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> StackText<N> {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Write for StackText<N> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A JSON string of `bytes`, escaped as Envoy does: `"`, `\` and control characters are escaped
/// (`\n`, `\t`... or `\u00XX`); valid UTF-8 passes through; if `bytes` is not valid UTF-8,
/// every byte above 0x7F becomes `\u00XX` (read as Latin-1).
pub(crate) fn write_json_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    escape_into(bytes, out);
    out.push(b'"');
}

/// Bytes escaped in every JSON string: control characters, `"` and `\`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

fn needs_escape(b: u8) -> bool {
    ESCAPED[usize::from(b)]
}

/// Whether `bytes` is invalid UTF-8 (then every byte above 0x7F is escaped as Latin-1).
fn is_latin1(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(bytes).is_err()
}

/// Index of the first byte to escape. Scans eight bytes at a time (header values are mostly
/// clean, so the common case is a few word operations per value).
fn find_escape(bytes: &[u8], latin1: bool) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Nonzero iff some byte of `word` is zero (exact for presence).
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let escapes = |b: u8| needs_escape(b) || (latin1 && b >= 0x80);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // A byte below 0x20 (valid as a test because ASCII bytes have the high bit clear; high
        // bytes are caught by the last term or are not escaped), `"`, `\`, or a high byte.
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let suspicious = control
            | has_zero(word ^ (ONES * u64::from(b'"')))
            | has_zero(word ^ (ONES * u64::from(b'\\')))
            | if latin1 { word & HIGH } else { 0 };
        if suspicious != 0
            && let Some(index) = chunk.iter().position(|&b| escapes(b))
        {
            return Some(offset + index);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| escapes(b))
        .map(|index| offset + index)
}

fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    let latin1 = is_latin1(bytes);
    let mut rest = bytes;
    loop {
        let Some(index) = find_escape(rest, latin1) else {
            out.extend_from_slice(rest);
            return;
        };
        out.extend_from_slice(&rest[..index]);
        match rest[index] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        rest = &rest[index + 1..];
    }
}

/// Escapes `out[start..]` (text just rendered inside a JSON string) when it needs it; the usual
/// case (nothing to escape) costs one scan and no allocation.
pub(crate) fn escape_in_place(out: &mut Vec<u8>, start: usize) {
    let rendered = &out[start..];
    let clean = !rendered.iter().any(|&b| needs_escape(b)) && !is_latin1(rendered);
    if !clean {
        let raw = out.split_off(start);
        escape_into(&raw, out);
    }
}

#[cfg(test)]
mod tests;
