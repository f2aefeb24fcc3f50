//! Envoy's response flags: bit positions, short names (`UF`) and long names
//! (`UpstreamConnectionFailure`), in `StreamInfo::CoreResponseFlag` order.

use crate::entry::ResponseFlags;

/// One core response flag: its bit in [`ResponseFlags`] and its two spellings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseFlag {
    /// Bit position (the `CoreResponseFlag` value).
    pub bit: u32,
    /// Short name, as in `%RESPONSE_FLAGS%` and `responseFlagFilter.flags`.
    pub short: &'static str,
    /// Long name, as in `%RESPONSE_FLAGS_LONG%`.
    pub long: &'static str,
}

const fn flag(bit: u32, short: &'static str, long: &'static str) -> ResponseFlag {
    ResponseFlag { bit, short, long }
}

/// Every core flag, in bit order.
pub const RESPONSE_FLAGS: [ResponseFlag; 30] = [
    flag(0, "LH", "FailedLocalHealthCheck"),
    flag(1, "UH", "NoHealthyUpstream"),
    flag(2, "UT", "UpstreamRequestTimeout"),
    flag(3, "LR", "LocalReset"),
    flag(4, "UR", "UpstreamRemoteReset"),
    flag(5, "UF", "UpstreamConnectionFailure"),
    flag(6, "UC", "UpstreamConnectionTermination"),
    flag(7, "UO", "UpstreamOverflow"),
    flag(8, "NR", "NoRouteFound"),
    flag(9, "DI", "DelayInjected"),
    flag(10, "FI", "FaultInjected"),
    flag(11, "RL", "RateLimited"),
    flag(12, "UAEX", "UnauthorizedExternalService"),
    flag(13, "RLSE", "RateLimitServiceError"),
    flag(14, "DC", "DownstreamConnectionTermination"),
    flag(15, "URX", "UpstreamRetryLimitExceeded"),
    flag(16, "SI", "StreamIdleTimeout"),
    flag(17, "IH", "InvalidEnvoyRequestHeaders"),
    flag(18, "DPE", "DownstreamProtocolError"),
    flag(19, "UMSDR", "UpstreamMaxStreamDurationReached"),
    flag(20, "RFCF", "ResponseFromCacheFilter"),
    flag(21, "NFCF", "NoFilterConfigFound"),
    flag(22, "DT", "DurationTimeout"),
    flag(23, "UPE", "UpstreamProtocolError"),
    flag(24, "NC", "NoClusterFound"),
    flag(25, "OM", "OverloadManager"),
    flag(26, "DF", "DnsResolutionFailed"),
    flag(27, "DO", "DropOverload"),
    flag(28, "DR", "DownstreamRemoteReset"),
    flag(29, "UDO", "UnconditionalDropOverload"),
];

impl ResponseFlag {
    /// The flag with short name `name` (`UH`, `NR`, ...).
    pub fn from_short_name(name: &str) -> Option<Self> {
        RESPONSE_FLAGS
            .iter()
            .copied()
            .find(|flag| flag.short == name)
    }

    /// This flag's bit as a mask.
    pub const fn mask(self) -> u64 {
        1 << self.bit
    }
}

impl ResponseFlags {
    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether any flag of `mask` is set.
    pub const fn intersects(self, mask: u64) -> bool {
        self.0 & mask != 0
    }

    /// Writes the flags comma-separated in bit order (`UF,URX`), or `-` when none is set.
    /// Envoy lists them in the order they were raised; the bitmask only knows bit order.
    pub fn write(self, long: bool, out: &mut Vec<u8>) {
        if self.is_empty() {
            out.push(b'-');
            return;
        }
        let mut first = true;
        for flag in RESPONSE_FLAGS
            .iter()
            .filter(|flag| self.intersects(flag.mask()))
        {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(if long { flag.long } else { flag.short }.as_bytes());
        }
    }
}
