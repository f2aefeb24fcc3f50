//! STS `AssumeRoleWithWebIdentity`: the request (an unsigned form POST carrying the web identity
//! token) and its XML answer, parsed without an XML library (the shape is fixed and small).

use std::time::{Duration, SystemTime};

/// Version of the STS query API.
const STS_API_VERSION: &str = "2011-06-15";

/// A ready-to-send STS request; the filter turns it into an Envoy HTTP callout.
#[derive(Clone, PartialEq, Eq)]
pub struct StsCallout {
    /// Envoy cluster of the STS endpoint.
    pub cluster: String,
    /// `host` header.
    pub authority: String,
    /// Form body (contains the web identity token: never log it).
    pub body: String,
    /// Callout timeout.
    pub timeout: Duration,
}

impl StsCallout {
    /// Builds the form body of `AssumeRoleWithWebIdentity`.
    pub fn assume_role_with_web_identity(
        cluster: &str,
        authority: &str,
        role_arn: &str,
        session_name: &str,
        token: &str,
        timeout: Duration,
    ) -> Self {
        let mut body = String::with_capacity(token.len() + role_arn.len() + 128);
        body.push_str("Action=AssumeRoleWithWebIdentity&Version=");
        body.push_str(STS_API_VERSION);
        for (key, value) in [
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
            ("WebIdentityToken", token),
        ] {
            body.push('&');
            body.push_str(key);
            body.push('=');
            form_encode(value, &mut body);
        }
        Self {
            cluster: cluster.to_owned(),
            authority: authority.to_owned(),
            body,
            timeout,
        }
    }

    /// The callout's headers (`:method`, `:path`, `host`, content and accept types).
    pub fn headers(&self) -> [(&'static str, &[u8]); 5] {
        [
            (":method", b"POST"),
            (":path", b"/"),
            ("host", self.authority.as_bytes()),
            (
                "content-type",
                b"application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("accept", b"text/xml"),
        ]
    }
}

impl core::fmt::Debug for StsCallout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StsCallout")
            .field("cluster", &self.cluster)
            .field("authority", &self.authority)
            .field(
                "body",
                &format_args!("<{} bytes, token redacted>", self.body.len()),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Temporary keys returned by STS.
#[derive(Clone, PartialEq, Eq)]
pub struct StsCredentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `SessionToken`.
    pub session_token: String,
    /// `Expiration`.
    pub expiration: SystemTime,
}

impl core::fmt::Debug for StsCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StsCredentials")
            .field("access_key_id", &self.access_key_id.get(..4).unwrap_or(""))
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Why STS gave no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// STS answered with an error document (`<Error><Code>..</Code><Message>..</Message>`).
    #[error("STS answered {status}: {code}: {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// AWS error code (`InvalidIdentityToken`, `AccessDenied`, ...).
        code: String,
        /// AWS error message.
        message: String,
    },
    /// The answer was not the document STS sends.
    #[error("malformed STS answer (status {status}): {what}")]
    Malformed {
        /// HTTP status.
        status: u16,
        /// What was missing or wrong.
        what: String,
    },
    /// The callout itself failed (reset, timeout, no cluster).
    #[error("STS callout failed: {0}")]
    Callout(String),
    /// The web identity token could not be read.
    #[error("cannot read the web identity token: {0}")]
    Token(String),
}

/// Parses the answer to `AssumeRoleWithWebIdentity`.
pub fn parse_assume_role_response(status: u16, body: &[u8]) -> Result<StsCredentials, StsError> {
    let malformed = |what: &str| StsError::Malformed {
        status,
        what: what.to_owned(),
    };
    let xml = core::str::from_utf8(body).map_err(|_| malformed("not UTF-8"))?;
    if !(200..300).contains(&status) {
        return Err(match element(xml, "Error") {
            Some(error) => StsError::Rejected {
                status,
                code: element(error, "Code").map(unescape).unwrap_or_default(),
                message: element(error, "Message").map(unescape).unwrap_or_default(),
            },
            None => malformed("error status without an <Error> document"),
        });
    }
    let credentials = element(xml, "Credentials").ok_or_else(|| malformed("no <Credentials>"))?;
    let field = |name: &str| {
        element(credentials, name)
            .map(unescape)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| malformed(&format!("no <{name}>")))
    };
    let expiration = field("Expiration")?;
    Ok(StsCredentials {
        access_key_id: field("AccessKeyId")?,
        secret_access_key: field("SecretAccessKey")?,
        session_token: field("SessionToken")?,
        expiration: parse_iso8601(&expiration)
            .ok_or_else(|| malformed(&format!("unreadable <Expiration> {expiration:?}")))?,
    })
}

/// The text between `<name>` (or `<name attr..>`) and `</name>`.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = xml[from..].find('<') {
        let start = from + found + 1;
        let rest = &xml[start..];
        if let Some(after) = rest.strip_prefix(name)
            && let Some(close) = after.find('>')
            && (close == 0 || after.starts_with(|c: char| c.is_ascii_whitespace()))
        {
            let content_start = start + name.len() + close + 1;
            let end_tag = format!("</{name}>");
            let end = xml[content_start..].find(&end_tag)?;
            return Some(&xml[content_start..content_start + end]);
        }
        from = start;
    }
    None
}

/// Replaces the five predefined XML entities and numeric character references.
fn unescape(text: &str) -> String {
    let text = text.trim();
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';') else {
            out.push_str(&rest[amp..]);
            return out;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[amp..=amp + semi + 1]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// `application/x-www-form-urlencoded` value encoding (unreserved characters kept).
fn form_encode(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Parses an ISO 8601 UTC timestamp as STS writes it: `2024-05-01T12:00:00Z`, optionally with
/// fractional seconds and a `+00:00` offset.
pub fn parse_iso8601(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let number = |range: core::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, minutes) = rest.get(1..)?.split_once(':')?;
            sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60)
        }
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    u64::try_from(seconds)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
