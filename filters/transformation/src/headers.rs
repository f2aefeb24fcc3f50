//! An immutable copy of a header map, taken once per message, that templates read.
//!
//! One contiguous buffer plus offsets: two allocations however many headers there are. Names are
//! stored lowercase; lookups are ASCII-case-insensitive and return every value of a name in order.

use std::borrow::Cow;

/// The headers of one message as they were before the transform (the render-snapshot rule).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderSnapshot {
    bytes: Vec<u8>,
    /// `(name_end, value_end)` offsets into `bytes`; each entry starts where the previous one ended.
    entries: Vec<(usize, usize)>,
}

impl HeaderSnapshot {
    /// Copies `(name, value)` pairs, e.g. what the host returns for the request or response headers.
    pub fn capture<'a>(headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Self {
        let headers = headers.into_iter();
        let (count, _) = headers.size_hint();
        // A typical header line is well under 64 bytes: usually no regrowth.
        let mut snapshot = Self {
            bytes: Vec::with_capacity(count * 64),
            entries: Vec::with_capacity(count),
        };
        for (name, value) in headers {
            snapshot.push(name, value);
        }
        snapshot
    }

    /// Appends one header; the name is lowercased.
    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let name_start = self.bytes.len();
        self.bytes.extend_from_slice(name);
        self.bytes[name_start..].make_ascii_lowercase();
        let name_end = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.entries.push((name_end, self.bytes.len()));
    }

    /// Number of header lines (a name present twice counts twice).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every `(name, value)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let starts = std::iter::once(0).chain(self.entries.iter().map(|&(_, value_end)| value_end));
        starts
            .zip(&self.entries)
            .map(|(start, &(name_end, value_end))| {
                (
                    &self.bytes[start..name_end],
                    &self.bytes[name_end..value_end],
                )
            })
    }

    /// Every value of `name` (ASCII-case-insensitive), in order.
    pub fn get_all<'s, 'n>(
        &'s self,
        name: &'n str,
    ) -> impl Iterator<Item = &'s [u8]> + use<'s, 'n> {
        self.iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// The value of `name` as templates see it: `None` when absent, the value when present once, and
    /// all values joined when repeated (RFC 9110 §5.3: `", "`; `"; "` for `cookie`, RFC 9113 §8.2.3).
    /// Invalid UTF-8 is replaced, never an error.
    pub fn value(&self, name: &str) -> Option<Cow<'_, str>> {
        let mut values = self.get_all(name);
        let first = values.next()?;
        let Some(second) = values.next() else {
            return Some(String::from_utf8_lossy(first));
        };
        let separator = if name.eq_ignore_ascii_case("cookie") {
            "; "
        } else {
            ", "
        };
        let mut joined = String::from_utf8_lossy(first).into_owned();
        for value in std::iter::once(second).chain(values) {
            joined.push_str(separator);
            joined.push_str(&String::from_utf8_lossy(value));
        }
        Some(Cow::Owned(joined))
    }
}

#[cfg(test)]
mod tests;
