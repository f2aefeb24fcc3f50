//! The directory source: every `*.yaml` / `*.yml` under a directory, parsed into typed objects.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use dynagate_api::manifest::{ManifestError, ManifestLocation, ManifestNote, parse_manifests};
use dynagate_api::{Object, ObjectKey};

#[cfg(test)]
mod tests;

/// What a directory held.
#[derive(Debug, Default)]
pub struct ManifestSet {
    /// Manifest files read, sorted.
    pub files: Vec<PathBuf>,
    /// Objects, in file then document order.
    pub objects: Vec<Object>,
    /// The file each object came from, parallel to `objects`.
    pub origins: Vec<PathBuf>,
    /// Rejected documents and fields (and unreadable files).
    pub errors: Vec<ManifestError>,
    /// Informational findings.
    pub notes: Vec<ManifestNote>,
}

impl ManifestSet {
    /// Files defining each object that is defined more than once: `key -> files` (a file appears twice
    /// when it defines the object twice).
    pub fn duplicate_origins(&self) -> BTreeMap<ObjectKey, Vec<&Path>> {
        let mut by_key: BTreeMap<ObjectKey, Vec<&Path>> = BTreeMap::new();
        for (object, origin) in self.objects.iter().zip(&self.origins) {
            by_key.entry(object.key()).or_default().push(origin);
        }
        by_key.retain(|_, files| files.len() > 1);
        by_key
    }
}

/// Reads the manifests under `dir`. Only a missing or unreadable `dir` is an error; a bad file is
/// reported in [`ManifestSet::errors`] with the rest still loaded.
pub fn load_dir(dir: &Path) -> io::Result<ManifestSet> {
    let mut files = Vec::new();
    collect_manifest_files(dir, &mut files)?;
    files.sort();
    let mut set = ManifestSet::default();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let parsed = parse_manifests(&file, &text);
                set.origins
                    .extend(std::iter::repeat_n(file.clone(), parsed.objects.len()));
                set.objects.extend(parsed.objects);
                set.errors.extend(parsed.errors);
                set.notes.extend(parsed.notes);
            }
            // Deleted between listing and reading (an editor's save): the next change event reloads.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => set
                .errors
                .push(file_error(&file, format!("cannot read file: {err}"))),
        }
        set.files.push(file);
    }
    Ok(set)
}

/// An error about a whole file (document 0, line 0: no document was read).
pub fn file_error(file: &Path, reason: String) -> ManifestError {
    ManifestError {
        location: ManifestLocation {
            file: file.to_path_buf(),
            document: 0,
            line: 0,
        },
        field: String::new(),
        reason,
    }
}

/// Whether a path names a manifest file: `*.yaml` or `*.yml`, not hidden (editors' temporary files are).
pub fn is_manifest_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_none_or(|name| name.starts_with('.'));
    let yaml = path
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ext == "yaml" || ext == "yml");
    !hidden && yaml
}

fn collect_manifest_files(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry
            .file_name()
            .to_str()
            .is_none_or(|name| name.starts_with('.'));
        let file_type = entry.file_type()?;
        if file_type.is_dir() && !hidden {
            collect_manifest_files(&path, files)?;
        } else if is_manifest_file(&path) && !file_type.is_dir() {
            files.push(path);
        }
    }
    Ok(())
}
