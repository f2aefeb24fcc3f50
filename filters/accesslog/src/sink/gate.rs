//! Test support: a destination whose writes block until the test opens the gate, to hold the
//! writer thread still while the queue fills.

use super::Destination;
use std::io;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Shared between the test and the destination.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    open: bool,
    writes_started: usize,
    written: Vec<u8>,
}

impl Gate {
    /// Lets every pending and future write through.
    pub(crate) fn open(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .open = true;
        self.changed.notify_all();
    }

    /// Waits until `count` writes have started (blocked or not); `false` on timeout.
    pub(crate) fn wait_for_writes(&self, count: usize, timeout: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let waited = self
            .changed
            .wait_timeout_while(state, timeout, |s| s.writes_started < count)
            .unwrap_or_else(PoisonError::into_inner);
        !waited.1.timed_out()
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> Vec<u8> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .written
            .clone()
    }
}

/// The destination side of a [`Gate`].
pub(crate) struct GatedDestination(pub(crate) Arc<Gate>);

impl Destination for GatedDestination {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let gate = &self.0;
        let mut state = gate.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.writes_started += 1;
        gate.changed.notify_all();
        while !state.open {
            state = gate
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.written.extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn reopenable(&self) -> bool {
        false
    }

    fn replaced(&self) -> bool {
        false
    }

    fn reopen(&mut self) -> io::Result<()> {
        Ok(())
    }
}
