//! What `/status` reports: the manifest directory as last read, the configuration being served, and the
//! status each object would carry.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dynagate_api::manifest::{ManifestError, ManifestNote};
use dynagate_ir::StatusReport;
use dynagate_xds::DeliveryStatus;
use serde::Serialize;

/// One manifest finding, located.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// File path.
    pub file: PathBuf,
    /// 1-based document index in the file (0: the whole file).
    pub document: usize,
    /// 1-based line (0: unknown).
    pub line: usize,
    /// Field path inside the document, empty for the whole document.
    pub field: String,
    /// Why.
    pub reason: String,
    /// The same, as one line (what the log and `dynagate validate` print).
    pub message: String,
}

impl From<&ManifestError> for Finding {
    fn from(error: &ManifestError) -> Self {
        Self {
            file: error.location.file.clone(),
            document: error.location.document,
            line: error.location.line,
            field: error.field.clone(),
            reason: error.reason.clone(),
            message: error.to_string(),
        }
    }
}

impl From<&ManifestNote> for Finding {
    fn from(note: &ManifestNote) -> Self {
        Self {
            file: note.location.file.clone(),
            document: note.location.document,
            line: note.location.line,
            field: note.field.clone(),
            reason: note.message.clone(),
            message: note.to_string(),
        }
    }
}

/// The manifest directory as last read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ManifestReport {
    /// The directory.
    pub directory: PathBuf,
    /// Files read.
    pub files: usize,
    /// Objects parsed.
    pub objects: usize,
    /// Errors: when not empty, the configuration below is the last good one, not this directory's.
    pub errors: Vec<Finding>,
    /// Notes (skipped kinds, ignored fields).
    pub notes: Vec<Finding>,
}

/// The configuration being served.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ServingReport {
    /// How many good configurations were published since start (0: none yet).
    pub generation: u64,
    /// Snapshot version per Gateway (`namespace/name`).
    pub gateways: BTreeMap<String, String>,
}

/// The whole `/status` document.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ControllerStatus {
    /// True when the last read of the directory is what is served.
    pub up_to_date: bool,
    /// The directory as last read.
    pub manifests: ManifestReport,
    /// What is served.
    pub serving: ServingReport,
    /// Gateway API / policy status of every object of the served configuration.
    pub objects: StatusReport,
    /// What each connected Envoy was sent, ACKed and NACKed.
    pub xds: DeliveryStatus,
}
