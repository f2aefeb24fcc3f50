//! Conversions between ABI buffers and Rust slices, and stack-first arrays of module headers.

use core::marker::PhantomData;
use dynagate_abi as abi;

/// Views an Envoy buffer as bytes for `'a`.
///
/// # Safety
/// `buffer` must be null/empty or point to `length` readable bytes that stay valid and
/// unmodified for `'a` (Envoy guarantees this until the hook returns or a setter is called).
pub(super) unsafe fn envoy_bytes<'a>(buffer: abi::EnvoyBuffer) -> &'a [u8] {
    if buffer.ptr.is_null() || buffer.length == 0 {
        &[]
    } else {
        // SAFETY: non-null and readable for `length` bytes per the contract.
        unsafe { core::slice::from_raw_parts(buffer.ptr.cast::<u8>(), buffer.length) }
    }
}

/// Views an Envoy header as a name/value pair for `'a`.
///
/// # Safety
/// As for `envoy_bytes`, for both the key and the value.
pub(super) unsafe fn envoy_header<'a>(header: abi::EnvoyHttpHeader) -> (&'a [u8], &'a [u8]) {
    let key = abi::EnvoyBuffer {
        ptr: header.key_ptr,
        length: header.key_length,
    };
    let value = abi::EnvoyBuffer {
        ptr: header.value_ptr,
        length: header.value_length,
    };
    // SAFETY: forwarded contract.
    unsafe { (envoy_bytes(key), envoy_bytes(value)) }
}

/// Views an array of Envoy headers (null allowed when `len` is 0).
///
/// # Safety
/// `headers` points to `len` valid headers whose bytes stay valid for `'a`.
pub(super) unsafe fn envoy_header_array<'a>(
    headers: *const abi::EnvoyHttpHeader,
    len: usize,
) -> Vec<(&'a [u8], &'a [u8])> {
    if headers.is_null() || len == 0 {
        return Vec::new();
    }
    // SAFETY: per the contract.
    let raw = unsafe { core::slice::from_raw_parts(headers, len) };
    // SAFETY: per the contract.
    raw.iter().map(|h| unsafe { envoy_header(*h) }).collect()
}

/// Views an array of Envoy buffers (null allowed when `len` is 0).
///
/// # Safety
/// `chunks` points to `len` valid buffers whose bytes stay valid for `'a`.
pub(super) unsafe fn envoy_buffer_array<'a>(
    chunks: *const abi::EnvoyBuffer,
    len: usize,
) -> Vec<&'a [u8]> {
    if chunks.is_null() || len == 0 {
        return Vec::new();
    }
    // SAFETY: per the contract.
    let raw = unsafe { core::slice::from_raw_parts(chunks, len) };
    // SAFETY: per the contract.
    raw.iter().map(|b| unsafe { envoy_bytes(*b) }).collect()
}

/// Module headers for one callback, on the stack unless there are many; borrows the pairs.
pub(super) struct ModuleHeaders<'a> {
    inline: [abi::ModuleHttpHeader; INLINE_HEADERS],
    heap: Vec<abi::ModuleHttpHeader>,
    len: usize,
    _pairs: PhantomData<&'a [u8]>,
}

const INLINE_HEADERS: usize = 16;

impl<'a> ModuleHeaders<'a> {
    pub(super) fn new(pairs: &'a [(&'a str, &'a [u8])]) -> Self {
        let empty = abi::ModuleHttpHeader::new(&[], &[]);
        let mut inline = [empty; INLINE_HEADERS];
        let mut heap = Vec::new();
        if pairs.len() <= INLINE_HEADERS {
            for (slot, (name, value)) in inline.iter_mut().zip(pairs) {
                *slot = abi::ModuleHttpHeader::new(name.as_bytes(), value);
            }
        } else {
            heap = pairs
                .iter()
                .map(|(n, v)| abi::ModuleHttpHeader::new(n.as_bytes(), v))
                .collect();
        }
        Self {
            inline,
            heap,
            len: pairs.len(),
            _pairs: PhantomData,
        }
    }

    /// Pointer and length for the callback (null when empty).
    pub(super) fn as_raw(&mut self) -> (*mut abi::ModuleHttpHeader, usize) {
        if self.len == 0 {
            (core::ptr::null_mut(), 0)
        } else if self.heap.is_empty() {
            (self.inline.as_mut_ptr(), self.len)
        } else {
            (self.heap.as_mut_ptr(), self.len)
        }
    }
}

/// A module buffer for an optional string: null when absent.
pub(super) fn optional_str(text: Option<&str>) -> abi::ModuleBuffer {
    text.map_or(abi::ModuleBuffer::NULL, abi::ModuleBuffer::from_str)
}
