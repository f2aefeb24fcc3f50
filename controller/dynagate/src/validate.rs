//! `dynagate validate`: the offline check of a manifest directory, with the messages `run` logs.

use std::io::Write;
use std::path::Path;

use dynagate_ir::TranslateOptions;

use crate::pipeline::{evaluate, status_problems};

/// Checks `dir` and writes the findings to `out`: `error:` lines (the directory would be rejected),
/// `warning:` lines (objects whose status would report a problem), `note:` lines, then a summary.
/// Returns whether the directory is valid.
pub fn validate(dir: &Path, out: &mut impl Write) -> std::io::Result<bool> {
    // The options only change where Envoy reaches external services, never what is valid.
    let evaluation = evaluate(dir, &TranslateOptions::default());
    for error in &evaluation.errors {
        writeln!(out, "error: {error}")?;
    }
    let problems = evaluation
        .translation
        .as_ref()
        .map(|t| status_problems(&t.status))
        .unwrap_or_default();
    for problem in &problems {
        writeln!(out, "warning: {problem}")?;
    }
    for note in &evaluation.notes {
        writeln!(out, "note: {note}")?;
    }
    let gateways = evaluation
        .translation
        .as_ref()
        .map_or(0, |t| t.proxies.len());
    writeln!(
        out,
        "{}: {} files, {} objects, {} gateways, {} errors, {} warnings",
        dir.display(),
        evaluation.files,
        evaluation.objects,
        gateways,
        evaluation.errors.len(),
        problems.len()
    )?;
    Ok(evaluation.is_valid())
}
