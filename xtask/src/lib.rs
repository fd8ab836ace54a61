//! The maintainer's commands of the Linq Contacts workspace, run as `cargo xtask <command>`:
//!
//! - `check` — the read-only CI form: lint, no leftover snapshot reviews, `linq-api/openapi`
//!   still resolves to the spec, and the snapshot test passes without updating anything.
//! - `regen` — lint, accept the new snapshot of the generated client, summarise what changed in
//!   the generated code, and print the API change report against `HEAD`.
//! - `lint [--spec PATH]` — the spec checks of [`lint`].
//! - `diff [--base REV] [--base-file PATH] [--spec PATH] [--allow-breaking]` — the API change
//!   report of [`diff`]; fails on breaking changes unless allowed.
//! - `semver [--write]` — [`semver`]: runs cargo-semver-checks on every kind of spec change and
//!   compares its verdicts with `diff`'s and with the recorded ones (`--write` records them).
//!
//! The logic lives in this library so that the tests can call it; `main.rs` only parses
//! arguments.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod diff;
pub mod lint;
/// `linq-api`'s build-time compiler of the spec's patterns, shared so that the lint reports a
/// pattern the build would refuse, and so that its translation is tested here.
#[path = "../../linq-api/build/patterns.rs"]
pub mod patterns;
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
    report.version = workspace_version();
    Ok(report)
}

/// `version` of `[workspace.package]` in the root `Cargo.toml` (the crates inherit it).
fn workspace_version() -> Option<String> {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).ok()?;
    let section = manifest.split("[workspace.package]").nth(1)?;
    section
        .lines()
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix("version = "))
        .map(|value| value.trim().trim_matches('"').to_owned())
}

/// `cargo xtask diff`: prints the report; returns whether it passes (no breaking change, or
/// breaking changes allowed).
pub fn diff_command(base: &Base, spec_path: &Path, allow_breaking: bool) -> Result<bool, String> {
    let report = diff_report(base, spec_path)?;
    print!("{}", report.to_markdown());
    let breaking = report.breaking();
    if breaking > 0 && !allow_breaking {
        eprintln!(
            "diff: {breaking} breaking change(s); pass --allow-breaking if they are intended"
        );
        return Ok(false);
    }
    Ok(true)
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
            "the generated code differs from {} or generated-httpmock.snap (review the diff above; accept it with `cargo xtask regen`)",
            snapshot::SNAPSHOT
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
    // With INSTA_UPDATE=always insta writes the snapshot; the run's exit status is not the
    // verdict, the read-only run after it is.
    snapshot::run_snapshot_test(&root, snapshot::Mode::Accept)?;
    for leftover in snapshot::pending_snapshots(&root.join("linq-api")) {
        let path = root.join("linq-api").join(&leftover);
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    if !snapshot::run_snapshot_test(&root, snapshot::Mode::Check)? {
        eprintln!("regen: the snapshot still does not match after accepting it");
        return Ok(false);
    }
    let new = std::fs::read_to_string(&snapshot_path)
        .map_err(|e| format!("cannot read {}: {e}", snapshot::SNAPSHOT))?;
    println!("\nGenerated code ({}):", snapshot::SNAPSHOT);
    if old == new {
        println!("no change");
    } else {
        // An old snapshot that does not parse (none yet, say) reads as empty.
        let old_surface = snapshot::Surface::of(snapshot::snapshot_body(&old)).unwrap_or_default();
        let new_surface = snapshot::Surface::of(snapshot::snapshot_body(&new))?;
        print!("{}", new_surface.summary(&old_surface));
    }
    println!();
    match diff_report(&Base::Rev("HEAD".into()), &spec_path) {
        Ok(report) => print!("{}", report.to_markdown()),
        Err(e) => println!("(no API change report: {e})"),
    }
    Ok(true)
}
