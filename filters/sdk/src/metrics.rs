//! Metric handles: defined once at config load, recorded per request by id (no name lookups).

use crate::error::MetricError;
use core::marker::PhantomData;
use dynagate_abi as abi;

macro_rules! metric_handle {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name {
            id: usize,
            labels: usize,
        }

        impl $name {
            /// Wraps the id Envoy (or a fake host) assigned and the number of label names.
            #[doc(hidden)]
            pub const fn from_raw(id: usize, labels: usize) -> Self {
                Self { id, labels }
            }

            /// The id assigned at definition.
            pub const fn id(self) -> usize {
                self.id
            }

            /// Number of label names given at definition.
            pub const fn label_count(self) -> usize {
                self.labels
            }

            /// Checks that `values` has one value per label name.
            pub fn check_labels(self, values: &[&str]) -> Result<(), MetricError> {
                if values.len() == self.labels {
                    Ok(())
                } else {
                    Err(MetricError::LabelCount { expected: self.labels, got: values.len() })
                }
            }
        }
    };
}

metric_handle! {
    /// A monotonically increasing counter.
    Counter
}
metric_handle! {
    /// A gauge (set, increment, decrement).
    Gauge
}
metric_handle! {
    /// A histogram of recorded values.
    Histogram
}

/// Maps Envoy's metrics result to `Result`.
pub(crate) fn check(result: abi::MetricsResult) -> Result<(), MetricError> {
    match result {
        abi::MetricsResult::SUCCESS => Ok(()),
        abi::MetricsResult::METRIC_NOT_FOUND => Err(MetricError::NotFound),
        abi::MetricsResult::INVALID_LABELS => Err(MetricError::InvalidLabels),
        abi::MetricsResult::FROZEN => Err(MetricError::Frozen),
        other => Err(MetricError::Unknown(other.0)),
    }
}

/// Label values as ABI buffers on the stack (heap only beyond `INLINE` labels); borrows the
/// values so the buffers cannot outlive them.
pub(crate) struct LabelBuffers<'a> {
    inline: [abi::ModuleBuffer; INLINE_LABELS],
    heap: Vec<abi::ModuleBuffer>,
    len: usize,
    _values: PhantomData<&'a str>,
}

const INLINE_LABELS: usize = 8;

impl<'a> LabelBuffers<'a> {
    pub(crate) fn new(values: &'a [&'a str]) -> Self {
        let mut inline = [abi::ModuleBuffer::NULL; INLINE_LABELS];
        let mut heap = Vec::new();
        if values.len() <= INLINE_LABELS {
            for (slot, value) in inline.iter_mut().zip(values) {
                *slot = abi::ModuleBuffer::from_str(value);
            }
        } else {
            heap = values
                .iter()
                .map(|v| abi::ModuleBuffer::from_str(v))
                .collect();
        }
        Self {
            inline,
            heap,
            len: values.len(),
            _values: PhantomData,
        }
    }

    /// Pointer and length for the callback; null when empty (the ABI allows it).
    pub(crate) fn as_raw(&mut self) -> (*mut abi::ModuleBuffer, usize) {
        if self.len == 0 {
            (core::ptr::null_mut(), 0)
        } else if self.heap.is_empty() {
            (self.inline.as_mut_ptr(), self.len)
        } else {
            (self.heap.as_mut_ptr(), self.len)
        }
    }
}
