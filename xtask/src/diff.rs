//! `cargo xtask diff`: what changed between two versions of the spec, as a Markdown report. Each
//! change says whether it breaks callers of the generated (progenitor, positional) Rust client and
//! which version bump it needs in `linq-api` and in `linq-api-ext` ([`Bump`]); a change inside a
//! named schema is reported once, with every operation and body it reaches. The rules, with their
//! reasons, are the table in `openapi/README.md` ("Breaking-change rules").

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{is_null_only, ref_name, Operation, Spec};

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
    let mut parts = current.split('.').map(|p| p.parse::<u64>().ok());
    let (x, y, z) = (parts.next()??, parts.next()??, parts.next()??);
    Some(match (x, bump) {
        (0, Bump::Major) => format!("0.{}.0", y + 1),
        (0, _) => format!("0.{y}.{}", z + 1),
        (_, Bump::Major) => format!("{}.0.0", x + 1),
        (_, Bump::Minor) => format!("{x}.{}.0", y + 1),
        (_, Bump::Patch) => format!("{x}.{y}.{}", z + 1),
    })
}

/// One change between the two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change is about: an operationId (or `METHOD path`), or `types`.
    pub subject: String,
    /// What changed, e.g. ``response `200` field `data.title` removed``.
    pub what: String,
    /// Whether a caller of the generated client can be broken by it, at compile time or in
    /// what a call returns.
    pub breaking: bool,
    /// Why it breaks or does not.
    pub reason: String,
    /// The bump `linq-api` needs for it: what cargo-semver-checks says of the generated crate
    /// (its structs have public fields and no `#[non_exhaustive]`, so even an added response
    /// field is major; a changed status is invisible to it, though [`Change::breaking`]).
    pub api: Bump,
    /// The bump `linq-api-ext` needs for it: ext owns its public types, so a change that only
    /// adds to the API is absorbed inside ext (a patch release; exposing the addition is a minor
    /// one).
    pub ext: Bump,
    /// For a change of a named schema (then [`Change::subject`] is the schema): every operation
    /// and body it reaches, e.g. ``[`list_contacts` response `200`]``.
    pub reaches: Vec<String>,
}

impl Change {
    /// The Markdown bullet the report prints for this change.
    pub fn line(&self) -> String {
        let reaches = if self.reaches.is_empty() {
            String::new()
        } else {
            format!("; reaches {}", self.reaches.join(", "))
        };
        format!(
            "- `{}`: {} — {} (linq-api: {}, linq-api-ext: {}{reaches})",
            self.subject,
            self.what,
            self.reason,
            self.api.name(),
            self.ext.name()
        )
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
    /// The crates' current version (`x.y.z`), for the version each needs next.
    pub version: Option<String>,
}

impl Report {
    /// Compares `old` with `new`.
    pub fn new(base: impl Into<String>, head: impl Into<String>, old: &Spec, new: &Spec) -> Report {
        Report {
            base: base.into(),
            head: head.into(),
            changes: diff(old, new),
            version: None,
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
        out.push_str(&self.bumps_markdown());
        out.push_str(
            "\n_Classified for callers of the generated positional Rust client; the rules are in \
             `openapi/README.md`._\n",
        );
        out
    }

    /// The bump each crate needs: `(linq-api, linq-api-ext)`, the highest of its changes'. For
    /// `linq-api` a change that breaks callers at run time only (a status moving between error
    /// kinds) counts as major too, although cargo-semver-checks cannot see it.
    pub fn bumps(&self) -> (Bump, Bump) {
        let api = self
            .changes
            .iter()
            .map(|c| if c.breaking { Bump::Major } else { c.api })
            .max()
            .unwrap_or(Bump::Patch);
        let ext = self
            .changes
            .iter()
            .map(|c| c.ext)
            .max()
            .unwrap_or(Bump::Patch);
        (api, ext)
    }

    fn bumps_markdown(&self) -> String {
        let (api, ext) = self.bumps();
        let mut out = String::from("\n### Version bumps\n\n");
        for (krate, bump) in [("linq-api", api), ("linq-api-ext", ext)] {
            let next = self
                .version
                .as_deref()
                .and_then(|v| Some((v, next_version(v, bump)?)));
            match next {
                Some((current, next)) => out.push_str(&format!(
                    "- `{krate}`: **{}** — {current} → {next}\n",
                    bump.name()
                )),
                None => out.push_str(&format!("- `{krate}`: **{}**\n", bump.name())),
            }
        }
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
                api: Bump::Minor,
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
            api: Bump::Major,
            ext: Bump::Major,
            reaches: Vec::new(),
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
            api: Bump::Major,
            ext: Bump::Major,
            reaches: Vec::new(),
        });
    }
    for name in new_types.difference(&old_types) {
        out.push(Change {
            subject: "types".into(),
            what: format!("schema `{name}` added"),
            breaking: false,
            reason: format!("a new type `types::{name}`"),
            api: Bump::Minor,
            ext: Bump::Patch,
            reaches: Vec::new(),
        });
    }
    merge_schema_changes(out)
}

/// One line per change of a named schema, however many operations and bodies it reaches: the
/// same change found again only adds to the first one's [`Change::reaches`].
fn merge_schema_changes(changes: Vec<Change>) -> Vec<Change> {
    let mut merged: Vec<Change> = Vec::new();
    for change in changes {
        let same = |m: &&mut Change| {
            !m.reaches.is_empty()
                && (&m.subject, &m.what, &m.reason, m.breaking, m.api, m.ext)
                    == (
                        &change.subject,
                        &change.what,
                        &change.reason,
                        change.breaking,
                        change.api,
                        change.ext,
                    )
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
    /// A change whose bumps follow from `breaking`: major for both crates when it breaks callers,
    /// patch otherwise.
    fn push(&mut self, what: String, breaking: bool, reason: impl Into<String>) {
        let bump = if breaking { Bump::Major } else { Bump::Patch };
        self.push_bumps(what, breaking, reason, bump, bump);
    }

    /// A change with its own bumps for `linq-api` and `linq-api-ext`.
    fn push_bumps(
        &mut self,
        what: String,
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
            breaking,
            reason: reason.into(),
            api,
            ext,
            reaches,
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
                false,
                "the positional argument keeps its place and type (only its name in the \
                 signature changes); the request sends the new name",
            );
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
                self.push_bumps(
                    format!("{label} added ({required})"),
                    true,
                    format!("the positional client gains an argument: every call of {method} must change"),
                    Bump::Major,
                    ext,
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
        for (index, q) in was.iter().enumerate() {
            if !known(&is, q) && !renamed.iter().any(|&(_, j)| j == index) {
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
                        false,
                        format!("a `{status}` used to arrive as `Error::UnexpectedResponse`; it now succeeds"),
                    );
                } else if error_retyped && schema.is_some() {
                    self.push(
                        format!("status `{status}` added"),
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
                    true,
                    format!(
                        "the operation's last error body: its error type changes from \
                         `Error<{old_error}>` to `Error<{new_error}>`"
                    ),
                );
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
            self.push_bumps(
                format!("status `{status}` removed"),
                true,
                reason,
                Bump::Patch,
                ext,
            );
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
            let (name, variant) = self.enter(location, key, field);
            let Some(before) = was.get(key) else {
                if has_ancestor(key, &added) {
                    continue;
                }
                match field.kind {
                    Kind::Property if response => self.push_bumps(
                        format!("{name} added"),
                        true,
                        "code reading the other fields is unaffected, but a struct literal of the \
                         generated type (a fake's, a test's) stops compiling: its fields are public \
                         and it is not `#[non_exhaustive]`",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Property if field.required => self.push(
                        format!("{name} added (required)"),
                        true,
                        "callers must now provide it: a new non-`Option` field in the request type, \
                         and Linq rejects requests without it",
                    ),
                    Kind::Property => self.push_bumps(
                        format!("{name} added (optional)"),
                        true,
                        "requests without it stay valid, but a struct literal listing every field \
                         stops compiling until it names the new one or `..Default::default()`",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Variant if response => self.push_bumps(
                        format!("{variant} added"),
                        true,
                        "a new variant of the generated enum: exhaustive `match`es stop compiling",
                        Bump::Major,
                        Bump::Patch,
                    ),
                    Kind::Variant => self.push_bumps(
                        format!("{variant} added"),
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
            let (name, variant) = self.enter(location, key, field);
            match field.kind {
                Kind::Property if response => self.push(
                    format!("{name} removed"),
                    true,
                    "breaks callers that read it: the field disappears from the generated type",
                ),
                Kind::Property => self.push(
                    format!("{name} removed"),
                    true,
                    "breaks callers that set it: the field disappears from the generated type",
                ),
                Kind::Variant => self.push(
                    format!("{variant} removed"),
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
            None => (
                format!("{location} field `{key}`"),
                format!("{location} variant `{key}`"),
            ),
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
            let reason = if response {
                "exhaustive `match`es on the generated enum stop compiling"
            } else {
                "callers may send the new value, but exhaustive `match`es on the generated enum \
                 stop compiling"
            };
            self.push_bumps(what, true, reason, Bump::Major, Bump::Patch);
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
    let root = Place {
        key: String::new(),
        owner: None,
        local: String::new(),
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
            },
            None => Place {
                key: join(&self.key),
                owner: self.owner.clone(),
                local: join(&self.local),
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
        for (index, member) in node
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            // A member is named by its `$ref`, else by its `title`, else by its position.
            let variant = member
                .get("$ref")
                .and_then(Value::as_str)
                .map(ref_name)
                .or_else(|| {
                    member
                        .get("title")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| format!("#{index}"));
            let child = place.child(&name, &format!("<{variant}>"));
            flatten(spec, member, child, true, Kind::Variant, out, stack);
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
