//! The MiniJinja environment of a config, and the per-message scope its functions read.
//!
//! MiniJinja functions are registered once per config and must be `'static`, so they cannot borrow the
//! host. Each render instead gets a [`RenderScope`] as its root context: an `Arc` object holding what
//! the templates of that direction read (header snapshots, body, parsed JSON, prefetched metadata).
//! Functions find it under [`SCOPE_KEY`], a name no template can spell. Top-level JSON keys of an
//! `AsJson` body are served by the same object, except names of functions, so a body key `env` never
//! hides `env()`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::{Enumerator, Object, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, Output, State, Value, escape_formatter};

use crate::HeaderSnapshot;
use crate::functions::{self, text};
use crate::json::{self, JsonNode};
use crate::message::MetadataValue;
use crate::options::{CompileOptions, RandomSource};

/// Where functions find the scope: starts with a control character, so no template can reference it.
pub(crate) const SCOPE_KEY: &str = "\u{1}dynagate";

/// Namespace `dynamic_metadata(key)` reads when none is given (the classic transformation filter's).
pub const DEFAULT_METADATA_NAMESPACE: &str = "io.solo.transformation";

/// Instruction budget of one render: bounds the CPU a template can burn on a worker thread.
pub const RENDER_FUEL: u64 = 2_000_000;

/// Functions whose result depends on the message; a template calling none of them (and reading no JSON
/// variable) renders the same for every request and is rendered once at load.
pub(crate) mod reads {
    pub const HEADER: &str = "header";
    pub const REQUEST_HEADER: &str = "request_header";
    pub const BODY: &str = "body";
    pub const CONTEXT: &str = "context";
    pub const GET_COOKIE: &str = "get_cookie";
    pub const GET_COOKIE_I: &str = "get_cookie_i";
    pub const DYNAMIC_METADATA: &str = "dynamic_metadata";
    pub const REPLACE_WITH_RANDOM: &str = "replace_with_random";
}

/// Builds the environment every template of one config is compiled into.
pub(crate) fn new_environment(options: &CompileOptions) -> Environment<'static> {
    let mut env = Environment::new();
    // Header values and bodies are not HTML: never escape, whatever a template name ends with.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_fuel(Some(RENDER_FUEL));
    env.set_formatter(format_value);

    env.add_function(reads::HEADER, |state: &State, name: Option<&Value>| {
        with_scope(state, |scope| scope.header(&text(name)).into_owned()).unwrap_or_default()
    });
    env.add_function(
        reads::REQUEST_HEADER,
        |state: &State, name: Option<&Value>| {
            with_scope(state, |scope| {
                scope.request_header(&text(name)).into_owned()
            })
            .unwrap_or_default()
        },
    );
    env.add_function(reads::BODY, |state: &State| {
        with_scope(state, |scope| scope.body.clone())
            .flatten()
            .unwrap_or_else(|| Value::from(""))
    });
    env.add_function(reads::CONTEXT, |state: &State| {
        with_scope(state, |scope| scope.json.clone().map(JsonNode::root))
            .flatten()
            .unwrap_or(Value::UNDEFINED)
    });
    env.add_function(reads::GET_COOKIE, |state: &State, name: Option<&Value>| {
        with_scope(state, |scope| scope.cookie(&text(name), false).into_owned()).unwrap_or_default()
    });
    env.add_function(
        reads::GET_COOKIE_I,
        |state: &State, name: Option<&Value>| {
            with_scope(state, |scope| scope.cookie(&text(name), true).into_owned())
                .unwrap_or_default()
        },
    );
    env.add_function(
        reads::DYNAMIC_METADATA,
        |state: &State, key: Option<&Value>, namespace: Option<&Value>| {
            let namespace = match namespace {
                Some(namespace) if !namespace.is_undefined() && !namespace.is_none() => {
                    text(Some(namespace))
                }
                _ => DEFAULT_METADATA_NAMESPACE.into(),
            };
            with_scope(state, |scope| {
                scope.metadata(&namespace, &text(key)).into_owned()
            })
            .unwrap_or_default()
        },
    );
    env.add_function(
        reads::REPLACE_WITH_RANDOM,
        |state: &State, input: Option<&Value>, pattern: Option<&Value>| {
            let pattern = text(pattern);
            let token = with_scope(state, |scope| scope.random_token(&pattern)).unwrap_or_default();
            functions::replace_all(&text(input), &pattern, &token)
        },
    );

    let vars = Arc::clone(&options.env);
    env.add_function("env", move |name: Option<&Value>| {
        vars.get(&*text(name)).cloned().unwrap_or_default()
    });
    env.add_function("base64_encode", functions::base64_encode);
    env.add_function("base64_decode", functions::base64_decode);
    env.add_function("base64url_encode", functions::base64url_encode);
    env.add_function("base64url_decode", functions::base64url_decode);
    env.add_function("substring", functions::substring);
    env.add_function("trim", functions::trim);
    env.add_function("replace_with_string", functions::replace_with_string);
    env.add_function("raw_string", functions::raw_string);
    env.add_function("word_count", functions::word_count);
    env.add_function("jsonpath", functions::jsonpath);
    env
}

/// How `{{ value }}` prints. MiniJinja 3 prints Python reprs (`True`, `{'k': 1}`); templates here
/// build headers and JSON bodies, so booleans, `none`, lists and maps print as JSON (as the classic
/// filter did), e.g. `{"items": {{ items }}}` with `items` from a JSON body stays valid JSON.
fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let json = match value.kind() {
        ValueKind::Bool => Cow::Borrowed(if value.is_true() { "true" } else { "false" }),
        ValueKind::None => Cow::Borrowed("null"),
        ValueKind::Seq | ValueKind::Map => match json::to_json_text(value) {
            Some(json) => Cow::Owned(json),
            None => return escape_formatter(out, state, value),
        },
        _ => return escape_formatter(out, state, value),
    };
    out.write_str(&json)
        .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "cannot write output"))
}

/// Names of every global of `env` (our functions and MiniJinja's, e.g. `range`): an undeclared name
/// that is not one of these is a JSON body variable.
pub(crate) fn global_names(env: &Environment<'_>) -> HashSet<String> {
    env.globals().map(|(name, _)| name.to_owned()).collect()
}

fn with_scope<R>(state: &State, read: impl FnOnce(&RenderScope) -> R) -> Option<R> {
    let scope = state.lookup(SCOPE_KEY)?;
    scope.downcast_object_ref::<RenderScope>().map(read)
}

/// What one render of one direction may read. Fields stay `None` when no template needs them.
pub(crate) struct RenderScope {
    /// Headers of the message being transformed.
    pub headers: Option<Arc<HeaderSnapshot>>,
    /// Request headers as they arrived (the same snapshot as `headers` for a request transform).
    pub request_headers: Option<Arc<HeaderSnapshot>>,
    /// `body()`: the body as a string.
    pub body: Option<Value>,
    /// `context()`: the parsed JSON body; its top-level keys are the JSON variables.
    pub json: Option<Arc<serde_json::Value>>,
    /// Prefetched `dynamic_metadata()` values: `(namespace, key, value)`.
    pub metadata: Vec<(Arc<str>, Arc<str>, Option<MetadataValue>)>,
    /// Function names, which JSON keys must not shadow.
    pub globals: Arc<HashSet<String>>,
    pub random: Arc<dyn RandomSource>,
    /// `replace_with_random` tokens of this message, one per pattern.
    pub tokens: Mutex<Vec<(String, String)>>,
}

impl RenderScope {
    /// `header(name)`.
    pub(crate) fn header(&self, name: &str) -> Cow<'_, str> {
        lookup(self.headers.as_deref(), name)
    }

    /// `request_header(name)`.
    pub(crate) fn request_header(&self, name: &str) -> Cow<'_, str> {
        lookup(self.request_headers.as_deref(), name)
    }

    /// `get_cookie(name)` / `get_cookie_i(name)`.
    pub(crate) fn cookie(&self, name: &str, ignore_case: bool) -> Cow<'_, str> {
        let Some(headers) = self.request_headers.as_deref() else {
            return Cow::Borrowed("");
        };
        let values = headers
            .get_all("cookie")
            .filter_map(|value| std::str::from_utf8(value).ok());
        Cow::Borrowed(functions::find_cookie(values, name, ignore_case).unwrap_or_default())
    }

    /// `dynamic_metadata(key, namespace)`.
    pub(crate) fn metadata(&self, namespace: &str, key: &str) -> Cow<'_, str> {
        let value = self
            .metadata
            .iter()
            .find(|(ns, k, _)| &**ns == namespace && &**k == key)
            .and_then(|(_, _, value)| value.as_ref());
        match value {
            None => Cow::Borrowed(""),
            Some(MetadataValue::String(text)) => Cow::Borrowed(text),
            Some(other) => Cow::Owned(other.to_string()),
        }
    }

    /// The token for `pattern`: made on first use, then reused for the rest of this message.
    fn random_token(&self, pattern: &str) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, token)) = tokens.iter().find(|(p, _)| p == pattern) {
            return token.clone();
        }
        let mut bytes = [0u8; 16];
        self.random.fill(&mut bytes);
        let token = functions::random_token(bytes);
        tokens.push((pattern.to_owned(), token.clone()));
        token
    }
}

/// A header value; `host` falls back to `:authority`, which is where Envoy keeps it.
fn lookup<'h>(headers: Option<&'h HeaderSnapshot>, name: &str) -> Cow<'h, str> {
    let Some(headers) = headers else {
        return Cow::Borrowed("");
    };
    let value = headers.value(name).or_else(|| {
        if name.eq_ignore_ascii_case("host") {
            headers.value(":authority")
        } else {
            None
        }
    });
    value.unwrap_or_default()
}

impl fmt::Debug for RenderScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shown by `{{ debug() }}`: names only, never header or body contents.
        f.debug_struct("RenderScope").finish_non_exhaustive()
    }
}

impl Object for RenderScope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if key == SCOPE_KEY {
            return Some(Value::from_dyn_object(Arc::clone(self)));
        }
        let json = self.json.as_ref()?;
        if self.globals.contains(key) {
            return None;
        }
        json::top_level(json, key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }
}
