//! `cargo xtask check` and `cargo xtask regen`: the snapshots of the generated client
//! (`linq-api/snapshots/generated-client.snap`) and of its typed httpmock helpers
//! (`generated-httpmock.snap`, feature `httpmock`), the tree around them, and a summary of what
//! changed in the generated client.

use quote::ToTokens;
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Where the snapshot lives, relative to the workspace root.
pub const SNAPSHOT: &str = "linq-api/snapshots/generated-client.snap";
/// The snapshot of the typed httpmock helpers, relative to the workspace root.
pub const MOCKS_SNAPSHOT: &str = "linq-api/snapshots/generated-httpmock.snap";
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

/// Runs the snapshot tests of `linq-api` (both snapshots and the spec tables, feature `httpmock`)
/// with insta's environment set for `mode`; the test's output (insta's diff) goes straight to the
/// terminal. Returns whether it passed.
///
/// The test binary is the one `cargo test --workspace --all-features` builds
/// ([`snapshot_test_binary`]), so a regen after a workspace build compiles nothing.
pub fn run_snapshot_test(root: &Path, mode: Mode) -> Result<bool, String> {
    match snapshot_test_binary(root)? {
        Some(binary) => run_snapshot_binary(root, &binary, mode),
        None => Ok(false),
    }
}

/// Runs the snapshot tests of the built `binary` (see [`snapshot_test_binary`]) in `mode`.
pub fn run_snapshot_binary(root: &Path, binary: &Path, mode: Mode) -> Result<bool, String> {
    let mut command = Command::new(binary);
    command
        // As `cargo test` runs it: from the package's directory.
        .current_dir(root.join("linq-api"))
        .arg("snapshot::")
        // insta would otherwise ask `cargo metadata` for the workspace root.
        .env("INSTA_WORKSPACE_ROOT", root)
        // INSTA_FORCE_PASS would make a mismatch pass; never inherit it.
        .env_remove("INSTA_FORCE_PASS");
    match mode {
        Mode::Check => command.env("CI", "true").env("INSTA_UPDATE", "no"),
        Mode::Accept => command.env("INSTA_UPDATE", "always"),
    };
    let status = command
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    Ok(status.success())
}

/// The arguments of the build of [`snapshot_test_binary`]: the lib tests of the whole workspace
/// with every feature. `cargo test -p linq-api --features httpmock` would resolve the features
/// of linq-api's dependencies for linq-api alone (Cargo unifies features across the packages a
/// command selects), so it would build some 76 crates again beside the workspace build.
pub const SNAPSHOT_BUILD: [&str; 6] = [
    "test",
    "--workspace",
    "--all-features",
    "--lib",
    "--no-run",
    "--message-format=json-render-diagnostics",
];

/// Builds the lib test binaries as `cargo test --workspace --all-features` does (the same
/// features for every crate, so the same artifacts) and returns linq-api's, or `None` when the
/// build failed (cargo's errors are on the terminal).
pub fn snapshot_test_binary(root: &Path) -> Result<Option<PathBuf>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args(SNAPSHOT_BUILD)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo test --no-run: {e}"))?;
    if !output.status.success() {
        return Ok(None);
    }
    let binary = test_executable(&String::from_utf8_lossy(&output.stdout), "linq_api");
    binary
        .map(Some)
        .ok_or_else(|| "cargo built no lib test binary of linq-api".to_owned())
}

/// The test executable of the lib target `name` in cargo's `--message-format=json` output.
pub fn test_executable(json_lines: &str, name: &str) -> Option<PathBuf> {
    json_lines.lines().find_map(|line| {
        let message: serde_json::Value = serde_json::from_str(line).ok()?;
        let is_lib = message["target"]["kind"]
            .as_array()?
            .iter()
            .any(|kind| kind == "lib");
        (message["reason"] == "compiler-artifact"
            && message["target"]["name"] == name
            && is_lib
            && message["profile"]["test"] == true)
            .then(|| message["executable"].as_str().map(PathBuf::from))?
    })
}

/// How many lines differ between two texts: those of each that the other lacks, counted
/// with multiplicity (a changed line counts twice, as in a diff's `-` and `+`).
pub fn lines_changed(old: &str, new: &str) -> usize {
    let mut counts: BTreeMap<&str, isize> = BTreeMap::new();
    for line in old.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for line in new.lines() {
        *counts.entry(line).or_default() -= 1;
    }
    counts.values().map(|n| n.unsigned_abs()).sum()
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
    /// The `pub async fn`s of `impl Client` (the operations).
    pub operations: BTreeMap<String, String>,
    /// The structs, enums and type aliases of `mod types`, each with the impls for it.
    pub types: BTreeMap<String, String>,
}

impl Surface {
    /// Reads the surface out of generated code, parsed with `syn`.
    pub fn of(code: &str) -> Result<Surface, String> {
        let file =
            syn::parse_file(code).map_err(|e| format!("the generated code does not parse: {e}"))?;
        let mut surface = Surface::default();
        for item in &file.items {
            match item {
                syn::Item::Mod(module) if module.ident == "types" => {
                    let items = || module.content.iter().flat_map(|(_, items)| items);
                    let defined: BTreeSet<String> = items()
                        .filter_map(|item| match item {
                            syn::Item::Struct(item) => Some(item.ident.to_string()),
                            syn::Item::Enum(item) => Some(item.ident.to_string()),
                            syn::Item::Type(item) => Some(item.ident.to_string()),
                            _ => None,
                        })
                        .collect();
                    for inner in items() {
                        let name = match inner {
                            syn::Item::Struct(item) => Some(item.ident.to_string()),
                            syn::Item::Enum(item) => Some(item.ident.to_string()),
                            syn::Item::Type(item) => Some(item.ident.to_string()),
                            syn::Item::Impl(item) => impl_subject(item, &defined),
                            _ => None,
                        };
                        if let Some(name) = name {
                            let code = surface.types.entry(name).or_default();
                            code.push_str(&inner.to_token_stream().to_string());
                            code.push('\n');
                        }
                    }
                }
                syn::Item::Impl(block)
                    if block.trait_.is_none()
                        && type_name(&block.self_ty).as_deref() == Some("Client") =>
                {
                    for inner in &block.items {
                        if let syn::ImplItem::Fn(method) = inner {
                            let operation = matches!(method.vis, syn::Visibility::Public(_))
                                && method.sig.asyncness.is_some();
                            if operation {
                                surface.operations.insert(
                                    method.sig.ident.to_string(),
                                    method.to_token_stream().to_string(),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(surface)
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

/// The generated type an impl belongs to: its self type when the module defines it, otherwise
/// the first of the module's types among the trait's arguments (`impl From<Kept> for String`
/// is `Kept`'s, not a type `String`).
fn impl_subject(item: &syn::ItemImpl, defined: &BTreeSet<String>) -> Option<String> {
    let own = type_name(&item.self_ty).filter(|name| defined.contains(name));
    own.or_else(|| {
        let (path, _) = item.trait_.as_ref()?;
        let syn::PathArguments::AngleBracketed(arguments) = &path.segments.last()?.arguments else {
            return None;
        };
        arguments.args.iter().find_map(|argument| match argument {
            syn::GenericArgument::Type(ty) => type_name(ty).filter(|name| defined.contains(name)),
            _ => None,
        })
    })
}

/// The name of the type an `impl` is for (`Contact` for `impl From<&Contact> for Contact`, and for
/// `impl<'a> builder::Contact<'a>`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(reference) => type_name(&reference.elem),
        _ => None,
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
    impl ::std::convert::From<Kept> for ::std::string::String {
        fn from(value: Kept) -> Self {
            value.0
        }
    }
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
        let surface = Surface::of(snapshot_body(OLD)).unwrap();
        assert_eq!(
            surface.operations.keys().collect::<Vec<_>>(),
            ["list_things", "old_op"]
        );
        assert_eq!(
            surface.types.keys().collect::<Vec<_>>(),
            ["Gone", "Kept", "Thing"]
        );
        // An impl for a type from elsewhere counts with the generated type it converts.
        assert!(
            surface.types["Kept"].contains("From < Kept > for :: std :: string :: String"),
            "{}",
            surface.types["Kept"]
        );
        // Token text, as `syn` prints it: the impl is counted with its type.
        assert!(
            surface.types["Thing"].contains("From < & Thing > for Thing"),
            "{}",
            surface.types["Thing"]
        );
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
        let summary = Surface::of(snapshot_body(&new))
            .unwrap()
            .summary(&Surface::of(snapshot_body(OLD)).unwrap());
        assert_eq!(
            summary,
            "operations:\n  added: new_op\n  removed: old_op\n  changed: list_things\n\
             types:\n  added: Fresh\n  removed: Gone\n  changed: Thing\n"
        );
        let same = Surface::of(snapshot_body(OLD))
            .unwrap()
            .summary(&Surface::of(snapshot_body(OLD)).unwrap());
        assert_eq!(same, "operations: unchanged\ntypes: unchanged\n");
    }
}

#[cfg(test)]
mod binary_tests {
    use super::test_executable;

    #[test]
    fn the_lib_test_binary_is_read_from_cargos_messages() {
        let lines = [
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"linq_api"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"linq_api"},"profile":{"test":true},"executable":"/t/bin-1"}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"linq_fake"},"profile":{"test":true},"executable":"/t/linq_fake-2"}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"linq_api"},"profile":{"test":true},"executable":"/t/linq_api-3"}"#,
        ]
        .join("\n");
        assert_eq!(
            test_executable(&lines, "linq_api"),
            Some(std::path::PathBuf::from("/t/linq_api-3"))
        );
        assert_eq!(test_executable(&lines, "linq_contacts"), None);
    }
}

#[cfg(test)]
mod line_tests {
    use super::lines_changed;

    #[test]
    fn changed_lines_are_counted_like_a_diff() {
        assert_eq!(lines_changed("a\nb\nc\n", "a\nb\nc\n"), 0);
        assert_eq!(lines_changed("a\nb\n", "a\nB\n"), 2);
        assert_eq!(lines_changed("a\n", "a\na\n"), 1);
        assert_eq!(lines_changed("", "x\ny\n"), 2);
    }
}
