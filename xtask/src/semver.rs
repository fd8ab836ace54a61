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

use crate::{
    diff::{diff, Bump},
    snapshot::SPEC,
    spec::Spec,
    workspace_root,
};

/// The recorded verdicts of cargo-semver-checks, relative to the workspace root.
pub const RECORD: &str = "xtask/semver-checks.json";
/// The base fixture of [`FIXTURE_MUTATIONS`], relative to the workspace root.
pub const FIXTURE_BASE: &str = "xtask/tests/fixtures/diff/base.yaml";

/// One edit of a spec: a kind of change.
#[derive(Debug, Clone, Copy)]
pub struct Mutation {
    /// What kind of change it is (the key in [`RECORD`]).
    pub kind: &'static str,
    /// `(from, to)` text replacements, applied in order, each to the first occurrence.
    pub edits: &'static [(&'static str, &'static str)],
    /// Why cargo-semver-checks cannot see this change although `diff` counts it (then `diff`'s
    /// bump must be higher than the tool's; otherwise they must be equal).
    pub unseen: Option<&'static str>,
}

impl Mutation {
    /// `text` with the edits applied; an edit whose `from` is missing is an error.
    pub fn apply(&self, text: &str) -> Result<String, String> {
        let mut text = text.to_owned();
        for (from, to) in self.edits {
            if !text.contains(from) {
                return Err(format!(
                    "`{}`: the spec has no {from:?} to replace (update the catalogue in \
                     xtask/src/semver.rs)",
                    self.kind
                ));
            }
            text = text.replacen(from, to, 1);
        }
        Ok(text)
    }
}

const NO_ADDITIONS: &str = "cargo-semver-checks has no lint for additions (a new method or \
                            type needs a minor release)";
const NO_TYPES: &str =
    "cargo-semver-checks does not compare the types of arguments, return values or fields";

const PER_PAGE: &str = "        - name: per_page\n          in: query\n          required: false\n          schema:\n            type: integer\n            format: int64\n            minimum: 1\n";
const PAGE: &str = "        - name: page\n          in: query\n          required: false\n          schema:\n            type: integer\n            format: int64\n            minimum: 1\n";
const LIST_RESPONSES: &str = "      responses:\n        '200':";
const COLOR: &str =
    "            color:\n              type: string\n              enum: [red, blue]\n";
const COLOR_SIZE: &str = "            color:\n              type: string\n              enum: [red, blue]\n            size:\n              type: string\n";
const THING_OBJECT: &str = "        thing:\n          type: object\n";
const EMAIL: &str = "        email:\n          type: string\n";
const THING_ID: &str =
    "        id:\n          type: integer\n          format: int64\n        name:";
const CREATED: &str = "        '201':\n          description: Created.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Thing'\n";
const ERROR_422: &str = "        '422':\n          $ref: '#/components/responses/Error'\n";

/// The second variant of the fixture's `oneOf` error body.
const CODED_ERROR: &str = "        - $ref: '#/components/schemas/CodedError'\n";

/// Every kind of change in `cargo xtask diff`'s fixtures, on `base.yaml`.
pub const FIXTURE_MUTATIONS: &[Mutation] = &[
    Mutation {
        kind: "operation added",
        edits: &[(
            "  /things/{id}:\n    delete:\n",
            "  /things/{id}:\n    get:\n      operationId: get_thing\n      tags: [things]\n      summary: Get\n      parameters:\n        - name: id\n          in: path\n          required: true\n          schema:\n            type: integer\n      responses:\n        '200':\n          description: The thing.\n    delete:\n",
        )],
        unseen: Some(NO_ADDITIONS),
    },
    Mutation {
        kind: "operation removed",
        edits: &[(
            "  /things/{id}:\n    delete:\n      operationId: delete_thing\n      tags: [things]\n      summary: Delete a thing\n      parameters:\n        - name: id\n          in: path\n          required: true\n          schema:\n            type: integer\n            format: int64\n      responses:\n        '204':\n          description: Deleted.\n",
            "",
        )],
        unseen: None,
    },
    Mutation {
        kind: "operationId changed",
        edits: &[("operationId: delete_thing", "operationId: remove_thing")],
        unseen: None,
    },
    Mutation {
        kind: "operation moved to another path",
        edits: &[("  /things/{id}:", "  /items/{id}:")],
        unseen: None,
    },
    Mutation {
        kind: "parameter added, optional",
        edits: &[(
            LIST_RESPONSES,
            "        - name: sort\n          in: query\n          required: false\n          schema:\n            type: string\n      responses:\n        '200':",
        )],
        unseen: None,
    },
    Mutation {
        kind: "parameter added, required",
        edits: &[(
            LIST_RESPONSES,
            "        - name: sort\n          in: query\n          required: true\n          schema:\n            type: string\n      responses:\n        '200':",
        )],
        unseen: None,
    },
    Mutation {
        kind: "parameter removed",
        edits: &[(PER_PAGE, "")],
        unseen: None,
    },
    Mutation {
        kind: "parameter retyped",
        edits: &[(
            "            format: int64\n            minimum: 1\n        - name: per_page",
            "            format: int32\n            minimum: 1\n        - name: per_page",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "parameter became required",
        edits: &[(
            "        - name: page\n          in: query\n          required: false",
            "        - name: page\n          in: query\n          required: true",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "parameters reordered",
        edits: &[
            (PAGE, ""),
            (
                LIST_RESPONSES,
                "        - name: page\n          in: query\n          required: false\n          schema:\n            type: integer\n            format: int64\n            minimum: 1\n      responses:\n        '200':",
            ),
        ],
        unseen: Some(
            "two arguments of one type swap places: calls still compile, and send each value as \
             the other parameter",
        ),
    },
    Mutation {
        kind: "parameter renamed",
        edits: &[("        - name: per_page\n", "        - name: page_size\n")],
        unseen: None,
    },
    Mutation {
        kind: "request field added, optional",
        edits: &[(COLOR, COLOR_SIZE)],
        unseen: None,
    },
    Mutation {
        kind: "request field added, required",
        edits: &[
            (COLOR, COLOR_SIZE),
            (
                THING_OBJECT,
                "        thing:\n          type: object\n          required: [size]\n",
            ),
        ],
        unseen: None,
    },
    Mutation {
        kind: "request field removed",
        edits: &[(COLOR, "")],
        unseen: None,
    },
    Mutation {
        kind: "request field became required",
        edits: &[(
            THING_OBJECT,
            "        thing:\n          type: object\n          required: [name]\n",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "request enum value added",
        edits: &[("enum: [red, blue]", "enum: [red, blue, green]")],
        unseen: None,
    },
    Mutation {
        kind: "request enum value removed",
        edits: &[("enum: [red, blue]", "enum: [red]")],
        unseen: None,
    },
    Mutation {
        kind: "response field added",
        edits: &[(
            EMAIL,
            "        email:\n          type: string\n        phone:\n          type: string\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "response field removed",
        edits: &[(
            "        name:\n          type: string\n          nullable: true\n        kind:",
            "        kind:",
        )],
        unseen: None,
    },
    Mutation {
        kind: "response field became nullable",
        edits: &[(
            THING_ID,
            "        id:\n          type: integer\n          format: int64\n          nullable: true\n        name:",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response field no longer required",
        edits: &[("required: [id, kind]", "required: [id]")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "optional response field became nullable",
        edits: &[(
            EMAIL,
            "        email:\n          type: string\n          nullable: true\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "response field retyped",
        edits: &[(
            THING_ID,
            "        id:\n          type: string\n        name:",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response enum value added",
        edits: &[("enum: [small, large]", "enum: [small, large, huge]")],
        unseen: None,
    },
    Mutation {
        kind: "response enum value removed",
        edits: &[("enum: [small, large]", "enum: [small]")],
        unseen: None,
    },
    Mutation {
        kind: "response variant added (oneOf)",
        // The last member of the `oneOf` ends where the next schema starts.
        edits: &[("    PlainError:\n", "        - type: string\n    PlainError:\n")],
        unseen: None,
    },
    Mutation {
        kind: "response variant removed (oneOf)",
        edits: &[(CODED_ERROR, "")],
        unseen: None,
    },
    Mutation {
        kind: "success status added",
        edits: &[(
            CREATED,
            "        '201':\n          description: Created.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Thing'\n        '200':\n          description: Created.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Thing'\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "success status replaced (204 by 200)",
        edits: &[(
            "        '204':\n          description: Deleted.",
            "        '200':\n          description: Deleted.",
        )],
        unseen: None,
    },
    Mutation {
        kind: "error status added beside another",
        edits: &[(
            ERROR_422,
            "        '422':\n          $ref: '#/components/responses/Error'\n        '400':\n          $ref: '#/components/responses/Error'\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "error status added, the operation's first",
        edits: &[(
            "          description: Deleted.\n",
            "          description: Deleted.\n        '404':\n          $ref: '#/components/responses/Error'\n",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "error status removed, the operation's last",
        edits: &[("        '400':\n          $ref: '#/components/responses/Error'\n", "")],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "response body retyped",
        edits: &[(
            "                $ref: '#/components/schemas/Thing'\n        '422'",
            "                $ref: '#/components/schemas/Owner'\n        '422'",
        )],
        unseen: Some(NO_TYPES),
    },
    Mutation {
        kind: "request body became optional",
        edits: &[(
            "      requestBody:\n        required: true\n",
            "      requestBody:\n        required: false\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "request body added",
        edits: &[(
            "      summary: Delete a thing\n",
            "      summary: Delete a thing\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/Owner'\n",
        )],
        unseen: None,
    },
    Mutation {
        kind: "schema added",
        edits: &[("    ErrorBody:\n", "    Spare:\n      type: string\n    ErrorBody:\n")],
        unseen: Some(NO_ADDITIONS),
    },
    Mutation {
        kind: "schema renamed",
        edits: &[
            ("    ErrorBody:\n", "    ErrorPayload:\n"),
            (
                "$ref: '#/components/schemas/ErrorBody'",
                "$ref: '#/components/schemas/ErrorPayload'",
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
            edits: &[(
                "        image_url:\n          type: string\n          nullable: true\n",
                "        image_url:\n          type: string\n          nullable: true\n        nickname:\n          type: string\n          nullable: true\n",
            )],
            unseen: None,
        },
        ext_fix: &[],
    },
    StableMutation {
        spec: Mutation {
            kind: "parameter added, optional",
            edits: &[(
                "            maximum: 100\n            default: 25\n      responses:\n",
                "            maximum: 100\n            default: 25\n        - name: sort\n          in: query\n          required: false\n          schema:\n            type: string\n      responses:\n",
            )],
            unseen: None,
        },
        ext_fix: &[(
            "linq-api-ext/src/pagination.rs",
            "raw.list_contacts(page, per_page)",
            "raw.list_contacts(page, per_page, None)",
        )],
    },
    StableMutation {
        spec: Mutation {
            kind: "request field added, optional (in `contact`)",
            edits: &[(
                "    ContactInput:\n",
                "        nickname:\n          type: string\n    ContactInput:\n",
            )],
            unseen: None,
        },
        ext_fix: &[],
    },
    StableMutation {
        spec: Mutation {
            kind: "request field added, optional (beside `contact`)",
            edits: &[(
                "    ContactEnvelope:\n",
                "        source:\n          type: string\n    ContactEnvelope:\n",
            )],
            unseen: None,
        },
        ext_fix: &[(
            "linq-api-ext/src/contacts.rs",
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

/// `diff`'s bumps for a mutation of `base`: `(linq-api, linq-api-ext)`, the highest of its
/// changes' (a change only the compiler cannot see stays at its own bump), and how many changes.
pub fn xtask_bumps(base: &str, mutation: &Mutation) -> Result<(Bump, Bump, usize), String> {
    let old = Spec::parse("base", base)?;
    let new = Spec::parse(mutation.kind, &mutation.apply(base)?)?;
    let changes = diff(&old, &new);
    let api = changes.iter().map(|c| c.api).max().unwrap_or(Bump::Patch);
    let ext = changes.iter().map(|c| c.ext).max().unwrap_or(Bump::Patch);
    Ok((api, ext, changes.len()))
}

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
            let (api, ext, count) = xtask_bumps(base, mutation)?;
            if count == 0 {
                out.push(format!("{name} `{kind}`: diff finds no change at all"));
            }
            let Some(entry) = record.entry(is_stable, kind) else {
                out.push(format!("{name} `{kind}`: nothing recorded in {RECORD}"));
                continue;
            };
            out.extend(compare_api(name, mutation, entry, api));
            if is_stable {
                out.extend(compare_ext(&STABLE_MUTATIONS[index], entry, ext));
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
fn compare_api(section: &str, mutation: &Mutation, entry: &Value, api: Bump) -> Option<String> {
    let kind = mutation.kind;
    let Some(tool) = entry["linq-api"].as_str().and_then(parse_bump) else {
        return Some(format!("{section} `{kind}`: no verdict on linq-api"));
    };
    match mutation.unseen {
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

/// `linq-api` built from the fixture spec: the generated code and the spec-independent
/// `rules` module; its hand-written hooks name the Linq error types, so the copy uses
/// progenitor's default hooks. Both sides of a comparison are built this way, so only the
/// generated code differs between them.
const FIXTURE_LIB: &str = "//! linq-api generated from a diff fixture (cargo xtask semver).\n\
mod generated {\n    include!(concat!(env!(\"OUT_DIR\"), \"/codegen.rs\"));\n}\n\
pub mod rules;\npub use generated::*;\n\
impl progenitor_client::ClientHooks for Client {}\n";

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
        let (api, _, _) = xtask_bumps(&fixture, mutation)?;
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

    let live = Record(json!({ "tool": version, "fixtures": fixtures, "stable": stable }));
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
