//! The maintainer's commands of the Linq Contacts workspace, run as `cargo xtask <command>`:
//!
//! - `check` — the read-only CI form: lint, no leftover snapshot reviews, `linq-api/openapi`
//!   still resolves to the spec, and the snapshot test passes without updating anything.
//! - `regen` — lint, accept the new snapshot of the generated client, summarise what changed in
//!   the generated code, and print the API change report against `HEAD`.
//! - `affected` — after a spec edit, everything else that must change, in one list
//!   ([`affected`]): what no longer compiles or passes (doctests included), the fake's contract
//!   test and xtask's catalogue.
//! - `lint [--spec PATH]` — the spec checks of [`lint`].
//! - `diff [--base REV] [--base-file PATH] [--spec PATH] [--allow-breaking] [--format json]` —
//!   the API change report of [`diff`], each change judged on the wire and for the Rust crates;
//!   fails on a change that breaks on the wire (unless allowed) and on a crate whose version is
//!   below the bump its changes need.
//! - `changelog [--base REV] [--write]` — the report's changes as entries of `CHANGELOG.md`'s
//!   Unreleased section ([`release`]): printed, or added where missing.
//! - `release --dry-run [--base TAG]` — [`release`]: against the last release tag, every crate's
//!   version carries its bump and the changelog every entry; then `cargo publish --dry-run`.
//! - `semver [--write]` — [`semver`]: runs cargo-semver-checks on every kind of spec change and
//!   compares its verdicts with `diff`'s and with the recorded ones (`--write` records them).
//!
//! The logic lives in this library so that the tests can call it; `main.rs` only parses
//! arguments.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod affected;
pub mod diff;
pub mod lint;
/// `linq-api`'s build-time compiler of the spec's patterns, shared so that the lint reports a
/// pattern the build would refuse, and so that its translation is tested here.
#[path = "../../linq-api/build/patterns.rs"]
pub mod patterns;
pub mod release;
pub mod semver;
pub mod snapshot;
pub mod spec;
pub mod validate;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use spec::Spec;

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `cargo xtask lint`: prints the findings; returns whether the spec is clean.
pub fn lint_command(spec_path: &Path) -> Result<bool, String> {
    let spec = Spec::load(spec_path)?;
    let findings = lint::lint(&spec);
    let shown = shown_path(spec_path);
    for finding in &findings {
        println!("{}", finding.render(&shown));
    }
    if findings.is_empty() {
        println!("lint: {shown} is clean");
        Ok(true)
    } else {
        println!(
            "lint: {} finding{} in {shown}",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        );
        Ok(false)
    }
}

/// A path relative to the workspace root when it is inside it, for short messages.
fn shown_path(path: &Path) -> String {
    let root = workspace_root();
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    absolute
        .strip_prefix(&root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// Reads a file as it is at a git revision (`git show REV:PATH`).
pub fn git_show(root: &Path, rev: &str, path: &str) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["show", &format!("{rev}:{path}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git show {rev}:{path} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{rev}:{path} is not UTF-8: {e}"))
}

/// Where the base of a diff comes from.
#[derive(Debug, Clone)]
pub enum Base {
    /// The spec at a git revision.
    Rev(String),
    /// Another file.
    File(PathBuf),
}

/// Builds the API change report of the spec at `spec_path` against `base`.
pub fn diff_report(base: &Base, spec_path: &Path) -> Result<diff::Report, String> {
    let new = Spec::load(spec_path)?;
    let (label, old) = match base {
        Base::File(path) => (shown_path(path), Spec::load(path)?),
        Base::Rev(rev) => {
            let relative = shown_path(spec_path);
            let relative = if Path::new(&relative).is_absolute() {
                snapshot::SPEC.to_owned()
            } else {
                relative
            };
            let text = git_show(&workspace_root(), rev, &relative)?;
            (
                rev.clone(),
                Spec::parse(format!("{rev}:{relative}"), &text)?,
            )
        }
    };
    let mut report = diff::Report::new(label, "working tree", &old, &new);
    let root = workspace_root();
    let head = |path: &str| std::fs::read_to_string(root.join(path)).ok();
    report.versions = diff::CRATES
        .iter()
        .map(|name| diff::CrateVersion {
            name: (*name).to_owned(),
            base: match base {
                Base::Rev(rev) => crate_version(|path| git_show(&root, rev, path).ok(), name),
                Base::File(_) => None,
            },
            head: crate_version(head, name),
        })
        .collect();
    Ok(report)
}

/// The version of workspace member `name`, from the manifests `read` returns (by path from the
/// workspace root): its `[package]` `version`, or the root's `[workspace.package]` one when it
/// inherits it (`version.workspace = true`).
pub fn crate_version(read: impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    // The value of `wanted` in `section` of `manifest`, unquoted.
    let field = |manifest: &str, section: &str, wanted: &str| -> Option<String> {
        let body = manifest.split(section).nth(1)?;
        body.lines()
            .take_while(|line| !line.starts_with('['))
            .find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == wanted).then(|| value.trim().trim_matches('"').to_owned())
            })
    };
    let own = read(&format!("{name}/Cargo.toml"))?;
    match field(&own, "[package]", "version.workspace").as_deref() {
        Some("true") => field(&read("Cargo.toml")?, "[workspace.package]", "version"),
        Some(_) => None,
        None => field(&own, "[package]", "version"),
    }
}

/// How `cargo xtask diff` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a pull request.
    Markdown,
    /// For CI and tools ([`diff::Report::to_json`]).
    Json,
}

/// `cargo xtask diff`: prints the report; returns whether it passes the gate: no change that
/// breaks on the wire (unless `allow_breaking`), and no crate whose version falls short of the
/// bump its changes need ([`diff::Report::gate`]).
pub fn diff_command(
    base: &Base,
    spec_path: &Path,
    allow_breaking: bool,
    format: Format,
) -> Result<bool, String> {
    let report = diff_report(base, spec_path)?;
    match format {
        Format::Markdown => print!("{}", report.to_markdown()),
        Format::Json => {
            let text =
                serde_json::to_string_pretty(&report.to_json()).map_err(|e| e.to_string())?;
            println!("{text}");
        }
    }
    let failures = report.gate(allow_breaking);
    for failure in &failures {
        eprintln!("diff: {failure}");
    }
    Ok(failures.is_empty())
}

/// `cargo xtask check`: every read-only check CI runs; returns whether all passed.
pub fn check_command() -> Result<bool, String> {
    let root = workspace_root();
    let mut failures = Vec::new();
    println!("check: lint");
    if !lint_command(&root.join(snapshot::SPEC))? {
        failures.push("the spec lint has findings".to_owned());
    }
    println!(
        "check: {} resolves to {}",
        snapshot::SPEC_LINK,
        snapshot::SPEC
    );
    if let Err(e) = snapshot::check_spec_link(&root) {
        println!("error: {e}");
        failures.push(e);
    }
    let pending = snapshot::pending_snapshots(&root);
    for path in &pending {
        println!(
            "error: unreviewed snapshot {} (run `cargo xtask regen`, or delete it)",
            path.display()
        );
    }
    if !pending.is_empty() {
        failures.push("unreviewed snapshot files are lying in the tree".into());
    }
    println!("check: snapshots of the generated client and mocks (CI=true, INSTA_UPDATE=no)");
    if !snapshot::run_snapshot_test(&root, snapshot::Mode::Check)? {
        failures.push(format!(
            "the generated code differs from {} or {} (review the diff above; accept it with `cargo xtask regen`)",
            snapshot::SNAPSHOT,
            snapshot::MOCKS_SNAPSHOT
        ));
    }
    let written = snapshot::pending_snapshots(&root);
    if written.len() > pending.len() {
        failures.push("the snapshot test wrote review files".into());
    }
    if failures.is_empty() {
        println!("check: all passed");
        Ok(true)
    } else {
        for failure in &failures {
            eprintln!("check failed: {failure}");
        }
        Ok(false)
    }
}

/// `cargo xtask regen`: lint, accept the new snapshot, summarise the generated-code changes and
/// print the API change report against `HEAD`. Returns whether it succeeded.
pub fn regen_command() -> Result<bool, String> {
    let root = workspace_root();
    let spec_path = root.join(snapshot::SPEC);
    if !lint_command(&spec_path)? {
        eprintln!("regen: fix the lint findings first");
        return Ok(false);
    }
    let snapshot_path = root.join(snapshot::SNAPSHOT);
    let old = std::fs::read_to_string(&snapshot_path).unwrap_or_default();
    let mocks_path = root.join(snapshot::MOCKS_SNAPSHOT);
    let old_mocks = std::fs::read_to_string(&mocks_path).unwrap_or_default();
    // Built once, run twice: with INSTA_UPDATE=always insta writes the snapshot; the run's exit
    // status is not the verdict, the read-only run after it is.
    let Some(binary) = snapshot::snapshot_test_binary(&root)? else {
        eprintln!("regen: linq-api's tests do not build");
        return Ok(false);
    };
    snapshot::run_snapshot_binary(&root, &binary, snapshot::Mode::Accept)?;
    for leftover in snapshot::pending_snapshots(&root.join("linq-api")) {
        let path = root.join("linq-api").join(&leftover);
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    if !snapshot::run_snapshot_binary(&root, &binary, snapshot::Mode::Check)? {
        eprintln!("regen: the snapshot still does not match after accepting it");
        return Ok(false);
    }
    let new = std::fs::read_to_string(&snapshot_path)
        .map_err(|e| format!("cannot read {}: {e}", snapshot::SNAPSHOT))?;
    let new_mocks = std::fs::read_to_string(&mocks_path).unwrap_or_default();
    println!("\nGenerated code ({}):", snapshot::SNAPSHOT);
    if old == new {
        println!("no change");
    } else {
        // An old snapshot that does not parse (none yet, say) reads as empty.
        let old_surface = snapshot::Surface::of(snapshot::snapshot_body(&old)).unwrap_or_default();
        let new_surface = snapshot::Surface::of(snapshot::snapshot_body(&new))?;
        print!("{}", new_surface.summary(&old_surface));
        if old_surface == new_surface {
            // Operations and types are the same, but the code is not (the input-rule tables,
            // say): never "no change".
            println!(
                "changed outside operations and types: {} line(s) differ (`git diff {}`)",
                snapshot::lines_changed(&old, &new),
                snapshot::SNAPSHOT
            );
        }
    }
    println!("\nGenerated mocks ({}):", snapshot::MOCKS_SNAPSHOT);
    if old_mocks == new_mocks {
        println!("no change");
    } else {
        println!(
            "{} line(s) differ (`git diff {}`)",
            snapshot::lines_changed(&old_mocks, &new_mocks),
            snapshot::MOCKS_SNAPSHOT
        );
    }
    println!();
    match diff_report(&Base::Rev("HEAD".into()), &spec_path) {
        Ok(report) => print!("{}", report.to_markdown()),
        Err(e) => println!("(no API change report: {e})"),
    }
    Ok(true)
}

/// `cargo xtask changelog`: prints the report's changes against `base` as Keep a Changelog
/// entries, or with `write` adds those missing to `CHANGELOG.md`'s Unreleased section.
pub fn changelog_command(base: &Base, write: bool) -> Result<bool, String> {
    let root = workspace_root();
    let report = diff_report(base, &root.join(snapshot::SPEC))?;
    let entries = report.changelog_entries();
    if !write {
        if entries.is_empty() {
            println!("no API changes against {}", report.base);
        } else {
            print!("{}", release::render(&entries));
        }
        return Ok(true);
    }
    let path = root.join(release::CHANGELOG);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", release::CHANGELOG))?;
    let added = release::missing(&text, &entries).len();
    let merged = release::merge(&text, &entries)?;
    if merged != text {
        std::fs::write(&path, merged)
            .map_err(|e| format!("cannot write {}: {e}", release::CHANGELOG))?;
    }
    println!(
        "changelog: {added} entr{} added to the Unreleased section of {}",
        if added == 1 { "y" } else { "ies" },
        release::CHANGELOG
    );
    Ok(true)
}

/// `cargo xtask release --dry-run`: against `base` (default: the last release tag), the version
/// gate and the changelog ([`release::check`]), then `cargo publish --dry-run --workspace`.
/// Returns whether everything passed.
pub fn release_dry_run(base: Option<String>) -> Result<bool, String> {
    let root = workspace_root();
    let base = base.or_else(|| release::last_release_tag(&root));
    let report = match &base {
        Some(rev) => {
            let report = diff_report(&Base::Rev(rev.clone()), &root.join(snapshot::SPEC))?;
            let (api, ext) = report.bumps();
            println!(
                "release: since {rev}: {} change(s); linq-api needs a {} release, linq-api-ext a {} one",
                report.changes.len(),
                api.name(),
                ext.name()
            );
            for v in report.version_verdicts() {
                println!(
                    "release: {} {} (needs {})",
                    v.name,
                    v.head.as_deref().unwrap_or("?"),
                    v.needed.as_deref().unwrap_or("?")
                );
            }
            Some(report)
        }
        None => {
            println!("release: no release tag (v*) yet: the first release; no bump to check");
            None
        }
    };
    let changelog = std::fs::read_to_string(root.join(release::CHANGELOG))
        .map_err(|e| format!("cannot read {}: {e}", release::CHANGELOG))?;
    let problems = release::check(&changelog, report.as_ref());
    for problem in &problems {
        eprintln!("release: {problem}");
    }
    if !problems.is_empty() {
        return Ok(false);
    }
    println!(
        "release: versions and {} agree with the report; packaging",
        release::CHANGELOG
    );
    release::publish_dry_run(&root)
}
