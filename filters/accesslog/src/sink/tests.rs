use super::gate::{Gate, GatedDestination};
use super::*;
use std::collections::BTreeSet;
use std::time::Instant;

const DEADLINE: Duration = Duration::from_secs(10);

/// Polls `condition` until it holds or the deadline passes.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    condition()
}

fn options() -> SinkOptions {
    SinkOptions {
        queue_lines: 1024,
        flush_interval: Duration::from_millis(10),
        flush_bytes: 64 * 1024,
        reopen_on_signal: false,
        shutdown_timeout: DEADLINE,
    }
}

fn line(n: usize) -> Vec<u8> {
    format!("line {n}\n").into_bytes()
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn dropping_the_sink_writes_every_queued_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    // Nothing would be written before an hour passes or 1 MiB piles up: only the drop flushes.
    let slow = SinkOptions {
        flush_interval: Duration::from_secs(3600),
        flush_bytes: 1 << 20,
        ..options()
    };
    let sink = FileSink::open(&path, slow).unwrap();
    for n in 0..500 {
        assert!(sink.submit(line(n)));
    }
    drop(sink);
    let expected: Vec<String> = (0..500).map(|n| format!("line {n}")).collect();
    assert_eq!(lines_of(&path), expected);
}

#[test]
fn appends_to_an_existing_file_and_counts_written_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, "old\n").unwrap();
    let sink = FileSink::open(&path, options()).unwrap();
    assert!(sink.submit(b"new\n".to_vec()));
    assert!(sink.flush_and_wait(DEADLINE));
    assert_eq!(sink.stats().written_lines, 1);
    assert_eq!(lines_of(&path), ["old", "new"]);
}

#[test]
fn periodic_flush_writes_without_a_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let sink = FileSink::open(&path, options()).unwrap();
    assert!(sink.submit(line(1)));
    assert!(eventually(|| lines_of(&path) == ["line 1"]));
    assert_eq!(sink.stats().written_lines, 1);
}

#[test]
fn a_full_queue_drops_and_counts_without_waiting() {
    let gate = Arc::new(Gate::default());
    let stalled = SinkOptions {
        queue_lines: 4,
        flush_bytes: 1,
        ..options()
    };
    let destination = Box::new(GatedDestination(Arc::clone(&gate)));
    let sink = FileSink::with_destination("gated".into(), destination, stalled).unwrap();

    // The writer takes line 0 and blocks writing it: the queue is now empty and stuck.
    assert!(sink.submit(line(0)));
    assert!(gate.wait_for_writes(1, DEADLINE));
    // Four lines fill the queue; the next three are dropped at once (the call returns while
    // the writer is still blocked, so submitting never waits).
    for n in 1..=4 {
        assert!(sink.submit(line(n)), "line {n} fits");
    }
    for n in 5..=7 {
        assert!(!sink.submit(line(n)), "line {n} is dropped");
    }
    assert_eq!(sink.stats().dropped_lines, 3);

    gate.open();
    assert!(sink.flush_and_wait(DEADLINE));
    let stats = sink.stats();
    assert_eq!((stats.written_lines, stats.dropped_lines), (5, 3));
    drop(sink);
    assert_eq!(gate.written(), b"line 0\nline 1\nline 2\nline 3\nline 4\n");
}

#[test]
fn rotation_by_rename_loses_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let rotated = dir.path().join("access.log.1");
    let sink = FileSink::open(&path, options()).unwrap();
    for n in 0..100 {
        assert!(sink.submit(line(n)));
    }
    // logrotate's `create` mode: rename, no signal. Lines keep flowing meanwhile.
    std::fs::rename(&path, &rotated).unwrap();
    for n in 100..200 {
        assert!(sink.submit(line(n)));
    }
    assert!(
        eventually(|| sink.stats().reopens >= 1),
        "the replaced file is noticed"
    );
    for n in 200..300 {
        assert!(sink.submit(line(n)));
    }
    drop(sink);

    let old = lines_of(&rotated);
    let new = lines_of(&path);
    let all: BTreeSet<String> = old.iter().chain(&new).cloned().collect();
    let expected: BTreeSet<String> = (0..300).map(|n| format!("line {n}")).collect();
    assert_eq!(all, expected, "every line is in one of the files");
    assert_eq!(old.len() + new.len(), 300, "and only once");
    assert!(old.contains(&"line 0".to_owned()));
    assert!(
        new.contains(&"line 299".to_owned()),
        "lines after the reopen go to the new file"
    );
}

#[test]
fn sighup_and_sigusr1_reopen_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let rotated = dir.path().join("access.log.1");
    let with_signals = SinkOptions {
        reopen_on_signal: true,
        ..options()
    };
    let sink = FileSink::open(&path, with_signals).unwrap();
    assert!(sink.submit(line(0)));
    assert!(sink.flush_and_wait(DEADLINE));
    // Other sinks of this test process may reopen too; this one must reopen at least once.
    let before = sink.stats().reopens;
    signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
    assert!(
        eventually(|| sink.stats().reopens > before),
        "SIGHUP reopens"
    );
    let after_hup = sink.stats().reopens;
    signal_hook::low_level::raise(signal_hook::consts::SIGUSR1).unwrap();
    assert!(
        eventually(|| sink.stats().reopens > after_hup),
        "SIGUSR1 reopens"
    );

    // A copy-then-rename rotation followed by a signal: nothing is lost.
    assert!(sink.submit(line(1)));
    std::fs::rename(&path, &rotated).unwrap();
    assert!(sink.submit(line(2)));
    let before = sink.stats().reopens;
    signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
    assert!(eventually(|| sink.stats().reopens > before));
    assert!(sink.submit(line(3)));
    drop(sink);
    let mut all = lines_of(&rotated);
    all.extend(lines_of(&path));
    all.sort();
    assert_eq!(all, ["line 0", "line 1", "line 2", "line 3"]);
    assert_eq!(lines_of(&path).last().map(String::as_str), Some("line 3"));
}

#[test]
fn request_reopen_switches_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let sink = FileSink::open(&path, options()).unwrap();
    let before = sink.stats().reopens;
    sink.request_reopen();
    assert!(eventually(|| sink.stats().reopens > before));
    assert_eq!(sink.stats().reopen_errors, 0);
}

#[test]
fn concurrent_workers_never_interleave_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let big_queue = SinkOptions {
        queue_lines: 100_000,
        ..options()
    };
    let sink = Arc::new(FileSink::open(&path, big_queue).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let sink = Arc::clone(&sink);
            std::thread::spawn(move || {
                for n in 0..2_000 {
                    assert!(sink.submit(format!("worker {worker} line {n} end\n").into_bytes()));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    drop(Arc::into_inner(sink));
    let lines = lines_of(&path);
    assert_eq!(lines.len(), 8_000);
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("worker ") && l.ends_with(" end"))
    );
    let unique: BTreeSet<&String> = lines.iter().collect();
    assert_eq!(unique.len(), 8_000);
}

#[test]
fn standard_streams_open_and_are_not_reopenable() {
    for stream in ["/dev/stdout", "/dev/stderr"] {
        let sink = FileSink::open(Path::new(stream), SinkOptions::default()).unwrap();
        // An empty line writes nothing to the test's real stream but still counts.
        assert!(sink.submit(Vec::new()));
        assert!(sink.flush_and_wait(DEADLINE));
        assert_eq!(sink.stats().written_lines, 1);
        assert_eq!(sink.path(), Path::new(stream));
    }
}

#[test]
fn unopenable_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir/access.log");
    assert!(FileSink::open(&missing_dir, options()).is_err());
}

#[test]
fn registry_shares_one_sink_per_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let registry = SinkRegistry::new();
    let first = registry.get_or_open(&path, &options()).unwrap();
    let second = registry.get_or_open(&path, &options()).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    let other = registry
        .get_or_open(&dir.path().join("other.log"), &options())
        .unwrap();
    assert!(!Arc::ptr_eq(&first, &other));
    assert!(first.submit(b"kept\n".to_vec()));
    drop((first, second));
    // The last holder flushed and closed it; the next config opens a fresh sink.
    assert_eq!(lines_of(&path), ["kept"]);
    let third = registry.get_or_open(&path, &options()).unwrap();
    assert_eq!(third.stats().written_lines, 0);
}
