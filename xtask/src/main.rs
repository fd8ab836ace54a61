//! `cargo xtask <command>`: see the crate docs of the `xtask` library for the commands.

#![forbid(unsafe_code)]

use std::{path::PathBuf, process::ExitCode};

use xtask::{snapshot::SPEC, workspace_root, Base, Format};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  check                       read-only CI check: lint, spec link, no pending snapshots,
                              snapshot test with CI=true INSTA_UPDATE=no
  regen                       lint, accept the new snapshot, summarise the generated-code
                              changes and print the API change report against HEAD
  affected                    after a spec edit: everything else that must change, in one list
                              (what no longer compiles or passes, doctests included; the fake's
                              contract test; xtask's catalogue)
  lint [--spec PATH]          lint the spec (default openapi/linq-v2-contacts.yaml)
  diff [--base REV] [--base-file PATH] [--spec PATH] [--allow-breaking] [--format markdown|json]
                              report of API changes against REV (default HEAD), each judged on
                              the wire and for the Rust crates (`--json`: --format json); exits
                              non-zero on a change that breaks on the wire (unless
                              --allow-breaking) or a crate whose version in its Cargo.toml is
                              below the bump its changes need
  changelog [--base REV] [--write]
                              the report's changes against REV (default HEAD) as Keep a
                              Changelog entries; --write adds those missing to CHANGELOG.md's
                              Unreleased section
  release --dry-run [--base TAG]
                              against TAG (default: the last v* tag): each crate's version
                              carries its bump and CHANGELOG.md every entry of the report; then
                              cargo publish --dry-run --workspace
  semver [--write]            run cargo-semver-checks on each kind of spec change (slow; needs
                              cargo-semver-checks) and compare with diff's verdicts and with
                              xtask/semver-checks.json; --write records the tool's verdicts
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<bool, String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(false);
    };
    let mut spec = workspace_root().join(SPEC);
    let mut base = Base::Rev("HEAD".into());
    let mut allow_breaking = false;
    let mut format = Format::Markdown;
    let mut write = false;
    let mut dry_run = false;
    let mut release_base = None;
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match (command.as_str(), arg.as_str()) {
            ("lint" | "diff", "--spec") => spec = PathBuf::from(value("--spec")?),
            ("diff" | "changelog", "--base") => base = Base::Rev(value("--base")?),
            ("release", "--base") => release_base = Some(value("--base")?),
            ("release", "--dry-run") => dry_run = true,
            ("changelog", "--write") => write = true,
            ("diff", "--base-file") => base = Base::File(PathBuf::from(value("--base-file")?)),
            ("diff", "--allow-breaking") => allow_breaking = true,
            ("diff", "--json") => format = Format::Json,
            ("diff", "--format") => {
                format = match value("--format")?.as_str() {
                    "markdown" | "md" => Format::Markdown,
                    "json" => Format::Json,
                    other => return Err(format!("unknown format `{other}`: markdown or json")),
                }
            }
            ("semver", "--write") => write = true,
            (_, "-h" | "--help") => {
                print!("{USAGE}");
                return Ok(true);
            }
            _ => {
                return Err(format!(
                    "unexpected argument `{arg}` for `{command}`\n\n{USAGE}"
                ))
            }
        }
    }
    match command.as_str() {
        "check" => xtask::check_command(),
        "regen" => xtask::regen_command(),
        "lint" => xtask::lint_command(&spec),
        "affected" => xtask::affected::run(&workspace_root()),
        "diff" => xtask::diff_command(&base, &spec, allow_breaking, format),
        "changelog" => xtask::changelog_command(&base, write),
        "release" if dry_run => xtask::release_dry_run(release_base),
        "release" => Err(
            "`release` only checks (`--dry-run`); the release itself is the \
             steps of README.md's \"Releases\""
                .into(),
        ),
        "semver" => xtask::semver::run_live(write),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(true)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}
