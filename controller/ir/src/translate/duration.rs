//! Go-style durations as used by Gateway API (`10s`, `1h30m`, `500ms`) and kgateway (`fillInterval`).

use envoy_types::pb::google::protobuf::Duration as ProtoDuration;

/// A duration string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {0:?}: expected numbers with units h, m, s or ms, such as 1m30s or 500ms"
)]
pub(crate) struct DurationError(pub(crate) String);

/// Parses `1h`, `30m`, `10s`, `250ms` and concatenations (`1m30s`); whole numbers only.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let err = || DurationError(text.to_owned());
    if text.is_empty() {
        return Err(err());
    }
    let mut total_ms: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        let value: u128 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let (unit_ms, unit_len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return Err(err());
        };
        rest = &rest[unit_len..];
        total_ms = total_ms
            .checked_add(value.checked_mul(unit_ms).ok_or_else(err)?)
            .ok_or_else(err)?;
    }
    let ms = u64::try_from(total_ms).map_err(|_| err())?;
    Ok(std::time::Duration::from_millis(ms))
}

/// The protobuf form of a duration.
pub(crate) fn to_proto(duration: std::time::Duration) -> ProtoDuration {
    ProtoDuration {
        seconds: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(duration.subsec_nanos()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_concatenations() {
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("250ms").unwrap().as_millis(), 250);
        assert_eq!(parse_duration("1m1s1ms").unwrap().as_millis(), 61_001);
        assert_eq!(parse_duration("0s").unwrap().as_millis(), 0);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "10", "s", "1.5s", "1d", "10 s", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
