//! What the client sees: the 429 answer (Envoy's body and details) and the `x-ratelimit-*`
//! (draft-polli-ratelimit-headers-03) and `retry-after` headers, formatted without allocating.

use crate::clock::Nanos;
use crate::policy::Quota;

/// Status of an enforced limit.
pub const TOO_MANY_REQUESTS: u16 = 429;
/// Body of the 429, as Envoy's local rate limit filter sends it.
pub const LIMITED_BODY: &[u8] = b"local_rate_limited";
/// Response code details for the access log (`%RESPONSE_CODE_DETAILS%`).
pub const LIMITED_DETAILS: &str = "local_rate_limited";

/// `x-ratelimit-limit`: the bucket size.
pub const LIMIT_HEADER: &str = "x-ratelimit-limit";
/// `x-ratelimit-remaining`: tokens left.
pub const REMAINING_HEADER: &str = "x-ratelimit-remaining";
/// `x-ratelimit-reset`: whole seconds until the next fill.
pub const RESET_HEADER: &str = "x-ratelimit-reset";
/// `retry-after`: whole seconds until a retry can succeed.
pub const RETRY_AFTER_HEADER: &str = "retry-after";

/// An unsigned integer as decimal ASCII, on the stack.
#[derive(Clone, Copy)]
pub struct Decimal {
    digits: [u8; 20],
    start: u8,
}

impl Decimal {
    /// Formats `value`.
    pub fn new(mut value: u64) -> Self {
        let mut digits = [0_u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        Self {
            digits,
            start: start as u8,
        }
    }

    /// The ASCII digits.
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[usize::from(self.start)..]
    }
}

impl core::fmt::Debug for Decimal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
    }
}

/// Whole seconds from `now` until `then`, rounded up (0 if `then` has passed).
pub fn seconds_until(then: Nanos, now: Nanos) -> u64 {
    then.0.saturating_sub(now.0).div_ceil(1_000_000_000)
}

/// The three draft-03 headers for `quota` as of `now`.
pub fn rate_limit_headers(quota: &Quota, now: Nanos) -> [(&'static str, Decimal); 3] {
    [
        (LIMIT_HEADER, Decimal::new(u64::from(quota.limit))),
        (REMAINING_HEADER, Decimal::new(u64::from(quota.remaining))),
        (
            RESET_HEADER,
            Decimal::new(seconds_until(quota.next_fill, now)),
        ),
    ]
}

/// `retry-after` for a denied request: seconds until the empty bucket's next fill, at least 1
/// (a 0 would invite an immediate retry that is still denied within the same second).
pub fn retry_after(quota: &Quota, now: Nanos) -> Decimal {
    Decimal::new(seconds_until(quota.next_fill, now).max(1))
}

#[cfg(test)]
mod tests;
