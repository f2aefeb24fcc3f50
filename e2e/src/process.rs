//! A child process of the harness (Envoy, a test-cluster daemon): output appended to a log file, its own
//! process group, no way to outlive the test process, killed on drop.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, mpsc};
use std::thread;

use rustix::process::{Pid, Signal, kill_process_group};

use crate::HarnessError;

/// `setpriv --pdeathsig KILL` makes the kernel kill the child when the test process dies (a Ctrl-C, a test
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

/// A running (or exited) child in its own process group. Dropping it kills the group.
#[derive(Debug)]
pub(crate) struct GroupChild {
    child: Mutex<Child>,
    pid: u32,
    log_path: PathBuf,
}

impl GroupChild {
    /// Starts `command` in `work_dir`, stdout and stderr both appended to `log_path`; `what` names it in errors.
    pub(crate) fn spawn(
        mut command: Command,
        work_dir: &Path,
        log_path: PathBuf,
        what: &str,
    ) -> Result<Self, HarnessError> {
        let log = File::create(&log_path)
            .map_err(|err| HarnessError::io(format!("create {}", log_path.display()), err))?;
        let log_too = log
            .try_clone()
            .map_err(|err| HarnessError::io("duplicate a log file handle", err))?;
        command
            .current_dir(work_dir)
            .stdin(Stdio::null())
            .stdout(log_too)
            .stderr(log)
            // Its own group: killing the group leaves no helper process behind, and the test's terminal
            // signals reach it only through the parent-death signal.
            .process_group(0);
        let child = spawn_from_long_lived_thread(command)
            .map_err(|err| HarnessError::io(format!("spawn {what}"), err))?;
        Ok(Self {
            pid: child.id(),
            child: Mutex::new(child),
            log_path,
        })
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The file holding its stdout and stderr.
    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything it has written so far.
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

impl Drop for GroupChild {
    fn drop(&mut self) {
        self.kill();
    }
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// The parent-death signal fires when the *thread* that forked the child exits, not the process. Test
/// threads come and go (and an Envoy or a cluster may be shared between tests), so every child is forked by
/// one thread that lives as long as the process.
fn spawn_from_long_lived_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        let thread = thread::Builder::new()
            .name("child-spawner".to_owned())
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
            .unwrap_or_else(|_| Err(io::Error::other("the child-spawner thread is gone"))),
        Err(mpsc::SendError((mut command, _reply))) => command.spawn(),
    }
}
