//! The Envoy OS process: output captured to a file, its own process group, no way to outlive the test
//! process, killed on drop, its log kept and shown when the test fails.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, mpsc};
use std::thread;

use rustix::process::{Pid, Signal, kill_process_group};
use tempfile::TempDir;

use crate::HarnessError;
use crate::error::{TAIL_LINES, tail};

/// `setpriv --pdeathsig KILL` makes the kernel kill Envoy when the test process dies (a Ctrl-C, a test
/// timeout, an aborting test binary), which no `Drop` covers.
const SETPRIV: &str = "/usr/bin/setpriv";

/// A command running `binary`, wrapped so that it dies with the test process when the system allows it.
pub(crate) fn command(binary: &Path) -> Command {
    if Path::new(SETPRIV).is_file() {
        let mut command = Command::new(SETPRIV);
        command.args(["--pdeathsig", "KILL", "--"]).arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

/// A running (or exited) Envoy and its working directory.
pub(crate) struct Process {
    child: Mutex<Child>,
    pid: u32,
    work_dir: Option<TempDir>,
    work_path: PathBuf,
    log_path: PathBuf,
}

impl Process {
    /// Starts `command` in `work_dir`, stdout and stderr both appended to `work_dir/envoy.log`.
    pub(crate) fn spawn(mut command: Command, work_dir: TempDir) -> Result<Self, HarnessError> {
        let work_path = work_dir.path().to_path_buf();
        let log_path = work_path.join("envoy.log");
        let log = File::create(&log_path)
            .map_err(|err| HarnessError::io(format!("create {}", log_path.display()), err))?;
        let log_too = log
            .try_clone()
            .map_err(|err| HarnessError::io("duplicate the log file handle", err))?;
        command
            .current_dir(&work_path)
            .stdin(Stdio::null())
            .stdout(log_too)
            .stderr(log)
            // Its own group: killing the group leaves nothing behind, and the test's terminal signals
            // reach it only through the parent-death signal.
            .process_group(0);
        let child = spawn_from_long_lived_thread(command)
            .map_err(|err| HarnessError::io("spawn Envoy", err))?;
        Ok(Self {
            pid: child.id(),
            child: Mutex::new(child),
            work_dir: Some(work_dir),
            work_path,
            log_path,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    pub(crate) fn work_path(&self) -> &Path {
        &self.work_path
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything Envoy has written so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// How it ended, once it has.
    pub(crate) fn exit_status(&self) -> Option<ExitStatus> {
        self.lock().try_wait().ok().flatten()
    }

    /// Kills the whole process group and reaps the process.
    pub(crate) fn kill(&self) {
        let mut child = self.lock();
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        if let Some(group) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
            // Fails only when the group is already gone.
            let _gone = kill_process_group(group, Signal::KILL);
        }
        let _gone = child.kill();
        let _status = child.wait();
    }

    fn lock(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            // The test failed: keep the directory (bootstrap, log) and show why Envoy might be involved.
            if let Some(dir) = self.work_dir.take() {
                let _kept = dir.keep();
            }
            eprintln!(
                "--- Envoy pid {} log (kept in {}), last {TAIL_LINES} lines ---\n{}\n--- end of Envoy log ---",
                self.pid,
                self.work_path.display(),
                tail(&self.log(), TAIL_LINES)
            );
        }
    }
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// The parent-death signal fires when the *thread* that forked the child exits, not the process. Test
/// threads come and go (and an Envoy may be shared between tests), so every Envoy is forked by one thread
/// that lives as long as the process.
fn spawn_from_long_lived_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        let thread = thread::Builder::new()
            .name("envoy-spawner".to_owned())
            .spawn(move || {
                for (mut command, reply) in inbox {
                    // The requester may have given up; nothing to do then.
                    let _ = reply.send(command.spawn());
                }
            });
        thread.ok().map(|_| requests)
    });
    let Some(requests) = spawner else {
        let mut command = command;
        return command.spawn();
    };
    let (reply, answer) = mpsc::channel();
    match requests.send((command, reply)) {
        Ok(()) => answer
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the envoy-spawner thread is gone"))),
        Err(mpsc::SendError((mut command, _reply))) => command.spawn(),
    }
}
