//! Where a sink's bytes go: an appended file (reopenable) or Envoy's stdout / stderr.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The writer thread's view of its output.
pub trait Destination: Send + 'static {
    /// Writes all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// Flushes OS-level buffers if the destination has any.
    fn flush(&mut self) -> io::Result<()>;

    /// Whether reopening means anything (false for standard streams).
    fn reopenable(&self) -> bool;

    /// Whether the file at the path is no longer the one open (renamed, deleted, replaced).
    fn replaced(&self) -> bool;

    /// Opens the path again and switches to the new file.
    fn reopen(&mut self) -> io::Result<()>;
}

/// Opens `path`: `/dev/stdout` and `/dev/stderr` duplicate the process's streams (works whatever
/// they are: terminal, pipe or socket); anything else is a file opened for appending.
pub(crate) fn open(path: &Path) -> io::Result<Box<dyn Destination>> {
    let stream = if path == Path::new("/dev/stdout") {
        Some(io::stdout().as_fd().try_clone_to_owned()?)
    } else if path == Path::new("/dev/stderr") {
        Some(io::stderr().as_fd().try_clone_to_owned()?)
    } else {
        None
    };
    Ok(match stream {
        Some(fd) => Box::new(StandardStream(File::from(fd))),
        None => Box::new(AppendFile::open(path)?),
    })
}

struct StandardStream(File);

impl Destination for StandardStream {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
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

/// A regular file opened with `O_APPEND`, so concurrent writers (another Envoy logger on the
/// same path) interleave whole writes.
struct AppendFile {
    path: PathBuf,
    file: File,
    /// (device, inode) of the open file.
    identity: (u64, u64),
}

impl AppendFile {
    fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let meta = file.metadata()?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            identity: (meta.dev(), meta.ino()),
        })
    }
}

impl Destination for AppendFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn reopenable(&self) -> bool {
        true
    }

    fn replaced(&self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(meta) => (meta.dev(), meta.ino()) != self.identity,
            Err(_) => true,
        }
    }

    fn reopen(&mut self) -> io::Result<()> {
        *self = Self::open(&self.path)?;
        Ok(())
    }
}
