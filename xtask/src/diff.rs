//! `cargo xtask diff`: what changed between two versions of the spec, classified as breaking or
//! not for a caller of the generated (progenitor, positional) Rust client, as a Markdown report.
//!
//! The rules, each with its reason (also written up in `openapi/README.md`):
//! - operation added: not breaking (a new method); removed: breaking (the method disappears);
//!   operationId changed: breaking (the method is renamed); moved to another path with the same
//!   operationId: not breaking (same method, same signature).
//! - parameter added, required *or optional*: breaking — the positional client takes every
//!   parameter as an argument, so the signature changes; removed, retyped, required-ness changed
//!   (`T` ↔ `Option<T>`) or reordered: breaking.
//! - request body added or removed: breaking (the `body` argument); retyped: breaking.
//! - request field added: breaking when required (callers must now provide it), not breaking when
//!   optional; removed or retyped: breaking.
//! - response field added: not breaking; removed or retyped: breaking.
//! - a field whose Rust type flips between `T` and `Option<T>` (`Option` when not required or
//!   nullable): breaking, on either side; a nullability/required-ness change that keeps it an
//!   `Option`: not breaking.
//! - enum value or `oneOf` variant added in a response: breaking (exhaustive `match`es); in a
//!   request or parameter: not breaking. Removed anywhere: breaking.
//! - success status added: not breaking (it used to be an `Error::UnexpectedResponse`, it now
//!   succeeds with the same type); removed: breaking. Error status added or removed: breaking
//!   (the response moves between `Error::UnexpectedResponse` and `Error::ErrorResponse`).
//!   A status gaining or losing its body: breaking (the return or error type changes).
//! - component schema removed (or renamed): breaking (`types::X` disappears); added: not.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{is_null_only, ref_name, Operation, Spec};

/// One change between the two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change is about: an operationId (or `METHOD path`), or `types`.
    pub subject: String,
    /// What changed, e.g. ``response `200` field `data.title` removed``.
    pub what: String,
    /// Whether a caller of the generated client can be broken by it.
    pub breaking: bool,
    /// Why it breaks or does not.
    pub reason: String,
}

impl Change {
    /// The Markdown bullet the report prints for this change.
    pub fn line(&self) -> String {
        format!("- `{}`: {} — {}", self.subject, self.what, self.reason)
    }
}

/// The changes between two specs.
#[derive(Debug, Clone)]
pub struct Report {
    /// How the old spec is named in the report (e.g. a git revision).
    pub base: String,
    /// How the new spec is named in the report.
    pub head: String,
    /// Every change found, in report order.
    pub changes: Vec<Change>,
}

impl Report {
    /// Compares `old` with `new`.
    pub fn new(base: impl Into<String>, head: impl Into<String>, old: &Spec, new: &Spec) -> Report {
        Report {
            base: base.into(),
            head: head.into(),
            changes: diff(old, new),
        }
    }

    /// How many changes are breaking.
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking).count()
    }

    /// The Markdown report, fit for a pull-request description.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("## API changes: `{}` → {}\n\n", self.base, self.head);
        if self.changes.is_empty() {
            out.push_str("No changes to the API.\n");
            return out;
        }
        let breaking = self.breaking();
        let other = self.changes.len() - breaking;
        out.push_str(&format!(
            "**{breaking} breaking change{}**, {other} non-breaking change{}.\n",
            plural(breaking),
            plural(other)
        ));
        for (title, wanted) in [("Breaking", true), ("Not breaking", false)] {
            let lines: Vec<String> = self
                .changes
                .iter()
                .filter(|c| c.breaking == wanted)
                .map(Change::line)
                .collect();
            if !lines.is_empty() {
                out.push_str(&format!("\n### {title}\n\n{}\n", lines.join("\n")));
            }
        }
        out.push_str(
            "\n_Classified for callers of the generated positional Rust client; the rules are in \
             `openapi/README.md`._\n",
        );
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Every change from `old` to `new`: operations in the new spec's order, then removed
/// operations, then types.
pub fn diff(old: &Spec, new: &Spec) -> Vec<Change> {
    let mut out = Vec::new();
    let old_ops = old.operations();
    let new_ops = new.operations();
    let key = |op: &Operation<'_>| (op.method.to_owned(), op.path.to_owned());
    let mut unmatched_old: Vec<&Operation<'_>> = old_ops
        .iter()
        .filter(|o| !new_ops.iter().any(|n| key(n) == key(o)))
        .collect();
    for op in &new_ops {
        let subject = op.label();
        let endpoint = format!("`{} {}`", op.method.to_uppercase(), op.path);
        let before = old_ops.iter().find(|o| key(o) == key(op)).or_else(|| {
            let id = op.id()?;
            let index = unmatched_old.iter().position(|o| o.id() == Some(id))?;
            Some(unmatched_old.remove(index))
        });
        let Some(before) = before else {
            out.push(Change {
                subject: subject.clone(),
                what: format!("operation {endpoint} added"),
                breaking: false,
                reason: format!("a new method `{subject}`; existing code is unaffected"),
            });
            continue;
        };
        let mut changes = Changes {
            subject: subject.clone(),
            out: &mut out,
        };
        if key(before) != key(op) {
            changes.push(
                format!(
                    "moved from `{} {}` to {endpoint}",
                    before.method.to_uppercase(),
                    before.path
                ),
                false,
                "the generated method keeps its name and signature; it now calls the new path",
            );
        }
        if before.id() != op.id() {
            changes.push(
                format!(
                    "operationId changed from `{}` to `{subject}`",
                    before.label()
                ),
                true,
                "the generated method is renamed; calls to the old name no longer compile",
            );
        }
        changes.parameters(old, before, new, op);
        changes.request_body(old, before, new, op);
        changes.responses(old, before, new, op);
    }
    for op in unmatched_old {
        let subject = op.label();
        out.push(Change {
            subject: subject.clone(),
            what: format!(
                "operation `{} {}` removed",
                op.method.to_uppercase(),
                op.path
            ),
            breaking: true,
            reason: format!("the method `{subject}` disappears; calls to it no longer compile"),
        });
    }
    let names = |spec: &Spec| -> BTreeSet<String> {
        spec.get("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (old_types, new_types) = (names(old), names(new));
    for name in old_types.difference(&new_types) {
        out.push(Change {
            subject: "types".into(),
            what: format!("schema `{name}` removed"),
            breaking: true,
            reason: format!(
                "the type `types::{name}` disappears; code naming it no longer compiles"
            ),
        });
    }
    for name in new_types.difference(&old_types) {
        out.push(Change {
            subject: "types".into(),
            what: format!("schema `{name}` added"),
            breaking: false,
            reason: format!("a new type `types::{name}`"),
        });
    }
    out
}

/// Collects the changes of one operation.
struct Changes<'o> {
    subject: String,
    out: &'o mut Vec<Change>,
}

/// A parameter of an operation, resolved.
struct Param<'a> {
    name: String,
    location: String,
    required: bool,
    schema: Option<&'a Value>,
}

/// A field of a request or response body, flattened: its Rust-relevant facts.
#[derive(Debug, Clone)]
struct Field {
    sig: String,
    nullable: bool,
    required: bool,
    enums: Vec<String>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    Property,
    Items,
    Variant,
}

impl Field {
    /// Whether the generated Rust field is an `Option`.
    fn optional(&self) -> bool {
        !self.required || self.nullable
    }
}

impl Changes<'_> {
    fn push(&mut self, what: String, breaking: bool, reason: impl Into<String>) {
        self.out.push(Change {
            subject: self.subject.clone(),
            what,
            breaking,
            reason: reason.into(),
        });
    }

    fn parameters(
        &mut self,
        old: &Spec,
        before: &Operation<'_>,
        new: &Spec,
        after: &Operation<'_>,
    ) {
        let (was, is) = (params(old, before), params(new, after));
        let method = format!("`{}(…)`", self.subject);
        for p in &is {
            let label = format!("{} parameter `{}`", p.location, p.name);
            let Some(q) = was
                .iter()
                .find(|q| q.name == p.name && q.location == p.location)
            else {
                let required = if p.required { "required" } else { "optional" };
                self.push(
                    format!("{label} added ({required})"),
                    true,
                    format!("the positional client gains an argument: every call of {method} must change"),
                );
                continue;
            };
            let (old_sig, new_sig) = (sig(old, q.schema), sig(new, p.schema));
            if old_sig != new_sig {
                self.push(
                    format!("{label} retyped: `{old_sig}` → `{new_sig}`"),
                    true,
                    "the argument's Rust type changes",
                );
            }
            if q.required != p.required {
                let change = if p.required {
                    "became required"
                } else {
                    "is no longer required"
                };
                self.push(
                    format!("{label} {change}"),
                    true,
                    "the argument changes between `T` and `Option<T>`",
                );
            }
            let (old_enum, new_enum) = (enums(old, q.schema), enums(new, p.schema));
            self.enum_values(&label, &old_enum, &new_enum, false);
        }
        for q in &was {
            if !is
                .iter()
                .any(|p| p.name == q.name && p.location == q.location)
            {
                self.push(
                    format!("{} parameter `{}` removed", q.location, q.name),
                    true,
                    format!("the positional client loses an argument: every call of {method} must change"),
                );
            }
        }
        let common = |a: &[Param<'_>], b: &[Param<'_>]| -> Vec<String> {
            a.iter()
                .filter(|p| {
                    b.iter()
                        .any(|q| q.name == p.name && q.location == p.location)
                })
                .map(|p| p.name.clone())
                .collect()
        };
        let (old_order, new_order) = (common(&was, &is), common(&is, &was));
        if old_order != new_order {
            self.push(
                format!(
                    "parameters reordered: `{}` → `{}`",
                    old_order.join(", "),
                    new_order.join(", ")
                ),
                true,
                "the positional arguments change places",
            );
        }
    }

    fn request_body(
        &mut self,
        old: &Spec,
        before: &Operation<'_>,
        new: &Spec,
        after: &Operation<'_>,
    ) {
        let body = |spec: &Spec, op: &Operation<'_>| -> Option<(bool, Option<Value>)> {
            let (body, _) = spec.deref(op.value.get("requestBody")?, &op.pointer).ok()?;
            let required = body.get("required").and_then(Value::as_bool) == Some(true);
            Some((required, media_schema(body).cloned()))
        };
        match (body(old, before), body(new, after)) {
            (None, None) => {}
            (None, Some(_)) => self.push(
                "request body added".into(),
                true,
                "the positional client gains a `body` argument",
            ),
            (Some(_), None) => self.push(
                "request body removed".into(),
                true,
                "the positional client loses its `body` argument",
            ),
            (Some((old_required, old_schema)), Some((new_required, new_schema))) => {
                if old_required != new_required {
                    let change = if new_required {
                        "became required"
                    } else {
                        "is no longer required"
                    };
                    self.push(
                        format!("request body {change}"),
                        false,
                        "the positional client always sends the body",
                    );
                }
                self.bodies(
                    "request body",
                    old,
                    old_schema.as_ref(),
                    new,
                    new_schema.as_ref(),
                    false,
                );
            }
        }
    }

    fn responses(&mut self, old: &Spec, before: &Operation<'_>, new: &Spec, after: &Operation<'_>) {
        let responses = |spec: &Spec, op: &Operation<'_>| -> BTreeMap<String, Option<Value>> {
            let mut map = BTreeMap::new();
            for (status, response) in op
                .value
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let schema = spec
                    .deref(response, &op.pointer)
                    .ok()
                    .and_then(|(r, _)| media_schema(r).cloned());
                map.insert(status.clone(), schema);
            }
            map
        };
        let (was, is) = (responses(old, before), responses(new, after));
        for (status, schema) in &is {
            let success = status.starts_with('2');
            let Some(old_schema) = was.get(status) else {
                if success {
                    self.push(
                        format!("status `{status}` added"),
                        false,
                        format!("a `{status}` used to arrive as `Error::UnexpectedResponse`; it now succeeds"),
                    );
                } else {
                    self.push(
                        format!("status `{status}` added"),
                        true,
                        format!(
                            "a `{status}` moves from `Error::UnexpectedResponse` to \
                             `Error::ErrorResponse` with a typed body; code matching the former no \
                             longer sees it"
                        ),
                    );
                }
                continue;
            };
            self.bodies(
                &format!("response `{status}`"),
                old,
                old_schema.as_ref(),
                new,
                schema.as_ref(),
                true,
            );
        }
        for status in was.keys().filter(|s| !is.contains_key(*s)) {
            let reason = if status.starts_with('2') {
                format!(
                    "a `{status}` now arrives as `Error::UnexpectedResponse` instead of succeeding"
                )
            } else {
                format!("a `{status}` now arrives as `Error::UnexpectedResponse` instead of a typed `Error::ErrorResponse`")
            };
            self.push(format!("status `{status}` removed"), true, reason);
        }
    }

    /// Compares two bodies (request or one response status), field by field.
    fn bodies(
        &mut self,
        location: &str,
        old: &Spec,
        was: Option<&Value>,
        new: &Spec,
        is: Option<&Value>,
        response: bool,
    ) {
        let returned = if response {
            "return or error type"
        } else {
            "`body` argument's type"
        };
        let (was, is) = match (was, is) {
            (None, None) => return,
            (None, Some(_)) => {
                self.push(
                    format!("{location} now has a body"),
                    true,
                    format!("the {returned} changes"),
                );
                return;
            }
            (Some(_), None) => {
                self.push(
                    format!("{location} no longer has a body"),
                    true,
                    format!("the {returned} changes"),
                );
                return;
            }
            (Some(was), Some(is)) => (flatten_root(old, was), flatten_root(new, is)),
        };
        let added: BTreeSet<&String> = is.keys().filter(|k| !was.contains_key(*k)).collect();
        let removed: BTreeSet<&String> = was.keys().filter(|k| !is.contains_key(*k)).collect();
        // Below a node whose type changed (e.g. another named schema), field changes are noise.
        let retyped: BTreeSet<&String> = is
            .keys()
            .filter(|k| was.get(*k).is_some_and(|w| w.sig != is[*k].sig))
            .collect();
        for (key, field) in &is {
            if has_ancestor(key, &retyped) {
                continue;
            }
            let name = format!("{location} field `{key}`");
            let Some(before) = was.get(key) else {
                if has_ancestor(key, &added) {
                    continue;
                }
                match field.kind {
                    Kind::Property if response => self.push(
                        format!("{name} added"),
                        false,
                        "new data in the response; code reading the other fields is unaffected",
                    ),
                    Kind::Property if field.required => self.push(
                        format!("{name} added (required)"),
                        true,
                        "callers must now provide it: a new non-`Option` field in the request type, \
                         and Linq rejects requests without it",
                    ),
                    Kind::Property => self.push(
                        format!("{name} added (optional)"),
                        false,
                        "requests without it stay valid (a struct literal listing every field needs \
                         the new one or `..Default::default()`)",
                    ),
                    Kind::Variant if response => self.push(
                        format!("{location} variant `{key}` added"),
                        true,
                        "a new variant of the generated enum: exhaustive `match`es stop compiling",
                    ),
                    Kind::Variant => self.push(
                        format!("{location} variant `{key}` added"),
                        false,
                        "callers may send the new shape; existing code is unaffected",
                    ),
                    Kind::Root | Kind::Items => {}
                }
                continue;
            };
            if before.sig != field.sig {
                let what = if field.kind == Kind::Root {
                    format!(
                        "{location} body retyped: `{}` → `{}`",
                        before.sig, field.sig
                    )
                } else {
                    format!("{name} retyped: `{}` → `{}`", before.sig, field.sig)
                };
                let reason = if field.kind == Kind::Root {
                    format!("the {returned} changes")
                } else {
                    "the Rust type of the field changes".to_owned()
                };
                self.push(what, true, reason);
            }
            if field.kind == Kind::Property
                && (before.nullable != field.nullable || before.required != field.required)
            {
                let mut parts = Vec::new();
                if before.nullable != field.nullable {
                    parts.push(if field.nullable {
                        "became nullable"
                    } else {
                        "is no longer nullable"
                    });
                }
                if before.required != field.required {
                    parts.push(if field.required {
                        "became required"
                    } else {
                        "is no longer required"
                    });
                }
                let what = format!("{name} {}", parts.join(" and "));
                match (before.optional(), field.optional(), response) {
                    (false, true, true) => self.push(
                        what,
                        true,
                        "breaks callers that read it: the Rust field becomes an `Option`",
                    ),
                    (true, false, true) => self.push(
                        what,
                        true,
                        "breaks callers that read it: the Rust field is no longer an `Option`",
                    ),
                    (false, true, false) => self.push(
                        what,
                        true,
                        "breaks callers that set it: the Rust field becomes an `Option`",
                    ),
                    (true, false, false) => self.push(
                        what,
                        true,
                        "callers must now provide it: the Rust field is no longer an `Option`",
                    ),
                    _ => self.push(what, false, "the Rust field stays an `Option`"),
                }
            }
            self.enum_values(&name, &before.enums, &field.enums, response);
        }
        for key in &removed {
            if has_ancestor(key, &removed) || has_ancestor(key, &retyped) {
                continue;
            }
            let field = &was[*key];
            match field.kind {
                Kind::Property if response => self.push(
                    format!("{location} field `{key}` removed"),
                    true,
                    "breaks callers that read it: the field disappears from the generated type",
                ),
                Kind::Property => self.push(
                    format!("{location} field `{key}` removed"),
                    true,
                    "breaks callers that set it: the field disappears from the generated type",
                ),
                Kind::Variant => self.push(
                    format!("{location} variant `{key}` removed"),
                    true,
                    "code naming the variant no longer compiles",
                ),
                Kind::Root | Kind::Items => {}
            }
        }
    }

    fn enum_values(&mut self, name: &str, was: &[String], is: &[String], response: bool) {
        let added: Vec<String> = is
            .iter()
            .filter(|v| !was.contains(v))
            .map(|v| format!("`{v}`"))
            .collect();
        let removed: Vec<String> = was
            .iter()
            .filter(|v| !is.contains(v))
            .map(|v| format!("`{v}`"))
            .collect();
        if was.is_empty() || is.is_empty() {
            // Becoming (or ceasing to be) an enum changes the type: reported as a retype.
            return;
        }
        let values = |list: &[String]| if list.len() == 1 { "value" } else { "values" };
        if !added.is_empty() {
            let what = format!("{name}: enum {} {} added", values(&added), added.join(", "));
            if response {
                self.push(
                    what,
                    true,
                    "exhaustive `match`es on the generated enum stop compiling",
                );
            } else {
                self.push(
                    what,
                    false,
                    "callers may send the new value; existing code is unaffected",
                );
            }
        }
        if !removed.is_empty() {
            let what = format!(
                "{name}: enum {} {} removed",
                values(&removed),
                removed.join(", ")
            );
            let reason = if response {
                "code naming the removed variant no longer compiles"
            } else {
                "callers sending it no longer compile (and Linq would refuse it)"
            };
            self.push(what, true, reason);
        }
    }
}

/// Whether a strict ancestor of `key` is in `set` (so only the topmost change is reported).
fn has_ancestor(key: &str, set: &BTreeSet<&String>) -> bool {
    set.iter().any(|other| {
        other.len() < key.len()
            && key.starts_with(other.as_str())
            && (other.is_empty() || matches!(key.as_bytes()[other.len()], b'.' | b'[' | b'<'))
    })
}

/// The operation's parameters (path item's, overridden by the operation's), resolved.
fn params<'a>(spec: &'a Spec, op: &Operation<'a>) -> Vec<Param<'a>> {
    let mut list: Vec<Param<'a>> = Vec::new();
    for source in [op.path_item, op.value] {
        for raw in source
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Ok((param, _)) = spec.deref(raw, &op.pointer) else {
                continue;
            };
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let location = param
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let entry = Param {
                required: param.get("required").and_then(Value::as_bool) == Some(true),
                schema: param.get("schema"),
                name,
                location,
            };
            match list
                .iter_mut()
                .find(|p| p.name == entry.name && p.location == entry.location)
            {
                Some(existing) => *existing = entry,
                None => list.push(entry),
            }
        }
    }
    list
}

/// The JSON body schema of a request body or response object.
fn media_schema(object: &Value) -> Option<&Value> {
    let content = object.get("content")?.as_object()?;
    content
        .get("application/json")
        .or_else(|| content.values().next())?
        .get("schema")
}

/// Unwraps `$ref`s and the `allOf: [one]` nullable wrapper; returns the schema reached, its
/// type name (the first `$ref` name on the way) and whether the way said `nullable`.
fn unwrap<'a>(spec: &'a Spec, mut schema: &'a Value) -> (&'a Value, Option<String>, bool) {
    let mut name = None;
    let mut nullable = false;
    for _ in 0..32 {
        nullable |= schema.get("nullable").and_then(Value::as_bool) == Some(true);
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            name.get_or_insert_with(|| ref_name(reference));
            match spec.resolve_ref(reference) {
                Some((target, _)) => schema = target,
                None => break,
            }
            continue;
        }
        // `oneOf`/`anyOf` of a schema and JSON null: the schema, nullable (an `Option`).
        let or_null = ["oneOf", "anyOf"].iter().find_map(|combinator| {
            let members = schema.get(*combinator).and_then(Value::as_array)?;
            match members.as_slice() {
                [a, b] if is_null_only(b) => Some(a),
                [a, b] if is_null_only(a) => Some(b),
                _ => None,
            }
        });
        if let Some(other) = or_null {
            nullable = true;
            schema = other;
            continue;
        }
        let single = schema
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|all| all.len() == 1);
        match single {
            Some(all) if schema.get("properties").is_none() && schema.get("type").is_none() => {
                schema = &all[0]
            }
            _ => break,
        }
    }
    (schema, name, nullable)
}

/// A short type signature: what decides the generated Rust type (not nested fields or enums).
fn sig(spec: &Spec, schema: Option<&Value>) -> String {
    let Some(schema) = schema else {
        return "any".into();
    };
    let (node, name, _) = unwrap(spec, schema);
    if let Some(name) = name {
        return name;
    }
    let format = node.get("format").and_then(Value::as_str);
    match node.get("type").and_then(Value::as_str) {
        Some(t @ ("integer" | "number")) => {
            let mut details: Vec<String> = format.map(str::to_owned).into_iter().collect();
            let min = node.get("minimum").and_then(Value::as_f64);
            let exclusive = node.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
            match min {
                Some(m) if m >= 1.0 || (exclusive && m >= 0.0) => details.push("≥ 1".into()),
                Some(m) if m >= 0.0 => details.push("≥ 0".into()),
                _ => {}
            }
            if details.is_empty() {
                t.to_owned()
            } else {
                format!("{t} ({})", details.join(", "))
            }
        }
        Some("array") => format!("array of {}", sig(spec, node.get("items"))),
        Some(t) => match format {
            Some(f) => format!("{t} ({f})"),
            None => t.to_owned(),
        },
        None => {
            for combinator in ["oneOf", "anyOf", "allOf"] {
                if let Some(members) = node.get(combinator).and_then(Value::as_array) {
                    let members: Vec<String> = members.iter().map(|m| sig(spec, Some(m))).collect();
                    return format!("{combinator} [{}]", members.join(", "));
                }
            }
            if node.get("properties").is_some() {
                "object".into()
            } else {
                "any".into()
            }
        }
    }
}

/// The enum values of a schema (after unwrapping), as JSON text, `null` left out.
fn enums(spec: &Spec, schema: Option<&Value>) -> Vec<String> {
    let Some(schema) = schema else {
        return Vec::new();
    };
    let (node, _, _) = unwrap(spec, schema);
    node.get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| !v.is_null())
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect()
}

fn flatten_root(spec: &Spec, schema: &Value) -> BTreeMap<String, Field> {
    let mut out = BTreeMap::new();
    flatten(
        spec,
        schema,
        String::new(),
        true,
        Kind::Root,
        &mut out,
        &mut Vec::new(),
    );
    out
}

/// Records `schema` at `key` and walks its properties (`a.b`), items (`a[]`) and `oneOf`/`anyOf`
/// variants (`a<Name>`).
fn flatten(
    spec: &Spec,
    schema: &Value,
    key: String,
    required: bool,
    kind: Kind,
    out: &mut BTreeMap<String, Field>,
    stack: &mut Vec<String>,
) {
    let (node, name, nullable) = unwrap(spec, schema);
    out.insert(
        key.clone(),
        Field {
            sig: sig(spec, Some(schema)),
            nullable,
            required,
            enums: enums(spec, Some(schema)),
            kind,
        },
    );
    if let Some(name) = &name {
        if stack.contains(name) {
            return; // a recursive schema: its fields are reported where it first appears
        }
        stack.push(name.clone());
    }
    // Properties of the node and of every allOf member, merged (as the generated struct is).
    let mut properties: BTreeMap<String, &Value> = BTreeMap::new();
    let mut required_names: BTreeSet<String> = BTreeSet::new();
    collect_into(node, &mut properties, &mut required_names);
    let mut members: Vec<&Value> = Vec::new();
    for member in node
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        members.push(unwrap(spec, member).0);
    }
    for member in members {
        collect_into(member, &mut properties, &mut required_names);
    }
    for (field, field_schema) in properties {
        let child = if key.is_empty() {
            field.clone()
        } else {
            format!("{key}.{field}")
        };
        let required = required_names.contains(&field);
        flatten(
            spec,
            field_schema,
            child,
            required,
            Kind::Property,
            out,
            stack,
        );
    }
    if let Some(items) = node.get("items") {
        flatten(
            spec,
            items,
            format!("{key}[]"),
            true,
            Kind::Items,
            out,
            stack,
        );
    }
    for combinator in ["oneOf", "anyOf"] {
        for (index, member) in node
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let variant = member
                .get("$ref")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{index}"), ref_name);
            flatten(
                spec,
                member,
                format!("{key}<{variant}>"),
                true,
                Kind::Variant,
                out,
                stack,
            );
        }
    }
    if name.is_some() {
        stack.pop();
    }
}

fn collect_into<'a>(
    object: &'a Value,
    properties: &mut BTreeMap<String, &'a Value>,
    required: &mut BTreeSet<String>,
) {
    for (field, field_schema) in object
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        properties.insert(field.clone(), field_schema);
    }
    for field in object
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(field) = field.as_str() {
            required.insert(field.to_owned());
        }
    }
}
