//! The manifest loader: multi-document YAML text -> typed [`Object`]s, with errors that name the file,
//! the document, the field path and the reason.
//!
//! Rules:
//! - documents are dispatched on `apiVersion` + `kind`; kinds we do not read are skipped with a note;
//! - Gateway API kinds are accepted as `v1` and `v1beta1` (same schema for what we read);
//! - a field our CRDs (`gateway.kgateway.dev`) do not know is an error, so a typo is never silently
//!   ignored; for other kinds an unknown field is a note;
//! - namespaced objects without a namespace get `default`, like `kubectl apply`;
//! - a `v1/List` is unpacked into its items.

mod diagnostic;
mod split;
#[cfg(test)]
mod tests;

use std::path::Path;

use serde::de::DeserializeOwned;

pub use diagnostic::{ManifestError, ManifestLocation, ManifestNote};
use split::{DocumentText, split_documents};

use crate::object::{DEFAULT_NAMESPACE, Object, ObjectKind};

/// What the loader made of one file.
#[derive(Debug, Default)]
pub struct ParsedManifests {
    /// Objects in document order.
    pub objects: Vec<Object>,
    /// Documents or fields that were rejected.
    pub errors: Vec<ManifestError>,
    /// Informational findings (skipped kinds, ignored fields of non-kgateway kinds).
    pub notes: Vec<ManifestNote>,
}

impl ParsedManifests {
    /// Appends another file's results.
    pub fn extend(&mut self, other: ParsedManifests) {
        self.objects.extend(other.objects);
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
    }
}

/// Parses every document of `text` (read from `file`, used only in messages).
pub fn parse_manifests(file: &Path, text: &str) -> ParsedManifests {
    let mut parsed = ParsedManifests::default();
    for document in split_documents(text) {
        let mut ctx = DocumentContext {
            file,
            document,
            field_prefix: String::new(),
            out: &mut parsed,
        };
        ctx.parse(document.text);
    }
    parsed
}

struct DocumentContext<'a, 'o> {
    file: &'a Path,
    document: DocumentText<'a>,
    /// Prefix for field paths (`items[3].`) when parsing the items of a `List`.
    field_prefix: String,
    out: &'o mut ParsedManifests,
}

/// Kinds that are skipped without a note: they commonly sit next to gateway manifests.
const QUIETLY_SKIPPED: &[&str] = &["CustomResourceDefinition"];

impl DocumentContext<'_, '_> {
    fn location(&self, line: Option<usize>) -> ManifestLocation {
        ManifestLocation {
            file: self.file.to_path_buf(),
            document: self.document.index,
            line: line.unwrap_or(self.document.first_line),
        }
    }

    fn error(&mut self, line: Option<usize>, field: &str, reason: impl Into<String>) {
        let location = self.location(line);
        let field = self.prefixed(field);
        self.out.errors.push(ManifestError {
            location,
            field,
            reason: reason.into(),
        });
    }

    fn note(&mut self, field: &str, message: impl Into<String>) {
        let location = self.location(None);
        let field = self.prefixed(field);
        self.out.notes.push(ManifestNote {
            location,
            field,
            message: message.into(),
        });
    }

    fn prefixed(&self, field: &str) -> String {
        match (self.field_prefix.is_empty(), field.is_empty()) {
            (true, _) => field.to_owned(),
            (false, true) => self.field_prefix.trim_end_matches('.').to_owned(),
            (false, false) => format!("{}{field}", self.field_prefix),
        }
    }

    /// Lines reported by the YAML parser are relative to the text it saw; only document text (not a
    /// re-serialised List item) maps back to file lines.
    fn absolute_line(&self, relative: Option<usize>) -> Option<usize> {
        if self.field_prefix.is_empty() {
            relative.map(|line| self.document.first_line + line - 1)
        } else {
            None
        }
    }

    fn parse(&mut self, text: &str) {
        let header: serde_yaml::Value = match serde_yaml::from_str(text) {
            Ok(value) => value,
            Err(err) => {
                let line = self.absolute_line(err.location().map(|l| l.line()));
                self.error(
                    line,
                    "",
                    format!("invalid YAML: {}", strip_location(&err.to_string())),
                );
                return;
            }
        };
        if header.is_null() {
            return; // empty document (comments only)
        }
        let Some(mapping) = header.as_mapping() else {
            self.error(None, "", "a manifest document must be a mapping");
            return;
        };
        let Some(api_version) = mapping
            .get("apiVersion")
            .and_then(serde_yaml::Value::as_str)
        else {
            self.error(None, "apiVersion", "required string field is missing");
            return;
        };
        let Some(kind) = mapping.get("kind").and_then(serde_yaml::Value::as_str) else {
            self.error(None, "kind", "required string field is missing");
            return;
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        if group.is_empty() && version == "v1" && kind == "List" {
            self.parse_list(&header);
            return;
        }
        let Some(object_kind) = ObjectKind::from_group_kind(group, kind) else {
            if !QUIETLY_SKIPPED.contains(&kind) {
                self.note(
                    "",
                    format!("skipped: dynagate does not read {kind} ({api_version})"),
                );
            }
            return;
        };
        let served: &[&str] = match object_kind.group() {
            crate::gateway::GROUP => &["v1", "v1beta1"],
            crate::kgateway::GROUP => &[crate::kgateway::VERSION],
            _ => &["v1"],
        };
        if !served.contains(&version) {
            self.error(
                None,
                "apiVersion",
                format!(
                    "{kind} is read as {group}/{}, not {version}",
                    served.join(" or ")
                ),
            );
            return;
        }
        let Some(mut object) = self.parse_object(object_kind, text) else {
            return;
        };
        if object.name().is_empty() {
            self.error(None, "metadata.name", "required field is missing");
            return;
        }
        if object_kind.is_namespaced() {
            let meta = object.meta_mut();
            if meta.namespace.as_deref().unwrap_or_default().is_empty() {
                meta.namespace = Some(DEFAULT_NAMESPACE.to_owned());
            }
        }
        self.out.objects.push(object);
    }

    fn parse_list(&mut self, list: &serde_yaml::Value) {
        let items = list
            .get("items")
            .and_then(serde_yaml::Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let outer_prefix = std::mem::take(&mut self.field_prefix);
        for (index, item) in items.iter().enumerate() {
            self.field_prefix = format!("{outer_prefix}items[{index}].");
            match serde_yaml::to_string(item) {
                Ok(text) => self.parse(&text),
                Err(err) => self.error(None, "", format!("cannot re-read list item: {err}")),
            }
        }
        self.field_prefix = outer_prefix;
    }

    fn parse_object(&mut self, kind: ObjectKind, text: &str) -> Option<Object> {
        Some(match kind {
            ObjectKind::GatewayClass => Object::GatewayClass(self.typed(kind, text)?),
            ObjectKind::Gateway => Object::Gateway(self.typed(kind, text)?),
            ObjectKind::HttpRoute => Object::HttpRoute(self.typed(kind, text)?),
            ObjectKind::ReferenceGrant => Object::ReferenceGrant(self.typed(kind, text)?),
            ObjectKind::Service => Object::Service(self.typed(kind, text)?),
            ObjectKind::EndpointSlice => Object::EndpointSlice(self.typed(kind, text)?),
            ObjectKind::Secret => Object::Secret(self.typed(kind, text)?),
            ObjectKind::Namespace => Object::Namespace(self.typed(kind, text)?),
            ObjectKind::TrafficPolicy => Object::TrafficPolicy(self.typed(kind, text)?),
            ObjectKind::Backend => Object::Backend(self.typed(kind, text)?),
            ObjectKind::DirectResponse => Object::DirectResponse(self.typed(kind, text)?),
            ObjectKind::HttpListenerPolicy => Object::HttpListenerPolicy(self.typed(kind, text)?),
            ObjectKind::ListenerPolicy => Object::ListenerPolicy(self.typed(kind, text)?),
            ObjectKind::GatewayParameters => Object::GatewayParameters(self.typed(kind, text)?),
        })
    }

    /// Deserialises `text` as `T`, reporting the failing field path, and unknown fields (errors for our
    /// CRDs, notes otherwise). Returns `None` when the document is rejected.
    fn typed<T: DeserializeOwned>(&mut self, kind: ObjectKind, text: &str) -> Option<T> {
        let mut ignored = Vec::new();
        let result = {
            let yaml = serde_yaml::Deserializer::from_str(text);
            let mut on_ignored =
                |path: serde_ignored::Path<'_>| ignored.push(render_ignored_path(&path));
            let tracked = serde_ignored::Deserializer::new(yaml, &mut on_ignored);
            serde_path_to_error::deserialize::<_, T>(tracked)
        };
        let value = match result {
            Ok(value) => value,
            Err(err) => {
                let field = render_error_path(err.path());
                let inner = err.into_inner();
                let line = self.absolute_line(inner.location().map(|l| l.line()));
                let message = strip_location(&inner.to_string());
                // serde_yaml sometimes prefixes the path itself; we report it separately.
                let message = message
                    .strip_prefix(&format!("{field}: "))
                    .map(str::to_owned)
                    .unwrap_or(message);
                self.error(line, &field, message);
                return None;
            }
        };
        // apiVersion and kind are consumed by dispatch; status is written by controllers, never read.
        ignored.retain(|path| !matches!(path.as_str(), "apiVersion" | "kind" | "status"));
        let mut rejected = false;
        for path in ignored {
            if kind.is_kgateway() {
                self.error(
                    None,
                    &path,
                    format!(
                        "unknown field (not part of {} {})",
                        crate::kgateway::API_VERSION,
                        kind
                    ),
                );
                rejected = true;
            } else {
                self.note(&path, "unknown field ignored");
            }
        }
        (!rejected).then_some(value)
    }
}

/// `serde_path_to_error` renders the root as `.`; we want an empty string there.
fn render_error_path(path: &serde_path_to_error::Path) -> String {
    let rendered = path.to_string();
    if rendered == "." {
        String::new()
    } else {
        rendered
    }
}

/// Renders a `serde_ignored` path as `spec.rules[0].name`.
fn render_ignored_path(path: &serde_ignored::Path<'_>) -> String {
    match path {
        serde_ignored::Path::Root => String::new(),
        serde_ignored::Path::Seq { parent, index } => {
            format!("{}[{index}]", render_ignored_path(parent))
        }
        serde_ignored::Path::Map { parent, key } => {
            let parent = render_ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => render_ignored_path(parent),
    }
}

/// serde_yaml appends ` at line L column C` relative to the text it parsed; we report absolute lines
/// separately, so drop it.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_owned(),
        _ => message.to_owned(),
    }
}
