//! `cargo xtask changelog` and `cargo xtask release --dry-run`: the release flow that follows the
//! report of [`crate::diff`].
//!
//! - The changelog (`CHANGELOG.md`, [Keep a Changelog](https://keepachangelog.com/en/1.1.0/))
//!   has an `## [Unreleased]` section that the report feeds: [`Report::changelog_entries`] turns
//!   each change into an entry under `### Added`, `### Changed` or `### Removed`, and [`merge`]
//!   adds those the section lacks.
//! - A release is checked against the last release tag (`vX.Y.Z`): every crate's version carries
//!   the bump its changes need since then (the report's version gate), the Unreleased section
//!   holds every entry of the report, and `cargo publish --dry-run --workspace` packages and
//!   builds each publishable crate in isolation.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::diff::Report;

/// The changelog, relative to the workspace root.
pub const CHANGELOG: &str = "CHANGELOG.md";
/// The heading of the section that collects what the next release brings.
pub const UNRELEASED: &str = "## [Unreleased]";
/// Keep a Changelog's kinds of change, in the order its sections are written.
pub const KINDS: [&str; 6] = [
    "Added",
    "Changed",
    "Deprecated",
    "Removed",
    "Fixed",
    "Security",
];

/// One changelog entry: its kind (one of [`KINDS`]) and its Markdown bullet (`- …`).
pub type Entry = (&'static str, String);

/// The entries as Keep a Changelog sections (`### Added` …), in [`KINDS`] order; empty when
/// there are none.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::new();
    for kind in KINDS {
        let lines: Vec<&str> = entries
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, line)| line.as_str())
            .collect();
        if !lines.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("### {kind}\n\n{}\n", lines.join("\n")));
        }
    }
    out
}

/// The byte range of the Unreleased section's body in `changelog`: from after its heading line
/// to the next `## ` heading (or the link definitions at the end, or the end).
fn unreleased_range(changelog: &str) -> Option<(usize, usize)> {
    let heading = changelog
        .match_indices(UNRELEASED)
        .find(|(at, _)| *at == 0 || changelog[..*at].ends_with('\n'))?
        .0;
    let start = changelog[heading..]
        .find('\n')
        .map_or(changelog.len(), |n| heading + n + 1);
    let mut end = changelog.len();
    let mut at = start;
    for line in changelog[start..].split_inclusive('\n') {
        if line.starts_with("## ") || (line.starts_with('[') && line.contains("]: ")) {
            end = at;
            break;
        }
        at += line.len();
    }
    Some((start, end))
}

/// The body of the Unreleased section, or `None` when the changelog has no such section.
pub fn unreleased(changelog: &str) -> Option<&str> {
    unreleased_range(changelog).map(|(start, end)| &changelog[start..end])
}

/// The entries the Unreleased section does not hold yet (compared line by line).
pub fn missing<'a>(changelog: &str, entries: &'a [Entry]) -> Vec<&'a Entry> {
    let section = unreleased(changelog).unwrap_or_default();
    entries
        .iter()
        .filter(|(_, line)| !section.lines().any(|l| l.trim_end() == line))
        .collect()
}

/// `changelog` with the entries it lacks added to its Unreleased section, each under the heading
/// of its kind (created where missing, in [`KINDS`] order). Entries already there (a maintainer
/// may have reworded the others: they stay) are not repeated.
pub fn merge(changelog: &str, entries: &[Entry]) -> Result<String, String> {
    let (start, end) = unreleased_range(changelog)
        .ok_or_else(|| format!("{CHANGELOG} has no `{UNRELEASED}` section"))?;
    let missing = missing(changelog, entries);
    if missing.is_empty() {
        return Ok(changelog.to_owned());
    }
    // The section as (kind heading or None for text before any heading, its lines).
    let mut blocks: Vec<(Option<String>, Vec<String>)> = vec![(None, Vec::new())];
    for line in changelog[start..end].lines() {
        match line.strip_prefix("### ") {
            Some(kind) => blocks.push((Some(kind.trim().to_owned()), Vec::new())),
            None => {
                if let Some(block) = blocks.last_mut() {
                    block.1.push(line.to_owned());
                }
            }
        }
    }
    for (kind, line) in missing {
        let block = match blocks.iter().position(|(k, _)| k.as_deref() == Some(kind)) {
            Some(index) => index,
            None => {
                // Before the first heading of a later kind, so that the order stays Keep a
                // Changelog's.
                let rank = |k: &str| KINDS.iter().position(|known| *known == k);
                let later = blocks.iter().position(|(k, _)| {
                    k.as_deref()
                        .and_then(rank)
                        .is_some_and(|r| Some(r) > rank(kind))
                });
                let index = later.unwrap_or(blocks.len());
                blocks.insert(index, (Some((*kind).to_owned()), Vec::new()));
                index
            }
        };
        let lines = &mut blocks[block].1;
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(line.clone());
    }
    let mut section = String::new();
    for (kind, lines) in &blocks {
        let mut lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        match kind {
            Some(kind) => section.push_str(&format!("\n### {kind}\n")),
            None if lines.iter().all(|l| l.trim().is_empty()) => continue,
            None => section.push('\n'),
        }
        for line in lines {
            section.push_str(line);
            section.push('\n');
        }
    }
    section.push('\n');
    Ok(format!(
        "{}{section}{}",
        &changelog[..start],
        &changelog[end..]
    ))
}

/// The latest release tag (`vX.Y.Z`) reachable from `HEAD`, or `None` before the first release.
pub fn last_release_tag(root: &Path) -> Option<String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["describe", "--tags", "--abbrev=0", "--match", "v[0-9]*"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|tag| !tag.is_empty())
}

/// What [`check`] found: one message per problem (none: the release may go ahead).
pub fn check(changelog: &str, report: Option<&Report>) -> Vec<String> {
    let mut problems = Vec::new();
    if unreleased(changelog).is_none() {
        problems.push(format!(
            "{CHANGELOG} has no `{UNRELEASED}` section (Keep a Changelog)"
        ));
    }
    if let Some(report) = report {
        // Linq may break the wire: a release says so, it is not refused for it.
        problems.extend(report.gate(true));
        let entries = report.changelog_entries();
        for (_, line) in missing(changelog, &entries) {
            problems.push(format!(
                "{CHANGELOG}'s Unreleased section lacks the report's entry `{line}` \
                 (`cargo xtask changelog --write` adds it)"
            ));
        }
    }
    problems
}

/// Removes the copies of this workspace's crates that an earlier `cargo publish --dry-run`
/// extracted under `$CARGO_HOME/registry/src/-<hash>/`: cargo never refreshes an extracted
/// copy, so one left by another version would be verified instead of this one. Nothing else is
/// touched.
fn remove_extracted_packages() -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return Ok(());
    };
    let Ok(indexes) = fs::read_dir(&src) else {
        return Ok(());
    };
    for index in indexes.flatten() {
        if !index.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for package in fs::read_dir(index.path()).into_iter().flatten().flatten() {
            if package.file_name().to_string_lossy().starts_with("linq-") {
                fs::remove_dir_all(package.path())
                    .map_err(|e| format!("cannot remove {}: {e}", package.path().display()))?;
            }
        }
    }
    Ok(())
}

/// `cargo publish --dry-run --workspace --locked`: each publishable crate packaged and built in
/// isolation, as crates.io would receive it. Returns whether it passed.
pub fn publish_dry_run(root: &Path) -> Result<bool, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // linq-api-ext is verified against the packaged linq-api, which cargo caches by name and
    // version: a build of it kept from an earlier run would be stale.
    let clean = Command::new(&cargo)
        .current_dir(root)
        .args(["clean", "--quiet", "--package", "linq-api"])
        .status()
        .map_err(|e| format!("cannot run cargo clean: {e}"))?;
    if !clean.success() {
        return Ok(false);
    }
    remove_extracted_packages()?;
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["publish", "--dry-run", "--workspace", "--locked"])
        .status()
        .map_err(|e| format!("cannot run cargo publish: {e}"))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG_TEXT: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Changed\n\n\
        - Hand-written entry.\n\n## [0.1.0] - 2026-01-01\n\n### Added\n\n- First release.\n\n\
        [Unreleased]: https://example.org/compare/v0.1.0...HEAD\n";

    fn entries() -> Vec<Entry> {
        vec![
            ("Added", "- `find_contact`: parameter added".to_owned()),
            ("Removed", "- `types`: schema `Old` removed".to_owned()),
            ("Changed", "- Hand-written entry.".to_owned()),
        ]
    }

    #[test]
    fn the_unreleased_section_ends_at_the_next_release() {
        let section = unreleased(CHANGELOG_TEXT).unwrap();
        assert_eq!(section, "\n### Changed\n\n- Hand-written entry.\n\n");
        assert_eq!(unreleased("# Changelog\n\n## [0.1.0]\n"), None);
    }

    #[test]
    fn merge_adds_what_is_missing_in_keep_a_changelog_order_once() {
        let merged = merge(CHANGELOG_TEXT, &entries()).unwrap();
        assert_eq!(
            unreleased(&merged).unwrap(),
            "\n### Added\n\n- `find_contact`: parameter added\n\n### Changed\n\n\
             - Hand-written entry.\n\n### Removed\n\n- `types`: schema `Old` removed\n\n"
        );
        // The released sections and the links are untouched.
        assert!(merged.ends_with(
            "## [0.1.0] - 2026-01-01\n\n### Added\n\n- First release.\n\n\
             [Unreleased]: https://example.org/compare/v0.1.0...HEAD\n"
        ));
        assert_eq!(merge(&merged, &entries()).unwrap(), merged);
        assert!(missing(&merged, &entries()).is_empty());
        assert_eq!(missing(CHANGELOG_TEXT, &entries()).len(), 2);
    }

    #[test]
    fn merge_into_an_empty_section_and_refuses_a_changelog_without_one() {
        let empty = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n";
        let merged = merge(empty, &entries()[..1]).unwrap();
        assert_eq!(
            merged,
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- `find_contact`: parameter added\n\n\
             ## [0.1.0]\n"
        );
        assert!(merge("# Changelog\n", &entries()).is_err());
    }

    #[test]
    fn render_groups_by_kind() {
        assert_eq!(
            render(&entries()),
            "### Added\n\n- `find_contact`: parameter added\n\n### Changed\n\n\
             - Hand-written entry.\n\n### Removed\n\n- `types`: schema `Old` removed\n"
        );
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn check_requires_the_section() {
        assert!(check(CHANGELOG_TEXT, None).is_empty());
        assert_eq!(check("# Changelog\n", None).len(), 1);
    }
}
