//! Parsing one strftime conversion (`%[flags][width][E|O]conv`) into time format pieces.

use super::{NameField, NumberField, Pad, Piece, compile_into, number, push_literal};
use crate::format::FormatError;

/// One `%[flags][width][E|O]conv` conversion, as parsed.
pub(super) struct Spec {
    flag: Option<u8>,
    width: Option<u8>,
    modifier: Option<u8>,
    /// Digit or `*` after `%E` (absl's `%E#S` family).
    precision: Option<u8>,
    conversion: Option<u8>,
    pub(super) len: usize,
}

impl Spec {
    pub(super) fn parse(bytes: &[u8]) -> Self {
        let mut i = 1;
        let mut flag = None;
        while let Some(&b @ (b'-' | b'_' | b'0' | b'^' | b'#')) = bytes.get(i) {
            flag = Some(b);
            i += 1;
        }
        let mut width: Option<u8> = None;
        while let Some(&b @ b'0'..=b'9') = bytes.get(i) {
            width = Some(
                width
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(b - b'0'),
            );
            i += 1;
        }
        let mut modifier = None;
        let mut precision = None;
        if let Some(&b @ (b'E' | b'O')) = bytes.get(i) {
            modifier = Some(b);
            i += 1;
            if b == b'E'
                && let Some(&p @ (b'0'..=b'9' | b'*')) = bytes.get(i)
            {
                precision = Some(p);
                i += 1;
            }
        }
        let conversion = bytes.get(i).copied();
        let len = if conversion.is_some() { i + 1 } else { i };
        Self {
            flag,
            width,
            modifier,
            precision,
            conversion,
            len,
        }
    }

    fn pad(&self, default: Pad) -> Pad {
        match self.flag {
            Some(b'-') => Pad::None,
            Some(b'_') => Pad::Space,
            Some(b'0') => Pad::Zero,
            _ => default,
        }
    }

    /// Pushes the pieces of this conversion; `false` when it is not a known conversion.
    pub(super) fn compile(&self, pieces: &mut Vec<Piece>) -> Result<bool, FormatError> {
        let Some(conversion) = self.conversion else {
            return Ok(false);
        };
        if self.modifier == Some(b'E') {
            if let Some(piece) = self.absl_extension(conversion) {
                pieces.push(piece);
                return Ok(true);
            }
            if self.precision.is_some() {
                return Ok(false);
            }
        }
        let num = |field, width: u8, pad| number(field, self.width.unwrap_or(width), self.pad(pad));
        let piece = match conversion {
            b'Y' => num(NumberField::Year, 1, Pad::Zero),
            b'y' => num(NumberField::Year2, 2, Pad::Zero),
            b'C' => num(NumberField::Century, 2, Pad::Zero),
            b'm' => num(NumberField::Month, 2, Pad::Zero),
            b'd' => num(NumberField::Day, 2, Pad::Zero),
            b'e' => num(NumberField::Day, 2, Pad::Space),
            b'H' => num(NumberField::Hour, 2, Pad::Zero),
            b'k' => num(NumberField::Hour, 2, Pad::Space),
            b'I' => num(NumberField::Hour12, 2, Pad::Zero),
            b'l' => num(NumberField::Hour12, 2, Pad::Space),
            b'M' => num(NumberField::Minute, 2, Pad::Zero),
            b'S' => num(NumberField::Second, 2, Pad::Zero),
            b'j' => num(NumberField::DayOfYear, 3, Pad::Zero),
            b'u' => num(NumberField::WeekdayFromMonday, 1, Pad::Zero),
            b'w' => num(NumberField::WeekdayFromSunday, 1, Pad::Zero),
            b'U' => num(NumberField::WeekOfYearSunday, 2, Pad::Zero),
            b'W' => num(NumberField::WeekOfYearMonday, 2, Pad::Zero),
            b'V' => num(NumberField::IsoWeek, 2, Pad::Zero),
            b'G' => num(NumberField::IsoYear, 1, Pad::Zero),
            b'g' => num(NumberField::IsoYear2, 2, Pad::Zero),
            b'a' => Piece::Name(NameField::WeekdayShort),
            b'A' => Piece::Name(NameField::WeekdayLong),
            b'b' | b'h' => Piece::Name(NameField::MonthShort),
            b'B' => Piece::Name(NameField::MonthLong),
            b'p' => Piece::Name(NameField::AmPm),
            b'P' => Piece::Name(NameField::AmPmLower),
            b'Z' => Piece::Name(NameField::Zone),
            b'z' => Piece::Offset("+0000"),
            b's' => Piece::Epoch,
            b'f' => Piece::Fraction {
                digits: self
                    .width
                    .filter(|digits| (1..=9).contains(digits))
                    .unwrap_or(9),
            },
            b'c' => return compile_into("%a %b %e %H:%M:%S %Y", pieces).map(|()| true),
            b'D' | b'x' => return compile_into("%m/%d/%y", pieces).map(|()| true),
            b'F' => return compile_into("%Y-%m-%d", pieces).map(|()| true),
            b'r' => return compile_into("%I:%M:%S %p", pieces).map(|()| true),
            b'R' => return compile_into("%H:%M", pieces).map(|()| true),
            b'T' | b'X' => return compile_into("%H:%M:%S", pieces).map(|()| true),
            b't' => Piece::Literal("\t".to_owned()),
            b'%' => Piece::Literal("%".to_owned()),
            b'n' => {
                return Err(FormatError::Arguments {
                    name: "START_TIME".to_owned(),
                    problem: "the time format contains a newline (%n)".to_owned(),
                });
            }
            _ => return Ok(false),
        };
        match piece {
            Piece::Literal(text) => push_literal(pieces, &text),
            piece => pieces.push(piece),
        }
        Ok(true)
    }

    /// absl's `%E` extensions, if this is one.
    fn absl_extension(&self, conversion: u8) -> Option<Piece> {
        let digits = match self.precision {
            Some(b'*') => None,
            Some(digit) => Some(digit - b'0'),
            None => {
                return match conversion {
                    b'z' => Some(Piece::Offset("+00:00")),
                    _ => None,
                };
            }
        };
        match (conversion, digits) {
            (b'S', _) => Some(Piece::SecondsWithFraction { digits }),
            (b'f', _) => Some(Piece::AbslFraction { digits }),
            (b'z', None) => Some(Piece::Offset("+00:00:00")),
            (b'Y', Some(4)) => Some(number(NumberField::Year, 4, Pad::Zero)),
            _ => None,
        }
    }
}
