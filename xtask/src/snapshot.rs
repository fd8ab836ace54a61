//! `cargo xtask check` and `cargo xtask regen`: the snapshot of the generated client
//! (`linq-api/snapshots/generated-client.snap`), the tree around it, and a summary of what
//! changed in the generated code.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Where the snapshot lives, relative to the workspace root.
pub const SNAPSHOT: &str = "linq-api/snapshots/generated-client.snap";
/// The spec, relative to the workspace root.
pub const SPEC: &str = "openapi/linq-v2-contacts.yaml";
/// The link inside `linq-api` that must resolve to [`SPEC`].
pub const SPEC_LINK: &str = "linq-api/openapi";

/// How the snapshot test is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// CI: fail on any mismatch and write nothing.
    Check,
    /// Accept the new snapshot.
    Accept,
}

/// Runs `cargo test -p linq-api --lib snapshot` with insta's environment set for `mode`;
/// the test's output (insta's diff) goes straight to the terminal. Returns whether it passed.
pub fn run_snapshot_test(root: &Path, mode: Mode) -> Result<bool, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["test", "--package", "linq-api", "--lib", "snapshot"])
        // INSTA_FORCE_PASS would make a mismatch pass; never inherit it.
        .env_remove("INSTA_FORCE_PASS");
    match mode {
        Mode::Check => command.env("CI", "true").env("INSTA_UPDATE", "no"),
        Mode::Accept => command.env("INSTA_UPDATE", "always"),
    };
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    Ok(status.success())
}

/// Leftovers of a snapshot review (`*.snap.new`, `*.pending-snap`) anywhere in the tree
/// (`target/` and `.git/` excluded), as paths relative to `root`.
pub fn pending_snapshots(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != "target" && name != ".git" {
                    dirs.push(path);
                }
            } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
                found.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Checks that `linq-api/openapi` is a link that resolves to the same bytes as the spec.
pub fn check_spec_link(root: &Path) -> Result<(), String> {
    let link = root.join(SPEC_LINK);
    let meta = fs::symlink_metadata(&link).map_err(|e| format!("{SPEC_LINK} is missing: {e}"))?;
    if !meta.file_type().is_symlink() {
        return Err(format!("{SPEC_LINK} is not a symlink to ../openapi"));
    }
    let through_link = fs::read(link.join("linq-v2-contacts.yaml"))
        .map_err(|e| format!("{SPEC_LINK}/linq-v2-contacts.yaml does not resolve: {e}"))?;
    let spec = fs::read(root.join(SPEC)).map_err(|e| format!("cannot read {SPEC}: {e}"))?;
    if through_link != spec {
        return Err(format!(
            "{SPEC_LINK}/linq-v2-contacts.yaml differs from {SPEC}"
        ));
    }
    Ok(())
}

/// The code part of an insta `.snap` file (its `---` header removed).
pub fn snapshot_body(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("---\n") {
        if let Some(end) = rest.find("\n---\n") {
            return &rest[end + 5..];
        }
    }
    text
}

/// The generated API surface: operation name → its code, type name → its code (item + impls).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Surface {
    /// `pub async fn`s of `impl Client`.
    pub operations: BTreeMap<String, String>,
    /// `pub struct`s and `pub enum`s of `mod types`, each with the impls for it.
    pub types: BTreeMap<String, String>,
}

impl Surface {
    /// Reads the surface out of prettyplease-formatted generated code.
    pub fn of(code: &str) -> Surface {
        let mut surface = Surface::default();
        for item in items(code) {
            let header = item.header();
            if header == "pub mod types" {
                for inner in items(item.body()) {
                    let header = inner.header();
                    let name = if let Some(rest) = header
                        .strip_prefix("pub struct ")
                        .or_else(|| header.strip_prefix("pub enum "))
                    {
                        Some(ident(rest))
                    } else if header.starts_with("impl") {
                        let target = header.rsplit(" for ").next().unwrap_or(&header);
                        let target = target.strip_prefix("impl").unwrap_or(target).trim();
                        Some(ident(target.trim_start_matches("<'a>").trim()))
                    } else {
                        None
                    };
                    if let Some(name) = name {
                        surface.types.entry(name).or_default().push_str(inner.text);
                    }
                }
            } else if header == "impl Client" {
                for inner in items(item.body()) {
                    if let Some(rest) = inner.header().strip_prefix("pub async fn ") {
                        surface
                            .operations
                            .insert(ident(rest), inner.text.to_owned());
                    }
                }
            }
        }
        surface
    }

    /// A short summary of the differences from `old` to `self`.
    pub fn summary(&self, old: &Surface) -> String {
        let mut out = String::new();
        for (title, was, is) in [
            ("operations", &old.operations, &self.operations),
            ("types", &old.types, &self.types),
        ] {
            let added: Vec<&str> = is
                .keys()
                .filter(|k| !was.contains_key(*k))
                .map(String::as_str)
                .collect();
            let removed: Vec<&str> = was
                .keys()
                .filter(|k| !is.contains_key(*k))
                .map(String::as_str)
                .collect();
            let changed: Vec<&str> = is
                .iter()
                .filter(|(k, v)| was.get(*k).is_some_and(|w| w != *v))
                .map(|(k, _)| k.as_str())
                .collect();
            if added.is_empty() && removed.is_empty() && changed.is_empty() {
                out.push_str(&format!("{title}: unchanged\n"));
                continue;
            }
            out.push_str(&format!("{title}:\n"));
            for (label, list) in [("added", added), ("removed", removed), ("changed", changed)] {
                if !list.is_empty() {
                    out.push_str(&format!("  {label}: {}\n", list.join(", ")));
                }
            }
        }
        out
    }
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// One top-level item of a piece of Rust code.
struct Item<'a> {
    text: &'a str,
}

impl<'a> Item<'a> {
    /// The item's text without doc comments and attributes.
    fn without_attributes(&self) -> &'a str {
        let mut rest = self.text;
        loop {
            rest = rest.trim_start();
            if rest.starts_with("//") {
                rest = rest.split_once('\n').map_or("", |(_, r)| r);
            } else if rest.starts_with("/*") {
                rest = rest.split_once("*/").map_or("", |(_, r)| r);
            } else if rest.starts_with("#[") || rest.starts_with("#![") {
                rest = &rest[skip_group(rest, rest.find('[').unwrap_or(0))..];
            } else {
                return rest;
            }
        }
    }

    /// Up to the first `{`, `(` or `;`, whitespace collapsed: `pub struct Contact`,
    /// `impl Client`, `pub async fn list_contacts<'a>`.
    fn header(&self) -> String {
        let text = self.without_attributes();
        let end = text.find(['{', ';', '(']).unwrap_or(text.len());
        text[..end].split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The inside of the item's outermost braces.
    fn body(&self) -> &'a str {
        let text = self.without_attributes();
        match (text.find('{'), text.rfind('}')) {
            (Some(start), Some(end)) if start < end => &text[start + 1..end],
            _ => "",
        }
    }
}

/// Where the bracket group opening at `open` ends (just past its closing bracket).
fn skip_group(text: &str, open: usize) -> usize {
    let mut scanner = Scanner::new(text, open);
    let mut depth = 0usize;
    while let Some((index, c)) = scanner.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// Splits code into its top-level items (attributes and doc comments stay with their item).
fn items(code: &str) -> Vec<Item<'_>> {
    let mut items = Vec::new();
    let mut scanner = Scanner::new(code, 0);
    let mut start = 0;
    let mut depth = 0usize;
    while let Some((index, c)) = scanner.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // `};` belongs to the item too.
                    let next = code[index + 1..].trim_start();
                    if !next.starts_with(';') {
                        items.push(Item {
                            text: code[start..=index].trim(),
                        });
                        start = index + 1;
                    }
                }
            }
            ';' if depth == 0 => {
                items.push(Item {
                    text: code[start..=index].trim(),
                });
                start = index + 1;
            }
            _ => {}
        }
    }
    items.retain(|item| !item.text.is_empty());
    items
}

/// Walks Rust source, yielding structural characters and skipping comments, strings and
/// character literals (lifetimes are told apart from them).
struct Scanner<'a> {
    text: &'a str,
    index: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, index: usize) -> Scanner<'a> {
        Scanner { text, index }
    }

    fn next(&mut self) -> Option<(usize, char)> {
        let bytes = self.text.as_bytes();
        while self.index < bytes.len() {
            let i = self.index;
            let rest = &self.text[i..];
            if rest.starts_with("//") {
                self.index += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                self.index += rest.find("*/").map_or(rest.len(), |e| e + 2);
            } else if rest.starts_with("r\"")
                || rest.starts_with("r#")
                || rest.starts_with("br\"")
                || rest.starts_with("br#")
            {
                let open = rest.find(['"']).unwrap_or(0);
                let hashes = &rest[rest.find('r').unwrap_or(0) + 1..open];
                if !hashes.chars().all(|c| c == '#') {
                    self.index += 1;
                    continue;
                }
                let close = format!("\"{hashes}");
                self.index += open
                    + 1
                    + rest[open + 1..]
                        .find(&close)
                        .map_or(rest.len() - open - 1, |e| e + close.len());
            } else if rest.starts_with('"') {
                let mut j = 1;
                let inner = rest.as_bytes();
                while j < inner.len() && inner[j] != b'"' {
                    j += if inner[j] == b'\\' { 2 } else { 1 };
                }
                self.index += j + 1;
            } else if let Some(after) = rest.strip_prefix('\'') {
                let mut chars = after.chars();
                match (chars.next(), chars.next()) {
                    // An escaped quote (`'\''`): four characters.
                    (Some('\\'), Some('\'')) => self.index += 4,
                    (Some('\\'), _) => self.index += 1 + after.find('\'').map_or(0, |e| e + 1),
                    (Some(c), Some('\'')) => self.index += 2 + c.len_utf8(),
                    _ => self.index += 1, // a lifetime
                }
            } else {
                let c = rest.chars().next()?;
                self.index += c.len_utf8();
                if matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ';') {
                    return Some((i, c));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"---
source: linq-api/src/lib.rs
---
pub use progenitor_client::{ByteStream, Error};
/// Types.
pub mod types {
    ///A thing; with `{"contact": null}` and a brace } in docs.
    #[derive(Clone, Debug)]
    pub struct Thing {
        pub id: i64,
    }
    impl ::std::convert::From<&Thing> for Thing {
        fn from(value: &Thing) -> Self {
            value.clone()
        }
    }
    pub enum Gone {
        A,
    }
    pub struct Kept(pub ::std::string::String);
}
pub struct Client {
    pub(crate) baseurl: String,
}
impl Client {
    pub fn new(baseurl: &str) -> Self {
        todo!()
    }
}
impl Client {
    /**Sends a `GET` request to `/things`*/
    pub async fn list_things<'a>(&'a self) -> Result<(), Error<()>> {
        let url = format!("{}/things/{}", self.baseurl, '}');
        todo!()
    }
    pub async fn old_op<'a>(&'a self) -> Result<(), Error<()>> {
        todo!()
    }
}
"#;

    #[test]
    fn the_surface_is_read_from_generated_code() {
        let surface = Surface::of(snapshot_body(OLD));
        assert_eq!(
            surface.operations.keys().collect::<Vec<_>>(),
            ["list_things", "old_op"]
        );
        assert_eq!(
            surface.types.keys().collect::<Vec<_>>(),
            ["Gone", "Kept", "Thing"]
        );
        assert!(surface.types["Thing"].contains("impl ::std::convert::From<&Thing> for Thing"));
    }

    #[test]
    fn the_summary_lists_added_removed_and_changed() {
        let new = OLD
            .replace("pub id: i64,", "pub id: i64,\n        pub name: String,")
            .replace(
                "    pub enum Gone {\n        A,\n    }\n",
                "    pub enum Fresh {\n        B,\n    }\n",
            )
            .replace("pub async fn old_op", "pub async fn new_op")
            .replace("/things/{}", "/things/{}/x");
        let summary = Surface::of(snapshot_body(&new)).summary(&Surface::of(snapshot_body(OLD)));
        assert_eq!(
            summary,
            "operations:\n  added: new_op\n  removed: old_op\n  changed: list_things\n\
             types:\n  added: Fresh\n  removed: Gone\n  changed: Thing\n"
        );
        let same = Surface::of(OLD).summary(&Surface::of(OLD));
        assert_eq!(same, "operations: unchanged\ntypes: unchanged\n");
    }
}
