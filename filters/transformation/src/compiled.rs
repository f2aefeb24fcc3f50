//! A `transformation` config compiled once at load into the immutable form requests use.
//!
//! Every template is compiled (or rejected naming its location, line and the engine's message), every
//! header name validated and lowercased, `env()` snapshotted, and per direction it is decided whether the
//! body must be buffered: only when a template of that direction reads `body()`, `context()` or JSON
//! variables, or the body is replaced, and never with `parseAs: None`.

mod header_rule;
mod interpolation;
mod metadata_args;
mod template;

use std::sync::Arc;

use dynagate_config::transformation::{BodyParseBehavior, Transform, TransformationPolicy};
use minijinja::Environment;

use crate::engine::{global_names, new_environment};
use crate::options::RandomSource;
use crate::{CompileOptions, ConfigError, LocalReply};

pub(crate) use header_rule::{HeaderOp, HeaderRule, valid_value};
pub(crate) use interpolation::render as render_interpolation;
use template::TemplateCompiler;
pub(crate) use template::{Reads, Template, engine_message};

/// Which message a transform applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The request, before it is routed upstream.
    Request,
    /// The response, before it is sent downstream.
    Response,
}

impl Direction {
    fn key(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Response => "response",
        }
    }

    /// Location of this direction's body template, as errors name it.
    pub(crate) fn body_location(self) -> &'static str {
        match self {
            Self::Request => "request.body",
            Self::Response => "response.body",
        }
    }
}

/// One `dynamicMetadata` entry, ready to render.
#[derive(Debug)]
pub(crate) struct MetadataRule {
    /// e.g. `request.dynamicMetadata[0] (ns/key)`.
    pub location: Box<str>,
    pub namespace: Box<str>,
    pub key: Box<str>,
    pub value: Template,
}

/// A compiled `transformation` config: share it as `Arc` between every stream that uses it.
pub struct CompiledTransformation {
    pub(crate) env: Environment<'static>,
    pub(crate) globals: Arc<std::collections::HashSet<String>>,
    pub(crate) random: Arc<dyn RandomSource>,
    request: Option<DirectionPlan>,
    response: Option<DirectionPlan>,
}

/// The compiled transform of one direction.
#[derive(Debug)]
pub struct DirectionPlan {
    pub(crate) direction: Direction,
    /// `set`, then `add`, then `remove` entries: the order mutations apply in.
    pub(crate) headers: Vec<HeaderRule>,
    /// The body template; only when the body is parsed (`parseAs` is not `None`) and the value not empty.
    pub(crate) body: Option<Template>,
    pub(crate) parse_as: BodyParseBehavior,
    /// The `dynamicMetadata` entries.
    pub(crate) metadata: Vec<MetadataRule>,
    /// `(namespace, key)` that `dynamic_metadata()` calls read, fetched before rendering.
    pub(crate) metadata_reads: Vec<(Arc<str>, Arc<str>)>,
    /// Union of what every template of this direction reads.
    pub(crate) reads: Reads,
    pub(crate) buffers_body: bool,
    /// Set when every message gets this answer (JSON variables without `parseAs: AsJson`).
    pub(crate) always_rejects: Option<LocalReply>,
}

impl CompiledTransformation {
    /// Parses and compiles the filter config JSON.
    pub fn from_json(json: &str, options: &CompileOptions) -> Result<Arc<Self>, ConfigError> {
        Self::compile(&TransformationPolicy::from_json(json)?, options)
    }

    /// Compiles a parsed config.
    pub fn compile(
        policy: &TransformationPolicy,
        options: &CompileOptions,
    ) -> Result<Arc<Self>, ConfigError> {
        let env = new_environment(options);
        let globals = Arc::new(global_names(&env));
        let mut compiler = TemplateCompiler {
            env,
            globals: Arc::clone(&globals),
            options,
            metadata_keys: Vec::new(),
            count: 0,
        };
        let mut plan = |direction: Direction, transform: &Option<Transform>| match transform {
            Some(transform) if !transform.is_empty() => {
                compile_direction(&mut compiler, direction, transform).map(Some)
            }
            _ => Ok(None),
        };
        let request = plan(Direction::Request, &policy.request)?;
        let response = plan(Direction::Response, &policy.response)?;
        Ok(Arc::new(Self {
            env: compiler.env,
            globals,
            random: Arc::clone(&options.random),
            request,
            response,
        }))
    }

    /// The plan of one direction; `None` when that direction changes nothing (pass it through untouched).
    pub fn plan(&self, direction: Direction) -> Option<&DirectionPlan> {
        match direction {
            Direction::Request => self.request.as_ref(),
            Direction::Response => self.response.as_ref(),
        }
    }

    /// True when the response transform reads the original request headers, which must then be
    /// snapshotted when the request headers arrive, before the request transform changes them.
    pub fn response_reads_request_headers(&self) -> bool {
        self.response
            .as_ref()
            .is_some_and(|plan| plan.reads.request_headers)
    }
}

impl DirectionPlan {
    /// Which message this plan transforms.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// True when the whole body must be buffered before rendering. False means render on the headers
    /// and let the body stream through untouched.
    pub fn buffers_body(&self) -> bool {
        self.buffers_body
    }

    /// Set when every message of this direction is answered with this reply (a template reads JSON
    /// body variables but the body is not parsed as JSON); worth a warning at load.
    pub fn always_rejects(&self) -> Option<&LocalReply> {
        self.always_rejects.as_ref()
    }

    /// True when a template reads the headers of the message being transformed.
    pub fn reads_headers(&self) -> bool {
        self.reads.headers || (self.direction == Direction::Request && self.reads.request_headers)
    }

    /// `(namespace, key)` pairs that templates read with `dynamic_metadata()`.
    pub fn metadata_reads(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata_reads
            .iter()
            .map(|(namespace, key)| (&**namespace, &**key))
    }
}

fn compile_direction(
    compiler: &mut TemplateCompiler<'_>,
    direction: Direction,
    transform: &Transform,
) -> Result<DirectionPlan, ConfigError> {
    let prefix = direction.key();
    let mut headers = Vec::new();
    for (list, op, entries) in [
        ("set", HeaderOp::Set, &transform.set),
        ("add", HeaderOp::Append, &transform.add),
    ] {
        for (index, entry) in entries.iter().enumerate() {
            let location = format!("{prefix}.{list}[{index}] ({})", entry.name);
            let (name, pseudo) = header_rule::parse_name(direction, op, &location, &entry.name)?;
            let value = compiler.compile(&location, entry.value.as_deref())?;
            headers.push(HeaderRule {
                location: location.into(),
                op,
                name,
                pseudo,
                value,
            });
        }
    }
    for (index, name) in transform.remove.iter().enumerate() {
        let location = format!("{prefix}.remove[{index}] ({name})");
        let (name, pseudo) = header_rule::parse_name(direction, HeaderOp::Remove, &location, name)?;
        let value = Template::Constant(Box::default());
        headers.push(HeaderRule {
            location: location.into(),
            op: HeaderOp::Remove,
            name,
            pseudo,
            value,
        });
    }

    // An absent `body` is "not buffered" (kgateway API): like `parseAs: None`, `body()` reads empty.
    let parse_as = transform
        .body
        .as_ref()
        .map_or(BodyParseBehavior::None, |body| body.parse_as);
    let body = match transform
        .body
        .as_ref()
        .and_then(|body| body.value.as_deref())
    {
        Some(value) if !value.is_empty() && parse_as != BodyParseBehavior::None => {
            Some(compiler.compile(direction.body_location(), Some(value))?)
        }
        _ => None,
    };

    let mut metadata = Vec::new();
    for (index, entry) in transform.dynamic_metadata.iter().enumerate() {
        let location = format!(
            "{prefix}.dynamicMetadata[{index}] ({}/{})",
            entry.namespace, entry.key
        );
        let Some(source) = entry.value.string_value.as_deref() else {
            return Err(ConfigError::MissingMetadataValue { location });
        };
        let value = compiler.compile(&location, Some(source))?;
        let (namespace, key) = (entry.namespace.as_str().into(), entry.key.as_str().into());
        metadata.push(MetadataRule {
            location: location.into(),
            namespace,
            key,
            value,
        });
    }

    let reads = headers
        .iter()
        .map(|rule| rule.value.reads())
        .chain(body.iter().map(Template::reads))
        .chain(metadata.iter().map(|rule| rule.value.reads()))
        .fold(Reads::default(), |all, reads| all | reads);
    let parses_json = parse_as == BodyParseBehavior::AsJson;
    let always_rejects = (reads.json_variables && !parses_json).then(|| {
        LocalReply::bad_request(
            "transformation: template reads JSON body variables but parseAs is not AsJson",
        )
    });
    let buffers_body = always_rejects.is_none()
        && parse_as != BodyParseBehavior::None
        && (body.is_some()
            || reads.body
            || (parses_json && (reads.context || reads.json_variables)));
    let metadata_reads = std::mem::take(&mut compiler.metadata_keys)
        .into_iter()
        .map(|(namespace, key)| (namespace.into(), key.into()))
        .collect();
    Ok(DirectionPlan {
        direction,
        headers,
        body,
        parse_as,
        metadata,
        metadata_reads,
        reads,
        buffers_body,
        always_rejects,
    })
}

#[cfg(test)]
mod tests;

impl std::fmt::Debug for CompiledTransformation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledTransformation")
            .field("request", &self.request)
            .field("response", &self.response)
            .finish_non_exhaustive()
    }
}
