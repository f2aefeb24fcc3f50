//! A background process of a test cluster (etcd, kube-apiserver, the controller under test): output in a log
//! file, its own process group, killed with the test process and on drop, its log shown when a test fails.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError, mpsc};
use std::thread;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};

use crate::HarnessError;
use crate::error::{TAIL_LINES, tail};
use crate::wait::Deadline;

/// `setpriv --pdeathsig KILL` makes the kernel kill the daemon when the test process dies (Ctrl-C, a test
/// timeout, an aborting test binary), which no `Drop` covers.
const SETPRIV: &str = "/usr/bin/setpriv";

/// A running (or exited) background process. Dropping it kills its process group.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    child: Mutex<Child>,
    pid: u32,
    log_path: PathBuf,
}

impl Daemon {
    /// Starts `binary args..` with `env`, stdout and stderr appended to `log_dir/<name>.log`.
    pub fn spawn(
        name: &str,
        binary: &Path,
        args: &[String],
        env: &[(String, String)],
        log_dir: &Path,
    ) -> Result<Self, HarnessError> {
        let mut command = if Path::new(SETPRIV).is_file() {
            let mut command = Command::new(SETPRIV);
            command.args(["--pdeathsig", "KILL", "--"]).arg(binary);
            command
        } else {
            Command::new(binary)
        };
        let log_path = log_dir.join(format!("{name}.log"));
        let log = File::create(&log_path)
            .map_err(|err| HarnessError::io(format!("create {}", log_path.display()), err))?;
        let log_too = log
            .try_clone()
            .map_err(|err| HarnessError::io("duplicate a log file handle", err))?;
        command
            .args(args)
            .envs(env.iter().map(|(key, value)| (key, value)))
            .current_dir(log_dir)
            .stdin(Stdio::null())
            .stdout(log_too)
            .stderr(log)
            // Its own group: killing the group leaves no helper process behind.
            .process_group(0);
        let child = spawn_from_long_lived_thread(command)
            .map_err(|err| HarnessError::io(format!("spawn {name} ({})", binary.display()), err))?;
        Ok(Self {
            name: name.to_owned(),
            pid: child.id(),
            child: Mutex::new(child),
            log_path,
        })
    }

    /// The name given at spawn (also the log file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The file holding its stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Everything it has written so far.
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// How it ended, once it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.lock().try_wait().ok().flatten()
    }

    /// Polls its log for a line containing `needle` and returns that line; fails early when it exits.
    pub async fn wait_for_line(
        &self,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, HarnessError> {
        let mut deadline = Deadline::after(timeout);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|line| line.contains(needle)) {
                return Ok(line.to_owned());
            }
            if let Some(status) = self.exit_status() {
                return Err(self.failure(&format!("exited ({status}) before printing {needle:?}")));
            }
            if !deadline.pause().await {
                return Err(HarnessError::Timeout {
                    what: format!("{} to print {needle:?}", self.name),
                    waited: deadline.elapsed(),
                    detail: tail(&log, TAIL_LINES),
                });
            }
        }
    }

    /// An error saying `what` happened to this daemon, with its log tail.
    pub fn failure(&self, what: &str) -> HarnessError {
        HarnessError::Unexpected {
            what: format!("{} (pid {})", self.name, self.pid),
            detail: format!(
                "{what}; last log lines ({}):\n{}",
                self.log_path.display(),
                tail(&self.log(), TAIL_LINES)
            ),
        }
    }

    /// Kills the whole process group and reaps the process.
    pub fn kill(&self) {
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

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            eprintln!(
                "--- {} pid {} log ({}), last {TAIL_LINES} lines ---\n{}\n--- end of {} log ---",
                self.name,
                self.pid,
                self.log_path.display(),
                tail(&self.log(), TAIL_LINES),
                self.name
            );
        }
    }
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// The parent-death signal fires when the *thread* that forked the child exits, not the process: a cluster
/// shared between tests outlives the test thread that started it, so every daemon is forked by one thread
/// that lives as long as the process.
fn spawn_from_long_lived_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        let thread = thread::Builder::new()
            .name("kube-daemon-spawner".to_owned())
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
            .unwrap_or_else(|_| Err(io::Error::other("the kube-daemon-spawner thread is gone"))),
        Err(mpsc::SendError((mut command, _reply))) => command.spawn(),
    }
}
