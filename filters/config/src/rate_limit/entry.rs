//! `descriptors[].entries[]`: what a request must carry for a descriptor's bucket to apply.
//!
//! Two spellings are accepted. kgateway's newest API writes constant entries as `{key, value}`
//! (the controller generates a generic-key action for them, so they always match). dynagate also
//! accepts the typed entries of `rateLimit.global` (`{type: Generic|Header|RemoteAddress|Path}`),
//! whose request-derived values give one bucket per distinct value.

use serde::{Deserialize, Serialize};

/// One entry of a local rate limit descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(with = "RawDescriptorEntry"))]
#[serde(try_from = "RawDescriptorEntry", into = "RawDescriptorEntry")]
pub enum DescriptorEntry {
    /// A constant `key`/`value` pair: always present, so it never splits the bucket.
    Generic(GenericDescriptorEntry),
    /// The value of a request header (lowercased name); requests without it do not match.
    Header(String),
    /// The client IP address (without port), as Envoy resolved it for the connection.
    RemoteAddress,
    /// The request `:path`, query string included.
    Path,
}

impl DescriptorEntry {
    /// Whether the entry's value comes from the request (one bucket per distinct value).
    pub fn is_request_derived(&self) -> bool {
        !matches!(self, Self::Generic(_))
    }
}

/// `{key, value}` of a constant entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GenericDescriptorEntry {
    /// Descriptor key (non-empty).
    pub key: String,
    /// Descriptor value (non-empty).
    pub value: String,
}

/// `type` of a typed entry (the values of kgateway's `RateLimitDescriptorEntryType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DescriptorEntryType {
    /// `generic: {key, value}`.
    Generic,
    /// `header: <name>`.
    Header,
    /// The client address.
    RemoteAddress,
    /// The request path.
    Path,
}

/// The entry as written: either `{key, value}` or `{type, generic?, header?}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawDescriptorEntry {
    /// Constant entry key (kgateway's spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// Constant entry value (kgateway's spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    /// Typed entry kind.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<DescriptorEntryType>,
    /// With `type: Generic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generic: Option<GenericDescriptorEntry>,
    /// With `type: Header`: the header name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header: Option<String>,
}

impl TryFrom<RawDescriptorEntry> for DescriptorEntry {
    type Error = String;

    fn try_from(raw: RawDescriptorEntry) -> Result<Self, String> {
        let entry = match raw.kind {
            None => {
                if raw.generic.is_some() || raw.header.is_some() {
                    return Err("descriptor entry: `generic` and `header` need `type`".to_owned());
                }
                match (raw.key, raw.value) {
                    (Some(key), Some(value)) => {
                        Self::Generic(GenericDescriptorEntry { key, value })
                    }
                    _ => {
                        return Err(
                            "descriptor entry: give `key` and `value`, or a `type`".to_owned()
                        );
                    }
                }
            }
            Some(kind) => {
                if raw.key.is_some() || raw.value.is_some() {
                    return Err(
                        "descriptor entry: `key`/`value` cannot be combined with `type`".to_owned(),
                    );
                }
                typed_entry(kind, raw.generic, raw.header)?
            }
        };
        entry.check()?;
        Ok(entry)
    }
}

fn typed_entry(
    kind: DescriptorEntryType,
    generic: Option<GenericDescriptorEntry>,
    header: Option<String>,
) -> Result<DescriptorEntry, String> {
    let stray =
        |field: &str| format!("descriptor entry: `{field}` is not allowed with type {kind:?}");
    match kind {
        DescriptorEntryType::Generic => {
            if header.is_some() {
                return Err(stray("header"));
            }
            generic
                .map(DescriptorEntry::Generic)
                .ok_or_else(|| "descriptor entry: type Generic needs `generic`".to_owned())
        }
        DescriptorEntryType::Header => {
            if generic.is_some() {
                return Err(stray("generic"));
            }
            header
                .map(|name| DescriptorEntry::Header(name.to_ascii_lowercase()))
                .ok_or_else(|| "descriptor entry: type Header needs `header`".to_owned())
        }
        DescriptorEntryType::RemoteAddress | DescriptorEntryType::Path => {
            if generic.is_some() {
                return Err(stray("generic"));
            }
            if header.is_some() {
                return Err(stray("header"));
            }
            Ok(if kind == DescriptorEntryType::Path {
                DescriptorEntry::Path
            } else {
                DescriptorEntry::RemoteAddress
            })
        }
    }
}

impl DescriptorEntry {
    /// Non-empty keys, values and a valid header token.
    fn check(&self) -> Result<(), String> {
        match self {
            Self::Generic(GenericDescriptorEntry { key, value }) => {
                if key.is_empty() || value.is_empty() {
                    return Err("descriptor entry: `key` and `value` must not be empty".to_owned());
                }
            }
            Self::Header(name) => {
                let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                let bare = name.strip_prefix(':').unwrap_or(name);
                if bare.is_empty() || !bare.bytes().all(token) {
                    return Err(format!(
                        "descriptor entry: `header` {name:?} is not a header name"
                    ));
                }
            }
            Self::RemoteAddress | Self::Path => {}
        }
        Ok(())
    }
}

impl From<DescriptorEntry> for RawDescriptorEntry {
    fn from(entry: DescriptorEntry) -> Self {
        match entry {
            DescriptorEntry::Generic(GenericDescriptorEntry { key, value }) => Self {
                key: Some(key),
                value: Some(value),
                ..Self::default()
            },
            DescriptorEntry::Header(name) => Self {
                kind: Some(DescriptorEntryType::Header),
                header: Some(name),
                ..Self::default()
            },
            DescriptorEntry::RemoteAddress => Self {
                kind: Some(DescriptorEntryType::RemoteAddress),
                ..Self::default()
            },
            DescriptorEntry::Path => Self {
                kind: Some(DescriptorEntryType::Path),
                ..Self::default()
            },
        }
    }
}
