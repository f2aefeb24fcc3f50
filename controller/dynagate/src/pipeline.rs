//! One pass over a manifest directory: load, index, translate. Shared by `run` (on every change) and
//! `validate` (once), so both report exactly the same findings.

use std::path::Path;
use std::time::{Duration, Instant};

use dynagate_api::manifest::{ManifestError, ManifestNote};
use dynagate_ir::{
    Condition, ConditionStatus, LastGood, StatusReport, TranslateOptions, Translation,
};

use crate::manifests::{file_error, load_dir};

/// The outcome of evaluating a directory.
#[derive(Debug)]
pub struct Evaluation {
    /// Manifest files read.
    pub files: usize,
    /// Objects parsed.
    pub objects: usize,
    /// Everything that makes the directory unusable; when not empty there is no translation.
    pub errors: Vec<ManifestError>,
    /// Informational findings.
    pub notes: Vec<ManifestNote>,
    /// The translation, when there was no error.
    pub translation: Option<Translation>,
    /// Time spent in `translate` (not loading).
    pub translate_time: Duration,
}

impl Evaluation {
    /// Whether the directory can be served.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.translation.is_some()
    }
}

/// Loads `dir` and translates it with `options`, once (what `dynagate validate` does).
pub fn evaluate(dir: &Path, options: &TranslateOptions) -> Evaluation {
    evaluate_with(dir, options, &mut LastGood::new())
}

/// Loads `dir` and translates it with `options`, falling back on `memory`'s last good version of a
/// policy whose update is invalid (what `dynagate run` does across reloads). Any manifest error (an
/// unreadable file, a rejected document, a field our CRDs do not know, two objects with one identity)
/// stops short of translation: serving part of a directory could route traffic in ways nobody wrote down.
pub fn evaluate_with(dir: &Path, options: &TranslateOptions, memory: &mut LastGood) -> Evaluation {
    let mut evaluation = Evaluation {
        files: 0,
        objects: 0,
        errors: Vec::new(),
        notes: Vec::new(),
        translation: None,
        translate_time: Duration::ZERO,
    };
    let set = match load_dir(dir) {
        Ok(set) => set,
        Err(err) => {
            let reason = format!("cannot read manifest directory: {err}");
            evaluation.errors.push(file_error(dir, reason));
            return evaluation;
        }
    };
    evaluation.files = set.files.len();
    evaluation.objects = set.objects.len();
    for (key, files) in set.duplicate_origins() {
        let places: Vec<String> = files
            .iter()
            .map(|file| file.display().to_string())
            .collect();
        let reason = format!(
            "{key} is defined {} times (in {})",
            files.len(),
            places.join(", ")
        );
        evaluation.errors.push(file_error(files[0], reason));
    }
    evaluation.errors.extend(set.errors);
    evaluation.notes = set.notes;
    if !evaluation.errors.is_empty() {
        evaluation.errors.sort();
        return evaluation;
    }
    let started = Instant::now();
    match memory.translate(set.objects, options) {
        Ok(translation) => evaluation.translation = Some(translation),
        // Duplicates are reported above with their files; this is the index's own check of the same.
        Err(err) => evaluation.errors.push(file_error(dir, err.to_string())),
    }
    evaluation.translate_time = started.elapsed();
    evaluation
}

/// Conditions that say something is wrong, one line each: `HTTPRoute default/web: parent Gateway default/gw:
/// Accepted=False (NotAllowedByListeners): ...`. Polarity follows Gateway API: `Conflicted` is bad when
/// True, every other condition when False.
pub fn status_problems(report: &StatusReport) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, status) in &report.objects {
        let mut push = |scope: String, conditions: &[Condition]| {
            for condition in conditions.iter().filter(|c| is_problem(c)) {
                problems.push(format!(
                    "{key}{scope}: {}={:?} ({}): {}",
                    condition.condition_type, condition.status, condition.reason, condition.message
                ));
            }
        };
        push(String::new(), &status.conditions);
        for listener in &status.listeners {
            push(format!(" listener {}", listener.name), &listener.conditions);
        }
        for parent in &status.parents {
            let parent_ref = &parent.parent_ref;
            push(
                format!(
                    " parent {} {}/{}",
                    parent_ref.kind, parent_ref.namespace, parent_ref.name
                ),
                &parent.conditions,
            );
        }
        for ancestor in &status.ancestors {
            let ancestor_ref = &ancestor.ancestor_ref;
            let scope = format!(
                " ancestor {} {}/{}",
                ancestor_ref.kind, ancestor_ref.namespace, ancestor_ref.name
            );
            push(scope, &ancestor.conditions);
        }
    }
    problems
}

fn is_problem(condition: &Condition) -> bool {
    match condition.condition_type.as_str() {
        "Conflicted" => condition.status == ConditionStatus::True,
        _ => condition.status == ConditionStatus::False,
    }
}
