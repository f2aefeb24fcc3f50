//! The per-message step: render every template of one direction against the message as it is, then
//! list the mutations (the render-snapshot rule: no template sees another's result).
//!
//! Constant templates were rendered at load and cost nothing here; the scope is built only when a
//! template reads the message, and holds only what the templates read.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use dynagate_config::transformation::BodyParseBehavior;
use minijinja::Value;

use crate::compiled::{
    DirectionPlan, HeaderOp, HeaderRule, Template, engine_message, render_interpolation,
    valid_value,
};
use crate::engine::RenderScope;
use crate::{
    CompiledTransformation, Direction, HeaderMutation, LocalReply, MessageView, MetadataWrite,
    Mutations, TemplateFailure,
};

impl CompiledTransformation {
    /// Renders the transform of `direction` against `message` and returns what to change, or the local
    /// reply to answer with (400 when JSON variables are read but the body is not valid, non-empty JSON).
    /// A direction without a transform returns empty mutations.
    pub fn render<'c>(
        &'c self,
        direction: Direction,
        message: &dyn MessageView,
    ) -> Result<Mutations<'c>, LocalReply> {
        let Some(plan) = self.plan(direction) else {
            return Ok(Mutations::default());
        };
        if let Some(reply) = &plan.always_rejects {
            return Err(reply.clone());
        }
        let scope = if plan.reads.any() {
            Some(self.scope(plan, message)?)
        } else {
            None
        };
        let mut render = Render {
            compiled: self,
            scope,
            root: None,
            mutations: Mutations::default(),
        };
        render.mutations.headers.reserve(plan.headers.len());
        if let Some(template) = plan.body.as_ref().filter(|_| message.body_allowed()) {
            render.body(direction.body_location(), template);
        }
        for rule in &plan.headers {
            render.header(rule);
        }
        for rule in &plan.metadata {
            let value = render.template(&rule.location, &rule.value);
            if !value.is_empty() {
                let (namespace, key) = (&*rule.namespace, &*rule.key);
                render.mutations.dynamic_metadata.push(MetadataWrite {
                    namespace,
                    key,
                    value,
                });
            }
        }
        let mut mutations = render.mutations;
        mutations.clear_route_cache =
            direction == Direction::Request && !mutations.headers.is_empty();
        Ok(mutations)
    }

    /// The root context of this render: what the direction's templates read, and nothing more.
    fn scope(
        &self,
        plan: &DirectionPlan,
        message: &dyn MessageView,
    ) -> Result<Arc<RenderScope>, LocalReply> {
        let reads = plan.reads;
        let request = plan.direction == Direction::Request;
        let headers = plan.reads_headers().then(|| message.headers());
        let request_headers = match (request, reads.request_headers) {
            (_, false) => None,
            (true, true) => headers.clone(),
            (false, true) => message.original_request_headers(),
        };
        let (body, json) = if plan.buffers_body {
            read_body(plan, message)?
        } else {
            (None, None)
        };
        if reads.json_variables && json.is_none() {
            return Err(LocalReply::bad_request(
                "transformation: template reads JSON body variables but the body is empty",
            ));
        }
        let metadata = plan
            .metadata_reads
            .iter()
            .map(|(namespace, key)| {
                (
                    Arc::clone(namespace),
                    Arc::clone(key),
                    message.dynamic_metadata(namespace, key),
                )
            })
            .collect();
        Ok(Arc::new(RenderScope {
            headers,
            request_headers,
            body,
            json,
            metadata,
            globals: Arc::clone(&self.globals),
            random: Arc::clone(&self.random),
            tokens: Mutex::new(Vec::new()),
        }))
    }
}

/// `body()` and the parsed JSON; invalid JSON under `AsJson` answers 400. An empty or `null` body
/// parses to nothing (kgateway: not parsed as JSON).
fn read_body(
    plan: &DirectionPlan,
    message: &dyn MessageView,
) -> Result<(Option<Value>, Option<Arc<serde_json::Value>>), LocalReply> {
    let bytes = message.body().unwrap_or_default();
    let json = if plan.parse_as == BodyParseBehavior::AsJson && !bytes.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(json) => (!json.is_null()).then(|| Arc::new(json)),
            Err(_) => {
                return Err(LocalReply::bad_request(
                    "transformation: body is not valid JSON",
                ));
            }
        }
    } else {
        None
    };
    let body = plan
        .reads
        .body
        .then(|| Value::from(String::from_utf8_lossy(&bytes).into_owned()));
    Ok((body, json))
}

struct Render<'c> {
    compiled: &'c CompiledTransformation,
    /// What templates read; `None` when every template is constant.
    scope: Option<Arc<RenderScope>>,
    /// The scope as MiniJinja's root context, made on the first template MiniJinja renders.
    root: Option<Value>,
    mutations: Mutations<'c>,
}

impl<'c> Render<'c> {
    /// A template's output; a failure renders empty and is recorded.
    fn template(&mut self, location: &'c str, template: &'c Template) -> Cow<'c, str> {
        let (name, fast) = match template {
            Template::Constant(text) => return Cow::Borrowed(text),
            Template::Dynamic { name, fast, .. } => (name, fast),
        };
        let Some(scope) = &self.scope else {
            return Cow::Borrowed("");
        };
        if let Some(segments) = fast {
            return Cow::Owned(render_interpolation(segments, scope));
        }
        let root = self
            .root
            .get_or_insert_with(|| Value::from_dyn_object(Arc::clone(scope)));
        let rendered = self
            .compiled
            .env
            .get_template(name)
            .and_then(|template| template.render(root.clone()));
        match rendered {
            Ok(text) => Cow::Owned(text),
            Err(error) => {
                self.fail(location, engine_message(&error));
                Cow::Borrowed("")
            }
        }
    }

    fn fail(&mut self, location: &'c str, message: String) {
        self.mutations
            .failures
            .push(TemplateFailure { location, message });
    }

    /// Replaces the body and keeps the framing headers right: `content-length` is the new length, a
    /// chunked `transfer-encoding` no longer applies, and an empty body has no `content-type`.
    fn body(&mut self, location: &'c str, template: &'c Template) {
        let body = self.template(location, template).into_owned();
        let headers = &mut self.mutations.headers;
        headers.push(HeaderMutation::Set {
            name: "content-length",
            value: Cow::Owned(body.len().to_string()),
        });
        headers.push(HeaderMutation::Remove {
            name: "transfer-encoding",
        });
        if body.is_empty() {
            headers.push(HeaderMutation::Remove {
                name: "content-type",
            });
        }
        self.mutations.body = Some(body);
    }

    fn header(&mut self, rule: &'c HeaderRule) {
        let name = &*rule.name;
        if rule.op == HeaderOp::Remove {
            self.mutations.headers.push(HeaderMutation::Remove { name });
            return;
        }
        let mut value = self.template(&rule.location, &rule.value);
        if !value.is_empty() && !valid_value(name, &value) {
            self.fail(
                &rule.location,
                format!("rendered value is not a valid {name} header value"),
            );
            value = Cow::Borrowed("");
        }
        let mutation = match (rule.op, value.is_empty()) {
            // Dropping `:status` or `:path` would break the stream: an empty pseudo header is left alone.
            (HeaderOp::Set, true) if rule.pseudo => return,
            (HeaderOp::Set, true) => HeaderMutation::Remove { name },
            (HeaderOp::Set, false) => HeaderMutation::Set { name, value },
            (_, true) => return,
            (_, false) => HeaderMutation::Append { name, value },
        };
        self.mutations.headers.push(mutation);
    }
}

#[cfg(test)]
mod tests;
