//! The external tools of the test cluster: the binaries `scripts/install-kube.sh` builds (kube-apiserver,
//! kube-controller-manager, kubectl, etcd), Helm from `scripts/install-helm.sh`, and running any of them.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;

use tokio::io::AsyncWriteExt as _;

use crate::HarnessError;
use crate::locate::run_install_script;

/// Where the Kubernetes binaries are: `DYNAGATE_KUBE_BIN` when set, else what `scripts/install-kube.sh`
/// prints (it builds them on first use, about 5 minutes, then returns at once). Resolved once per process.
pub fn kube_bin_dir() -> Result<PathBuf, HarnessError> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| match std::env::var_os("DYNAGATE_KUBE_BIN") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => run_install_script("scripts/install-kube.sh"),
    })
    .clone()
    .map_err(|detail| HarnessError::Unexpected {
        what: "the Kubernetes binaries".to_owned(),
        detail,
    })
}

/// The Helm binary: `HELM_BIN` when set, else what `scripts/install-helm.sh` prints.
pub fn helm_binary() -> Result<PathBuf, HarnessError> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("HELM_BIN") {
        Some(bin) => Ok(PathBuf::from(bin)),
        None => run_install_script("scripts/install-helm.sh"),
    })
    .clone()
    .map_err(|detail| HarnessError::Unexpected {
        what: "the Helm binary".to_owned(),
        detail,
    })
}

/// What a finished tool printed, and how it ended.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    pub(crate) what: String,
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `binary args..` to completion (with `stdin` written to it, if any) and returns its stdout; a
/// non-zero exit is an error carrying the command line, stdout and stderr.
pub(crate) async fn run_tool(
    binary: &Path,
    args: &[String],
    env: &[(String, String)],
    stdin: Option<&str>,
) -> Result<String, HarnessError> {
    let output = run_tool_output(binary, args, env, stdin).await?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(HarnessError::Unexpected {
            what: output.what,
            detail: format!(
                "exited with {}\nstdout:\n{}\nstderr:\n{}",
                output.status,
                output.stdout.trim_end(),
                output.stderr.trim_end()
            ),
        })
    }
}

/// Runs `binary args..` to completion, whatever its exit status.
pub(crate) async fn run_tool_output(
    binary: &Path,
    args: &[String],
    env: &[(String, String)],
    stdin: Option<&str>,
) -> Result<ToolOutput, HarnessError> {
    let what = format!(
        "{} {}",
        binary.file_name().unwrap_or_default().to_string_lossy(),
        args.join(" ")
    );
    let mut child = tokio::process::Command::new(binary)
        .args(args)
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| HarnessError::io(format!("spawn {what}"), err))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A tool that exits early (bad flags, no server) closes its input: its output says why, so a
        // broken pipe here is not the error to report. Dropping the pipe closes it: the end of the input.
        if let Err(err) = pipe.write_all(text.as_bytes()).await
            && err.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(HarnessError::io(format!("write the input of {what}"), err));
        }
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|err| HarnessError::io(format!("wait for {what}"), err))?;
    Ok(ToolOutput {
        what,
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
