//! What the limiter needs from a request (descriptor values) and from chance (`percentEnabled`,
//! `percentEnforced`), behind small traits so the decision logic runs without Envoy.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// The request values descriptor entries read.
pub trait RequestFacts {
    /// First value of request header `name` (lowercase).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// The `:path` header, query string included.
    fn path(&self) -> Option<&[u8]>;
    /// The client IP address, without port.
    fn remote_address(&self) -> Option<&[u8]>;
}

/// `1.2.3.4:80` -> `1.2.3.4`, `[::1]:80` -> `::1`; anything else (a bare IP) unchanged.
pub fn address_without_port(address: &[u8]) -> &[u8] {
    if let Some(bracketed) = address.strip_prefix(b"[") {
        if let Some(end) = bracketed.iter().position(|&b| b == b']') {
            return &bracketed[..end];
        }
        return address;
    }
    let mut colons = address.iter().enumerate().filter(|&(_, &b)| b == b':');
    match (colons.next(), colons.next()) {
        (Some((at, _)), None) => &address[..at],
        _ => address,
    }
}

/// A source of uniform rolls in `0..100`.
pub trait PercentDice {
    /// The next roll.
    fn roll(&mut self) -> u32;

    /// True for `percent`% of calls; no roll for 0 and 100.
    fn chance(&mut self, percent: u32) -> bool {
        match percent {
            0 => false,
            100.. => true,
            _ => self.roll() < percent,
        }
    }
}

/// Per-thread xorshift: cheap, no locks, seeded randomly per thread (not for cryptography).
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadDice;

impl PercentDice for ThreadDice {
    fn roll(&mut self) -> u32 {
        thread_local! {
            static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(0_u64) | 1);
        }
        STATE.with(|state| {
            let mut x = state.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.set(x);
            // Multiply-shift maps 64 random bits onto 0..100 without modulo bias worth noting.
            ((u128::from(x) * 100) >> 64) as u32
        })
    }
}

#[cfg(test)]
mod tests;
