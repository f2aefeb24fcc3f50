//! SigV4 signing of Invoke requests (service `lambda`), with the `aws-sigv4` crate's key
//! derivation and signature, around a canonical request prepared for this one request shape.
//!
//! An Invoke request always has the same form: `POST`, a fixed path, no query, and the headers
//! the filter itself sets. So the canonical URI is computed once at config load, the canonical
//! request is written straight into one buffer, and the derived signing key is cached per key
//! and day; `aws-sigv4`'s general signer (kept as the reference in the tests, which require
//! byte-identical output) costs three times as much per request.
//!
//! Signed: `host`, `content-type` (when present), `x-amz-date`, `x-amz-invocation-type`,
//! `x-amz-security-token` (with temporary keys) — only headers nothing after the filter
//! changes. The payload hash covers the final body (after the JSON event mapping).

#[cfg(test)]
mod tests;

use crate::credentials::SigningCredentials;
use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// The SigV4 service name of Lambda.
pub const LAMBDA_SERVICE: &str = "lambda";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Signs Invoke requests of one target (region, authority, path fixed at load).
#[derive(Debug, Clone)]
pub struct InvokeSigner {
    region: String,
    authority: String,
    /// The path as sent, URI-encoded once more segment by segment (non-S3 rule).
    canonical_uri: String,
}

/// Headers to add to the request.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `authorization`.
    pub authorization: String,
    /// `x-amz-date`.
    pub amz_date: String,
    /// `x-amz-security-token`, with temporary keys.
    pub security_token: Option<String>,
}

impl core::fmt::Debug for SignatureHeaders {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignatureHeaders")
            .field("amz_date", &self.amz_date)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl SignatureHeaders {
    /// `(name, value)` pairs to set on the request.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(("authorization", self.authorization.as_str())),
            Some(("x-amz-date", self.amz_date.as_str())),
            self.security_token
                .as_deref()
                .map(|token| ("x-amz-security-token", token)),
        ]
        .into_iter()
        .flatten()
    }
}

impl InvokeSigner {
    /// A signer for requests to `authority` + `path` in `region`.
    pub fn new(region: &str, authority: &str, path: &str) -> Self {
        Self {
            region: region.to_owned(),
            authority: authority.to_owned(),
            canonical_uri: canonical_uri(path),
        }
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Signs a request with `x-amz-invocation-type: invocation_type`, `content-type` (if the
    /// request carries one) and `body`, at `time`.
    pub fn sign(
        &self,
        invocation_type: &str,
        content_type: Option<&str>,
        body: &[u8],
        credentials: &SigningCredentials,
        time: SystemTime,
    ) -> SignatureHeaders {
        let seconds = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let amz_date = format_amz_date(seconds);
        let date = &amz_date[..8];
        let token = credentials.session_token();

        let mut canonical =
            String::with_capacity(512 + self.canonical_uri.len() + token.map_or(0, str::len));
        canonical.push_str("POST\n");
        canonical.push_str(&self.canonical_uri);
        canonical.push_str("\n\n");
        let mut signed_headers = String::with_capacity(80);
        let mut header = |name: &str, value: &str| {
            canonical.push_str(name);
            canonical.push(':');
            push_trimmed(&mut canonical, value);
            canonical.push('\n');
            if !signed_headers.is_empty() {
                signed_headers.push(';');
            }
            signed_headers.push_str(name);
        };
        // Sorted by name, as the canonical form requires.
        if let Some(content_type) = content_type {
            header("content-type", content_type);
        }
        header("host", &self.authority);
        header("x-amz-date", &amz_date);
        header("x-amz-invocation-type", invocation_type);
        if let Some(token) = token {
            header("x-amz-security-token", token);
        }
        canonical.push('\n');
        canonical.push_str(&signed_headers);
        canonical.push('\n');
        push_hex(&mut canonical, &Sha256::digest(body));

        let scope = format!("{date}/{}/{LAMBDA_SERVICE}/aws4_request", self.region);
        let mut string_to_sign = String::with_capacity(160);
        let _ = write!(string_to_sign, "{ALGORITHM}\n{amz_date}\n{scope}\n");
        push_hex(&mut string_to_sign, &Sha256::digest(canonical.as_bytes()));

        let key = credentials.signing_key(seconds / 86_400, &self.region, || {
            generate_signing_key(
                credentials.secret_access_key(),
                time,
                &self.region,
                LAMBDA_SERVICE,
            )
            .as_ref()
            .to_vec()
        });
        let signature = calculate_signature(&*key, string_to_sign.as_bytes());
        let authorization = format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id()
        );
        SignatureHeaders {
            authorization,
            amz_date,
            security_token: token.map(str::to_owned),
        }
    }
}

/// Each segment of the sent path encoded again (everything but `A-Za-z0-9-._~`).
fn canonical_uri(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let mut out = String::with_capacity(path.len() * 2);
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Appends `value` trimmed, with runs of spaces collapsed to one (canonical header value).
fn push_trimmed(out: &mut String, value: &str) {
    for (index, word) in value.split_ascii_whitespace().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
}

/// `YYYYMMDDTHHMMSSZ` of Unix time `seconds`.
pub(crate) fn format_amz_date(seconds: u64) -> String {
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}
