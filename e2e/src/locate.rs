//! Finds the pinned Envoy binary and the directory holding the built dynamic modules.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::HarnessError;

/// The module every product test loads (`libdynagate.so`).
pub const DYNAGATE_MODULE: &str = "dynagate";
/// The test-only module of `e2e/probe` (`libdynagate_probe.so`).
pub const PROBE_MODULE: &str = "dynagate_probe";

/// The repository root (the workspace directory above `e2e/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The Envoy binary: `ENVOY_BIN` when set, else whatever `scripts/install-envoy.sh` installs (idempotent).
/// Resolved once per process.
pub fn envoy_binary() -> Result<PathBuf, HarnessError> {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BINARY
        .get_or_init(resolve_envoy_binary)
        .clone()
        .map_err(HarnessError::EnvoyBinary)
}

fn resolve_envoy_binary() -> Result<PathBuf, String> {
    if let Some(bin) = env::var_os("ENVOY_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("ENVOY_BIN={} is not a file", bin.display()))
        };
    }
    let script = "scripts/install-envoy.sh";
    let path = run_install_script(script)?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} printed {}, which is not a file",
            repo_root().join(script).display(),
            path.display()
        ))
    }
}

/// Runs an idempotent install script of the repository (`script` relative to its root) and returns the
/// existing path it prints last.
pub(crate) fn run_install_script(script: &str) -> Result<PathBuf, String> {
    let script = repo_root().join(script);
    let output = Command::new(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| format!("{} printed no path", script.display()))?;
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} printed {}, which does not exist",
            script.display(),
            path.display()
        ))
    }
}

/// The directory holding `libdynagate.so` and `libdynagate_probe.so`: `DYNAGATE_MODULE_DIR` when set, else the
/// cargo profile directory of the running test binary (`<target>/debug/deps/<test>` gives `<target>/debug`).
pub fn module_dir() -> Result<PathBuf, HarnessError> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(resolve_module_dir)
        .clone()
        .map_err(HarnessError::ModuleDir)
}

fn resolve_module_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("DYNAGATE_MODULE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let exe = env::current_exe().map_err(|err| format!("current_exe: {err}"))?;
    let dir = exe
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", exe.display()))?;
    // Test binaries live in `<profile>/deps`; cdylibs are copied up to `<profile>`.
    let profile = match dir.file_name() {
        Some(name) if name == "deps" => dir.parent().unwrap_or(dir),
        _ => dir,
    };
    Ok(profile.to_path_buf())
}

/// The path of the built module `lib<name>.so`, or [`HarnessError::ModuleMissing`] telling the user to build it.
pub fn module_path(name: &str) -> Result<PathBuf, HarnessError> {
    let path = module_dir()?.join(format!("lib{name}.so"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::ModuleMissing { path })
    }
}
