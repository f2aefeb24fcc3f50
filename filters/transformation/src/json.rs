//! A parsed JSON body as template values, converted lazily.
//!
//! Converting a whole document into MiniJinja values costs more than parsing it; templates usually
//! read a few fields. So the body is parsed once into `serde_json` and templates get [`JsonNode`]s:
//! an object or array is a node (the shared root, its parent node and its key or index), a scalar
//! becomes a plain value on access. `jsonpath()` and JSON printing read the `serde_json` tree directly.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::Value as Json;

/// An object or array inside a parsed body.
#[derive(Debug)]
pub(crate) struct JsonNode {
    root: Arc<Json>,
    /// `None` for the document itself.
    parent: Option<(Arc<JsonNode>, Step)>,
}

#[derive(Clone, Debug)]
enum Step {
    Key(Box<str>),
    Index(usize),
}

impl JsonNode {
    /// The template value of a whole document (`context()`).
    pub fn root(root: Arc<Json>) -> Value {
        match &*root {
            Json::Array(_) | Json::Object(_) => Value::from_object(JsonNode { root, parent: None }),
            scalar => scalar_value(scalar),
        }
    }

    /// The `serde_json` value this node stands for.
    pub fn json(&self) -> &Json {
        let Some((parent, step)) = &self.parent else {
            return &self.root;
        };
        match (parent.json(), step) {
            (Json::Object(map), Step::Key(key)) => map.get(&**key).unwrap_or(&Json::Null),
            (Json::Array(items), Step::Index(index)) => items.get(*index).unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
}

/// The template value of `value`, the child of `parent` reached by `step`.
fn child(parent: &Arc<JsonNode>, value: &Json, step: Step) -> Value {
    match value {
        Json::Array(_) | Json::Object(_) => Value::from_object(JsonNode {
            root: Arc::clone(&parent.root),
            parent: Some((Arc::clone(parent), step)),
        }),
        scalar => scalar_value(scalar),
    }
}

/// A top-level key of the document, as a JSON variable; `None` when absent or not an object.
pub(crate) fn top_level(root: &Arc<Json>, key: &str) -> Option<Value> {
    let value = root.as_object()?.get(key)?;
    Some(match value {
        Json::Array(_) | Json::Object(_) => {
            let document = Arc::new(JsonNode {
                root: Arc::clone(root),
                parent: None,
            });
            child(&document, value, Step::Key(key.into()))
        }
        scalar => scalar_value(scalar),
    })
}

/// The `serde_json` form of a template value: direct for nodes, by conversion otherwise.
pub(crate) fn as_json(value: &Value) -> Option<Json> {
    match value.downcast_object_ref::<JsonNode>() {
        Some(node) => Some(node.json().clone()),
        None => serde_json::to_value(value).ok(),
    }
}

/// Compact JSON text of a template value (nodes are printed from the tree, not re-converted).
pub(crate) fn to_json_text(value: &Value) -> Option<String> {
    match value.downcast_object_ref::<JsonNode>() {
        Some(node) => serde_json::to_string(node.json()).ok(),
        None => serde_json::to_string(value).ok(),
    }
}

fn scalar_value(value: &Json) -> Value {
    match value {
        Json::Bool(flag) => Value::from(*flag),
        Json::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Value::from(integer)
            } else if let Some(integer) = number.as_u64() {
                Value::from(integer)
            } else {
                Value::from(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(text) => Value::from(text.as_str()),
        Json::Null | Json::Array(_) | Json::Object(_) => Value::from(()),
    }
}

impl Object for JsonNode {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.json() {
            Json::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.json() {
            Json::Object(map) => {
                let key = key.as_str()?;
                let value = map.get(key)?;
                Some(child(self, value, Step::Key(key.into())))
            }
            Json::Array(items) => {
                let index = usize::try_from(key.as_i64()?).ok()?;
                Some(child(self, items.get(index)?, Step::Index(index)))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.json() {
            Json::Object(map) => {
                Enumerator::Values(map.keys().map(|key| Value::from(key.as_str())).collect())
            }
            Json::Array(items) => Enumerator::Seq(items.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.json() {
            Json::Object(map) => Some(map.len()),
            Json::Array(items) => Some(items.len()),
            _ => Some(0),
        }
    }
}
