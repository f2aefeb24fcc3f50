//! The non-blocking line sink: a bounded in-memory queue drained by one writer thread.
//!
//! Workers call [`FileSink::submit`], which never waits: when the queue is full the line is
//! dropped and counted. Submitting makes no system call either: the writer is not woken per
//! line but sleeps until the flush interval passes or the queue is half full, then drains it
//! and writes in large batches. It and reopens the file on `SIGHUP` / `SIGUSR1` (Envoy's own reopen signal) or
//! when the file at the path was replaced (logrotate without a signal), writing buffered lines
//! to the old file first so none is lost. Dropping the sink drains the queue, flushes and joins
//! the writer (bounded by [`SinkOptions::shutdown_timeout`]).

mod destination;
#[cfg(test)]
pub(crate) mod gate;
mod registry;
mod writer;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

pub use destination::Destination;
pub use registry::SinkRegistry;

/// Tuning of a sink; the defaults follow Envoy's file logger (1 s flush, 64 KiB batches).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkOptions {
    /// Lines the queue holds before new lines are dropped.
    pub queue_lines: usize,
    /// Longest time a line waits in the writer before being written.
    pub flush_interval: Duration,
    /// Batch size that triggers a write before the interval.
    pub flush_bytes: usize,
    /// Reopen on `SIGHUP` and `SIGUSR1`.
    pub reopen_on_signal: bool,
    /// How long dropping the sink waits for the writer to drain.
    pub shutdown_timeout: Duration,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            queue_lines: 16 * 1024,
            flush_interval: Duration::from_secs(1),
            flush_bytes: 64 * 1024,
            reopen_on_signal: true,
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

/// Counters of a sink since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Lines written to the destination.
    pub written_lines: u64,
    /// Lines dropped because the queue was full.
    pub dropped_lines: u64,
    /// Failed writes (their lines are lost).
    pub write_errors: u64,
    /// Successful reopens.
    pub reopens: u64,
    /// Failed reopens (the old file stays in use).
    pub reopen_errors: u64,
}

/// Counters and flags shared by the submitting side, the writer and signal handlers.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    written_lines: AtomicU64,
    dropped_lines: AtomicU64,
    write_errors: AtomicU64,
    reopens: AtomicU64,
    reopen_errors: AtomicU64,
    /// Set by a signal or [`FileSink::request_reopen`]; taken by the writer.
    reopen_requested: Arc<AtomicBool>,
    /// Lines in the queue (approximately: updated after the send and after the receive).
    queued: AtomicUsize,
    /// Queue length at which the submitting worker wakes the writer early.
    wake_at: usize,
}

pub(crate) enum Message {
    Line(Vec<u8>),
    /// Write everything queued so far; acknowledge when given a channel.
    Flush(Option<SyncSender<()>>),
}

/// A sink writing lines to one destination from a background thread.
pub struct FileSink {
    path: PathBuf,
    sender: Option<SyncSender<Message>>,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    /// The writer thread, to wake it (`unpark`) when waiting would be too long.
    writer_thread: Thread,
    /// Signalled by the writer when it exits (a `Mutex` only to make the sink `Sync`).
    writer_done: Mutex<Receiver<()>>,
    signals: Vec<signal_hook::SigId>,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("path", &self.path)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl FileSink {
    /// Opens `path` for appending (creating it), or duplicates Envoy's standard stream for
    /// `/dev/stdout` and `/dev/stderr`, and starts the writer. Fails when the file cannot be
    /// opened, so a bad path is a config error rather than silent loss.
    pub fn open(path: &Path, options: SinkOptions) -> io::Result<Self> {
        let destination = destination::open(path)?;
        Self::with_destination(path.to_path_buf(), destination, options)
    }

    /// A sink over any destination (tests use a destination they can stall).
    pub fn with_destination(
        path: PathBuf,
        destination: Box<dyn Destination>,
        options: SinkOptions,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            wake_at: (options.queue_lines / 2).max(1),
            ..Shared::default()
        });
        let (sender, receiver) = mpsc::sync_channel(options.queue_lines.max(1));
        let (done_sender, writer_done) = mpsc::sync_channel(1);
        let reopenable = options.reopen_on_signal && destination.reopenable();
        let writer = writer::Writer::new(destination, receiver, Arc::clone(&shared), &options);
        let thread = std::thread::Builder::new()
            .name("dynagate-accesslog".to_owned())
            .spawn(move || {
                writer.run();
                let _ = done_sender.send(());
            })?;
        let mut sink = Self {
            path,
            sender: Some(sender),
            shared,
            writer_thread: thread.thread().clone(),
            writer: Some(thread),
            writer_done: Mutex::new(writer_done),
            signals: Vec::new(),
            shutdown_timeout: options.shutdown_timeout,
        };
        // Registered last: on failure, dropping `sink` stops the writer and unregisters.
        if reopenable {
            for signal in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGUSR1] {
                let flag = Arc::clone(&sink.shared.reopen_requested);
                sink.signals
                    .push(signal_hook::flag::register(signal, flag)?);
            }
        }
        Ok(sink)
    }

    /// The path this sink writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one line (bytes as written, newline included). Never blocks: returns `false` and
    /// counts the line as dropped when the queue is full.
    pub fn submit(&self, line: Vec<u8>) -> bool {
        let Some(sender) = &self.sender else {
            return false;
        };
        // Counted before sending so the writer, which uncounts after receiving, never sees
        // the count below zero.
        let queued = self.shared.queued.fetch_add(1, Ordering::Relaxed) + 1;
        if sender.try_send(Message::Line(line)).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
            self.shared.dropped_lines.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // Only the line that reaches half the queue wakes the writer (one syscall per half
        // queue under load); otherwise the writer's own timer picks lines up.
        if queued == self.shared.wake_at {
            self.writer_thread.unpark();
        }
        true
    }

    /// Asks the writer to write what it holds, without waiting (skipped when the queue is full:
    /// the writer is busy writing anyway).
    pub fn request_flush(&self) {
        if let Some(sender) = &self.sender
            && sender.try_send(Message::Flush(None)).is_ok()
        {
            self.writer_thread.unpark();
        }
    }

    /// Writes everything queued before this call and waits for it (tests, shutdown paths).
    /// Returns `false` if the writer did not answer within `timeout`.
    pub fn flush_and_wait(&self, timeout: Duration) -> bool {
        let Some(sender) = &self.sender else {
            return false;
        };
        let (ack, acked) = mpsc::sync_channel(1);
        if sender.send(Message::Flush(Some(ack))).is_err() {
            return false;
        }
        self.writer_thread.unpark();
        acked.recv_timeout(timeout).is_ok()
    }

    /// Asks the writer to reopen the file at the next tick, as `SIGHUP` does.
    pub fn request_reopen(&self) {
        self.shared.reopen_requested.store(true, Ordering::Relaxed);
    }

    /// Current counters.
    pub fn stats(&self) -> SinkStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SinkStats {
            written_lines: load(&self.shared.written_lines),
            dropped_lines: load(&self.shared.dropped_lines),
            write_errors: load(&self.shared.write_errors),
            reopens: load(&self.shared.reopens),
            reopen_errors: load(&self.shared.reopen_errors),
        }
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        for id in self.signals.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        // Closing the queue makes the writer drain it, flush and exit.
        drop(self.sender.take());
        self.writer_thread.unpark();
        let done = self
            .writer_done
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if done.recv_timeout(self.shutdown_timeout).is_ok()
            && let Some(writer) = self.writer.take()
        {
            let _ = writer.join();
        }
        // Otherwise the destination is stuck (e.g. a FIFO nobody reads): the thread is left
        // to finish on its own rather than hanging Envoy's main thread.
    }
}

#[cfg(test)]
mod tests;
