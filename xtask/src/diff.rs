//! `cargo xtask diff`: what changed between two versions of the spec, as a Markdown report. Each
//! change says whether it breaks callers of the generated (progenitor, positional) Rust client and
//! which version bump it needs in `linq-api` and in `linq-api-ext` ([`Bump`]); a change inside a
//! named schema is reported once, with every operation and body it reaches. The rules, with their
//! reasons, are the table in `openapi/README.md` ("Breaking-change rules").

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{is_null_only, ref_name, Operation, Spec};

mod constraints;
mod report;

use constraints::{Constraints, Direction, RuleChange};
pub use report::{CrateVersion, Report, VersionVerdict, CRATES};

/// The version bump a change needs, by the semver rules Cargo applies (for `0.y.z`, a
/// [`Bump::Major`] change bumps `y` and a [`Bump::Minor`] one `z`; see [`next_version`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    /// Nothing a caller's code can notice at compile time.
    Patch,
    /// Something new (a method, a type); existing code compiles.
    Minor,
    /// Code that compiled may not compile any more.
    Major,
}

impl Bump {
    /// `major`, `minor` or `patch`.
    pub fn name(self) -> &'static str {
        match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// The version after `current` (`x.y.z`) for a change of kind `bump`, with Cargo's 0.x rules:
/// below 1.0 a breaking change bumps the minor number and anything else the patch number.
pub fn next_version(current: &str, bump: Bump) -> Option<String> {
    let (x, y, z) = triple(current)?;
    Some(match (x, bump) {
        (0, Bump::Major) => format!("0.{}.0", y + 1),
        (0, _) => format!("0.{y}.{}", z + 1),
        (_, Bump::Major) => format!("{}.0.0", x + 1),
        (_, Bump::Minor) => format!("{x}.{}.0", y + 1),
        (_, Bump::Patch) => format!("{x}.{y}.{}", z + 1),
    })
}

/// `x.y.z` as numbers, for computing and comparing versions.
fn triple(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

/// What a change does on the wire: whether an HTTP client written against the old spec, in any
/// language, can break against a Linq that follows the new one (for a webhook delivery: whether
/// a receiver written against the old spec can break).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// Whether such a client can break.
    pub breaks: bool,
    /// Why it breaks or does not.
    pub reason: String,
}

impl Wire {
    /// A change that old clients do not notice.
    pub fn safe(reason: impl Into<String>) -> Wire {
        Wire {
            breaks: false,
            reason: reason.into(),
        }
    }

    /// A change that can break old clients.
    pub fn breaks(reason: impl Into<String>) -> Wire {
        Wire {
            breaks: true,
            reason: reason.into(),
        }
    }
}

/// One change between the two specs, with its two verdicts: on the wire ([`Change::wire`]) and
/// for the Rust crates ([`Change::breaking`], [`Change::api`], [`Change::ext`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change is about: an operationId (or `METHOD path`), or `types`.
    pub subject: String,
    /// What changed, e.g. ``response `200` field `data.title` removed``.
    pub what: String,
    /// The verdict on the wire, for clients in any language.
    pub wire: Wire,
    /// Whether a caller of the generated Rust client can be broken by it, at compile time or in
    /// what a call returns.
    pub breaking: bool,
    /// Why it breaks Rust callers or does not.
    pub reason: String,
    /// The bump `linq-api` needs for it without features: what cargo-semver-checks says of the
    /// generated crate (its structs have public fields and no `#[non_exhaustive]`, so even an
    /// added response field is major; a changed status is invisible to it, though
    /// [`Change::breaking`]).
    pub api: Bump,
    /// The bump the surface of `linq-api`'s `httpmock` feature needs for it: the `MockServerExt`
    /// trait (a method per operation) and the `When`/`Then` wrappers (a method per parameter,
    /// request body and declared status).
    pub httpmock: Bump,
    /// The bump `linq-api-ext` needs for it: ext owns its public types, so a change that only
    /// adds to the API is absorbed inside ext (a patch release; exposing the addition is a minor
    /// one).
    pub ext: Bump,
    /// For a change of a named schema (then [`Change::subject`] is the schema): every operation
    /// and body it reaches, e.g. ``[`list_contacts` response `200`]``.
    pub reaches: Vec<String>,
}

impl Change {
    /// The bump `linq-api` needs for it, its `httpmock` feature included.
    pub fn api_with_features(&self) -> Bump {
        self.api.max(self.httpmock)
    }

    /// The Markdown bullet the report prints for this change.
    pub fn line(&self) -> String {
        let reaches = if self.reaches.is_empty() {
            String::new()
        } else {
            format!("; reaches {}", self.reaches.join(", "))
        };
        let via = if self.httpmock > self.api {
            " via its `httpmock` feature"
        } else {
            ""
        };
        format!(
            "- `{}`: {} — wire: {}, {}; Rust: {} (linq-api: {}{via}, linq-api-ext: {}{reaches})",
            self.subject,
            self.what,
            if self.wire.breaks {
                "**breaks**"
            } else {
                "safe"
            },
            self.wire.reason,
            self.reason,
            self.api_with_features().name(),
            self.ext.name()
        )
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
                wire: Wire::safe("old clients do not call it"),
                breaking: false,
                reason: format!(
                    "a new method `{subject}`; existing code is unaffected, but the `httpmock` \
                     feature's `MockServerExt` trait gains a method (major for a trait others \
                     may implement)"
                ),
                api: Bump::Minor,
                httpmock: Bump::Major,
                ext: Bump::Patch,
                reaches: Vec::new(),
            });
            continue;
        };
        let mut changes = Changes {
            subject: subject.clone(),
            out: &mut out,
            scope: None,
        };
        if key(before) != key(op) {
            changes.push(
                format!(
                    "moved from `{} {}` to {endpoint}",
                    before.method.to_uppercase(),
                    before.path
                ),
                Wire::breaks("old clients call the old path"),
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
                Wire::safe("an operationId is not sent"),
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
            wire: Wire::breaks("old clients still call it"),
            breaking: true,
            reason: format!("the method `{subject}` disappears; calls to it no longer compile"),
            api: Bump::Major,
            httpmock: Bump::Major,
            ext: Bump::Major,
            reaches: Vec::new(),
        });
    }
    deliveries(old, new, &mut out);
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
            wire: Wire::safe("a schema's name is not sent"),
            breaking: true,
            reason: format!(
                "the type `types::{name}` disappears; code naming it no longer compiles"
            ),
            api: Bump::Major,
            httpmock: Bump::Patch,
            ext: Bump::Major,
            reaches: Vec::new(),
        });
    }
    for name in new_types.difference(&old_types) {
        out.push(Change {
            subject: "types".into(),
            what: format!("schema `{name}` added"),
            wire: Wire::safe("a schema's name is not sent"),
            breaking: false,
            reason: format!("a new type `types::{name}`"),
            api: Bump::Minor,
            httpmock: Bump::Patch,
            ext: Bump::Patch,
            reaches: Vec::new(),
        });
    }
    merge_schema_changes(out)
}

/// The request body of `op`, if it has one: whether it is required, and its JSON schema.
fn request_body_of(spec: &Spec, op: &Operation<'_>) -> Option<(bool, Option<Value>)> {
    let (body, _) = spec.deref(op.value.get("requestBody")?, &op.pointer).ok()?;
    let required = body.get("required").and_then(Value::as_bool) == Some(true);
    Some((required, media_schema(body).cloned()))
}

/// The changes of what Linq sends to subscribers (the callbacks, such as `webhook_event`): a
/// delivery body is read by the receiver, so it is judged like a response.
fn deliveries(old: &Spec, new: &Spec, out: &mut Vec<Change>) {
    let (was, is) = (old.callbacks(), new.callbacks());
    let delivery = |spec: &Spec, op: &Operation<'_>| request_body_of(spec, op)?.1;
    let change = |subject: String, what: String, wire: Wire| Change {
        subject,
        what,
        wire,
        breaking: false,
        reason: "the generator ignores callbacks; their schemas are reported as types".into(),
        api: Bump::Patch,
        httpmock: Bump::Patch,
        ext: Bump::Patch,
        reaches: Vec::new(),
    };
    for op in &is {
        let subject = op.label();
        let Some(before) = was.iter().find(|o| o.label() == subject) else {
            let wire = Wire::safe("old receivers are sent nothing new unless they subscribe");
            out.push(change(
                subject.clone(),
                format!("delivery `{subject}` added"),
                wire,
            ));
            continue;
        };
        let mut changes = Changes {
            subject,
            out: &mut *out,
            scope: None,
        };
        let (was_body, is_body) = (delivery(old, before), delivery(new, op));
        changes.bodies(
            "delivery body",
            old,
            was_body.as_ref(),
            new,
            is_body.as_ref(),
            true,
        );
    }
    for op in was
        .iter()
        .filter(|o| !is.iter().any(|n| n.label() == o.label()))
    {
        let subject = op.label();
        let wire = Wire::breaks("old receivers no longer get these deliveries");
        out.push(change(
            subject.clone(),
            format!("delivery `{subject}` removed"),
            wire,
        ));
    }
}

/// One line per change of a named schema, however many operations and bodies it reaches: the
/// same change found again only adds to the first one's [`Change::reaches`].
fn merge_schema_changes(changes: Vec<Change>) -> Vec<Change> {
    let mut merged: Vec<Change> = Vec::new();
    for change in changes {
        let same = |m: &&mut Change| {
            !m.reaches.is_empty()
                && (&m.subject, &m.what, &m.wire, &m.reason, m.breaking)
                    == (
                        &change.subject,
                        &change.what,
                        &change.wire,
                        &change.reason,
                        change.breaking,
                    )
                && (m.api, m.httpmock, m.ext) == (change.api, change.httpmock, change.ext)
        };
        match merged.iter_mut().find(same) {
            Some(first) if !change.reaches.is_empty() => first.reaches.extend(change.reaches),
            _ => merged.push(change),
        }
    }
    merged
}

/// Collects the changes of one operation.
struct Changes<'o> {
    subject: String,
    out: &'o mut Vec<Change>,
    /// While the changes of a field a named schema declares are collected: that schema, and
    /// where the operation reaches it.
    scope: Option<(String, String)>,
}

/// A parameter of an operation, resolved.
struct Param<'a> {
    name: String,
    location: String,
    required: bool,
    /// Whether its schema admits null (past `$ref`s and `oneOf` null members).
    nullable: bool,
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
    /// The named schema that declares the field, if any, and the field's key in it.
    owner: Option<String>,
    local: String,
    /// Its rules ([`Constraints`]): bounds, `pattern`, `format`, whether it is an enum.
    rules: Constraints,
    /// Whether `linq-api`'s build takes its `maxLength` and `pattern` into `linq_api::rules`
    /// (a string property of a component schema), which ext applies.
    ext_rule: bool,
    /// For a member of a `oneOf`/`anyOf` that has a catch-all member (one that takes every
    /// value the others do not, by a `not`): that member's name.
    catch_all: Option<String>,
    /// The schema reached (past `$ref`s), to tell a renamed schema from another one.
    shape: Value,
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
    /// A change whose bumps follow from `breaking`: major for both crates when it breaks Rust
    /// callers, patch otherwise.
    fn push(&mut self, what: String, wire: Wire, breaking: bool, reason: impl Into<String>) {
        let bump = if breaking { Bump::Major } else { Bump::Patch };
        self.push_bumps(what, wire, breaking, reason, bump, bump);
    }

    /// A change with its own bumps for `linq-api` and `linq-api-ext`.
    fn push_bumps(
        &mut self,
        what: String,
        wire: Wire,
        breaking: bool,
        reason: impl Into<String>,
        api: Bump,
        ext: Bump,
    ) {
        let (subject, reaches) = match &self.scope {
            Some((owner, reach)) => (owner.clone(), vec![reach.clone()]),
            None => (self.subject.clone(), Vec::new()),
        };
        self.out.push(Change {
            subject,
            what,
            wire,
            breaking,
            reason: reason.into(),
            api,
            httpmock: Bump::Patch,
            ext,
            reaches,
        });
    }

    /// Sets the bump of the `httpmock` feature's surface for the change pushed last (its
    /// `When`/`Then` wrappers have a method per parameter, request body and status).
    fn mock(&mut self, bump: Bump) {
        if let Some(last) = self.out.last_mut() {
            last.httpmock = bump;
        }
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
        let known = |list: &[Param<'_>], p: &Param<'_>| {
            list.iter()
                .any(|q| q.name == p.name && q.location == p.location)
        };
        // A parameter that disappears where another of the same kind appears, in the same place:
        // renamed. The positional argument keeps its place and type.
        let renamed: Vec<(usize, usize)> = is
            .iter()
            .enumerate()
            .filter(|(_, p)| !known(&was, p))
            .filter_map(|(i, p)| {
                let q = was.get(i).filter(|q| !known(&is, q))?;
                let same = q.location == p.location
                    && q.required == p.required
                    && sig(old, q.schema) == sig(new, p.schema);
                same.then_some((i, i))
            })
            .collect();
        for &(i, j) in &renamed {
            self.push(
                format!(
                    "{} parameter `{}` renamed to `{}`",
                    is[i].location, was[j].name, is[i].name
                ),
                Wire::breaks("old clients send the old name, which Linq no longer reads"),
                false,
                "the positional argument keeps its place and type (only its name in the \
                 signature changes); the request sends the new name; the `httpmock` feature's \
                 `When` method of the parameter is renamed",
            );
            self.mock(Bump::Major);
        }
        for (index, p) in is.iter().enumerate() {
            let label = format!("{} parameter `{}`", p.location, p.name);
            let Some(q) = was
                .iter()
                .find(|q| q.name == p.name && q.location == p.location)
            else {
                if renamed.iter().any(|&(i, _)| i == index) {
                    continue;
                }
                let required = if p.required { "required" } else { "optional" };
                // ext's own builders absorb an optional parameter; a required one changes them.
                let ext = if p.required { Bump::Major } else { Bump::Patch };
                let wire = if p.required {
                    Wire::breaks("old clients do not send it, and Linq requires it")
                } else {
                    Wire::safe("old clients do not send it, and need not")
                };
                self.push_bumps(
                    format!("{label} added ({required})"),
                    wire,
                    true,
                    format!("the positional client gains an argument: every call of {method} must change"),
                    Bump::Major,
                    ext,
                );
                self.mock(Bump::Minor);
                continue;
            };
            let (old_sig, new_sig) = (sig(old, q.schema), sig(new, p.schema));
            let (old_rules, new_rules) =
                (constraints_of(old, q.schema), constraints_of(new, p.schema));
            if old_sig != new_sig {
                let shape = |spec: &Spec, schema: Option<&Value>| {
                    schema.map_or(Value::Null, |s| unwrap(spec, s).0.clone())
                };
                let by_rules = rules_retype(
                    &shape(old, q.schema),
                    &shape(new, p.schema),
                    &old_rules.changes(&new_rules),
                    false,
                );
                match by_rules {
                    Some((rules, wire)) => self.push(
                        format!("{label}: {rules} (retyped in Rust: `{old_sig}` → `{new_sig}`)"),
                        wire,
                        true,
                        "the argument's Rust type changes: typify carries the rule in it",
                    ),
                    None => self.push(
                        format!("{label} retyped: `{old_sig}` → `{new_sig}`"),
                        Wire::breaks("values old clients send may not be valid any more"),
                        true,
                        "the argument's Rust type changes",
                    ),
                }
            } else {
                self.rules(&label, &old_rules, &new_rules, false, false);
            }
            // progenitor makes the argument an `Option` when the parameter is not required or
            // its schema is nullable.
            let optional = |p: &Param<'_>| !p.required || p.nullable;
            let rust = if optional(q) == optional(p) {
                (false, "the argument stays an `Option`")
            } else {
                (true, "the argument changes between `T` and `Option<T>`")
            };
            if q.required != p.required {
                let (change, wire) = if p.required {
                    (
                        "became required",
                        Wire::breaks("old clients may leave it out, and Linq now requires it"),
                    )
                } else {
                    (
                        "is no longer required",
                        Wire::safe("old clients send it anyway"),
                    )
                };
                self.push(format!("{label} {change}"), wire, rust.0, rust.1);
            }
            if q.nullable != p.nullable {
                let (change, wire) = if p.nullable {
                    (
                        "became nullable",
                        Wire::safe("what old clients send stays valid"),
                    )
                } else {
                    (
                        "is no longer nullable",
                        Wire::breaks("old clients may send it null, which Linq now refuses"),
                    )
                };
                let rust = if q.required != p.required {
                    (false, "reported with its required-ness")
                } else {
                    rust
                };
                self.push(format!("{label} {change}"), wire, rust.0, rust.1);
            }
            let (old_enum, new_enum) = (enums(old, q.schema), enums(new, p.schema));
            self.enum_values(&label, &old_enum, &new_enum, false, &None);
        }
        for (index, q) in was.iter().enumerate() {
            if !known(&is, q) && !renamed.iter().any(|&(_, j)| j == index) {
                self.push(
                    format!("{} parameter `{}` removed", q.location, q.name),
                    Wire::breaks("old clients still send it, and Linq no longer reads it"),
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
                Wire::safe("parameters are sent by name"),
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
        match (request_body_of(old, before), request_body_of(new, after)) {
            (None, None) => {}
            (None, Some((required, _))) => {
                let wire = if required {
                    Wire::breaks("old clients send no body, and Linq requires one")
                } else {
                    Wire::safe("old clients send no body, and need not")
                };
                self.push(
                    "request body added".into(),
                    wire,
                    true,
                    "the positional client gains a `body` argument",
                );
                self.mock(Bump::Minor);
            }
            (Some(_), None) => {
                self.push(
                    "request body removed".into(),
                    Wire::breaks("old clients still send one, and Linq no longer reads it"),
                    true,
                    "the positional client loses its `body` argument",
                );
                self.mock(Bump::Major);
            }
            (Some((old_required, old_schema)), Some((new_required, new_schema))) => {
                if old_required != new_required {
                    let (change, wire) = if new_required {
                        (
                            "became required",
                            Wire::breaks("old clients may send none, and Linq now requires one"),
                        )
                    } else {
                        (
                            "is no longer required",
                            Wire::safe("old clients send one anyway"),
                        )
                    };
                    self.push(
                        format!("request body {change}"),
                        wire,
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
        // The `E` of the method's `Error<E>`: the body type of its error statuses, `()` when
        // none has a body.
        let error_type = |spec: &Spec, map: &BTreeMap<String, Option<Value>>| {
            map.iter()
                .filter(|(status, _)| !status.starts_with(['1', '2', '3']))
                .find_map(|(_, schema)| schema.as_ref())
                .map_or_else(|| "()".to_owned(), |s| sig(spec, Some(s)))
        };
        let (old_error, new_error) = (error_type(old, &was), error_type(new, &is));
        let error_retyped = (old_error == "()") != (new_error == "()");
        for (status, schema) in &is {
            let success = status.starts_with('2');
            let Some(old_schema) = was.get(status) else {
                if success {
                    self.push(
                        format!("status `{status}` added"),
                        Wire::safe("a success either way; old clients read the same body"),
                        false,
                        format!("a `{status}` used to arrive as `Error::UnexpectedResponse`; it now succeeds"),
                    );
                } else if error_retyped && schema.is_some() {
                    self.push(
                        format!("status `{status}` added"),
                        Wire::safe("an error either way"),
                        true,
                        format!(
                            "the operation's first error body: its error type changes from \
                             `Error<{old_error}>` to `Error<{new_error}>`"
                        ),
                    );
                } else {
                    // Invisible to the compiler; ext reads either kind of error the same way.
                    self.push_bumps(
                        format!("status `{status}` added"),
                        Wire::safe("an error either way"),
                        true,
                        format!(
                            "a `{status}` moves from `Error::UnexpectedResponse` to \
                             `Error::ErrorResponse` with a typed body; code matching the former no \
                             longer sees it"
                        ),
                        Bump::Patch,
                        Bump::Patch,
                    );
                }
                // The `httpmock` feature's `Then` gains a method for the status.
                self.mock(Bump::Minor);
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
        for (status, schema) in was.iter().filter(|(s, _)| !is.contains_key(*s)) {
            if !status.starts_with('2') && error_retyped && schema.is_some() {
                self.push(
                    format!("status `{status}` removed"),
                    Wire::safe("an error either way"),
                    true,
                    format!(
                        "the operation's last error body: its error type changes from \
                         `Error<{old_error}>` to `Error<{new_error}>`"
                    ),
                );
                self.mock(Bump::Major);
                continue;
            }
            // Otherwise invisible to the compiler; a success that now fails is a break for ext's
            // callers too.
            let (reason, ext) = if status.starts_with('2') {
                (
                    format!("a `{status}` now arrives as `Error::UnexpectedResponse` instead of succeeding"),
                    Bump::Major,
                )
            } else {
                (
                    format!("a `{status}` now arrives as `Error::UnexpectedResponse` instead of a typed `Error::ErrorResponse`"),
                    Bump::Patch,
                )
            };
            let wire = if status.starts_with('2') {
                Wire::breaks("old clients that wait for this status get another")
            } else {
                Wire::safe("an error either way")
            };
            self.push_bumps(
                format!("status `{status}` removed"),
                wire,
                true,
                reason,
                Bump::Patch,
                ext,
            );
            self.mock(Bump::Major);
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
                let wire = if response {
                    Wire::safe("old clients ignore the body")
                } else {
                    Wire::breaks("what old clients send may not be the body Linq now reads")
                };
                self.push(
                    format!("{location} now has a body"),
                    wire,
                    true,
                    format!("the {returned} changes"),
                );
                return;
            }
            (Some(_), None) => {
                let wire = if response {
                    Wire::breaks("old clients read a body that is no longer sent")
                } else {
                    Wire::breaks("old clients send a body that Linq no longer reads")
                };
                self.push(
                    format!("{location} no longer has a body"),
                    wire,
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
            let (name, variant) = self.enter(location, key, field);
            let Some(before) = was.get(key) else {
                if has_ancestor(key, &added) {
                    continue;
                }
                let open = |what: &str| match &field.catch_all {
                    Some(other) => Wire::safe(format!(
                        "old clients already accept such {what} as `{other}`"
                    )),
                    None => Wire::breaks(format!("old clients may refuse {what} they do not know")),
                };
                match field.kind {
                    Kind::Property if response => self.push_bumps(
                        format!("{name} added"),
                        Wire::safe("old clients ignore fields they do not know"),
                        true,
                        "code reading the other fields is unaffected, but a struct literal of the \
                         generated type (a fake's, a test's) stops compiling: its fields are public \
                         and it is not `#[non_exhaustive]`",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Property if field.required => self.push(
                        format!("{name} added (required)"),
                        Wire::breaks("old clients do not send it, and Linq requires it"),
                        true,
                        "callers must now provide it: a new non-`Option` field in the request type, \
                         and Linq rejects requests without it",
                    ),
                    Kind::Property => self.push_bumps(
                        format!("{name} added (optional)"),
                        Wire::safe("old clients do not send it, and need not"),
                        true,
                        "requests without it stay valid, but a struct literal listing every field \
                         stops compiling until it names the new one or `..Default::default()`",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Variant if response => self.push_bumps(
                        format!("{variant} added"),
                        open("bodies"),
                        true,
                        "a new variant of the generated enum: exhaustive `match`es stop compiling",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Variant => self.push_bumps(
                        format!("{variant} added"),
                        Wire::safe("old clients keep sending the shapes they know"),
                        true,
                        "callers may send the new shape, but exhaustive `match`es on the generated \
                         enum stop compiling",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Root | Kind::Items => {}
                }
                continue;
            };
            if before.sig != field.sig {
                let reason = if field.kind == Kind::Root {
                    format!("the {returned} changes")
                } else {
                    "the Rust type of the field changes".to_owned()
                };
                // The JSON type is the same and only a rule moved, and the Rust type with it
                // (typify makes `minimum: 1` a `NonZeroU64`, an `enum` a Rust enum): judged on
                // the wire like any rule.
                let by_rules = rules_retype(
                    &before.shape,
                    &field.shape,
                    &before.rules.changes(&field.rules),
                    response,
                );
                let retyped = match field.kind {
                    Kind::Root => format!("{location} body retyped"),
                    _ => format!("{name} retyped"),
                };
                let (what, wire, reason) = match by_rules {
                    _ if before.shape == field.shape => (
                        format!("{retyped}: `{}` → `{}`", before.sig, field.sig),
                        Wire::safe("the same schema under another name"),
                        reason,
                    ),
                    Some((rules, wire)) => (
                        format!(
                            "{name}: {rules} (retyped in Rust: `{}` → `{}`)",
                            before.sig, field.sig
                        ),
                        wire,
                        format!("{reason}: typify carries the rule in it"),
                    ),
                    None if response => (
                        format!("{retyped}: `{}` → `{}`", before.sig, field.sig),
                        Wire::breaks("old clients read a value of the old type"),
                        reason,
                    ),
                    None => (
                        format!("{retyped}: `{}` → `{}`", before.sig, field.sig),
                        Wire::breaks("old clients send a value of the old type"),
                        reason,
                    ),
                };
                self.push(what, wire, true, reason);
            } else {
                self.rules(&name, &before.rules, &field.rules, response, field.ext_rule);
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
                // Wider on the wire: null or absence allowed where it was not.
                let wider =
                    (field.nullable && !before.nullable) || (!field.required && before.required);
                let narrower =
                    (!field.nullable && before.nullable) || (field.required && !before.required);
                let wire = match response {
                    true if wider => {
                        Wire::breaks("old clients may not expect the field null or missing")
                    }
                    true => Wire::safe("Linq sends what old clients expect"),
                    false if narrower => {
                        Wire::breaks("old clients may send it null or leave it out")
                    }
                    false => Wire::safe("what old clients send stays valid"),
                };
                match (before.optional(), field.optional(), response) {
                    (false, true, true) => self.push(
                        what,
                        wire,
                        true,
                        "breaks callers that read it: the Rust field becomes an `Option`",
                    ),
                    (true, false, true) => self.push(
                        what,
                        wire,
                        true,
                        "breaks callers that read it: the Rust field is no longer an `Option`",
                    ),
                    (false, true, false) => self.push(
                        what,
                        wire,
                        true,
                        "breaks callers that set it: the Rust field becomes an `Option`",
                    ),
                    (true, false, false) => self.push(
                        what,
                        wire,
                        true,
                        "callers must now provide it: the Rust field is no longer an `Option`",
                    ),
                    _ => self.push(what, wire, false, "the Rust field stays an `Option`"),
                }
            }
            self.enum_values(
                &name,
                &before.enums,
                &field.enums,
                response,
                &field.catch_all,
            );
        }
        for key in &removed {
            if has_ancestor(key, &removed) || has_ancestor(key, &retyped) {
                continue;
            }
            let field = &was[*key];
            let (name, variant) = self.enter(location, key, field);
            match field.kind {
                Kind::Property if response => self.push(
                    format!("{name} removed"),
                    Wire::breaks("old clients read a field that is no longer sent"),
                    true,
                    "breaks callers that read it: the field disappears from the generated type",
                ),
                Kind::Property => self.push(
                    format!("{name} removed"),
                    Wire::breaks("old clients send a field that Linq no longer reads"),
                    true,
                    "breaks callers that set it: the field disappears from the generated type",
                ),
                Kind::Variant if response => self.push(
                    format!("{variant} removed"),
                    Wire::safe("Linq sends fewer shapes, each of which old clients know"),
                    true,
                    "code naming the variant no longer compiles",
                ),
                Kind::Variant => self.push(
                    format!("{variant} removed"),
                    Wire::breaks("old clients may send a shape Linq no longer reads"),
                    true,
                    "code naming the variant no longer compiles",
                ),
                Kind::Root | Kind::Items => {}
            }
        }
        self.scope = None;
    }

    /// Before the changes of one field: a field a named schema declares is reported once, as
    /// that schema's, with every place it reaches (merged in [`diff`]). Returns how the field and
    /// a variant at its place are named.
    fn enter(&mut self, location: &str, key: &str, field: &Field) -> (String, String) {
        self.scope = field
            .owner
            .as_ref()
            .map(|owner| (owner.clone(), format!("`{}` {location}", self.subject)));
        match &field.owner {
            Some(_) => (
                format!("field `{}`", field.local),
                format!("variant `{}`", field.local),
            ),
            None if key.is_empty() => (location.to_owned(), location.to_owned()),
            None => (
                format!("{location} field `{key}`"),
                format!("{location} variant `{key}`"),
            ),
        }
    }

    /// Enum values added or removed. `catch_all` is the member of an enclosing `oneOf` that
    /// takes any other value (an open enum): then a value added was already accepted.
    fn enum_values(
        &mut self,
        name: &str,
        was: &[String],
        is: &[String],
        response: bool,
        catch_all: &Option<String>,
    ) {
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
            // Becoming (or ceasing to be) an enum is a rule that comes or goes (`Constraints`).
            return;
        }
        let values = |list: &[String]| if list.len() == 1 { "value" } else { "values" };
        if !added.is_empty() {
            let what = format!("{name}: enum {} {} added", values(&added), added.join(", "));
            let reason = if response {
                "exhaustive `match`es on the generated enum stop compiling"
            } else {
                "callers may send the new value, but exhaustive `match`es on the generated enum \
                 stop compiling"
            };
            let wire = match (response, catch_all) {
                (false, _) => Wire::safe("what old clients send stays valid"),
                (true, Some(other)) => Wire::safe(format!(
                    "old clients already accept other values, as `{other}`"
                )),
                (true, None) => Wire::breaks("old clients may refuse a value they do not know"),
            };
            self.push_bumps(what, wire, true, reason, Bump::Major, Bump::Patch);
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
            let wire = if response {
                Wire::safe("Linq sends fewer values, each of which old clients know")
            } else {
                Wire::breaks("old clients may send a value Linq now refuses")
            };
            self.push(what, wire, true, reason);
        }
    }

    /// The rules of a value (see [`constraints`]) whose report signature did not change, judged
    /// on the wire by direction and for `linq-api-ext` by whether ext applies the rule:
    /// `ext_applies` when `linq-api`'s build takes it into `linq_api::rules`, which ext checks
    /// before sending (a `maxLength` or `pattern` of a string property of a component schema).
    /// A rule typify carries in the type (an `enum` of a named schema) is a retype all the same.
    fn rules(
        &mut self,
        name: &str,
        was: &Constraints,
        is: &Constraints,
        response: bool,
        ext_applies: bool,
    ) {
        for rule in was.changes(is) {
            let what = format!("{name}: {}", rule.what);
            let wire = rule_wire(response, rule.direction);
            if rule.retypes {
                // Under a type of its own (a `$ref`), whose name the report compares: the rule
                // retypes it all the same.
                self.push(
                    what,
                    wire,
                    true,
                    "the generated Rust type changes: typify carries the rule in it",
                );
                continue;
            }
            let applied =
                !response && ext_applies && constraints::EXT_APPLIES.contains(&rule.keyword);
            let (reason, ext) = match (applied, rule.direction) {
                (true, Direction::Looser) => (
                    "no Rust type changes; ext and the fake apply the rule from `linq_api::rules`: \
                     they now accept input they refused",
                    Bump::Patch,
                ),
                (true, _) => (
                    "no Rust type changes; ext and the fake apply the rule from `linq_api::rules`: \
                     ext now refuses, before sending, input it used to accept (Linq would refuse \
                     it too), a behaviour change for services to name in the release notes",
                    Bump::Minor,
                ),
                (false, _) if response => ("no Rust type changes", Bump::Patch),
                (false, _) => (
                    "no Rust type changes; ext does not take this rule from the spec: a check of \
                     its own (such as `MAX_PER_PAGE`), if any, must follow by hand",
                    Bump::Patch,
                ),
            };
            self.push_bumps(what, wire, false, reason, Bump::Patch, ext);
        }
    }
}

/// The verdict on the wire of a change of rules, by its direction: on input, fewer values admitted
/// may refuse what old clients send; on output, more admitted may break what they rely on.
fn rule_wire(response: bool, direction: Direction) -> Wire {
    match (response, direction) {
        (false, Direction::Looser) => Wire::safe("what old clients send stays valid"),
        (false, _) => Wire::breaks("Linq may refuse values old clients send"),
        (true, Direction::Tighter) => Wire::safe("Linq sends values the old rule admits"),
        (true, _) => Wire::breaks("old clients may rely on the old rule"),
    }
}

/// For a retype that a change of rules alone explains (the schema is otherwise the same, so is
/// its JSON type): those changes as the report reads them, and their verdict on the wire
/// ([`rule_wire`], all together: tighter or looser only when every one is).
fn rules_retype(
    was: &Value,
    is: &Value,
    changes: &[RuleChange],
    response: bool,
) -> Option<(String, Wire)> {
    if changes.is_empty() || Constraints::without_rules(was) != Constraints::without_rules(is) {
        return None;
    }
    let all = |d: Direction| changes.iter().all(|c| c.direction == d);
    let direction = if all(Direction::Tighter) {
        Direction::Tighter
    } else if all(Direction::Looser) {
        Direction::Looser
    } else {
        Direction::Changed
    };
    let what: Vec<&str> = changes.iter().map(|c| c.what.as_str()).collect();
    let wire = rule_wire(response, direction);
    let wire = Wire {
        reason: format!("the same JSON type; {}", wire.reason),
        ..wire
    };
    Some((what.join(", "), wire))
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
                nullable: param
                    .get("schema")
                    .is_some_and(|schema| unwrap(spec, schema).2),
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
    // typify makes a Rust enum of a string enum, and a newtype refusing other values of a
    // number's.
    let enumerated = node
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| values.iter().any(|v| !v.is_null()));
    let marked = |base: String| {
        if enumerated {
            format!("{base}, enum")
        } else {
            base
        }
    };
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
            if enumerated {
                details.push("enum".into());
            }
            if details.is_empty() {
                t.to_owned()
            } else {
                format!("{t} ({})", details.join(", "))
            }
        }
        Some("array") => format!("array of {}", sig(spec, node.get("items"))),
        // Only the formats typify gives a type of their own: `format: email` stays a `String`.
        Some(t) => match format.filter(|f| constraints::TYPED_STRING_FORMATS.contains(f)) {
            Some(f) => format!("{t} ({})", marked(f.to_owned())),
            None if enumerated => format!("{t} (enum)"),
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
    let root = Place {
        key: String::new(),
        owner: None,
        local: String::new(),
        catch_all: None,
    };
    flatten(
        spec,
        schema,
        root,
        true,
        Kind::Root,
        &mut out,
        &mut Vec::new(),
    );
    out
}

/// Where a field sits: its key in the body (`data.contact_owner`), and the named schema that
/// declares it with its key there (`Contact`, `contact_owner`).
struct Place {
    key: String,
    owner: Option<String>,
    local: String,
    /// For a member of a `oneOf`/`anyOf`: its catch-all member's name ([`Field::catch_all`]).
    catch_all: Option<String>,
}

impl Place {
    /// The place of a child: `suffix` is `.name`, `[]` or `<Variant>`; a child of a named
    /// schema is declared by that schema.
    fn child(&self, name: &Option<String>, suffix: &str) -> Place {
        let join = |base: &str| {
            if base.is_empty() {
                suffix.trim_start_matches('.').to_owned()
            } else {
                format!("{base}{suffix}")
            }
        };
        match name {
            Some(name) => Place {
                key: join(&self.key),
                owner: Some(name.clone()),
                local: join(""),
                catch_all: None,
            },
            None => Place {
                key: join(&self.key),
                owner: self.owner.clone(),
                local: join(&self.local),
                catch_all: None,
            },
        }
    }
}

/// Records `schema` at `key` and walks its properties (`a.b`), items (`a[]`) and `oneOf`/`anyOf`
/// variants (`a<Name>`).
fn flatten(
    spec: &Spec,
    schema: &Value,
    place: Place,
    required: bool,
    kind: Kind,
    out: &mut BTreeMap<String, Field>,
    stack: &mut Vec<String>,
) {
    let (node, name, nullable) = unwrap(spec, schema);
    out.insert(
        place.key.clone(),
        Field {
            sig: sig(spec, Some(schema)),
            nullable,
            required,
            enums: enums(spec, Some(schema)),
            kind,
            owner: place.owner.clone(),
            local: place.local.clone(),
            rules: Constraints::of(node),
            ext_rule: kind == Kind::Property
                && place.owner.is_some()
                && !place.local.contains(['.', '[', '<'])
                && schema.get("type").and_then(Value::as_str) == Some("string"),
            catch_all: place.catch_all.clone(),
            shape: node.clone(),
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
        let child = place.child(&name, &format!(".{field}"));
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
        let child = place.child(&name, "[]");
        flatten(spec, items, child, true, Kind::Items, out, stack);
    }
    for combinator in ["oneOf", "anyOf"] {
        let members = node.get(combinator).and_then(Value::as_array);
        let members: Vec<(String, &Value)> = members
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, member)| (variant_name(member, index), member))
            .collect();
        let catch_all = members
            .iter()
            .find(|(_, member)| is_catch_all(spec, member))
            .map(|(variant, _)| variant.clone());
        for (variant, member) in members {
            let mut child = place.child(&name, &format!("<{variant}>"));
            child.catch_all = catch_all.clone().filter(|other| *other != variant);
            flatten(spec, member, child, true, Kind::Variant, out, stack);
        }
    }
    if name.is_some() {
        stack.pop();
    }
}

/// A member of a `oneOf`/`anyOf` is named by its `$ref`, else by its `title`, else by its
/// position.
fn variant_name(member: &Value, index: usize) -> String {
    member
        .get("$ref")
        .and_then(Value::as_str)
        .map(ref_name)
        .or_else(|| {
            member
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| format!("#{index}"))
}

/// Whether a member of a `oneOf` takes whatever the other members do not, by a `not` on itself
/// (`OtherWebhookEventType`) or on one of its properties (`OtherWebhookEvent`'s `event_type`):
/// then the set of values the `oneOf` admits is open, and a value or member added to the others
/// was admitted before.
fn is_catch_all(spec: &Spec, member: &Value) -> bool {
    let (node, _, _) = unwrap(spec, member);
    node.get("not").is_some()
        || node
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|properties| properties.values().any(|p| p.get("not").is_some()))
}

/// The rules of a parameter's schema (see [`Constraints`]).
fn constraints_of(spec: &Spec, schema: Option<&Value>) -> Constraints {
    schema
        .map(|schema| Constraints::of(unwrap(spec, schema).0))
        .unwrap_or_default()
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
