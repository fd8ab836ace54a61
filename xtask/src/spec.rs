//! Loading the OpenAPI spec: YAML → [`serde_json::Value`] plus an index from JSON pointers to
//! line numbers, `$ref` resolution and the list of operations.
//!
//! The YAML is read with `yaml-rust2`'s event parser, which reports where every node starts, so
//! that each lint finding can name both a JSON pointer and a line of the file.

use std::{collections::HashMap, path::Path};

use serde_json::{Map, Number, Value};
use yaml_rust2::{
    parser::{Event, MarkedEventReceiver, Parser, Tag},
    scanner::{Marker, TScalarStyle},
    Yaml,
};

/// The HTTP methods an OpenAPI path item can hold, in the order progenitor reads them.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A parsed spec: its JSON value and where each node sits in the YAML text.
#[derive(Debug, Clone)]
pub struct Spec {
    name: String,
    root: Value,
    lines: HashMap<String, usize>,
}

/// One operation of the spec, with the pointers needed to report on it.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// The path template, e.g. `/api/partner/v2/contacts/{id}`.
    pub path: &'a str,
    /// The lower-case HTTP method, e.g. `get`.
    pub method: &'a str,
    /// JSON pointer of the operation object.
    pub pointer: String,
    /// The operation object.
    pub value: &'a Value,
    /// The path item holding the operation (its `parameters` apply to every operation).
    pub path_item: &'a Value,
}

impl Operation<'_> {
    /// The operation's `operationId`, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.value.get("operationId").and_then(Value::as_str)
    }

    /// A short human label: the operationId, or `METHOD path` without one.
    pub fn label(&self) -> String {
        match self.id() {
            Some(id) => id.to_owned(),
            None => format!("{} {}", self.method.to_uppercase(), self.path),
        }
    }
}

impl Spec {
    /// Parses YAML (or JSON) text; `name` is how findings refer to the file.
    pub fn parse(name: impl Into<String>, text: &str) -> Result<Spec, String> {
        let name = name.into();
        let mut builder = Builder::default();
        Parser::new_from_str(text)
            .load(&mut builder, false)
            .map_err(|e| format!("{name}: not valid YAML: {e}"))?;
        if let Some(error) = builder.error {
            return Err(format!("{name}: {error}"));
        }
        let root = builder
            .root
            .ok_or_else(|| format!("{name}: the file is empty"))?;
        if !root.is_object() {
            return Err(format!("{name}: the document is not a mapping"));
        }
        Ok(Spec {
            name,
            root,
            lines: builder.lines,
        })
    }

    /// Reads and parses a spec file.
    pub fn load(path: &Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Spec::parse(path.display().to_string(), &text)
    }

    /// How findings refer to the file (usually its path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole document.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The node at a JSON pointer (`""` is the root).
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// The 1-based line where the node at `pointer` starts (for a mapping entry, the line of its
    /// key); for a pointer the index does not know, the line of its nearest known ancestor.
    pub fn line(&self, pointer: &str) -> Option<usize> {
        let mut pointer = pointer;
        loop {
            if let Some(line) = self.lines.get(pointer) {
                return Some(*line);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// Resolves a local `$ref` (`#/components/...`) to its target and the target's pointer.
    pub fn resolve_ref(&self, reference: &str) -> Option<(&Value, String)> {
        let fragment = reference.strip_prefix('#')?;
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return None;
        }
        self.root
            .pointer(fragment)
            .map(|target| (target, fragment.to_owned()))
    }

    /// Follows `$ref` chains from `value` (found at `pointer`) to the first node that is not a
    /// reference. Returns the node and its pointer, or an error naming the reference that does
    /// not resolve (or loops).
    pub fn deref<'a>(
        &'a self,
        value: &'a Value,
        pointer: &str,
    ) -> Result<(&'a Value, String), String> {
        let mut current = (value, pointer.to_owned());
        for _ in 0..32 {
            let Some(reference) = current.0.get("$ref").and_then(Value::as_str) else {
                return Ok(current);
            };
            current = self
                .resolve_ref(reference)
                .ok_or_else(|| format!("`$ref: {reference}` does not resolve"))?;
        }
        Err(format!("`$ref` chain from {pointer} is too long (a loop?)"))
    }

    /// Every operation of every path, in document order (serde_json's map is sorted, so the
    /// order comes from the line index).
    pub fn operations(&self) -> Vec<Operation<'_>> {
        let mut operations = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return operations;
        };
        for (path, item) in paths {
            for method in METHODS {
                if let Some(value) = item.get(method).filter(|v| v.is_object()) {
                    operations.push(Operation {
                        path,
                        method,
                        pointer: child(&child("/paths", path), method),
                        value,
                        path_item: item,
                    });
                }
            }
        }
        operations.sort_by_key(|op| self.line(&op.pointer));
        operations
    }

    /// Every callback operation of every operation (what Linq sends to a subscriber, such as a
    /// webhook delivery), in document order; its [`Operation::path`] is the callback's URL
    /// expression.
    pub fn callbacks(&self) -> Vec<Operation<'_>> {
        let mut callbacks = Vec::new();
        for op in self.operations() {
            let map = op.value.get("callbacks").and_then(Value::as_object);
            for (name, callback) in map.into_iter().flatten() {
                let pointer = child(&child(&op.pointer, "callbacks"), name);
                for (expression, item) in callback.as_object().into_iter().flatten() {
                    for method in METHODS {
                        if let Some(value) = item.get(method).filter(|v| v.is_object()) {
                            callbacks.push(Operation {
                                path: expression,
                                method,
                                pointer: child(&child(&pointer, expression), method),
                                value,
                                path_item: item,
                            });
                        }
                    }
                }
            }
        }
        callbacks.sort_by_key(|op| self.line(&op.pointer));
        callbacks
    }
}

/// Escapes one JSON-pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one JSON-pointer token.
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The pointer of `parent`'s child `token`.
pub fn child(parent: &str, token: &str) -> String {
    let mut pointer = String::with_capacity(parent.len() + token.len() + 1);
    pointer.push_str(parent);
    pointer.push('/');
    pointer.push_str(&escape(token));
    pointer
}

/// The last segment of a `$ref` (`#/components/schemas/Contact` → `Contact`).
pub fn ref_name(reference: &str) -> String {
    unescape(reference.rsplit('/').next().unwrap_or(reference))
}

/// Whether `schema` admits JSON null only: OpenAPI 3.0 has no null type, so the spec writes
/// null as `{type: object, nullable: true, enum: [null]}`.
pub fn is_null_only(schema: &Value) -> bool {
    schema.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

/// A node under construction.
enum Frame {
    Map {
        map: Map<String, Value>,
        pointer: String,
        /// The key read and waiting for its value, with the line of the key.
        key: Option<(String, usize)>,
        anchor: usize,
    },
    Seq {
        items: Vec<Value>,
        pointer: String,
        anchor: usize,
    },
}

/// Builds the JSON value and the line index from parser events.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: HashMap<String, usize>,
    anchors: HashMap<usize, Value>,
    error: Option<String>,
}

/// Where the next node goes: `Some(pointer, line)` for a value, `None` for a mapping key.
enum Slot {
    Value(String),
    Key,
}

impl Builder {
    fn slot(&self) -> Slot {
        match self.stack.last() {
            None => Slot::Value(String::new()),
            Some(Frame::Map { key: None, .. }) => Slot::Key,
            Some(Frame::Map {
                key: Some((key, _)),
                pointer,
                ..
            }) => Slot::Value(child(pointer, key)),
            Some(Frame::Seq { items, pointer, .. }) => {
                Slot::Value(child(pointer, &items.len().to_string()))
            }
        }
    }

    /// The line to record for a value starting at `mark`: a mapping entry's line is its key's.
    fn line_for(&self, mark: Marker) -> usize {
        match self.stack.last() {
            Some(Frame::Map {
                key: Some((_, line)),
                ..
            }) => *line,
            _ => mark.line(),
        }
    }

    fn complete(&mut self, value: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Map { map, key, .. }) => {
                if let Some((key, _)) = key.take() {
                    map.insert(key, value);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => match self.slot() {
                Slot::Key => {
                    if let Some(Frame::Map { key, map, .. }) = self.stack.last_mut() {
                        if map.contains_key(&text) {
                            let message = format!("line {}: duplicate key `{text}`", mark.line());
                            self.fail(message);
                            return;
                        }
                        *key = Some((text, mark.line()));
                    }
                }
                Slot::Value(pointer) => {
                    let line = self.line_for(mark);
                    self.lines.insert(pointer, line);
                    match scalar(&text, style, tag.as_ref()) {
                        Ok(value) => self.complete(value, anchor),
                        Err(message) => self.fail(format!("line {}: {message}", mark.line())),
                    }
                }
            },
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let Slot::Value(pointer) = self.slot() else {
                    self.fail(format!(
                        "line {}: a mapping key must be a plain scalar",
                        mark.line()
                    ));
                    return;
                };
                let line = self.line_for(mark);
                self.lines.insert(pointer.clone(), line);
                self.stack.push(if is_map {
                    Frame::Map {
                        map: Map::new(),
                        pointer,
                        key: None,
                        anchor,
                    }
                } else {
                    Frame::Seq {
                        items: Vec::new(),
                        pointer,
                        anchor,
                    }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Map { map, anchor, .. }) => self.complete(Value::Object(map), anchor),
                Some(Frame::Seq { items, anchor, .. }) => {
                    self.complete(Value::Array(items), anchor)
                }
                None => self.fail("unbalanced YAML events".into()),
            },
            Event::Alias(anchor) => {
                let value = self.anchors.get(&anchor).cloned();
                match (self.slot(), value) {
                    (Slot::Value(pointer), Some(value)) => {
                        let line = self.line_for(mark);
                        self.lines.insert(pointer, line);
                        self.complete(value, 0);
                    }
                    (Slot::Key, _) => {
                        self.fail(format!("line {}: an alias cannot be a key", mark.line()))
                    }
                    (_, None) => self.fail(format!("line {}: unknown alias", mark.line())),
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// Resolves a scalar with the YAML 1.2 core schema, as `yaml-rust2`'s own loader does.
fn scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
            return Ok(Value::String(text.to_owned()));
        }
    }
    Ok(match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::Real(real) => {
            let parsed: f64 = real
                .parse()
                .map_err(|_| format!("`{text}` is not a number JSON can hold"))?;
            Value::Number(
                Number::from_f64(parsed)
                    .ok_or_else(|| format!("`{text}` is not a number JSON can hold"))?,
            )
        }
        _ => Value::String(text.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "openapi: 3.0.3\npaths:\n  /a/{id}:\n    get:\n      operationId: a\n      tags: [x, 'y']\n      responses:\n        '200':\n          description: ok\ncomponents:\n  schemas:\n    A:\n      enum:\n        - 1\n        - '2'\n        - ~\n";

    #[test]
    fn values_keep_yaml_types() {
        let spec = Spec::parse("t.yaml", TEXT).unwrap();
        assert_eq!(spec.get("/openapi"), Some(&Value::String("3.0.3".into())));
        assert_eq!(
            spec.get("/components/schemas/A/enum"),
            Some(&serde_json::json!([1, "2", null]))
        );
    }

    #[test]
    fn lines_point_at_keys_and_items() {
        let spec = Spec::parse("t.yaml", TEXT).unwrap();
        assert_eq!(spec.line(""), Some(1));
        assert_eq!(spec.line("/openapi"), Some(1));
        assert_eq!(spec.line("/paths/~1a~1{id}/get"), Some(4));
        assert_eq!(spec.line("/paths/~1a~1{id}/get/responses/200"), Some(8));
        assert_eq!(spec.line("/components/schemas/A/enum/1"), Some(15));
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(spec.line("/paths/~1a~1{id}/get/nothing/here"), Some(4));
    }

    #[test]
    fn operations_and_refs() {
        let spec = Spec::parse("t.yaml", TEXT).unwrap();
        let ops = spec.operations();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].pointer, "/paths/~1a~1{id}/get");
        assert_eq!(ops[0].label(), "a");
        assert!(spec.resolve_ref("#/components/schemas/A").is_some());
        assert!(spec.resolve_ref("#/components/schemas/B").is_none());
        assert!(spec.resolve_ref("other.yaml#/A").is_none());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let error = Spec::parse("t.yaml", "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(error.contains("line 3: duplicate key `a`"), "{error}");
    }
}
