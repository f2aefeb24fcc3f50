//! Field-level parsing of `rateLimit.local`: bounded integers and `fillInterval`, with errors that
//! name the key (serde's own messages do not say which field a bad value belongs to).

use super::DescriptorEntry;
use core::fmt;
use core::time::Duration;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The shortest `fillInterval` kgateway accepts (shorter fills would be timer noise in Envoy).
pub const MIN_FILL_INTERVAL: Duration = Duration::from_millis(50);

/// The largest integer the CRD allows (`int32`).
const INT32_MAX: u64 = 2_147_483_647;

/// `fillInterval`: a Go-style duration in kgateway's grammar `^([0-9]{1,5}(h|m|s|ms)){1,4}$`, at
/// least 50ms. Keeps the text as written (so JSON round-trips) and compares by duration.
#[derive(Clone, Debug)]
pub struct FillInterval {
    duration: Duration,
    text: String,
}

impl FillInterval {
    /// Parses `text`; the error says what is wrong (without the key name).
    pub fn parse(text: &str) -> Result<Self, String> {
        let duration = parse_duration(text)?;
        if duration < MIN_FILL_INTERVAL {
            return Err(format!("must be at least 50ms, got {text:?}"));
        }
        Ok(Self {
            duration,
            text: text.to_owned(),
        })
    }

    /// The interval.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for FillInterval {
    fn eq(&self, other: &Self) -> bool {
        self.duration == other.duration
    }
}

impl Eq for FillInterval {}

impl core::hash::Hash for FillInterval {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.duration.hash(state);
    }
}

impl fmt::Display for FillInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for FillInterval {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for FillInterval {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FillIntervalVisitor;
        impl Visitor<'_> for FillIntervalVisitor {
            type Value = FillInterval;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("fillInterval: a duration such as \"1s\", \"100ms\" or \"1m30s\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<FillInterval, E> {
                FillInterval::parse(text).map_err(|e| E::custom(format!("fillInterval: {e}")))
            }
        }
        deserializer.deserialize_str(FillIntervalVisitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for FillInterval {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FillInterval".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]{1,5}(h|m|s|ms)){1,4}$",
            "description": "Go-style duration, at least 50ms (e.g. 1s, 100ms, 1m30s)"
        })
    }
}

/// Parses 1 to 4 groups of 1 to 5 digits followed by `h`, `m`, `s` or `ms`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like \"1s\", \"100ms\" or \"1m30s\"");
    let mut rest = text.as_bytes();
    let mut total = Duration::ZERO;
    let mut groups = 0;
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 5 {
            return Err(bad());
        }
        let amount: u64 = text_digits(&rest[..digits]);
        rest = &rest[digits..];
        let (unit, len) = match rest {
            [b'm', b's', ..] => (Duration::from_millis(1), 2),
            [b'h', ..] => (Duration::from_secs(3600), 1),
            [b'm', ..] => (Duration::from_secs(60), 1),
            [b's', ..] => (Duration::from_secs(1), 1),
            _ => return Err(bad()),
        };
        rest = &rest[len..];
        // At most 4 x 99999h: far below Duration's range, so no overflow.
        total += unit * u32::try_from(amount).map_err(|_| bad())?;
        groups += 1;
        if groups > 4 {
            return Err(bad());
        }
    }
    if groups == 0 {
        return Err(bad());
    }
    Ok(total)
}

fn text_digits(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u64::from(d - b'0'))
}

/// Deserialises an integer in `min..=max`, naming `field` in every error.
fn bounded<'de, D: Deserializer<'de>>(
    deserializer: D,
    field: &'static str,
    min: u64,
    max: u64,
) -> Result<u32, D::Error> {
    struct BoundedVisitor {
        field: &'static str,
        min: u64,
        max: u64,
    }
    impl BoundedVisitor {
        fn check<E: de::Error>(&self, value: i128) -> Result<u32, E> {
            if value < i128::from(self.min) || value > i128::from(self.max) {
                return Err(E::custom(format!(
                    "{}: must be between {} and {}, got {value}",
                    self.field, self.min, self.max
                )));
            }
            u32::try_from(value).map_err(|_| E::custom(format!("{}: out of range", self.field)))
        }
    }
    impl Visitor<'_> for BoundedVisitor {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "{}: an integer between {} and {}",
                self.field, self.min, self.max
            )
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u32, E> {
            self.check(i128::from(value))
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u32, E> {
            self.check(i128::from(value))
        }
    }
    deserializer.deserialize_i64(BoundedVisitor { field, min, max })
}

pub(super) fn max_tokens<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    bounded(deserializer, "maxTokens", 1, INT32_MAX)
}

pub(super) fn tokens_per_fill<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    bounded(deserializer, "tokensPerFill", 1, INT32_MAX).map(Some)
}

pub(super) fn percent_enabled<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    bounded(deserializer, "percentEnabled", 0, 100).map(Some)
}

pub(super) fn percent_enforced<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    bounded(deserializer, "percentEnforced", 0, 100).map(Some)
}

/// `entries`: a non-empty list.
pub(super) fn descriptor_entries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<DescriptorEntry>, D::Error> {
    struct EntriesVisitor;
    impl<'de> Visitor<'de> for EntriesVisitor {
        type Value = Vec<DescriptorEntry>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("entries: a list of descriptor entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = seq.next_element()? {
                entries.push(entry);
            }
            if entries.is_empty() {
                return Err(de::Error::custom("entries: at least one entry is required"));
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_seq(EntriesVisitor)
}
