//! `%START_TIME(fmt)%`: a strftime-style format compiled once into pieces, rendered in UTC.
//!
//! Covers what Envoy 1.40 accepts: the C-locale strftime conversions (with the `-`, `_`, `0`
//! flags and a width on numbers), Envoy's `%f` / `%1f`..`%9f` fractional seconds, and absl's
//! `%Ez`, `%E*z`, `%E#S`, `%E*S`, `%E#f`, `%E*f`, `%E4Y`. An unknown conversion is copied
//! literally, as glibc does. Empty params mean Envoy's default `2024-05-01T12:00:00.123Z`.

mod calendar;
mod spec;

use super::FormatError;
use calendar::Instant;
use spec::Spec;
use std::time::SystemTime;

/// A compiled time format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimeFormat {
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Number {
        field: NumberField,
        width: u8,
        pad: Pad,
    },
    Name(NameField),
    /// `%s`: seconds since the epoch.
    Epoch,
    /// Envoy's `%f` (9 digits) and `%1f`..`%9f`: truncated fractional seconds.
    Fraction {
        digits: u8,
    },
    /// absl `%E#S` / `%E*S`: seconds, then `.` and the fraction (`None`: trailing zeros trimmed).
    SecondsWithFraction {
        digits: Option<u8>,
    },
    /// absl `%E#f` / `%E*f`: the fraction alone.
    AbslFraction {
        digits: Option<u8>,
    },
    /// `%z` (`+0000`), `%Ez` (`+00:00`), `%E*z` (`+00:00:00`): always UTC here.
    Offset(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumberField {
    Year,
    Year2,
    Century,
    Month,
    Day,
    Hour,
    Hour12,
    Minute,
    Second,
    DayOfYear,
    WeekdayFromMonday,
    WeekdayFromSunday,
    WeekOfYearSunday,
    WeekOfYearMonday,
    IsoWeek,
    IsoYear,
    IsoYear2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameField {
    WeekdayShort,
    WeekdayLong,
    MonthShort,
    MonthLong,
    AmPm,
    AmPmLower,
    Zone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pad {
    Zero,
    Space,
    None,
}

/// Envoy's default: `%Y-%m-%dT%H:%M:%E3SZ`.
const DEFAULT_FORMAT: &str = "%Y-%m-%dT%H:%M:%E3SZ";

impl TimeFormat {
    /// Compiles `format`; empty means Envoy's default. A `%n` is rejected as Envoy does (the
    /// value may end up in a header).
    pub(crate) fn compile(format: &str) -> Result<Self, FormatError> {
        let source = if format.is_empty() {
            DEFAULT_FORMAT
        } else {
            format
        };
        let mut pieces = Vec::new();
        compile_into(source, &mut pieces)?;
        Ok(Self { pieces })
    }

    /// Appends `time` formatted in UTC.
    pub(crate) fn write(&self, time: SystemTime, out: &mut Vec<u8>) {
        let instant = Instant::from(time);
        for piece in &self.pieces {
            instant.write_piece(piece, out);
        }
    }
}

fn push_literal(pieces: &mut Vec<Piece>, text: &str) {
    if let Some(Piece::Literal(last)) = pieces.last_mut() {
        last.push_str(text);
    } else {
        pieces.push(Piece::Literal(text.to_owned()));
    }
}

fn number(field: NumberField, width: u8, pad: Pad) -> Piece {
    Piece::Number { field, width, pad }
}

fn compile_into(format: &str, pieces: &mut Vec<Piece>) -> Result<(), FormatError> {
    let bytes = format.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(offset) = format[pos..].find('%') else {
            push_literal(pieces, &format[pos..]);
            break;
        };
        push_literal(pieces, &format[pos..pos + offset]);
        pos += offset;
        let spec = Spec::parse(&bytes[pos..]);
        let consumed = spec.len;
        match spec.compile(pieces)? {
            true => {}
            // Unknown conversion: copied literally, like glibc strftime.
            false => push_literal(pieces, &format[pos..pos + consumed]),
        }
        pos += consumed;
    }
    Ok(())
}

impl Instant {
    fn write_piece(&self, piece: &Piece, out: &mut Vec<u8>) {
        match piece {
            Piece::Literal(text) => out.extend_from_slice(text.as_bytes()),
            Piece::Number { field, width, pad } => {
                write_padded(out, self.number(*field), *width, *pad);
            }
            Piece::Name(name) => out.extend_from_slice(self.name(*name).as_bytes()),
            Piece::Epoch => write_padded(out, self.seconds, 1, Pad::None),
            Piece::Fraction { digits } => write_fraction(out, self.nanos, *digits),
            Piece::SecondsWithFraction { digits } => {
                write_padded(out, i64::from(self.second), 2, Pad::Zero);
                match digits {
                    Some(0) => {}
                    Some(digits) => {
                        out.push(b'.');
                        write_fraction(out, self.nanos, *digits);
                    }
                    None if self.nanos == 0 => {}
                    None => {
                        out.push(b'.');
                        write_trimmed_fraction(out, self.nanos);
                    }
                }
            }
            Piece::AbslFraction {
                digits: Some(digits),
            } => {
                write_fraction(out, self.nanos, *digits);
            }
            Piece::AbslFraction { digits: None } => {
                if self.nanos == 0 {
                    out.push(b'0');
                } else {
                    write_trimmed_fraction(out, self.nanos);
                }
            }
            Piece::Offset(text) => out.extend_from_slice(text.as_bytes()),
        }
    }

    fn number(&self, field: NumberField) -> i64 {
        let wday = i64::from(self.weekday);
        let yday = i64::from(self.day_of_year);
        match field {
            NumberField::Year => self.year,
            NumberField::Year2 => self.year.rem_euclid(100),
            NumberField::Century => self.year.div_euclid(100),
            NumberField::Month => i64::from(self.month),
            NumberField::Day => i64::from(self.day),
            NumberField::Hour => i64::from(self.hour),
            NumberField::Hour12 => match self.hour % 12 {
                0 => 12,
                h => i64::from(h),
            },
            NumberField::Minute => i64::from(self.minute),
            NumberField::Second => i64::from(self.second),
            NumberField::DayOfYear => yday + 1,
            NumberField::WeekdayFromMonday => match wday {
                0 => 7,
                d => d,
            },
            NumberField::WeekdayFromSunday => wday,
            NumberField::WeekOfYearSunday => (yday + 7 - wday) / 7,
            NumberField::WeekOfYearMonday => (yday + 7 - (wday + 6) % 7) / 7,
            NumberField::IsoWeek => self.iso_week().1,
            NumberField::IsoYear => self.iso_week().0,
            NumberField::IsoYear2 => self.iso_week().0.rem_euclid(100),
        }
    }

    fn name(&self, name: NameField) -> &'static str {
        let weekday = self.weekday_name();
        let month = self.month_name();
        match name {
            NameField::WeekdayShort => &weekday[..3],
            NameField::WeekdayLong => weekday,
            NameField::MonthShort => &month[..3],
            NameField::MonthLong => month,
            NameField::AmPm if self.hour < 12 => "AM",
            NameField::AmPm => "PM",
            NameField::AmPmLower if self.hour < 12 => "am",
            NameField::AmPmLower => "pm",
            NameField::Zone => "UTC",
        }
    }
}

fn write_padded(out: &mut Vec<u8>, value: i64, width: u8, pad: Pad) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = value.unsigned_abs();
    loop {
        // `rest % 10` is a single digit.
        digits[len] = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    let fill = match pad {
        Pad::Zero => b'0',
        Pad::Space => b' ',
        Pad::None => 0,
    };
    if fill != 0 {
        out.extend(std::iter::repeat_n(
            fill,
            usize::from(width).saturating_sub(len),
        ));
    }
    out.extend(digits[..len].iter().rev());
}

/// The first `digits` digits of the 9-digit nanosecond fraction (truncated, not rounded).
fn write_fraction(out: &mut Vec<u8>, nanos: u32, digits: u8) {
    let mut buffer = [b'0'; 9];
    let mut rest = nanos;
    for slot in buffer.iter_mut().rev() {
        *slot = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        rest /= 10;
    }
    out.extend_from_slice(&buffer[..usize::from(digits.min(9))]);
}

fn write_trimmed_fraction(out: &mut Vec<u8>, nanos: u32) {
    let start = out.len();
    write_fraction(out, nanos, 9);
    while out.len() > start + 1 && out.last() == Some(&b'0') {
        out.pop();
    }
}

#[cfg(test)]
mod tests;
