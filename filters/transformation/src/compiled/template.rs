//! One compiled template: what it reads from the message, or its output when it reads nothing.

use std::collections::HashSet;
use std::ops::BitOr;
use std::sync::{Arc, Mutex};

use minijinja::{Environment, Value};

use super::interpolation::{self, Segment};
use super::metadata_args;
use crate::engine::{RenderScope, reads};
use crate::{CompileOptions, ConfigError};

/// What a template (or a whole direction) reads from the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// `header()`.
    pub headers: bool,
    /// `request_header()`, `get_cookie()`, `get_cookie_i()`.
    pub request_headers: bool,
    /// `body()`.
    pub body: bool,
    /// `context()`.
    pub context: bool,
    /// Top-level keys of a JSON body, used as variables.
    pub json_variables: bool,
    /// `dynamic_metadata()`.
    pub metadata: bool,
    /// `replace_with_random()`: not message data, but must differ per message.
    pub random: bool,
}

impl Reads {
    /// True when the output can differ between messages.
    pub fn any(self) -> bool {
        self != Self::default()
    }
}

impl BitOr for Reads {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self {
            headers: self.headers | other.headers,
            request_headers: self.request_headers | other.request_headers,
            body: self.body | other.body,
            context: self.context | other.context,
            json_variables: self.json_variables | other.json_variables,
            metadata: self.metadata | other.metadata,
            random: self.random | other.random,
        }
    }
}

/// A template ready for the per-request path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Template {
    /// Renders the same for every message: rendered once at load (`""` for an absent value).
    Constant(Box<str>),
    /// Rendered per message: by concatenation when it is a pure interpolation (`fast`), else by
    /// MiniJinja under `name` in the environment.
    Dynamic {
        name: Box<str>,
        reads: Reads,
        fast: Option<Box<[Segment]>>,
    },
}

impl Template {
    pub fn reads(&self) -> Reads {
        match self {
            Self::Constant(_) => Reads::default(),
            Self::Dynamic { reads, .. } => *reads,
        }
    }
}

/// Load-time context shared by the templates of one config.
pub(crate) struct TemplateCompiler<'o> {
    pub env: Environment<'static>,
    pub globals: Arc<HashSet<String>>,
    pub options: &'o CompileOptions,
    /// `(namespace, key)` of every `dynamic_metadata()` call, per direction, in first-use order.
    pub metadata_keys: Vec<(String, String)>,
    /// Templates compiled so far: names them in the environment (short names look up faster).
    pub count: usize,
}

impl TemplateCompiler<'_> {
    /// Compiles `source` (named `location` in errors), finds what it reads, and renders it now if it
    /// reads nothing.
    pub fn compile(
        &mut self,
        location: &str,
        source: Option<&str>,
    ) -> Result<Template, ConfigError> {
        let source = source.unwrap_or_default();
        if source.is_empty() {
            return Ok(Template::Constant(Box::default()));
        }
        let name = self.count.to_string();
        self.count += 1;
        self.env
            .add_template_owned(name.clone(), source.to_owned())
            .map_err(|error| template_error(location, &error))?;
        let template = self
            .env
            .get_template(&name)
            .map_err(|error| template_error(location, &error))?;
        let reads = self.reads_of(&template.undeclared_variables(false));
        if reads.metadata {
            let keys = metadata_args::literal_keys(source).ok_or_else(|| {
                ConfigError::MetadataArguments {
                    location: location.to_owned(),
                }
            })?;
            for key in keys {
                if !self.metadata_keys.contains(&key) {
                    self.metadata_keys.push(key);
                }
            }
        }
        if reads.any() {
            let fast = interpolation::parse(source, &self.options.env);
            return Ok(Template::Dynamic {
                name: name.into(),
                reads,
                fast,
            });
        }
        // Reads nothing from the message: render once with an empty scope (env() is a load-time
        // snapshot), and fail the config now rather than every request later.
        let rendered =
            template
                .render(self.empty_scope())
                .map_err(|error| ConfigError::AlwaysFails {
                    location: location.to_owned(),
                    message: engine_message(&error),
                })?;
        self.env.remove_template(&name);
        Ok(Template::Constant(rendered.into()))
    }

    fn reads_of(&self, undeclared: &HashSet<String>) -> Reads {
        let mut reads = Reads::default();
        for name in undeclared {
            match name.as_str() {
                reads::HEADER => reads.headers = true,
                reads::REQUEST_HEADER | reads::GET_COOKIE | reads::GET_COOKIE_I => {
                    reads.request_headers = true
                }
                reads::BODY => reads.body = true,
                reads::CONTEXT => reads.context = true,
                reads::DYNAMIC_METADATA => reads.metadata = true,
                reads::REPLACE_WITH_RANDOM => reads.random = true,
                other if self.globals.contains(other) => {}
                _ => reads.json_variables = true,
            }
        }
        reads
    }

    fn empty_scope(&self) -> Value {
        Value::from_object(RenderScope {
            headers: None,
            request_headers: None,
            body: None,
            json: None,
            metadata: Vec::new(),
            globals: Arc::clone(&self.globals),
            random: Arc::clone(&self.options.random),
            tokens: Mutex::new(Vec::new()),
        })
    }
}

fn template_error(location: &str, error: &minijinja::Error) -> ConfigError {
    ConfigError::Template {
        location: location.to_owned(),
        line: error.line().unwrap_or(1),
        message: engine_message(error),
    }
}

/// The engine's message without the location suffix it adds (we name the template ourselves).
pub(crate) fn engine_message(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}
