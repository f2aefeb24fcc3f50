//! The writer thread: drains the queue into batches, writes them, flushes on a timer, reopens
//! on request or when the file was replaced.

use super::{Destination, Message, Shared, SinkOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

pub(crate) struct Writer {
    destination: Box<dyn Destination>,
    receiver: Receiver<Message>,
    shared: Arc<Shared>,
    batch: Vec<u8>,
    batch_lines: u64,
    flush_interval: Duration,
    flush_bytes: usize,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

impl Writer {
    pub(crate) fn new(
        destination: Box<dyn Destination>,
        receiver: Receiver<Message>,
        shared: Arc<Shared>,
        options: &SinkOptions,
    ) -> Self {
        Self {
            destination,
            receiver,
            shared,
            batch: Vec::with_capacity(options.flush_bytes.min(1 << 20)),
            batch_lines: 0,
            flush_interval: options.flush_interval,
            flush_bytes: options.flush_bytes.max(1),
        }
    }

    /// Runs until every sender is gone, then writes what is left.
    pub(crate) fn run(mut self) {
        let mut next_tick = Instant::now() + self.flush_interval;
        loop {
            let disconnected = self.drain();
            if Instant::now() >= next_tick {
                self.tick();
                next_tick = Instant::now() + self.flush_interval;
            }
            if disconnected {
                break;
            }
            // Woken early by a half-full queue, a flush request or the sink's drop.
            std::thread::park_timeout(next_tick.saturating_duration_since(Instant::now()));
        }
        self.write_batch();
        let _ = self.destination.flush();
    }

    /// Handles everything queued; `true` once the sink is gone (nothing more will come).
    fn drain(&mut self) -> bool {
        loop {
            match self.receiver.try_recv() {
                Ok(message) => self.handle(message),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => return true,
            }
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Line(line) => {
                self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                self.batch.extend_from_slice(&line);
                self.batch_lines += 1;
                if self.batch.len() >= self.flush_bytes {
                    self.write_batch();
                }
            }
            Message::Flush(ack) => {
                self.write_batch();
                let _ = self.destination.flush();
                if let Some(ack) = ack {
                    let _ = ack.send(());
                }
            }
        }
    }

    fn tick(&mut self) {
        self.write_batch();
        let _ = self.destination.flush();
        let requested = self.shared.reopen_requested.swap(false, Ordering::Relaxed);
        if self.destination.reopenable() && (requested || self.destination.replaced()) {
            // The batch was written to the old file above: reopening loses nothing.
            match self.destination.reopen() {
                Ok(()) => bump(&self.shared.reopens, 1),
                Err(_) => bump(&self.shared.reopen_errors, 1),
            }
        }
    }

    fn write_batch(&mut self) {
        if self.batch_lines == 0 {
            return;
        }
        let written = if self.batch.is_empty() {
            Ok(())
        } else {
            self.destination.write_all(&self.batch)
        };
        match written {
            Ok(()) => bump(&self.shared.written_lines, self.batch_lines),
            Err(_) => bump(&self.shared.write_errors, 1),
        }
        self.batch.clear();
        self.batch_lines = 0;
    }
}
