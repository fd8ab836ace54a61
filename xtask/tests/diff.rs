//! The API change report: for each kind of change, a fixture pair (the base fixture and the same
//! spec with one edit) and the exact classification and wording of the report. The kinds of the
//! catalogue (`xtask::semver::FIXTURE_MUTATIONS`, whose verdicts are checked against
//! cargo-semver-checks) are taken from it, so the wording tested here and the verdicts recorded
//! there are of the very same edits.

use xtask::{
    diff::{diff, Bump, Change, Report},
    semver,
    spec::Spec,
    workspace_root,
};

fn base() -> String {
    std::fs::read_to_string(workspace_root().join("xtask/tests/fixtures/diff/base.yaml")).unwrap()
}

/// The base fixture with `from` replaced by `to` (which must be there).
fn edit(from: &str, to: &str) -> String {
    edit_all(&[(from, to)])
}

fn edit_all(edits: &[(&str, &str)]) -> String {
    let mut text = base();
    for (from, to) in edits {
        assert!(text.contains(from), "the base fixture has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The base fixture with the catalogue's edit of `kind`.
fn mutated(kind: &str) -> String {
    semver::FIXTURE_MUTATIONS
        .iter()
        .find(|m| m.kind == kind)
        .unwrap_or_else(|| panic!("no kind {kind:?} in the catalogue"))
        .apply(&base())
        .unwrap()
}

fn changes(new: &str) -> Vec<Change> {
    let old = Spec::parse("base.yaml", &base()).unwrap();
    let new = Spec::parse("new.yaml", new).unwrap();
    diff(&old, &new)
}

/// Each change as (breaking, report line).
fn report(new: &str) -> Vec<(bool, String)> {
    changes(new)
        .iter()
        .map(|c| (c.breaking, c.line()))
        .collect()
}

fn breaking(line: &str) -> (bool, String) {
    (true, line.to_owned())
}

fn fine(line: &str) -> (bool, String) {
    (false, line.to_owned())
}

#[test]
fn no_change_no_report() {
    assert_eq!(report(&base()), vec![]);
    let old = Spec::parse("a", &base()).unwrap();
    let report = Report::new("HEAD", "working tree", &old, &old);
    assert_eq!(
        report.to_markdown(),
        "## API changes: `HEAD` → working tree\n\nNo changes to the API.\n"
    );
}

#[test]
fn operation_added_is_not_breaking() {
    assert_eq!(
        report(&mutated("operation added")),
        vec![
            fine("- `get_thing`: operation `GET /things/{id}` added — a new method `get_thing`; existing code is unaffected (linq-api: minor, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn operation_removed_is_breaking() {
    assert_eq!(
        report(&mutated("operation removed")),
        vec![
            breaking("- `delete_thing`: operation `DELETE /things/{id}` removed — the method `delete_thing` disappears; calls to it no longer compile (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn operation_renamed_is_breaking() {
    assert_eq!(
        report(&mutated("operationId changed")),
        vec![
            breaking("- `remove_thing`: operationId changed from `delete_thing` to `remove_thing` — the generated method is renamed; calls to the old name no longer compile (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn operation_moved_with_the_same_id_is_not_breaking() {
    assert_eq!(
        report(&mutated("operation moved to another path")),
        vec![
            fine("- `delete_thing`: moved from `DELETE /things/{id}` to `DELETE /items/{id}` — the generated method keeps its name and signature; it now calls the new path (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn any_new_parameter_is_breaking_in_the_positional_client() {
    assert_eq!(
        report(&mutated("parameter added, optional")),
        vec![
            breaking("- `list_things`: query parameter `sort` added (optional) — the positional client gains an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: patch)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter added, required")),
        vec![
            breaking("- `list_things`: query parameter `sort` added (required) — the positional client gains an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn parameter_removed_retyped_required_reordered_are_breaking() {
    assert_eq!(
        report(&mutated("parameter removed")),
        vec![
            breaking("- `list_things`: query parameter `per_page` removed — the positional client loses an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter retyped")),
        vec![
            breaking("- `list_things`: query parameter `page` retyped: `integer (int64, ≥ 1)` → `integer (int32, ≥ 1)` — the argument's Rust type changes (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter became required")),
        vec![
            breaking("- `list_things`: query parameter `page` became required — the argument changes between `T` and `Option<T>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameters reordered")),
        vec![
            breaking("- `list_things`: parameters reordered: `page, per_page` → `per_page, page` — the positional arguments change places (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

const COLOR: &str =
    "            color:\n              type: string\n              enum: [red, blue]\n";

#[test]
fn new_optional_request_field_is_not_breaking_new_required_one_is() {
    assert_eq!(
        report(&mutated("request field added, optional")),
        vec![
            breaking("- `ThingInput`: field `thing.size` added (optional) — requests without it stay valid, but a struct literal listing every field stops compiling until it names the new one or `..Default::default()` (linq-api: major, linq-api-ext: patch; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request field added, required")),
        vec![
            breaking("- `ThingInput`: field `thing.size` added (required) — callers must now provide it: a new non-`Option` field in the request type, and Linq rejects requests without it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

#[test]
fn request_field_removed_or_made_required_is_breaking() {
    assert_eq!(
        report(&mutated("request field removed")),
        vec![
            breaking("- `ThingInput`: field `thing.color` removed — breaks callers that set it: the field disappears from the generated type (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request field became required")),
        vec![
            breaking("- `ThingInput`: field `thing.name` became required — callers must now provide it: the Rust field is no longer an `Option` (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

#[test]
fn request_enum_values() {
    assert_eq!(
        report(&mutated("request enum value added")),
        vec![
            breaking("- `ThingInput`: field `thing.color`: enum value `green` added — callers may send the new value, but exhaustive `match`es on the generated enum stop compiling (linq-api: major, linq-api-ext: patch; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request enum value removed")),
        vec![
            breaking("- `ThingInput`: field `thing.color`: enum value `blue` removed — callers sending it no longer compile (and Linq would refuse it) (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

const EMAIL: &str = "        email:\n          type: string\n";

#[test]
fn response_field_removed_is_breaking_wherever_it_is_returned() {
    assert_eq!(
        report(&edit(EMAIL, "        phone:\n          type: string\n")),
        vec![
            breaking("- `Owner`: field `phone` added — code reading the other fields is unaffected, but a struct literal of the generated type (a fake's, a test's) stops compiling: its fields are public and it is not `#[non_exhaustive]` (linq-api: major, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
            breaking("- `Owner`: field `email` removed — breaks callers that read it: the field disappears from the generated type (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_field_becoming_an_option_is_breaking() {
    assert_eq!(
        report(&mutated("response field became nullable")),
        vec![
            breaking("- `Thing`: field `id` became nullable — breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response field no longer required")),
        vec![
            breaking("- `Thing`: field `kind` is no longer required — breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn nullability_change_of_an_optional_response_field_is_not_breaking() {
    assert_eq!(
        report(&mutated("optional response field became nullable")),
        vec![
            fine("- `Owner`: field `email` became nullable — the Rust field stays an `Option` (linq-api: patch, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_field_retyped_is_breaking() {
    assert_eq!(
        report(&mutated("response field retyped")),
        vec![
            breaking("- `Thing`: field `id` retyped: `integer (int64)` → `string` — the Rust type of the field changes (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn new_enum_value_in_a_response_is_breaking() {
    assert_eq!(
        report(&mutated("response enum value added")),
        vec![
            breaking("- `Thing`: field `kind`: enum value `huge` added — exhaustive `match`es on the generated enum stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_enum_value_and_variant_removed_are_breaking_a_variant_added_too() {
    assert_eq!(
        report(&mutated("response enum value removed")),
        vec![
            breaking("- `Thing`: field `kind`: enum value `large` removed — code naming the removed variant no longer compiles (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response variant added (oneOf)")),
        vec![
            breaking("- `ErrorBody`: variant `<#2>` added — a new variant of the generated enum: exhaustive `match`es stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `400`, `create_thing` response `422`)"),
        ]
    );
    // An inline member with a `title` is named by it, so that it is recognisable in the
    // report and keeps its name when members before it come or go.
    assert_eq!(
        report(&edit(
            "    PlainError:\n",
            "        - title: Teapot\n          type: string\n    PlainError:\n"
        )),
        vec![
            breaking("- `ErrorBody`: variant `<Teapot>` added — a new variant of the generated enum: exhaustive `match`es stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `400`, `create_thing` response `422`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response variant removed (oneOf)")),
        vec![
            breaking("- `ErrorBody`: variant `<CodedError>` removed — code naming the variant no longer compiles (linq-api: major, linq-api-ext: major; reaches `list_things` response `400`, `create_thing` response `422`)"),
        ]
    );
}

#[test]
fn a_request_body_that_became_optional_changes_nothing_for_callers() {
    assert_eq!(
        report(&mutated("request body became optional")),
        vec![
            fine("- `create_thing`: request body is no longer required — the positional client always sends the body (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn status_codes() {
    assert_eq!(
        report(&mutated("success status added")),
        vec![
            fine("- `create_thing`: status `200` added — a `200` used to arrive as `Error::UnexpectedResponse`; it now succeeds (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
    assert_eq!(
        report(&mutated("error status added, the operation's first")),
        vec![
            breaking("- `delete_thing`: status `404` added — the operation's first error body: its error type changes from `Error<()>` to `Error<ErrorBody>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("error status added beside another")),
        vec![
            breaking("- `create_thing`: status `400` added — a `400` moves from `Error::UnexpectedResponse` to `Error::ErrorResponse` with a typed body; code matching the former no longer sees it (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
    // Removed beside another error status: the error type stays.
    let old = Spec::parse("a", &mutated("error status added beside another")).unwrap();
    let lines: Vec<String> = diff(&old, &Spec::parse("b", &base()).unwrap())
        .iter()
        .map(Change::line)
        .collect();
    assert_eq!(
        lines,
        vec!["- `create_thing`: status `400` removed — a `400` now arrives as `Error::UnexpectedResponse` instead of a typed `Error::ErrorResponse` (linq-api: patch, linq-api-ext: patch)"]
    );
    assert_eq!(
        report(&mutated("error status removed, the operation's last")),
        vec![
            breaking("- `list_things`: status `400` removed — the operation's last error body: its error type changes from `Error<ErrorBody>` to `Error<()>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("success status replaced (204 by 200)")),
        vec![
            fine("- `delete_thing`: status `200` added — a `200` used to arrive as `Error::UnexpectedResponse`; it now succeeds (linq-api: patch, linq-api-ext: patch)"),
            breaking("- `delete_thing`: status `204` removed — a `204` now arrives as `Error::UnexpectedResponse` instead of succeeding (linq-api: patch, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn body_retyped_reports_the_type_not_every_field() {
    assert_eq!(
        report(&mutated("response body retyped")),
        vec![
            breaking("- `create_thing`: response `201` body retyped: `Thing` → `Owner` — the return or error type changes (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn request_body_added_is_breaking() {
    assert_eq!(
        report(&mutated("request body added")),
        vec![
            breaking("- `delete_thing`: request body added — the positional client gains a `body` argument (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn types_added_and_removed() {
    assert_eq!(
        report(&mutated("schema added")),
        vec![
            fine("- `types`: schema `Spare` added — a new type `types::Spare` (linq-api: minor, linq-api-ext: patch)"),
        ]
    );
    let lines = report(&mutated("schema renamed"));
    assert!(lines.contains(&breaking(
        "- `types`: schema `ErrorBody` removed — the type `types::ErrorBody` disappears; code naming it no longer compiles (linq-api: major, linq-api-ext: major)"
    )));
    assert!(lines.contains(&breaking(
        "- `list_things`: response `400` body retyped: `ErrorBody` → `ErrorPayload` — the return or error type changes (linq-api: major, linq-api-ext: major)"
    )));
}

#[test]
fn the_markdown_report() {
    let old = Spec::parse("a", &base()).unwrap();
    let new = Spec::parse(
        "b",
        &edit("required: [id, kind]", "required: [id]").replace(
            "    Thing:\n",
            "    Spare:\n      type: string\n    Thing:\n",
        ),
    )
    .unwrap();
    let mut report = Report::new("origin/main", "working tree", &old, &new);
    report.version = Some("0.1.0".into());
    assert_eq!(report.breaking(), 1);
    assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
    assert_eq!(
        report.to_markdown(),
        "## API changes: `origin/main` → working tree\n\n\
         **1 breaking change**, 1 non-breaking change.\n\n\
         ### Breaking\n\n\
         - `Thing`: field `kind` is no longer required — breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)\n\n\
         ### Not breaking\n\n\
         - `types`: schema `Spare` added — a new type `types::Spare` (linq-api: minor, linq-api-ext: patch)\n\n\
         ### Version bumps\n\n\
         - `linq-api`: **major** — 0.1.0 → 0.2.0\n\
         - `linq-api-ext`: **major** — 0.1.0 → 0.2.0\n\n\
         _Classified for callers of the generated positional Rust client; the rules are in `openapi/README.md`._\n"
    );
}

#[test]
fn an_additive_change_needs_a_patch_release_of_ext_only() {
    // A response field, an optional parameter, an optional request field: each breaks the
    // generated crate (struct literals, positional calls) but not ext, which owns its types.
    let new = edit_all(&[
        (EMAIL, "        email:\n          type: string\n        phone:\n          type: string\n"),
        (COLOR, &format!("{COLOR}            size:\n              type: string\n")),
        (
            "      parameters:\n        - name: page\n",
            "      parameters:\n        - name: sort\n          in: query\n          schema:\n            type: string\n        - name: page\n",
        ),
    ]);
    let old = Spec::parse("a", &base()).unwrap();
    let report = Report::new("a", "b", &old, &Spec::parse("b", &new).unwrap());
    assert_eq!(report.changes.len(), 3, "{:#?}", report.changes);
    assert_eq!(report.bumps(), (Bump::Major, Bump::Patch));
}

#[test]
fn versions_follow_cargo_semver_with_the_0x_rules() {
    use xtask::diff::next_version;
    assert_eq!(next_version("0.1.0", Bump::Major).as_deref(), Some("0.2.0"));
    assert_eq!(next_version("0.1.3", Bump::Minor).as_deref(), Some("0.1.4"));
    assert_eq!(next_version("0.1.3", Bump::Patch).as_deref(), Some("0.1.4"));
    assert_eq!(next_version("1.2.3", Bump::Major).as_deref(), Some("2.0.0"));
    assert_eq!(next_version("1.2.3", Bump::Minor).as_deref(), Some("1.3.0"));
    assert_eq!(next_version("1.2.3", Bump::Patch).as_deref(), Some("1.2.4"));
    assert_eq!(next_version("1.2", Bump::Patch), None);
}

#[test]
fn a_renamed_parameter_is_one_change() {
    assert_eq!(
        report(&mutated("parameter renamed")),
        vec![fine(
            "- `list_things`: query parameter `per_page` renamed to `page_size` — the positional argument keeps its place and type (only its name in the signature changes); the request sends the new name (linq-api: patch, linq-api-ext: patch)"
        )]
    );
}

/// `diff`'s bump for every kind of change of these fixtures agrees with what cargo-semver-checks
/// said of `linq-api` generated from them (recorded by `cargo xtask semver --write`; see
/// `xtask::semver`), and every additive Linq change is absorbed by `linq-api-ext`.
#[test]
fn verdicts_agree_with_the_recorded_cargo_semver_checks() {
    let record = semver::Record::load().unwrap();
    assert_eq!(
        semver::disagreements(&record).unwrap(),
        Vec::<String>::new(),
        "against the verdicts of {} in {}",
        record.tool(),
        semver::RECORD
    );
    assert_eq!(
        record.0["fixtures"].as_object().map(|m| m.len()),
        Some(semver::FIXTURE_MUTATIONS.len())
    );
}

#[test]
fn a_verdict_unlike_the_recorded_one_is_a_disagreement() {
    let record = semver::Record::load().unwrap();
    let mut forged = record.clone();
    forged.0["fixtures"]["response field added"]["linq-api"] = "none".into();
    forged.0["fixtures"]["schema added"]["linq-api"] = "minor".into();
    forged.0["stable"]["response field added"]["linq-api-ext"] = "major".into();
    forged.0["stable"]["request field added, optional (in `contact`)"]["compiles"] = false.into();
    assert_eq!(
        semver::disagreements(&forged).unwrap(),
        vec![
            "fixtures `response field added`: linq-api: diff says major, cargo-semver-checks none",
            "fixtures `schema added`: linq-api: diff says minor, cargo-semver-checks minor, but the mutation is marked unseen by the tool (cargo-semver-checks has no lint for additions (a new method or type needs a minor release))",
            "stable `response field added`: cargo-semver-checks finds a major change in linq-api-ext",
            "stable `request field added, optional (in `contact`)`: linq-api-ext does not compile against the edited spec",
        ]
    );
}

#[test]
fn cargo_semver_checks_output_is_read() {
    let failed = "     Checked [   0.024s] 229 checks: 228 pass, 1 fail, 0 warn, 31 skip\n\
                  --- failure struct_missing: pub struct removed or renamed ---\n\
                  Failed in:\n  struct linq_api::types::ErrorBody, previously in file codegen.rs:1\n     \
                  Summary semver requires new major version: 1 major and 0 minor checks failed\n    \
                  Finished [   4.349s] linq-api\n";
    assert_eq!(
        semver::parse_output(failed),
        Some(semver::Verdict {
            bump: Bump::Major,
            lints: vec!["struct_missing".to_owned()],
        })
    );
    let passed = "     Checked [   0.024s] 229 checks: 229 pass, 31 skip\n     \
                  Summary no semver update required\n";
    assert_eq!(
        semver::parse_output(passed),
        Some(semver::Verdict {
            bump: Bump::Patch,
            lints: vec![],
        })
    );
    assert_eq!(
        semver::parse_output("error: failed to build rustdoc for crate linq-api v0.1.0\n"),
        None
    );
}
