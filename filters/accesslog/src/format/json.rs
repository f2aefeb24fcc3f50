//! JSON line formats: the object compiled into pre-serialized fragments and typed slots.

use super::value::{escape_in_place, write_f64, write_json_string};
use super::{FormatContext, FormatError, Segment, compile_segments, write_text};
use crate::entry::LogEntry;
use serde_json::Value as Json;

/// A compiled JSON format: static bytes between dynamic values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsonTemplate {
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    /// Pre-serialized JSON text (punctuation, keys, literal values).
    Static(Vec<u8>),
    /// A value that is exactly one operator: typed (`null`, number, string).
    Typed(Segment),
    /// Text and operators mixed: always a string, missing parts as `-`.
    Concat(Vec<Segment>),
}

impl JsonTemplate {
    pub(crate) fn compile(
        format: &serde_json::Map<String, Json>,
        context: &FormatContext,
    ) -> Result<Self, FormatError> {
        let mut template = Self { pieces: Vec::new() };
        template.object(format, context)?;
        template.push_static(b"\n");
        Ok(template)
    }

    pub(crate) fn write<E: LogEntry + ?Sized>(&self, entry: &E, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Static(bytes) => out.extend_from_slice(bytes),
                Piece::Typed(Segment::Operator(operator, max_length)) => {
                    operator.value(entry).write_json(*max_length, out);
                }
                Piece::Typed(Segment::Literal(bytes)) => write_json_string(bytes, out),
                Piece::Concat(segments) => {
                    out.push(b'"');
                    let start = out.len();
                    write_text(segments, entry, out);
                    escape_in_place(out, start);
                    out.push(b'"');
                }
            }
        }
    }

    fn push_static(&mut self, bytes: &[u8]) {
        if let Some(Piece::Static(last)) = self.pieces.last_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.pieces.push(Piece::Static(bytes.to_vec()));
        }
    }

    /// Keys are sorted bytewise: Envoy prints the format's protobuf `Struct` in key order.
    fn object(
        &mut self,
        object: &serde_json::Map<String, Json>,
        context: &FormatContext,
    ) -> Result<(), FormatError> {
        let mut entries: Vec<_> = object.iter().collect();
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        self.push_static(b"{");
        for (index, (key, value)) in entries.into_iter().enumerate() {
            if index > 0 {
                self.push_static(b",");
            }
            let mut key_json = Vec::with_capacity(key.len() + 3);
            write_json_string(key.as_bytes(), &mut key_json);
            key_json.push(b':');
            self.push_static(&key_json);
            self.value(value, context)?;
        }
        self.push_static(b"}");
        Ok(())
    }

    fn value(&mut self, value: &Json, context: &FormatContext) -> Result<(), FormatError> {
        match value {
            Json::Null => self.push_static(b"null"),
            Json::Bool(true) => self.push_static(b"true"),
            Json::Bool(false) => self.push_static(b"false"),
            Json::Number(number) => {
                // The format travels as a protobuf Struct: every number is a double.
                let mut text = Vec::new();
                write_f64(number.as_f64().unwrap_or(f64::NAN), &mut text);
                self.push_static(&text);
            }
            Json::String(format) => self.string(format, context)?,
            Json::Array(items) => {
                self.push_static(b"[");
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.push_static(b",");
                    }
                    self.value(item, context)?;
                }
                self.push_static(b"]");
            }
            Json::Object(object) => self.object(object, context)?,
        }
        Ok(())
    }

    fn string(&mut self, format: &str, context: &FormatContext) -> Result<(), FormatError> {
        let mut segments = compile_segments(format, context)?;
        match segments.as_slice() {
            [] => self.push_static(b"\"\""),
            [Segment::Literal(text)] => {
                let mut json = Vec::with_capacity(text.len() + 2);
                write_json_string(text, &mut json);
                self.push_static(&json);
            }
            [Segment::Operator(..)] => {
                let segment = segments.remove(0);
                self.pieces.push(Piece::Typed(segment));
            }
            _ => self.pieces.push(Piece::Concat(segments)),
        }
        Ok(())
    }
}
