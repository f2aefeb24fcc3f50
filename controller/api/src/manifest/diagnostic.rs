//! Located findings of the manifest loader: errors (the document is rejected) and notes (informational).

use std::fmt;
use std::path::PathBuf;

/// Where a finding is: file, document and line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ManifestLocation {
    /// The file the text came from (as given to the loader).
    pub file: PathBuf,
    /// 1-based position of the document in the file.
    pub document: usize,
    /// 1-based line of the finding when known, else of the document's start.
    pub line: usize,
}

impl fmt::Display for ManifestLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: document {} (line {})",
            self.file.display(),
            self.document,
            self.line
        )
    }
}

/// A document that could not be turned into an object, or a field our CRDs do not know.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
pub struct ManifestError {
    /// Where.
    pub location: ManifestLocation,
    /// Field path inside the document (`spec.rules[0].matches[1].path.type`), empty for the whole document.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.location, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.location, self.field, self.reason)
        }
    }
}

/// Something worth telling but not an error: a skipped kind, an ignored field of a Gateway API object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ManifestNote {
    /// Where.
    pub location: ManifestLocation,
    /// Field path, empty for the whole document.
    pub field: String,
    /// The note.
    pub message: String,
}

impl fmt::Display for ManifestNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.location, self.message)
        } else {
            write!(f, "{}: {}: {}", self.location, self.field, self.message)
        }
    }
}
