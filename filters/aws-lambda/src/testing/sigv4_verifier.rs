//! A SigV4 (`AWS4-HMAC-SHA256`, header form) verifier written from the AWS specification:
//! recomputes the canonical request, string to sign and signature of a *received* request and
//! compares. Used by unit tests and by the fake Lambda; shares no code with `aws-sigv4`.

#[cfg(test)]
mod tests;

use crate::credentials::days_from_civil;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A request as it arrived: method, raw path (with query), headers as sent, body.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The request target as sent (`/a/b?x=1`), not decoded.
    pub path: &'a str,
    /// Headers in arrival order; names in any case.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl ReceivedRequest<'_> {
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.values(name).first().copied()
    }
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed.
    pub access_key_id: String,
    /// The signed header names, as listed.
    pub signed_headers: Vec<String>,
    /// `x-amz-date`.
    pub date: SystemTime,
}

/// Why a request was refused; [`Rejection::error_type`] is the AWS error name Lambda uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No `authorization` header.
    #[error("missing authentication token")]
    MissingAuthorization,
    /// The header is not `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..`.
    #[error("malformed authorization header: {0}")]
    Malformed(String),
    /// The access key is not known.
    #[error("the security token included in the request is invalid (unknown key {0})")]
    UnknownAccessKey(String),
    /// Credential scope names another date, region or service.
    #[error("credential scope {0:?} does not match {1:?}")]
    WrongScope(String, String),
    /// `x-amz-date` is missing or unreadable.
    #[error("missing or malformed x-amz-date")]
    BadDate,
    /// `x-amz-date` is more than the allowed skew away from now.
    #[error("signature expired or not yet valid: x-amz-date is {0:?} from now")]
    Skewed(Duration),
    /// `host` or `x-amz-date` is not signed, or a signed header is absent.
    #[error("signed headers {0:?} are incomplete or name absent headers")]
    SignedHeaders(String),
    /// The session token does not match the key's (or is missing / unexpected).
    #[error("the security token included in the request is invalid")]
    SecurityToken,
    /// `x-amz-content-sha256` does not match the body.
    #[error("x-amz-content-sha256 does not match the body")]
    ContentHash,
    /// The signature differs from the recomputed one.
    #[error("signature mismatch; canonical request was:\n{canonical_request}")]
    SignatureMismatch {
        /// The canonical request as recomputed here (for debugging tests).
        canonical_request: String,
    },
}

impl Rejection {
    /// The `x-amzn-errortype` Lambda would answer with.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::MissingAuthorization => "MissingAuthenticationTokenException",
            Self::Malformed(_) | Self::SignedHeaders(_) | Self::BadDate => {
                "IncompleteSignatureException"
            }
            Self::UnknownAccessKey(_) | Self::SecurityToken => "UnrecognizedClientException",
            Self::WrongScope(..)
            | Self::Skewed(_)
            | Self::ContentHash
            | Self::SignatureMismatch { .. } => "InvalidSignatureException",
        }
    }
}

#[derive(Clone)]
struct Key {
    secret: String,
    session_token: Option<String>,
}

/// Verifies requests for one region and service against known keys.
#[derive(Clone)]
pub struct SigV4Verifier {
    region: String,
    service: String,
    keys: BTreeMap<String, Key>,
    max_skew: Duration,
}

impl core::fmt::Debug for SigV4Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigV4Verifier")
            .field("region", &self.region)
            .field("service", &self.service)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl SigV4Verifier {
    /// A verifier for `region`/`service` with no keys, allowing AWS's 5 minutes of skew.
    pub fn new(region: &str, service: &str) -> Self {
        Self {
            region: region.to_owned(),
            service: service.to_owned(),
            keys: BTreeMap::new(),
            max_skew: Duration::from_secs(300),
        }
    }

    /// Accepts `access_key_id` with `secret`; with `session_token`, requests must carry it.
    #[must_use]
    pub fn with_key(
        mut self,
        access_key_id: &str,
        secret: &str,
        session_token: Option<&str>,
    ) -> Self {
        let key = Key {
            secret: secret.to_owned(),
            session_token: session_token.map(str::to_owned),
        };
        self.keys.insert(access_key_id.to_owned(), key);
        self
    }

    /// Accepts one more key (the fake's STS issues keys while it runs).
    pub fn add_key(&mut self, access_key_id: &str, secret: &str, session_token: Option<&str>) {
        let key = Key {
            secret: secret.to_owned(),
            session_token: session_token.map(str::to_owned),
        };
        self.keys.insert(access_key_id.to_owned(), key);
    }

    /// Checks `request`'s signature as of `now`.
    pub fn verify(
        &self,
        request: &ReceivedRequest<'_>,
        now: SystemTime,
    ) -> Result<Verified, Rejection> {
        let authorization = request
            .first("authorization")
            .ok_or(Rejection::MissingAuthorization)?;
        let parsed = parse_authorization(authorization)?;
        let key = self
            .keys
            .get(parsed.access_key_id)
            .ok_or_else(|| Rejection::UnknownAccessKey(parsed.access_key_id.to_owned()))?;

        let amz_date = request.first("x-amz-date").ok_or(Rejection::BadDate)?;
        let date = parse_amz_date(amz_date).ok_or(Rejection::BadDate)?;
        let skew = now
            .duration_since(date)
            .unwrap_or_else(|early| early.duration());
        if skew > self.max_skew {
            return Err(Rejection::Skewed(skew));
        }
        let expected_scope = format!(
            "{}/{}/{}/aws4_request",
            &amz_date[..8],
            self.region,
            self.service
        );
        if parsed.scope != expected_scope {
            return Err(Rejection::WrongScope(
                parsed.scope.to_owned(),
                expected_scope,
            ));
        }

        let token = request.first("x-amz-security-token");
        if token != key.session_token.as_deref() {
            return Err(Rejection::SecurityToken);
        }

        let signed: Vec<&str> = parsed.signed_headers.split(';').collect();
        let sorted = signed.windows(2).all(|pair| pair[0] < pair[1]);
        let lowercase = signed
            .iter()
            .all(|name| !name.is_empty() && *name == name.to_ascii_lowercase());
        let present = signed.iter().all(|name| request.first(name).is_some());
        if !sorted
            || !lowercase
            || !present
            || !signed.contains(&"host")
            || !signed.contains(&"x-amz-date")
        {
            return Err(Rejection::SignedHeaders(parsed.signed_headers.to_owned()));
        }

        let payload_hash = hex(&Sha256::digest(request.body));
        if let Some(declared) = request.first("x-amz-content-sha256")
            && declared != payload_hash
        {
            return Err(Rejection::ContentHash);
        }

        let canonical_request = canonical_request(request, &signed, &payload_hash);
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{expected_scope}\n{}",
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let signing_key = [&amz_date[..8], &self.region, &self.service, "aws4_request"]
            .iter()
            .fold(format!("AWS4{}", key.secret).into_bytes(), |key, part| {
                hmac(&key, part.as_bytes())
            });
        let signature = hex(&hmac(&signing_key, string_to_sign.as_bytes()));
        if !constant_time_eq(signature.as_bytes(), parsed.signature.as_bytes()) {
            return Err(Rejection::SignatureMismatch { canonical_request });
        }
        Ok(Verified {
            access_key_id: parsed.access_key_id.to_owned(),
            signed_headers: signed.iter().map(|name| (*name).to_owned()).collect(),
            date,
        })
    }
}

struct Authorization<'a> {
    access_key_id: &'a str,
    scope: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, Rejection> {
    let malformed = |what: &str| Rejection::Malformed(what.to_owned());
    let rest = header
        .strip_prefix(ALGORITHM)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| malformed("algorithm is not AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| malformed("a part without '='"))?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return Err(malformed(&format!("unknown part {name}"))),
        }
    }
    let credential = credential.ok_or_else(|| malformed("no Credential"))?;
    let (access_key_id, scope) = credential
        .split_once('/')
        .ok_or_else(|| malformed("Credential without scope"))?;
    Ok(Authorization {
        access_key_id,
        scope,
        signed_headers: signed_headers.ok_or_else(|| malformed("no SignedHeaders"))?,
        signature: signature.ok_or_else(|| malformed("no Signature"))?,
    })
}

/// `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED\nHASH`, per the spec (non-S3: the path as sent is
/// URI-encoded once more, segment by segment).
fn canonical_request(request: &ReceivedRequest<'_>, signed: &[&str], payload_hash: &str) -> String {
    let (path, query) = request.path.split_once('?').unwrap_or((request.path, ""));
    let path = if path.is_empty() { "/" } else { path };
    let uri = path
        .split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/");

    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&percent_decode(name)),
                uri_encode(&percent_decode(value)),
            )
        })
        .collect();
    params.sort();
    let query = params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut headers = String::new();
    for name in signed {
        let values: Vec<String> = request
            .values(name)
            .iter()
            .map(|value| collapse_spaces(value))
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    format!(
        "{}\n{uri}\n{query}\n{headers}\n{}\n{payload_hash}",
        request.method,
        signed.join(";")
    )
}

/// Encodes every byte except the unreserved `A-Z a-z 0-9 - _ . ~`.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let decoded = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Trims and turns runs of spaces into one.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses `x-amz-date` (`20240501T120000Z`).
pub fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: core::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let days = days_from_civil(number(0..4)?, number(4..6)?, number(6..8)?);
    let seconds = days * 86_400 + number(9..11)? * 3600 + number(11..13)? * 60 + number(13..15)?;
    u64::try_from(seconds)
        .ok()
        .map(|seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}
