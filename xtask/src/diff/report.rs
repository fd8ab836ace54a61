//! The report of `cargo xtask diff`: the changes with their two verdicts, the bump each crate
//! needs against the version its `Cargo.toml` carries, as Markdown or JSON, and the gate.

use serde_json::{json, Value};

use super::{diff, next_version, triple, Bump, Change};
use crate::spec::Spec;

/// The crates whose versions the report checks, in report order.
pub const CRATES: [&str; 2] = ["linq-api", "linq-api-ext"];

/// A crate's version in its `Cargo.toml` at the base and in the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateVersion {
    /// The crate's name, one of [`CRATES`].
    pub name: String,
    /// The version at the base (unknown when the base is a file).
    pub base: Option<String>,
    /// The version now.
    pub head: Option<String>,
}

/// What the report says of one crate's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionVerdict {
    /// The crate.
    pub name: String,
    /// The bump its changes need.
    pub bump: Bump,
    /// The version the bump leads to from the base version, when both are known.
    pub needed: Option<String>,
    /// The version its `Cargo.toml` carries now.
    pub head: Option<String>,
    /// Whether the version now is below the one needed: the report's gate fails. A patch bump
    /// never falls short (any release bumps at least the patch number).
    pub short: bool,
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
    /// The versions of [`CRATES`] (empty: not checked).
    pub versions: Vec<CrateVersion>,
}

impl Report {
    /// Compares `old` with `new`.
    pub fn new(base: impl Into<String>, head: impl Into<String>, old: &Spec, new: &Spec) -> Report {
        Report {
            base: base.into(),
            head: head.into(),
            changes: diff(old, new),
            versions: Vec::new(),
        }
    }

    /// How many changes break on the wire.
    pub fn wire_breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.wire.breaks).count()
    }

    /// How many changes break callers of the generated Rust client (at compile or run time).
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking).count()
    }

    /// The bump each crate needs: `(linq-api, linq-api-ext)`, the highest of its changes'. For
    /// `linq-api` its `httpmock` feature counts, and a change that breaks callers at run time
    /// only (a status moving between error kinds) counts as major too, although
    /// cargo-semver-checks cannot see it.
    pub fn bumps(&self) -> (Bump, Bump) {
        let api = self
            .changes
            .iter()
            .map(|c| {
                if c.breaking {
                    Bump::Major
                } else {
                    c.api_with_features()
                }
            })
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

    /// For each crate whose versions are known: the bump it needs and whether its version falls
    /// short of it.
    pub fn version_verdicts(&self) -> Vec<VersionVerdict> {
        let (api, ext) = self.bumps();
        self.versions
            .iter()
            .map(|v| {
                let bump = if v.name == CRATES[0] { api } else { ext };
                let needed = v.base.as_deref().and_then(|b| next_version(b, bump));
                let short = bump > Bump::Patch
                    && match (&needed, v.head.as_deref().and_then(triple)) {
                        (Some(needed), Some(head)) => triple(needed).is_some_and(|n| head < n),
                        // A version that cannot be read cannot be shown to carry the bump.
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                VersionVerdict {
                    name: v.name.clone(),
                    bump,
                    needed,
                    head: v.head.clone(),
                    short,
                }
            })
            .collect()
    }

    /// Why the gate fails, one message each (none: it passes): a wire break unless
    /// `allow_breaking`, and every crate whose version falls short of its bump.
    pub fn gate(&self, allow_breaking: bool) -> Vec<String> {
        let mut out = Vec::new();
        let wire = self.wire_breaking();
        if wire > 0 && !allow_breaking {
            out.push(format!(
                "{wire} change{} break{} on the wire; pass --allow-breaking if intended",
                plural(wire),
                if wire == 1 { "s" } else { "" }
            ));
        }
        for v in self.version_verdicts().into_iter().filter(|v| v.short) {
            out.push(format!(
                "{} needs a {} release ({}), but its Cargo.toml has {}: bump its version",
                v.name,
                v.bump.name(),
                v.needed.as_deref().unwrap_or("?"),
                v.head.as_deref().unwrap_or("no readable version")
            ));
        }
        out
    }

    /// The Markdown report, fit for a pull-request description.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("## API changes: `{}` → {}\n\n", self.base, self.head);
        if self.changes.is_empty() {
            out.push_str("No changes to the API.\n");
            return out;
        }
        let wire = self.wire_breaking();
        let safe = self.changes.len() - wire;
        let (api, ext) = self.bumps();
        out.push_str(&format!(
            "**Wire: {wire} breaking change{}**, {safe} safe. **Rust: `linq-api` {}, \
             `linq-api-ext` {}.**\n",
            plural(wire),
            api.name(),
            ext.name()
        ));
        for (title, wanted) in [("Breaks on the wire", true), ("Safe on the wire", false)] {
            let lines: Vec<String> = self
                .changes
                .iter()
                .filter(|c| c.wire.breaks == wanted)
                .map(Change::line)
                .collect();
            if !lines.is_empty() {
                out.push_str(&format!("\n### {title}\n\n{}\n", lines.join("\n")));
            }
        }
        out.push_str("\n### Version bumps\n\n");
        let verdicts = self.version_verdicts();
        for (name, bump) in [(CRATES[0], api), (CRATES[1], ext)] {
            let line = match verdicts.iter().find(|v| v.name == name) {
                Some(VersionVerdict {
                    needed: Some(needed),
                    head,
                    short,
                    ..
                }) => {
                    let head = head.as_deref().unwrap_or("no readable version");
                    let status = if *short {
                        "**below it: bump the version**"
                    } else {
                        "ok"
                    };
                    format!("needs {needed}; Cargo.toml has {head}: {status}")
                }
                _ => "versions not checked (no base version)".to_owned(),
            };
            out.push_str(&format!("- `{name}`: **{}** — {line}\n", bump.name()));
        }
        out.push_str(
            "\n_Wire: would an HTTP client in any language, written against the base, break. Rust: \
             callers of the crates; the rules are in `openapi/README.md`._\n",
        );
        out
    }

    /// The report's changes as changelog entries ([`crate::release`]): one per change, under
    /// `Added` or `Removed` when the change adds or removes something, `Changed` otherwise, with
    /// its wire verdict first when it breaks and the bumps it needs.
    pub fn changelog_entries(&self) -> Vec<crate::release::Entry> {
        self.changes
            .iter()
            .map(|c| {
                let kind = if c.what.ends_with(" added") {
                    "Added"
                } else if c.what.ends_with(" removed") {
                    "Removed"
                } else {
                    "Changed"
                };
                let wire = if c.wire.breaks {
                    "**Breaks on the wire**: "
                } else {
                    ""
                };
                (
                    kind,
                    format!(
                        "- {wire}`{}`: {} (linq-api: {}, linq-api-ext: {})",
                        c.subject,
                        c.what,
                        c.api_with_features().name(),
                        c.ext.name()
                    ),
                )
            })
            .collect()
    }

    /// The report as JSON, for CI and tools: every change with both verdicts, the bumps, the
    /// versions and the gate's findings (`gate` without `--allow-breaking`).
    pub fn to_json(&self) -> Value {
        let (api, ext) = self.bumps();
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "subject": c.subject,
                    "what": c.what,
                    "wire": { "breaks": c.wire.breaks, "reason": c.wire.reason },
                    "rust": {
                        "breaks": c.breaking,
                        "reason": c.reason,
                        "linq-api": c.api_with_features().name(),
                        "linq-api (httpmock feature)": c.httpmock.name(),
                        "linq-api-ext": c.ext.name(),
                    },
                    "reaches": c.reaches,
                })
            })
            .collect();
        let versions: Vec<Value> = self
            .version_verdicts()
            .into_iter()
            .map(|v| {
                json!({
                    "crate": v.name,
                    "bump": v.bump.name(),
                    "needed": v.needed,
                    "cargo_toml": v.head,
                    "short": v.short,
                })
            })
            .collect();
        json!({
            "base": self.base,
            "head": self.head,
            "wire_breaking": self.wire_breaking(),
            "rust_breaking": self.breaking(),
            "bumps": { "linq-api": api.name(), "linq-api-ext": ext.name() },
            "versions": versions,
            "gate": self.gate(false),
            "changes": changes,
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
