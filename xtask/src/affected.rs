//! `cargo xtask affected`: after a spec edit, everything else that must change, in one list.
//!
//! 1. What no longer compiles: every test target of the workspace built with every feature
//!    and `--keep-going`, so that one crate that fails does not hide the next
//!    ([`compile_errors`]).
//! 2. What no longer passes: `cargo test --workspace --all-features --no-fail-fast` (doctests
//!    included), its failing targets and tests read from its output ([`test_failures`]).
//! 3. The fake's contract test (`.ci/contract-test`: schemathesis against the `linq-fake`
//!    binary).
//! 4. xtask's catalogue of spec edits ([`crate::semver`]): each edit still applies to the spec,
//!    each fix it names in ext's source is still there, and `diff` still agrees with the
//!    recorded cargo-semver-checks verdicts.
//!
//! The full output of each step is kept in `target/xtask-affected/` for reading.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::semver;

/// One thing that must change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where: a crate and target (`linq-fake (lib)`), `contract test` or `xtask catalogue`.
    pub place: String,
    /// What is wrong there: the first error, the failing tests, the problem.
    pub what: String,
}

impl Finding {
    fn new(place: impl Into<String>, what: impl Into<String>) -> Finding {
        Finding {
            place: place.into(),
            what: what.into(),
        }
    }
}

/// The crate name of a cargo `package_id`: `path+file:///…/linq-fake#0.1.0` (the directory's
/// name is the crate's) or `path+file:///…/tests#linq-integration-tests@0.0.0`.
fn package_name(id: &str) -> String {
    let (path, fragment) = id.rsplit_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => path.rsplit('/').next().unwrap_or(path).to_owned(),
    }
}

/// The compile errors in cargo's `--message-format=json` output: one finding per crate and
/// target that fails, with its first error (rendered) and how many there are.
pub fn compile_errors(json_lines: &str) -> Vec<Finding> {
    let mut errors: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for line in json_lines.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let text = message["message"]["message"].as_str().unwrap_or_default();
        if text.starts_with("aborting due to") || text.starts_with("could not compile") {
            continue;
        }
        let package = package_name(message["package_id"].as_str().unwrap_or_default());
        let kinds: Vec<&str> = message["target"]["kind"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let target = message["target"]["name"].as_str().unwrap_or_default();
        let place = match kinds.first().copied() {
            Some("lib") | Some("proc-macro") => format!("{package} (lib)"),
            Some("custom-build") => format!("{package} (build script)"),
            Some(kind) => format!("{package} ({kind} `{target}`)"),
            None => package,
        };
        let rendered = message["message"]["rendered"].as_str().unwrap_or(text);
        let first: String = rendered.lines().take(3).collect::<Vec<_>>().join(" ");
        let entry = errors.entry(place).or_insert((0, first));
        entry.0 += 1;
    }
    errors
        .into_iter()
        .map(|(place, (count, first))| {
            let more = if count > 1 {
                format!(
                    " (and {} more error{})",
                    count - 1,
                    if count == 2 { "" } else { "s" }
                )
            } else {
                String::new()
            };
            Finding::new(
                format!("does not compile: {place}"),
                format!("{}{more}", squeeze(&first)),
            )
        })
        .collect()
}

/// Runs of whitespace as one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The failures in the output of `cargo test --no-fail-fast`: one finding per failing target,
/// from cargo's closing list (``error: 2 targets failed:`` then `` `-p xtask --test diff` ``),
/// with the tests that failed in it (libtest's `test NAME ... FAILED` lines, under the
/// `Running …`/`Doc-tests …` header of their binary).
pub fn test_failures(output: &str) -> Vec<Finding> {
    // Failed tests by binary header, in order.
    let mut by_binary: Vec<(String, Vec<String>)> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    let mut in_summary = false;
    for line in output.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed
            .strip_prefix("Running ")
            .or_else(|| trimmed.strip_prefix("Doc-tests "))
        {
            let label = if trimmed.starts_with("Doc-tests") {
                format!("doctests of {rest}")
            } else {
                // `unittests src/lib.rs (/t/debug/deps/linq_api-1f2e)`: the binary names it.
                let (what, binary) = rest.split_once(" (").unwrap_or((rest, ""));
                let binary = binary
                    .trim_end_matches(')')
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                let binary = binary.rsplit_once('-').map_or(binary, |(name, _)| name);
                format!("{what} ({binary})")
            };
            by_binary.push((label, Vec::new()));
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
        {
            if let Some((_, failed)) = by_binary.last_mut() {
                failed.push(name.to_owned());
            }
            continue;
        }
        if trimmed.starts_with("error:")
            && trimmed.contains("target")
            && trimmed.ends_with("failed:")
        {
            in_summary = true;
            continue;
        }
        if in_summary {
            match trimmed.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
                Some(target) => targets.push(target.to_owned()),
                None => in_summary = false,
            }
        }
        if let Some(target) = trimmed
            .strip_prefix("error: test failed, to rerun pass `")
            .and_then(|t| t.strip_suffix('`'))
        {
            // Without --no-fail-fast cargo names only the first failing target.
            if !targets.iter().any(|t| t == target) {
                targets.push(target.to_owned());
            }
        }
    }
    let failing: Vec<&(String, Vec<String>)> =
        by_binary.iter().filter(|(_, f)| !f.is_empty()).collect();
    let mut out = Vec::new();
    for target in &targets {
        out.push(Finding::new(
            format!("fails: `{target}`"),
            "cargo names this target as failed",
        ));
    }
    for (binary, failed) in failing {
        out.push(Finding::new(
            format!("failing tests in {binary}"),
            failed.join(", "),
        ));
    }
    out
}

/// The test binaries cargo's `--message-format=json` output says it built: (the package's
/// directory, `crate: src path`, the executable).
pub fn test_binaries(json_lines: &str) -> Vec<(PathBuf, String, String)> {
    json_lines
        .lines()
        .filter_map(|line| {
            let message: Value = serde_json::from_str(line).ok()?;
            if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
                return None;
            }
            let executable = message["executable"].as_str()?.to_owned();
            let dir = Path::new(message["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            let package = package_name(message["package_id"].as_str().unwrap_or_default());
            let source = message["target"]["src_path"].as_str().unwrap_or_default();
            let source = Path::new(source)
                .strip_prefix(&dir)
                .map_or_else(|_| source.to_owned(), |p| p.display().to_string());
            Some((dir, format!("{package}: {source}"), executable))
        })
        .collect()
}

/// The problems of xtask's catalogue of spec edits against the current spec and ext's source.
pub fn catalogue_problems(root: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    // An edit the spec no longer takes is reported by `disagreements` below, once.
    for mutation in semver::STABLE_MUTATIONS {
        for (file, from, _) in mutation.ext_fix {
            let source = fs::read_to_string(root.join(file)).unwrap_or_default();
            if !source.contains(from) {
                out.push(Finding::new(
                    "xtask catalogue (xtask/src/semver.rs)",
                    format!(
                        "`{}`: the ext fix names {from:?} in {file}, which is not there any more",
                        mutation.spec.kind
                    ),
                ));
            }
        }
    }
    match semver::Record::load().and_then(|record| semver::disagreements(&record)) {
        Ok(problems) => out.extend(problems.into_iter().map(|p| {
            Finding::new(
                "xtask catalogue (xtask/semver-checks.json)",
                format!("{p} (after changing diff's rules, rerun `cargo xtask semver`)"),
            )
        })),
        Err(e) => out.push(Finding::new("xtask catalogue", e)),
    }
    out
}

/// Where the full output of each step is kept.
fn log_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("xtask-affected")
}

/// Runs `command`, its stdout and stderr (merged, stderr after stdout) saved to `log`; returns
/// whether it succeeded and the saved text.
fn run_logged(mut command: Command, log: &Path) -> Result<(bool, String), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    fs::write(log, &text).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    Ok((output.status.success(), text))
}

/// `cargo xtask affected`: runs the four steps, prints one list; returns whether it is empty.
pub fn run(root: &Path) -> Result<bool, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let logs = log_dir(root);
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let mut findings = Vec::new();

    eprintln!("affected: building every test target (cargo build --tests --examples --keep-going)");
    let mut build = Command::new(&cargo);
    build.current_dir(root).args([
        "build",
        "--workspace",
        "--all-features",
        "--tests",
        "--examples",
        "--keep-going",
        "--message-format=json",
    ]);
    let (built, build_text) = run_logged(build, &logs.join("build.json"))?;
    let errors = compile_errors(&build_text);
    if !built && errors.is_empty() {
        findings.push(Finding::new(
            "build",
            format!(
                "cargo build failed; see {}",
                logs.join("build.json").display()
            ),
        ));
    }
    let fake_builds = !errors.iter().any(|f| f.place.contains("linq-fake"));
    findings.extend(errors);

    if built {
        eprintln!("affected: cargo test --workspace --all-features --no-fail-fast");
        let mut test = Command::new(&cargo);
        test.current_dir(root)
            .args(["test", "--workspace", "--all-features", "--no-fail-fast"]);
        let (passed, text) = run_logged(test, &logs.join("test.log"))?;
        let failures = test_failures(&text);
        if !passed && failures.is_empty() {
            findings.push(Finding::new(
                "cargo test",
                format!("failed; see {}", logs.join("test.log").display()),
            ));
        }
        findings.extend(failures);
    } else {
        // `cargo test` would stop at the first crate that does not compile: run the test
        // binaries that did build, each as cargo would (from its package's directory).
        eprintln!("affected: running the test binaries that built");
        let mut text = String::new();
        for (dir, label, executable) in test_binaries(&build_text) {
            let output = Command::new(&executable)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run {executable}: {e}"))?;
            text.push_str(&format!("     Running {label} ({executable})\n"));
            text.push_str(&String::from_utf8_lossy(&output.stdout));
            if !output.status.success()
                && !String::from_utf8_lossy(&output.stdout).contains("FAILED")
            {
                findings.push(Finding::new(
                    format!("fails: {label} ({executable})"),
                    "exited with an error",
                ));
            }
        }
        fs::write(logs.join("test.log"), &text)
            .map_err(|e| format!("cannot write the test log: {e}"))?;
        findings.extend(test_failures(&text));
        findings.push(Finding::new(
            "doctests",
            "not run: they run once every crate compiles (`cargo xtask affected` again)",
        ));
    }

    if fake_builds {
        eprintln!("affected: the contract test (.ci/contract-test)");
        let mut contract = Command::new("bash");
        contract.current_dir(root).arg(".ci/contract-test");
        let (passed, text) = run_logged(contract, &logs.join("contract-test.log"))?;
        if !passed {
            let last: Vec<&str> = text.lines().rev().take(3).collect();
            findings.push(Finding::new(
                "contract test (.ci/contract-test)",
                format!(
                    "fails: {} (all of it in {})",
                    squeeze(&last.into_iter().rev().collect::<Vec<_>>().join(" ")),
                    logs.join("contract-test.log").display()
                ),
            ));
        }
    } else {
        findings.push(Finding::new(
            "contract test (.ci/contract-test)",
            "not run: linq-fake does not compile",
        ));
    }

    eprintln!("affected: xtask's catalogue of spec edits");
    findings.extend(catalogue_problems(root));

    if findings.is_empty() {
        println!("affected: nothing — everything compiles and passes, the contract test and the catalogue included");
        return Ok(true);
    }
    println!(
        "affected: {} thing{} must change (logs in {}):",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        logs.display()
    );
    for finding in &findings {
        println!("- {}: {}", finding.place, finding.what);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_are_one_per_target_with_the_first_error() {
        let lines = [
            r#"{"reason":"compiler-message","package_id":"path+file:///w/linq-fake#0.1.0","target":{"kind":["lib"],"name":"linq_fake"},"message":{"level":"error","message":"missing field `tags`","rendered":"error[E0063]: missing field `tags` in initializer of `Contact`\n  --> linq-fake/src/store.rs:120:5\n   |\n"}}"#,
            r#"{"reason":"compiler-message","package_id":"path+file:///w/linq-fake#0.1.0","target":{"kind":["lib"],"name":"linq_fake"},"message":{"level":"error","message":"another","rendered":"error: another"}}"#,
            r#"{"reason":"compiler-message","package_id":"path+file:///w/linq-fake#0.1.0","target":{"kind":["lib"],"name":"linq_fake"},"message":{"level":"error","message":"aborting due to 2 previous errors","rendered":"error: aborting"}}"#,
            r#"{"reason":"compiler-message","package_id":"path+file:///w/tests#linq-integration-tests@0.0.0","target":{"kind":["test"],"name":"chain"},"message":{"level":"warning","message":"unused","rendered":"warning: unused"}}"#,
            r#"{"reason":"compiler-message","package_id":"path+file:///w/tests#linq-integration-tests@0.0.0","target":{"kind":["test"],"name":"chain"},"message":{"level":"error","message":"no method","rendered":"error[E0599]: no method named `title`"}}"#,
            r#"{"reason":"build-finished","success":false}"#,
            "not json",
        ]
        .join("\n");
        assert_eq!(
            compile_errors(&lines),
            [
                Finding::new(
                    "does not compile: linq-fake (lib)",
                    "error[E0063]: missing field `tags` in initializer of `Contact` --> \
                     linq-fake/src/store.rs:120:5 | (and 1 more error)"
                ),
                Finding::new(
                    "does not compile: linq-integration-tests (test `chain`)",
                    "error[E0599]: no method named `title`"
                ),
            ]
        );
    }

    const TEST_OUTPUT: &str = "\
     Running unittests src/lib.rs (/t/debug/deps/linq_api-1)

running 2 tests
test snapshot::a ... ok
test rules::b ... FAILED

     Running tests/diff.rs (/t/debug/deps/diff-2)

running 1 test
test verdicts_agree ... FAILED

   Doc-tests linq_api_ext

running 2 tests
test linq-api-ext/src/lib.rs - (line 10) ... FAILED
test linq-api-ext/src/lib.rs - (line 40) ... ok

error: 3 targets failed:
    `-p linq-api --lib`
    `-p xtask --test diff`
    `-p linq-api-ext --doc`
error: 3 targets failed";

    #[test]
    fn test_failures_name_the_targets_and_their_tests() {
        let findings = test_failures(TEST_OUTPUT);
        let places: Vec<&str> = findings.iter().map(|f| f.place.as_str()).collect();
        assert_eq!(
            places,
            [
                "fails: `-p linq-api --lib`",
                "fails: `-p xtask --test diff`",
                "fails: `-p linq-api-ext --doc`",
                "failing tests in unittests src/lib.rs (linq_api)",
                "failing tests in tests/diff.rs (diff)",
                "failing tests in doctests of linq_api_ext",
            ]
        );
        assert_eq!(findings[3].what, "rules::b");
        assert_eq!(findings[5].what, "linq-api-ext/src/lib.rs - (line 10)");
        assert!(test_failures("test result: ok. 3 passed; 0 failed").is_empty());
    }

    #[test]
    fn test_binaries_are_read_from_the_build() {
        let lines = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.0.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["test"],"name":"diff","src_path":"/w/xtask/tests/diff.rs"},"profile":{"test":true},"executable":"/t/diff-1"}"#,
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/xtask#0.0.0","manifest_path":"/w/xtask/Cargo.toml","target":{"kind":["bin"],"name":"xtask","src_path":"/w/xtask/src/main.rs"},"profile":{"test":false},"executable":"/t/xtask"}"#,
        ]
        .join("\n");
        assert_eq!(
            test_binaries(&lines),
            [(
                PathBuf::from("/w/xtask"),
                "xtask: tests/diff.rs".to_owned(),
                "/t/diff-1".to_owned()
            )]
        );
    }

    #[test]
    fn package_names_come_from_the_package_id() {
        assert_eq!(package_name("path+file:///w/linq-fake#0.1.0"), "linq-fake");
        assert_eq!(
            package_name("path+file:///w/tests#linq-integration-tests@0.0.0"),
            "linq-integration-tests"
        );
    }
}
