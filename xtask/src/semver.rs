//! `cargo xtask semver`: [`diff`](crate::diff)'s version bumps checked against
//! [cargo-semver-checks](https://crates.io/crates/cargo-semver-checks).
//!
//! Two catalogues of spec edits:
//! - [`FIXTURE_MUTATIONS`]: every kind of change of `cargo xtask diff`'s fixtures
//!   (`xtask/tests/fixtures/diff/base.yaml`, `xtask/tests/diff.rs`). For each, cargo-semver-checks
//!   compares `linq-api` generated from the base fixture with `linq-api` generated from the
//!   edited one, and its verdict must be `diff`'s `linq-api` bump, or, where the tool cannot see
//!   the change ([`Mutation::unseen`]), lower than it.
//! - [`STABLE_MUTATIONS`]: Linq changes that only add something, on the real spec. `linq-api-ext`
//!   must compile against the edited spec (with at most the edits of its own code that the
//!   catalogue declares, [`StableMutation::ext_fix`]), and cargo-semver-checks must find no major
//!   change in it — the stable-surface promise.
//!
//! The tool's verdicts are recorded in [`RECORD`] (with its version), so that the agreement is
//! checked without the tool (xtask's tests, in CI: [`disagreements`]); `cargo xtask semver` runs
//! the tool again ([`run_live`]), and `--write` records what it found.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{json, Value};
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

use crate::{
    diff::{diff, Bump, Change},
    snapshot::SPEC,
    spec::{unescape, Spec},
    workspace_root,
};

/// The recorded verdicts of cargo-semver-checks, relative to the workspace root.
pub const RECORD: &str = "xtask/semver-checks.json";
/// The base fixture of [`FIXTURE_MUTATIONS`], relative to the workspace root.
pub const FIXTURE_BASE: &str = "xtask/tests/fixtures/diff/base.yaml";

/// One structural edit of a spec, at a JSON pointer into the parsed document (`~1` for a `/` in
/// a key; `-` as the last token of [`Edit::Set`] appends to a sequence). Values are YAML text.
/// The spec is parsed, edited and written back, so that the edit depends on the structure it
/// names, never on how the file is laid out.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Sets the value at the pointer: replaces it, adds the key last to its mapping, or appends.
    Set(&'static str, &'static str),
    /// Removes the value at the pointer (a sequence's later items move up).
    Remove(&'static str),
    /// Renames the mapping key at the pointer, keeping its place and value.
    Rename(&'static str, &'static str),
}

/// One edit of a spec: a kind of change.
#[derive(Debug, Clone, Copy)]
pub struct Mutation {
    /// What kind of change it is (the key in [`RECORD`]).
    pub kind: &'static str,
    /// The edits, applied in order.
    pub edits: &'static [Edit],
    /// Why cargo-semver-checks cannot see this change although `diff` counts it (then `diff`'s
    /// bump must be higher than the tool's; otherwise they must be equal).
    pub unseen: Option<&'static str>,
}

impl Mutation {
    /// The spec `text` with the edits applied, written back as YAML (keys keep their order); an
    /// edit whose place is missing is an error.
    pub fn apply(&self, text: &str) -> Result<String, String> {
        let mut doc = YamlLoader::load_from_str(text)
            .map_err(|e| format!("`{}`: the spec is not YAML: {e}", self.kind))?
            .into_iter()
            .next()
            .ok_or_else(|| format!("`{}`: the spec is empty", self.kind))?;
        for edit in self.edits {
            apply_edit(&mut doc, edit).map_err(|e| {
                format!(
                    "`{}`: {e} (update the catalogue in xtask/src/semver.rs)",
                    self.kind
                )
            })?;
        }
        let mut out = String::new();
        YamlEmitter::new(&mut out)
            .dump(&doc)
            .map_err(|e| format!("`{}`: cannot write the spec: {e}", self.kind))?;
        out.push('\n');
        Ok(out)
    }
}

/// Applies one [`Edit`] to a parsed document.
fn apply_edit(doc: &mut Yaml, edit: &Edit) -> Result<(), String> {
    let pointer = match edit {
        Edit::Set(p, _) | Edit::Remove(p) | Edit::Rename(p, _) => *p,
    };
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("{pointer:?} is not a JSON pointer"))?;
    let last = unescape(last);
    let missing = || format!("the spec has no {pointer:?}");
    let mut node = doc;
    for token in parent.split('/').skip(1).map(unescape) {
        node = match node {
            Yaml::Hash(map) => map.get_mut(&Yaml::String(token)),
            Yaml::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        }
        .ok_or_else(missing)?;
    }
    let value = |text: &str| -> Result<Yaml, String> {
        YamlLoader::load_from_str(text)
            .map_err(|e| format!("{text:?} is not YAML: {e}"))?
            .into_iter()
            .next()
            .ok_or_else(|| format!("{text:?} is empty"))
    };
    let key = Yaml::String(last.clone());
    match (edit, node) {
        (Edit::Set(_, text), Yaml::Hash(map)) => {
            map.insert(key, value(text)?);
        }
        (Edit::Set(_, text), Yaml::Array(items)) if last == "-" => items.push(value(text)?),
        (Edit::Set(_, text), Yaml::Array(items)) => {
            let slot = last.parse::<usize>().ok().and_then(|i| items.get_mut(i));
            *slot.ok_or_else(missing)? = value(text)?;
        }
        (Edit::Remove(_), Yaml::Hash(map)) => {
            map.remove(&key).ok_or_else(missing)?;
        }
        (Edit::Remove(_), Yaml::Array(items)) => {
            let index = last.parse::<usize>().ok().filter(|i| *i < items.len());
            items.remove(index.ok_or_else(missing)?);
        }
        (Edit::Rename(_, to), Yaml::Hash(map)) => {
            if !map.contains_key(&key) {
                return Err(missing());
            }
            let entries = std::mem::take(map);
            for (k, v) in entries {
                let k = if k == key {
                    Yaml::String((*to).to_owned())
                } else {
                    k
                };
                map.insert(k, v);
            }
        }
        _ => return Err(missing()),
    }
    Ok(())
}

const NO_ADDITIONS: &str = "cargo-semver-checks has no lint for additions (a new method or \
                            type needs a minor release)";
const NO_TYPES: &str =
    "cargo-semver-checks does not compare the types of arguments, return values or fields";

const ERROR_REF: &str = "{$ref: '#/components/responses/Error'}";

/// Every kind of change in `cargo xtask diff`'s fixtures, on `base.yaml`.
pub const FIXTURE_MUTATIONS: &[Mutation] = &[
    Mutation {
        kind: "operation added",
        edits: &[Edit::Set(
            "/paths/~1things~1{id}/get",
            "{operationId: get_thing, tags: [things], summary: Get, parameters: [{name: id, in: path, required: true, schema: {type: integer}}], responses: {'200': {description: The thing.}}}",
        )],
        unseen: Some(NO_ADDITIONS),
    },
    Mutation {
        kind: "operation removed",
        edits: &[Edit::Remove("/paths/~1things~1{id}")],
        unseen: None,
    },
    Mutation {
        kind: "operationId changed",
        edits: &[Edit::Set("/paths/~1things~1{id}/delete/operationId", "remove_thing")],
        unseen: None,
    },
    Mutation {
        kind: "operation moved to another path",
        edits: &[Edit::Rename("/paths/~1things~1{id}", "/items/{id}")],
        unseen: None,
    },
    Mutation {
        kind: "parameter added, optional",
        edits: &[Edit::Set(
            "/paths/~1things/get/parameters/-",
            "{name: sort, in: query, required: false, schema: {type: string}}",
        )],
        unseen: None,
    },
    Mutation {
        kind: "parameter added, required",
        edits: &[Edit::Set(
            "/paths/~1things/get/parameters/-",
            "{name: sort, in: query, required: true, schema: {type: string}}",
        )],
        unseen: None,
    },
    Mutation {
        kind: "parameter removed",
        edits: &[Edit::Remove("/paths/~1things/get/parameters/1")],
        unseen: None,
    },
    Mutation {
        kind: "parameter retyped",
        edits: &[Edit::Set("/paths/~1things/get/parameters/0/schema/format", "int32")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "parameter became required",
        edits: &[Edit::Set("/paths/~1things/get/parameters/0/required", "true")],
        // Seen through the mocks (feature `httpmock`): their `When`/`Then` methods change.
        unseen: None,
    },
    Mutation {
        kind: "parameters reordered",
        edits: &[
            Edit::Remove("/paths/~1things/get/parameters/0"),
            Edit::Set(
                "/paths/~1things/get/parameters/-",
                "{name: page, in: query, required: false, schema: {type: integer, format: int64, minimum: 1}}",
            ),
        ],
        unseen: Some(
            "two arguments of one type swap places: calls still compile, and send each value as \
             the other parameter",
        ),
    },
    Mutation {
        kind: "parameter renamed",
        edits: &[Edit::Set("/paths/~1things/get/parameters/1/name", "page_size")],
        unseen: None,
    },
    Mutation {
        kind: "request field added, optional",
        edits: &[Edit::Set(
            "/components/schemas/ThingInput/properties/thing/properties/size",
            "{type: string}",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request field added, required",
        edits: &[
            Edit::Set(
                "/components/schemas/ThingInput/properties/thing/properties/size",
                "{type: string}",
            ),
            Edit::Set("/components/schemas/ThingInput/properties/thing/required", "[size]"),
        ],
        unseen: None,
    },
    Mutation {
        kind: "request field removed",
        edits: &[Edit::Remove(
            "/components/schemas/ThingInput/properties/thing/properties/color",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request field became required",
        edits: &[Edit::Set("/components/schemas/ThingInput/properties/thing/required", "[name]")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "request enum value added",
        edits: &[Edit::Set(
            "/components/schemas/ThingInput/properties/thing/properties/color/enum/-",
            "green",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request enum value removed",
        edits: &[Edit::Remove(
            "/components/schemas/ThingInput/properties/thing/properties/color/enum/1",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request field gained an enum",
        edits: &[Edit::Set(
            "/components/schemas/ThingInput/properties/thing/properties/name/enum",
            "[a, b]",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "request field gained a format",
        edits: &[Edit::Set(
            "/components/schemas/ThingInput/properties/thing/properties/name/format",
            "email",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request object gained minProperties",
        edits: &[Edit::Set("/components/schemas/ThingInput/properties/thing/minProperties", "1")],
        unseen: None,
    },
    Mutation {
        kind: "parameter gained an enum",
        edits: &[Edit::Set("/paths/~1things/get/parameters/1/schema/enum", "[10, 50]")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response field added",
        edits: &[Edit::Set("/components/schemas/Owner/properties/phone", "{type: string}")],
        unseen: None,
    },
    Mutation {
        kind: "response field removed",
        edits: &[Edit::Remove("/components/schemas/Thing/properties/name")],
        unseen: None,
    },
    Mutation {
        kind: "response field became nullable",
        edits: &[Edit::Set("/components/schemas/Thing/properties/id/nullable", "true")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response field no longer required",
        edits: &[Edit::Set("/components/schemas/Thing/required", "[id]")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "optional response field became nullable",
        edits: &[Edit::Set("/components/schemas/Owner/properties/email/nullable", "true")],
        unseen: None,
    },
    Mutation {
        kind: "response field retyped",
        edits: &[Edit::Set("/components/schemas/Thing/properties/id", "{type: string}")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response enum value added",
        edits: &[Edit::Set("/components/schemas/Thing/properties/kind/enum/-", "huge")],
        unseen: None,
    },
    Mutation {
        kind: "response enum value removed",
        edits: &[Edit::Remove("/components/schemas/Thing/properties/kind/enum/1")],
        unseen: None,
    },
    Mutation {
        kind: "response field gained an enum",
        edits: &[Edit::Set("/components/schemas/Owner/properties/email/enum", "[a, b]")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response array gained uniqueItems",
        edits: &[Edit::Set("/components/schemas/ThingList/properties/things/uniqueItems", "true")],
        unseen: None,
    },
    Mutation {
        kind: "response variant added (oneOf)",
        edits: &[Edit::Set("/components/schemas/ErrorBody/oneOf/-", "{type: string}")],
        unseen: None,
    },
    Mutation {
        kind: "response variant removed (oneOf)",
        edits: &[Edit::Remove("/components/schemas/ErrorBody/oneOf/1")],
        unseen: None,
    },
    Mutation {
        kind: "success status added",
        edits: &[Edit::Set(
            "/paths/~1things/post/responses/200",
            "{description: Created., content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}",
        )],
        unseen: None,
    },
    Mutation {
        kind: "success status replaced (204 by 200)",
        edits: &[Edit::Rename("/paths/~1things~1{id}/delete/responses/204", "200")],
        unseen: None,
    },
    Mutation {
        kind: "error status added beside another",
        edits: &[Edit::Set("/paths/~1things/post/responses/400", ERROR_REF)],
        unseen: None,
    },
    Mutation {
        kind: "error status added, the operation's first",
        edits: &[Edit::Set("/paths/~1things~1{id}/delete/responses/404", ERROR_REF)],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "error status removed, the operation's last",
        edits: &[Edit::Remove("/paths/~1things/get/responses/400")],
        // Seen through the mocks (feature `httpmock`): their `When`/`Then` methods change.
        unseen: None,
    },
    Mutation {
        kind: "response body retyped",
        edits: &[Edit::Set(
            "/paths/~1things/post/responses/201/content/application~1json/schema/$ref",
            "'#/components/schemas/Owner'",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "request body became optional",
        edits: &[Edit::Set("/paths/~1things/post/requestBody/required", "false")],
        unseen: None,
    },
    Mutation {
        kind: "request body added",
        edits: &[Edit::Set(
            "/paths/~1things~1{id}/delete/requestBody",
            "{content: {application/json: {schema: {$ref: '#/components/schemas/Owner'}}}}",
        )],
        unseen: None,
    },
    Mutation {
        kind: "schema added",
        edits: &[Edit::Set("/components/schemas/Spare", "{type: string}")],
        unseen: Some(NO_ADDITIONS),
    },
    Mutation {
        kind: "schema renamed",
        edits: &[
            Edit::Rename("/components/schemas/ErrorBody", "ErrorPayload"),
            Edit::Set(
                "/components/responses/Error/content/application~1json/schema/$ref",
                "'#/components/schemas/ErrorPayload'",
            ),
        ],
        unseen: None,
    },
];

/// A Linq change that only adds something, on the real spec, and what `linq-api-ext`'s maintainer
/// must change in ext's source for it (nothing, ideally).
#[derive(Debug, Clone, Copy)]
pub struct StableMutation {
    /// The change of the spec.
    pub spec: Mutation,
    /// `(file, from, to)` edits of ext's source without which ext does not compile against the
    /// edited spec: the call sites of the positional client and the struct literals of generated
    /// request types that ext cannot avoid. Not its public API: that must not change.
    pub ext_fix: &'static [(&'static str, &'static str, &'static str)],
}

/// Linq changes that only add something, on the real spec: `linq-api-ext` must absorb each.
pub const STABLE_MUTATIONS: &[StableMutation] = &[
    StableMutation {
        spec: Mutation {
            kind: "response field added",
            edits: &[Edit::Set(
                "/components/schemas/Contact/properties/nickname",
                "{type: string, nullable: true}",
            )],
            unseen: None,
        },
        ext_fix: &[],
    },
    StableMutation {
        spec: Mutation {
            kind: "parameter added, optional",
            edits: &[Edit::Set(
                "/paths/~1api~1partner~1v2~1contacts/get/parameters/-",
                "{name: sort, in: query, required: false, schema: {type: string}}",
            )],
            unseen: None,
        },
        ext_fix: &[(
            "linq-api-ext/src/contacts/list.rs",
            "raw.list_contacts(page, per_page)",
            "raw.list_contacts(page, per_page, None)",
        )],
    },
    StableMutation {
        spec: Mutation {
            kind: "request field added, optional (in `contact`)",
            edits: &[Edit::Set(
                "/components/schemas/ContactFields/properties/nickname",
                "{type: string}",
            )],
            unseen: None,
        },
        ext_fix: &[],
    },
    StableMutation {
        spec: Mutation {
            kind: "request field added, optional (beside `contact`)",
            edits: &[Edit::Set(
                "/components/schemas/ContactInput/properties/source",
                "{type: string}",
            )],
            unseen: None,
        },
        ext_fix: &[(
            "linq-api-ext/src/contacts/calls.rs",
            "            user_email: self.user_email,\n",
            "            user_email: self.user_email,\n            source: None,\n",
        )],
    },
];

/// cargo-semver-checks' verdict, as a [`Bump`]: `major`, `minor`, or `none` (a patch release).
pub fn parse_bump(verdict: &str) -> Option<Bump> {
    match verdict {
        "major" => Some(Bump::Major),
        "minor" => Some(Bump::Minor),
        "none" => Some(Bump::Patch),
        _ => None,
    }
}

/// The name of a [`Bump`] as cargo-semver-checks' verdict (see [`parse_bump`]).
pub fn bump_verdict(bump: Bump) -> &'static str {
    match bump {
        Bump::Major => "major",
        Bump::Minor => "minor",
        Bump::Patch => "none",
    }
}

/// `diff`'s bumps for a mutation of `base`, each the highest of its changes' (a change only the
/// compiler cannot see stays at its own bump).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bumps {
    /// `linq-api` without features.
    pub api: Bump,
    /// The surface of `linq-api`'s `httpmock` feature.
    pub httpmock: Bump,
    /// `linq-api-ext`.
    pub ext: Bump,
    /// How many changes `diff` finds.
    pub changes: usize,
}

/// `diff`'s [`Bumps`] for a mutation of `base`.
pub fn xtask_bumps(base: &str, mutation: &Mutation) -> Result<Bumps, String> {
    let old = Spec::parse("base", base)?;
    let new = Spec::parse(mutation.kind, &mutation.apply(base)?)?;
    let changes = diff(&old, &new);
    let highest = |bump: fn(&Change) -> Bump| changes.iter().map(bump).max().unwrap_or(Bump::Patch);
    Ok(Bumps {
        api: highest(|c| c.api),
        httpmock: highest(|c| c.httpmock),
        ext: highest(|c| c.ext),
        changes: changes.len(),
    })
}

/// The feature the live run enables on `linq-api` (recorded in [`RECORD`]'s `features`).
pub const FEATURES: &str = "httpmock";

/// The recorded verdicts ([`RECORD`]).
#[derive(Debug, Clone)]
pub struct Record(pub Value);

impl Record {
    /// Reads [`RECORD`] from the workspace.
    pub fn load() -> Result<Record, String> {
        let path = workspace_root().join(RECORD);
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let value = serde_json::from_str(&text).map_err(|e| format!("{RECORD}: {e}"))?;
        Ok(Record(value))
    }

    /// The tool and version that recorded the verdicts.
    pub fn tool(&self) -> &str {
        self.0["tool"].as_str().unwrap_or("(unknown)")
    }

    /// The recorded entry of a fixture mutation, or of a stable one.
    pub fn entry(&self, stable: bool, kind: &str) -> Option<&Value> {
        self.0[section(stable)].get(kind)
    }
}

fn section(stable: bool) -> &'static str {
    if stable {
        "stable"
    } else {
        "fixtures"
    }
}

/// Where `diff`'s verdicts and the recorded ones disagree, one message each (none: they agree).
///
/// For every mutation, `diff`'s `linq-api` bump must equal cargo-semver-checks' verdict on
/// `linq-api`, or exceed it where the tool cannot see the change ([`Mutation::unseen`]). For a
/// stable mutation besides: `linq-api-ext` compiles against the edited spec exactly when no
/// [`StableMutation::ext_fix`] is declared, the tool finds no major change in ext (with the fix
/// applied), and `diff` calls it below major for ext too.
pub fn disagreements(record: &Record) -> Result<Vec<String>, String> {
    let root = workspace_root();
    let read = |path: &str| {
        fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))
    };
    let (fixture, real) = (read(FIXTURE_BASE)?, read(SPEC)?);
    let stable: Vec<&Mutation> = STABLE_MUTATIONS.iter().map(|m| &m.spec).collect();
    let fixtures: Vec<&Mutation> = FIXTURE_MUTATIONS.iter().collect();
    let mut out = Vec::new();
    for (is_stable, base, mutations) in [(false, &fixture, fixtures), (true, &real, stable)] {
        let name = section(is_stable);
        for (index, mutation) in mutations.iter().enumerate() {
            let kind = mutation.kind;
            // An edit the spec no longer takes is one problem of that mutation; the rest are
            // still compared.
            let bumps = match xtask_bumps(base, mutation) {
                Ok(bumps) => bumps,
                Err(e) => {
                    out.push(e);
                    continue;
                }
            };
            if bumps.changes == 0 {
                out.push(format!("{name} `{kind}`: diff finds no change at all"));
            }
            let Some(entry) = record.entry(is_stable, kind) else {
                out.push(format!("{name} `{kind}`: nothing recorded in {RECORD}"));
                continue;
            };
            // The tool judged `linq-api` with its `httpmock` feature (the record says so in
            // `features`): `diff`'s bump with the feature's surface is compared. With the
            // feature, a method the mocks lose or their trait gains is seen by the tool
            // (`inherent_method_missing`, `trait_method_added`); a method they gain is not.
            let (api, unseen) = if bumps.httpmock > bumps.api {
                (
                    bumps.httpmock,
                    (bumps.httpmock == Bump::Minor).then_some(NO_ADDITIONS),
                )
            } else {
                (bumps.api, mutation.unseen)
            };
            out.extend(compare_api(name, kind, unseen, entry, api));
            if is_stable {
                out.extend(compare_ext(&STABLE_MUTATIONS[index], entry, bumps.ext));
            }
        }
        let known: Vec<&str> = mutations.iter().map(|m| m.kind).collect();
        for kind in record.0[name]
            .as_object()
            .into_iter()
            .flatten()
            .map(|e| e.0)
        {
            if !known.contains(&kind.as_str()) {
                out.push(format!("{name} `{kind}`: recorded, but no such mutation"));
            }
        }
    }
    Ok(out)
}

/// `diff`'s `linq-api` bump against the tool's.
fn compare_api(
    section: &str,
    kind: &str,
    unseen: Option<&str>,
    entry: &Value,
    api: Bump,
) -> Option<String> {
    let Some(tool) = entry["linq-api"].as_str().and_then(parse_bump) else {
        return Some(format!("{section} `{kind}`: no verdict on linq-api"));
    };
    match unseen {
        None if api != tool => Some(format!(
            "{section} `{kind}`: linq-api: diff says {}, cargo-semver-checks {}",
            api.name(),
            bump_verdict(tool)
        )),
        Some(why) if api <= tool => Some(format!(
            "{section} `{kind}`: linq-api: diff says {}, cargo-semver-checks {}, but the \
             mutation is marked unseen by the tool ({why})",
            api.name(),
            bump_verdict(tool)
        )),
        _ => None,
    }
}

/// The stable-surface promise for one additive change.
fn compare_ext(mutation: &StableMutation, entry: &Value, ext: Bump) -> Vec<String> {
    let kind = mutation.spec.kind;
    let mut out = Vec::new();
    match (entry["compiles"].as_bool(), mutation.ext_fix.is_empty()) {
        (Some(true), true) | (Some(false), false) => {}
        (Some(false), true) => out.push(format!(
            "stable `{kind}`: linq-api-ext does not compile against the edited spec"
        )),
        (Some(true), false) => out.push(format!(
            "stable `{kind}`: linq-api-ext compiles unchanged; its declared fix is not needed"
        )),
        (None, _) => out.push(format!(
            "stable `{kind}`: no record of whether ext compiles"
        )),
    }
    match entry["linq-api-ext"].as_str().and_then(parse_bump) {
        Some(Bump::Major) => out.push(format!(
            "stable `{kind}`: cargo-semver-checks finds a major change in linq-api-ext"
        )),
        Some(_) => {}
        None => out.push(format!("stable `{kind}`: no verdict on linq-api-ext")),
    }
    if ext == Bump::Major {
        out.push(format!(
            "stable `{kind}`: diff calls it major for linq-api-ext"
        ));
    }
    out
}

/// What one run of cargo-semver-checks said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The required bump.
    pub bump: Bump,
    /// The lints that fired (failures and warnings), sorted.
    pub lints: Vec<String>,
}

/// Reads cargo-semver-checks' human output: its `Summary` line and the lints that fired
/// (`--- failure <lint>: …`, `--- warning <lint>: …`).
pub fn parse_output(output: &str) -> Option<Verdict> {
    let mut lints: Vec<String> = output
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("--- ")?;
            let rest = rest
                .strip_prefix("failure ")
                .or_else(|| rest.strip_prefix("warning "))?;
            Some(rest.split(':').next()?.trim().to_owned())
        })
        .collect();
    lints.sort();
    lints.dedup();
    let summary = output
        .lines()
        .map(str::trim_start)
        .find(|line| line.starts_with("Summary "))?;
    let bump = if summary.contains("new major version") {
        Bump::Major
    } else if summary.contains("new minor version") {
        Bump::Minor
    } else if summary.contains("no semver update required") {
        Bump::Patch
    } else {
        return None;
    };
    Some(Verdict { bump, lints })
}

/// The scratch space of a live run: copies of the workspace and the tool's target dir. Never
/// the shared target dir: the runs would hold its lock for minutes.
fn scratch_dir() -> PathBuf {
    std::env::var_os("XTASK_SEMVER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("linq-semver"))
}

/// Copies the files git tracks (as they are in the working tree) to `to`.
fn copy_workspace(root: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        fs::remove_dir_all(to).map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
    }
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err("git ls-files failed".into());
    }
    for name in output.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let (from, dest) = (root.join(&name), to.join(&name));
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue; // deleted in the working tree
        };
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create {parent:?}: {e}"))?;
        }
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&from).map_err(|e| format!("{name}: {e}"))?;
            symlink(&target, &dest).map_err(|e| format!("{name}: {e}"))?;
        } else {
            fs::copy(&from, &dest).map_err(|e| format!("cannot copy {name}: {e}"))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    // The workspace's links are relative links to files or folders of the workspace.
    let resolved = link.parent().unwrap_or(link).join(target);
    if resolved.is_dir() {
        Err(std::io::Error::other("directory links need a unix host"))
    } else {
        fs::copy(resolved, link).map(|_| ())
    }
}

/// `linq-api` built from the fixture spec: the generated code, the spec-independent `rules`
/// module and, with the `httpmock` feature, the generated mocks (whose trait gains a method for
/// an added operation); its hand-written hooks name the Linq error types, so the copy uses
/// progenitor's default hooks. Both sides of a comparison are built this way, so only the
/// generated code differs between them.
const FIXTURE_LIB: &str = "//! linq-api generated from a diff fixture (cargo xtask semver).\n\
mod generated {\n    include!(concat!(env!(\"OUT_DIR\"), \"/codegen.rs\"));\n}\n\
pub mod rules;\npub use generated::*;\n\
impl progenitor_client::ClientHooks for Client {}\n\
#[cfg(feature = \"httpmock\")]\npub mod mock {\n    #![allow(unused_imports)]\n    \
include!(concat!(env!(\"OUT_DIR\"), \"/httpmock.rs\"));\n    include!(\"mock_query.rs\");\n}\n";

/// Runs a command in `dir` with the scratch target dir; returns (success, stdout + stderr).
fn run(dir: &Path, target: &Path, program: &str, args: &[&str]) -> Result<(bool, String), String> {
    let output = Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTDOCFLAGS")
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

/// cargo-semver-checks on `package` of the workspace copy `current` against the copy `baseline`.
fn semver_checks(
    current: &Path,
    baseline: &Path,
    target: &Path,
    package: &str,
) -> Result<Verdict, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let baseline = baseline.display().to_string();
    // `linq-api`'s `httpmock` feature: its `MockServerExt` trait and `When`/`Then` wrappers are
    // public API that every operation, parameter and status adds to.
    let features = if package == "linq-api" { FEATURES } else { "" };
    let (_, text) = run(
        current,
        target,
        &cargo,
        &[
            "semver-checks",
            "--package",
            package,
            "--baseline-root",
            &baseline,
            // Without the `rustls` feature: it gates no API and would build aws-lc.
            "--only-explicit-features",
            "--features",
            features,
            // Judged as a patch release, so that the lints that call for a minor one run too.
            "--release-type",
            "patch",
        ],
    )?;
    parse_output(&text).ok_or_else(|| {
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("error") && !l.contains("error::"))
            .take(8)
            .collect();
        format!(
            "cargo semver-checks on {package} gave no verdict: {}",
            errors.join(" / ")
        )
    })
}

/// `cargo xtask semver [--write]`: runs cargo-semver-checks on every mutation, prints each
/// verdict beside `diff`'s, and says where the tool, the record and `diff` disagree; with
/// `write`, records the tool's verdicts in [`RECORD`]. Returns whether all agree.
pub fn run_live(write: bool) -> Result<bool, String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let version = Command::new(&cargo)
        .args(["semver-checks", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .ok_or(
            "cargo-semver-checks is not installed (`cargo install cargo-semver-checks --locked`)",
        )?;
    let scratch = scratch_dir();
    let target = scratch.join("target");
    println!(
        "semver: {version}; workspace copies and builds in {}",
        scratch.display()
    );
    let recorded = Record::load().ok();
    let mut fixtures = serde_json::Map::new();
    let mut stable = serde_json::Map::new();
    let mut failed = false;

    let fixture = fs::read_to_string(root.join(FIXTURE_BASE))
        .map_err(|e| format!("cannot read {FIXTURE_BASE}: {e}"))?;
    let (base_copy, current_copy) = (scratch.join("fixture-base"), scratch.join("fixture-edited"));
    for copy in [&base_copy, &current_copy] {
        copy_workspace(&root, copy)?;
        fs::write(copy.join(SPEC), &fixture).map_err(|e| e.to_string())?;
        fs::write(copy.join("linq-api/src/lib.rs"), FIXTURE_LIB).map_err(|e| e.to_string())?;
    }
    println!("\n| fixture change | diff: linq-api | cargo-semver-checks: linq-api | lints |");
    println!("|---|---|---|---|");
    for mutation in FIXTURE_MUTATIONS {
        fs::write(current_copy.join(SPEC), mutation.apply(&fixture)?).map_err(|e| e.to_string())?;
        let verdict = match semver_checks(&current_copy, &base_copy, &target, "linq-api") {
            Ok(verdict) => verdict,
            Err(e) => {
                println!("| {} | - | **{e}** | |", mutation.kind);
                failed = true;
                continue;
            }
        };
        let bumps = xtask_bumps(&fixture, mutation)?;
        let api = bumps.api.max(bumps.httpmock);
        println!(
            "| {} | {} | {} | {} |",
            mutation.kind,
            api.name(),
            bump_verdict(verdict.bump),
            verdict.lints.join(", ")
        );
        fixtures.insert(
            mutation.kind.to_owned(),
            json!({ "linq-api": bump_verdict(verdict.bump), "lints": verdict.lints }),
        );
    }

    let real =
        fs::read_to_string(root.join(SPEC)).map_err(|e| format!("cannot read {SPEC}: {e}"))?;
    let (base_copy, current_copy) = (scratch.join("real-base"), scratch.join("real-edited"));
    copy_workspace(&root, &base_copy)?;
    println!(
        "\n| Linq adds | ext compiles unchanged | cargo-semver-checks: linq-api-ext | linq-api | lints |"
    );
    println!("|---|---|---|---|---|");
    for mutation in STABLE_MUTATIONS {
        copy_workspace(&root, &current_copy)?;
        fs::write(current_copy.join(SPEC), mutation.spec.apply(&real)?)
            .map_err(|e| e.to_string())?;
        let check = [
            "check",
            "--package",
            "linq-api-ext",
            "--lib",
            "--no-default-features",
        ];
        let (compiles, text) = run(&current_copy, &target, &cargo, &check)?;
        if !compiles {
            let errors: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("error") || l.trim_start().starts_with("-->"))
                .collect();
            println!(
                "`{}`: linq-api-ext does not compile unchanged:\n{}",
                mutation.spec.kind,
                errors.join("\n")
            );
            for (file, from, to) in mutation.ext_fix {
                let path = current_copy.join(file);
                let source = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
                if !source.contains(from) {
                    return Err(format!("{file} has no {from:?} to fix"));
                }
                fs::write(&path, source.replacen(from, to, 1)).map_err(|e| e.to_string())?;
            }
        }
        let fixed = compiles || run(&current_copy, &target, &cargo, &check)?.0;
        let api = semver_checks(&current_copy, &base_copy, &target, "linq-api")?;
        let mut entry = json!({
            "compiles": compiles,
            "linq-api": bump_verdict(api.bump),
            "lints": api.lints,
        });
        let ext = if fixed {
            let ext = semver_checks(&current_copy, &base_copy, &target, "linq-api-ext")?;
            entry["linq-api-ext"] = json!(bump_verdict(ext.bump));
            entry["linq-api-ext lints"] = json!(ext.lints);
            format!("{} {}", bump_verdict(ext.bump), ext.lints.join(", "))
                .trim_end()
                .to_owned()
        } else {
            "does not compile, even with its declared fix".into()
        };
        println!(
            "| {} | {} | {ext} | {} | {} |",
            mutation.spec.kind,
            if compiles { "yes" } else { "**no**" },
            bump_verdict(api.bump),
            api.lints.join(", ")
        );
        stable.insert(mutation.spec.kind.to_owned(), entry);
    }

    let live = Record(json!({
        "tool": version,
        "features": [FEATURES],
        "fixtures": fixtures,
        "stable": stable,
    }));
    let mut agree = !failed;
    println!();
    for problem in disagreements(&live)? {
        agree = false;
        println!("disagreement (diff vs the live run): {problem}");
    }
    match &recorded {
        Some(recorded) if recorded.0 == live.0 => println!("the record ({RECORD}) is up to date"),
        Some(_) if !write => {
            agree = false;
            println!("the record ({RECORD}) differs from the live run: `cargo xtask semver --write` updates it");
        }
        None if !write => {
            agree = false;
            println!("no record ({RECORD}) yet: `cargo xtask semver --write` writes it");
        }
        _ => {}
    }
    if write && failed {
        return Err(format!("some runs failed: {RECORD} left as it was"));
    }
    if write {
        let text = serde_json::to_string_pretty(&live.0).map_err(|e| e.to_string())? + "\n";
        fs::write(root.join(RECORD), text).map_err(|e| format!("cannot write {RECORD}: {e}"))?;
        println!("recorded in {RECORD}");
    }
    Ok(agree)
}
