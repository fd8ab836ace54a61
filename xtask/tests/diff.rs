//! The API change report: for each kind of change, a fixture pair (the base fixture and the same
//! spec with one edit) and the exact classification and wording of the report. The kinds of the
//! catalogue (`xtask::semver::FIXTURE_MUTATIONS`, whose verdicts are checked against
//! cargo-semver-checks) are taken from it, so the wording tested here and the verdicts recorded
//! there are of the very same edits.

use xtask::{
    diff::{diff, Bump, Change, CrateVersion, Report},
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

/// Each change as (breaks on the wire, breaks Rust callers of `linq-api`, report line).
fn report(new: &str) -> Vec<(bool, bool, String)> {
    changes(new)
        .iter()
        .map(|c| (c.wire.breaks, c.breaking, c.line()))
        .collect()
}

/// A change that breaks on the wire and Rust callers.
fn both(line: &str) -> (bool, bool, String) {
    (true, true, line.to_owned())
}

/// A change that breaks on the wire only.
fn wire(line: &str) -> (bool, bool, String) {
    (true, false, line.to_owned())
}

/// A change that breaks Rust callers only.
fn rust(line: &str) -> (bool, bool, String) {
    (false, true, line.to_owned())
}

/// A change that breaks neither.
fn fine(line: &str) -> (bool, bool, String) {
    (false, false, line.to_owned())
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
            fine("- `get_thing`: operation `GET /things/{id}` added — wire: safe, old clients do not call it; Rust: a new method `get_thing`; existing code is unaffected, but the `httpmock` feature's `MockServerExt` trait gains a method (major for a trait others may implement) (linq-api: major via its `httpmock` feature, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn operation_removed_is_breaking() {
    assert_eq!(
        report(&mutated("operation removed")),
        vec![
            both("- `delete_thing`: operation `DELETE /things/{id}` removed — wire: **breaks**, old clients still call it; Rust: the method `delete_thing` disappears; calls to it no longer compile (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn operation_renamed_is_breaking() {
    assert_eq!(
        report(&mutated("operationId changed")),
        vec![
            rust("- `remove_thing`: operationId changed from `delete_thing` to `remove_thing` — wire: safe, an operationId is not sent; Rust: the generated method is renamed; calls to the old name no longer compile (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn operation_moved_keeps_the_rust_method_but_breaks_on_the_wire() {
    assert_eq!(
        report(&mutated("operation moved to another path")),
        vec![
            wire("- `delete_thing`: moved from `DELETE /things/{id}` to `DELETE /items/{id}` — wire: **breaks**, old clients call the old path; Rust: the generated method keeps its name and signature; it now calls the new path (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn any_new_parameter_is_breaking_in_the_positional_client() {
    assert_eq!(
        report(&mutated("parameter added, optional")),
        vec![
            rust("- `list_things`: query parameter `sort` added (optional) — wire: safe, old clients do not send it, and need not; Rust: the positional client gains an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: patch)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter added, required")),
        vec![
            both("- `list_things`: query parameter `sort` added (required) — wire: **breaks**, old clients do not send it, and Linq requires it; Rust: the positional client gains an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn parameter_removed_retyped_required_reordered_are_breaking() {
    assert_eq!(
        report(&mutated("parameter removed")),
        vec![
            both("- `list_things`: query parameter `per_page` removed — wire: **breaks**, old clients still send it, and Linq no longer reads it; Rust: the positional client loses an argument: every call of `list_things(…)` must change (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter retyped")),
        vec![
            both("- `list_things`: query parameter `page`: `format` `int64` → `int32` (retyped in Rust: `integer (int64, ≥ 1)` → `integer (int32, ≥ 1)`) — wire: **breaks**, the same JSON type; Linq may refuse values old clients send; Rust: the argument's Rust type changes: typify carries the rule in it (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter became required")),
        vec![
            both("- `list_things`: query parameter `page` became required — wire: **breaks**, old clients may leave it out, and Linq now requires it; Rust: the argument changes between `T` and `Option<T>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameters reordered")),
        vec![
            rust("- `list_things`: parameters reordered: `page, per_page` → `per_page, page` — wire: safe, parameters are sent by name; Rust: the positional arguments change places (linq-api: major, linq-api-ext: major)"),
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
            rust("- `ThingInput`: field `thing.size` added (optional) — wire: safe, old clients do not send it, and need not; Rust: requests without it stay valid, but a struct literal listing every field stops compiling until it names the new one or `..Default::default()` (linq-api: major, linq-api-ext: patch; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request field added, required")),
        vec![
            both("- `ThingInput`: field `thing.size` added (required) — wire: **breaks**, old clients do not send it, and Linq requires it; Rust: callers must now provide it: a new non-`Option` field in the request type, and Linq rejects requests without it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

#[test]
fn request_field_removed_or_made_required_is_breaking() {
    assert_eq!(
        report(&mutated("request field removed")),
        vec![
            both("- `ThingInput`: field `thing.color` removed — wire: **breaks**, old clients send a field that Linq no longer reads; Rust: breaks callers that set it: the field disappears from the generated type (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request field became required")),
        vec![
            both("- `ThingInput`: field `thing.name` became required — wire: **breaks**, old clients may send it null or leave it out; Rust: callers must now provide it: the Rust field is no longer an `Option` (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

#[test]
fn request_enum_values() {
    assert_eq!(
        report(&mutated("request enum value added")),
        vec![
            rust("- `ThingInput`: field `thing.color`: enum value `green` added — wire: safe, what old clients send stays valid; Rust: callers may send the new value, but exhaustive `match`es on the generated enum stop compiling (linq-api: major, linq-api-ext: patch; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("request enum value removed")),
        vec![
            both("- `ThingInput`: field `thing.color`: enum value `blue` removed — wire: **breaks**, old clients may send a value Linq now refuses; Rust: callers sending it no longer compile (and Linq would refuse it) (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

/// The base fixture with `edits` made structurally (not a kind of the catalogue: no verdict of
/// cargo-semver-checks is recorded for it).
fn edited(text: &str, edits: &'static [semver::Edit]) -> String {
    semver::Mutation {
        kind: "a test's edit",
        edits,
        unseen: None,
    }
    .apply(text)
    .unwrap()
}

/// `$text` with the value at JSON pointer `$pointer` set to the YAML `$value`, by [`edited`].
macro_rules! with_set {
    ($text:expr, $pointer:literal, $value:literal) => {
        edited($text, &[semver::Edit::Set($pointer, $value)])
    };
}

/// Each change from `old` to `new` as (breaks on the wire, breaks Rust callers, report line).
fn report_between(old: &str, new: &str) -> Vec<(bool, bool, String)> {
    let old = Spec::parse("old.yaml", old).unwrap();
    let new = Spec::parse("new.yaml", new).unwrap();
    diff(&old, &new)
        .iter()
        .map(|c| (c.wire.breaks, c.breaking, c.line()))
        .collect()
}

/// An input gaining an `enum` admits fewer values: a tightening on the wire, and typify carries
/// it in the Rust type (a Rust enum for a string, a newtype refusing other values for a number).
/// On a response it is the safe direction; an enum dropped from an input is safe too.
#[test]
fn an_enum_that_comes_or_goes_is_a_rule_judged_by_its_direction() {
    assert_eq!(
        report(&mutated("request field gained an enum")),
        vec![
            both("- `ThingInput`: field `thing.name`: `enum` `[\"a\",\"b\"]` added (retyped in Rust: `string` → `string (enum)`) — wire: **breaks**, the same JSON type; Linq may refuse values old clients send; Rust: the Rust type of the field changes: typify carries the rule in it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
    assert_eq!(
        report(&mutated("parameter gained an enum")),
        vec![
            both("- `list_things`: query parameter `per_page`: `enum` `[10,50]` added (retyped in Rust: `integer (int64, ≥ 1)` → `integer (int64, ≥ 1, enum)`) — wire: **breaks**, the same JSON type; Linq may refuse values old clients send; Rust: the argument's Rust type changes: typify carries the rule in it (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("response field gained an enum")),
        vec![
            rust("- `Owner`: field `email`: `enum` `[\"a\",\"b\"]` added (retyped in Rust: `string` → `string (enum)`) — wire: safe, the same JSON type; Linq sends values the old rule admits; Rust: the Rust type of the field changes: typify carries the rule in it (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
    assert_eq!(
        report(&edited(
            &base(),
            &[semver::Edit::Remove(
                "/components/schemas/ThingInput/properties/thing/properties/color/enum",
            )]
        )),
        vec![
            rust("- `ThingInput`: field `thing.color`: `enum` `[\"red\",\"blue\"]` removed (retyped in Rust: `string (enum)` → `string`) — wire: safe, the same JSON type; what old clients send stays valid; Rust: the Rust type of the field changes: typify carries the rule in it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
    // Under a named schema the report's signature is the name, which does not change: the enum
    // is found as a rule, and still retypes.
    let named = edited(
        &base(),
        &[
            semver::Edit::Set("/components/schemas/Color", "{type: string}"),
            semver::Edit::Set(
                "/components/schemas/ThingInput/properties/thing/properties/color",
                "{$ref: '#/components/schemas/Color'}",
            ),
        ],
    );
    assert_eq!(
        report_between(
            &named,
            &with_set!(&named, "/components/schemas/Color/enum", "[red, blue]")
        ),
        vec![
            both("- `ThingInput`: field `thing.color`: `enum` `[\"red\",\"blue\"]` added — wire: **breaks**, Linq may refuse values old clients send; Rust: the generated Rust type changes: typify carries the rule in it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
}

/// The rules of the same family as `maxLength` that typify ignores (the Rust type stays):
/// listed with their direction, on objects (`minProperties`, `maxProperties`, on a field or a
/// whole body), arrays (`minItems`, `uniqueItems`), numbers (`multipleOf`, `exclusiveMinimum`)
/// and strings (a `format` typify does not type).
#[test]
fn object_array_number_and_format_rules_are_listed_with_their_direction() {
    let ext_own = "Rust: no Rust type changes; ext does not take this rule from the spec: a check of its own (such as `MAX_PER_PAGE`), if any, must follow by hand (linq-api: patch, linq-api-ext: patch";
    assert_eq!(
        report(&mutated("request object gained minProperties")),
        vec![wire(&format!("- `ThingInput`: field `thing`: `minProperties` 1 added — wire: **breaks**, Linq may refuse values old clients send; {ext_own}; reaches `create_thing` request body)"))]
    );
    assert_eq!(
        report(&mutated("request field gained a format")),
        vec![wire(&format!("- `ThingInput`: field `thing.name`: `format` `email` added — wire: **breaks**, Linq may refuse values old clients send; {ext_own}; reaches `create_thing` request body)"))]
    );
    assert_eq!(
        report(&mutated("response array gained uniqueItems")),
        vec![fine("- `ThingList`: field `things`: `uniqueItems` true added — wire: safe, Linq sends values the old rule admits; Rust: no Rust type changes (linq-api: patch, linq-api-ext: patch; reaches `list_things` response `200`)")]
    );
    let one = |edit: &'static [semver::Edit]| report(&edited(&base(), edit));
    assert_eq!(
        one(&[semver::Edit::Set("/components/schemas/ThingInput/maxProperties", "1")]),
        vec![wire(&format!("- `create_thing`: request body: `maxProperties` 1 added — wire: **breaks**, Linq may refuse values old clients send; {ext_own})"))]
    );
    assert_eq!(
        one(&[
            semver::Edit::Set("/paths/~1things/get/parameters/1/schema/multipleOf", "10"),
            semver::Edit::Set("/paths/~1things/get/parameters/1/schema/exclusiveMinimum", "true"),
        ]),
        vec![
            wire(&format!("- `list_things`: query parameter `per_page`: `exclusiveMinimum` true added — wire: **breaks**, Linq may refuse values old clients send; {ext_own})")),
            wire(&format!("- `list_things`: query parameter `per_page`: `multipleOf` 10 added — wire: **breaks**, Linq may refuse values old clients send; {ext_own})")),
        ]
    );
    // A typed format (`date-time`) retypes; on a response, any format is a promise of more.
    assert_eq!(
        one(&[semver::Edit::Set(
            "/components/schemas/ThingInput/properties/thing/properties/name/format",
            "date-time",
        )]),
        vec![both("- `ThingInput`: field `thing.name`: `format` `date-time` added (retyped in Rust: `string` → `string (date-time)`) — wire: **breaks**, the same JSON type; Linq may refuse values old clients send; Rust: the Rust type of the field changes: typify carries the rule in it (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)")]
    );
    assert_eq!(
        one(&[semver::Edit::Set("/components/schemas/Owner/properties/email/format", "email")]),
        vec![fine("- `Owner`: field `email`: `format` `email` added — wire: safe, Linq sends values the old rule admits; Rust: no Rust type changes (linq-api: patch, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)")]
    );
    // An array inside an input: its bounds, and `required` growing in its items.
    let tags = with_set!(
        &base(),
        "/components/schemas/ThingInput/properties/thing/properties/parts",
        "{type: array, items: {type: object, properties: {label: {type: string}}}}"
    );
    assert_eq!(
        report_between(
            &tags,
            &edited(
                &tags,
                &[
                    semver::Edit::Set("/components/schemas/ThingInput/properties/thing/properties/parts/minItems", "1"),
                    semver::Edit::Set("/components/schemas/ThingInput/properties/thing/properties/parts/items/required", "[label]"),
                ]
            )
        ),
        vec![
            wire(&format!("- `ThingInput`: field `thing.parts`: `minItems` 1 added — wire: **breaks**, Linq may refuse values old clients send; {ext_own}; reaches `create_thing` request body)")),
            both("- `ThingInput`: field `thing.parts[].label` became required — wire: **breaks**, old clients may send it null or leave it out; Rust: callers must now provide it: the Rust field is no longer an `Option` (linq-api: major, linq-api-ext: major; reaches `create_thing` request body)"),
        ]
    );
    // A response bound loosened: old clients may rely on the old one.
    let capped = |max: &'static str| -> String {
        let edit: &'static [semver::Edit] = match max {
            "10" => &[semver::Edit::Set(
                "/components/schemas/ThingList/properties/things/maxItems",
                "10",
            )],
            _ => &[semver::Edit::Set(
                "/components/schemas/ThingList/properties/things/maxItems",
                "100",
            )],
        };
        edited(&base(), edit)
    };
    assert_eq!(
        report_between(&capped("10"), &capped("100")),
        vec![wire("- `ThingList`: field `things`: `maxItems` 10 → 100 — wire: **breaks**, old clients may rely on the old rule; Rust: no Rust type changes (linq-api: patch, linq-api-ext: patch; reaches `list_things` response `200`)")]
    );
}

/// `nullable` removed from an input: from a body field (its Rust field stays an `Option` when it
/// is not required) and from a parameter (whose argument progenitor makes an `Option` when its
/// schema is nullable).
#[test]
fn nullable_removed_from_an_input_breaks_on_the_wire() {
    let nullable_name = with_set!(
        &base(),
        "/components/schemas/ThingInput/properties/thing/properties/name/nullable",
        "true"
    );
    assert_eq!(
        report_between(&nullable_name, &base()),
        vec![wire("- `ThingInput`: field `thing.name` is no longer nullable — wire: **breaks**, old clients may send it null or leave it out; Rust: the Rust field stays an `Option` (linq-api: patch, linq-api-ext: patch; reaches `create_thing` request body)")]
    );
    let nullable_page = with_set!(
        &base(),
        "/paths/~1things/get/parameters/1/schema/nullable",
        "true"
    );
    assert_eq!(
        report_between(&nullable_page, &base()),
        vec![wire("- `list_things`: query parameter `per_page` is no longer nullable — wire: **breaks**, old clients may send it null, which Linq now refuses; Rust: the argument stays an `Option` (linq-api: patch, linq-api-ext: patch)")]
    );
    // Required and no longer nullable: the argument stops being an `Option`.
    let required = with_set!(
        &nullable_page,
        "/paths/~1things/get/parameters/1/required",
        "true"
    );
    let was_required_and_nullable = report_between(
        &required,
        &edited(
            &required,
            &[semver::Edit::Remove(
                "/paths/~1things/get/parameters/1/schema/nullable",
            )],
        ),
    );
    assert_eq!(
        was_required_and_nullable,
        vec![both("- `list_things`: query parameter `per_page` is no longer nullable — wire: **breaks**, old clients may send it null, which Linq now refuses; Rust: the argument changes between `T` and `Option<T>` (linq-api: major, linq-api-ext: major)")]
    );
}

const EMAIL: &str = "        email:\n          type: string\n";

#[test]
fn response_field_removed_is_breaking_wherever_it_is_returned() {
    assert_eq!(
        report(&edit(EMAIL, "        phone:\n          type: string\n")),
        vec![
            rust("- `Owner`: field `phone` added — wire: safe, old clients ignore fields they do not know; Rust: code reading the other fields is unaffected, but a struct literal of the generated type (a fake's, a test's) stops compiling: its fields are public and it is not `#[non_exhaustive]` (linq-api: major, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
            both("- `Owner`: field `email` removed — wire: **breaks**, old clients read a field that is no longer sent; Rust: breaks callers that read it: the field disappears from the generated type (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_field_becoming_an_option_is_breaking() {
    assert_eq!(
        report(&mutated("response field became nullable")),
        vec![
            both("- `Thing`: field `id` became nullable — wire: **breaks**, old clients may not expect the field null or missing; Rust: breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response field no longer required")),
        vec![
            both("- `Thing`: field `kind` is no longer required — wire: **breaks**, old clients may not expect the field null or missing; Rust: breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn an_optional_response_field_made_nullable_keeps_its_rust_type_but_breaks_on_the_wire() {
    assert_eq!(
        report(&mutated("optional response field became nullable")),
        vec![
            wire("- `Owner`: field `email` became nullable — wire: **breaks**, old clients may not expect the field null or missing; Rust: the Rust field stays an `Option` (linq-api: patch, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_field_retyped_is_breaking() {
    assert_eq!(
        report(&mutated("response field retyped")),
        vec![
            both("- `Thing`: field `id` retyped: `integer (int64)` → `string` — wire: **breaks**, old clients read a value of the old type; Rust: the Rust type of the field changes (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn new_enum_value_in_a_response_is_breaking() {
    assert_eq!(
        report(&mutated("response enum value added")),
        vec![
            both("- `Thing`: field `kind`: enum value `huge` added — wire: **breaks**, old clients may refuse a value they do not know; Rust: exhaustive `match`es on the generated enum stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
}

#[test]
fn response_enum_value_and_variant_removed_are_breaking_a_variant_added_too() {
    assert_eq!(
        report(&mutated("response enum value removed")),
        vec![
            rust("- `Thing`: field `kind`: enum value `large` removed — wire: safe, Linq sends fewer values, each of which old clients know; Rust: code naming the removed variant no longer compiles (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response variant added (oneOf)")),
        vec![
            both("- `ErrorBody`: variant `<#2>` added — wire: **breaks**, old clients may refuse bodies they do not know; Rust: a new variant of the generated enum: exhaustive `match`es stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `400`, `create_thing` response `422`)"),
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
            both("- `ErrorBody`: variant `<Teapot>` added — wire: **breaks**, old clients may refuse bodies they do not know; Rust: a new variant of the generated enum: exhaustive `match`es stop compiling (linq-api: major, linq-api-ext: patch; reaches `list_things` response `400`, `create_thing` response `422`)"),
        ]
    );
    assert_eq!(
        report(&mutated("response variant removed (oneOf)")),
        vec![
            rust("- `ErrorBody`: variant `<CodedError>` removed — wire: safe, Linq sends fewer shapes, each of which old clients know; Rust: code naming the variant no longer compiles (linq-api: major, linq-api-ext: major; reaches `list_things` response `400`, `create_thing` response `422`)"),
        ]
    );
}

#[test]
fn a_request_body_that_became_optional_changes_nothing_for_callers() {
    assert_eq!(
        report(&mutated("request body became optional")),
        vec![
            fine("- `create_thing`: request body is no longer required — wire: safe, old clients send one anyway; Rust: the positional client always sends the body (linq-api: patch, linq-api-ext: patch)"),
        ]
    );
}

#[test]
fn status_codes() {
    assert_eq!(
        report(&mutated("success status added")),
        vec![
            fine("- `create_thing`: status `200` added — wire: safe, a success either way; old clients read the same body; Rust: a `200` used to arrive as `Error::UnexpectedResponse`; it now succeeds (linq-api: minor via its `httpmock` feature, linq-api-ext: patch)"),
        ]
    );
    assert_eq!(
        report(&mutated("error status added, the operation's first")),
        vec![
            rust("- `delete_thing`: status `404` added — wire: safe, an error either way; Rust: the operation's first error body: its error type changes from `Error<()>` to `Error<ErrorBody>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("error status added beside another")),
        vec![
            rust("- `create_thing`: status `400` added — wire: safe, an error either way; Rust: a `400` moves from `Error::UnexpectedResponse` to `Error::ErrorResponse` with a typed body; code matching the former no longer sees it (linq-api: minor via its `httpmock` feature, linq-api-ext: patch)"),
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
        vec!["- `create_thing`: status `400` removed — wire: safe, an error either way; Rust: a `400` now arrives as `Error::UnexpectedResponse` instead of a typed `Error::ErrorResponse` (linq-api: major via its `httpmock` feature, linq-api-ext: patch)"]
    );
    assert_eq!(
        report(&mutated("error status removed, the operation's last")),
        vec![
            rust("- `list_things`: status `400` removed — wire: safe, an error either way; Rust: the operation's last error body: its error type changes from `Error<ErrorBody>` to `Error<()>` (linq-api: major, linq-api-ext: major)"),
        ]
    );
    assert_eq!(
        report(&mutated("success status replaced (204 by 200)")),
        vec![
            fine("- `delete_thing`: status `200` added — wire: safe, a success either way; old clients read the same body; Rust: a `200` used to arrive as `Error::UnexpectedResponse`; it now succeeds (linq-api: minor via its `httpmock` feature, linq-api-ext: patch)"),
            both("- `delete_thing`: status `204` removed — wire: **breaks**, old clients that wait for this status get another; Rust: a `204` now arrives as `Error::UnexpectedResponse` instead of succeeding (linq-api: major via its `httpmock` feature, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn body_retyped_reports_the_type_not_every_field() {
    assert_eq!(
        report(&mutated("response body retyped")),
        vec![
            both("- `create_thing`: response `201` body retyped: `Thing` → `Owner` — wire: **breaks**, old clients read a value of the old type; Rust: the return or error type changes (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn request_body_added_is_breaking() {
    assert_eq!(
        report(&mutated("request body added")),
        vec![
            rust("- `delete_thing`: request body added — wire: safe, old clients send no body, and need not; Rust: the positional client gains a `body` argument (linq-api: major, linq-api-ext: major)"),
        ]
    );
}

#[test]
fn types_added_and_removed() {
    assert_eq!(
        report(&mutated("schema added")),
        vec![
            fine("- `types`: schema `Spare` added — wire: safe, a schema's name is not sent; Rust: a new type `types::Spare` (linq-api: minor, linq-api-ext: patch)"),
        ]
    );
    let lines = report(&mutated("schema renamed"));
    assert!(lines.contains(&rust("- `types`: schema `ErrorBody` removed — wire: safe, a schema's name is not sent; Rust: the type `types::ErrorBody` disappears; code naming it no longer compiles (linq-api: major, linq-api-ext: major)")));
    assert!(lines.contains(&rust("- `list_things`: response `400` body retyped: `ErrorBody` → `ErrorPayload` — wire: safe, the same schema under another name; Rust: the return or error type changes (linq-api: major, linq-api-ext: major)")));
}

#[test]
fn the_markdown_report_heads_with_the_wire_and_checks_the_versions() {
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
    report.versions = versions("0.1.0", "0.1.0", "0.2.0");
    assert_eq!(report.wire_breaking(), 1);
    assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
    assert_eq!(
        report.to_markdown(),
        "## API changes: `origin/main` → working tree\n\n\
         **Wire: 1 breaking change**, 1 safe. **Rust: `linq-api` major, `linq-api-ext` major.**\n\n\
         ### Breaks on the wire\n\n\
         - `Thing`: field `kind` is no longer required — wire: **breaks**, old clients may not expect the field null or missing; Rust: breaks callers that read it: the Rust field becomes an `Option` (linq-api: major, linq-api-ext: major; reaches `list_things` response `200`, `create_thing` response `201`)\n\n\
         ### Safe on the wire\n\n\
         - `types`: schema `Spare` added — wire: safe, a schema's name is not sent; Rust: a new type `types::Spare` (linq-api: minor, linq-api-ext: patch)\n\n\
         ### Version bumps\n\n\
         - `linq-api`: **major** — needs 0.2.0; Cargo.toml has 0.1.0: **below it: bump the version**\n\
         - `linq-api-ext`: **major** — needs 0.2.0; Cargo.toml has 0.2.0: ok\n\n\
         _Wire: would an HTTP client in any language, written against the base, break. Rust: callers of the crates; the rules are in `openapi/README.md`._\n"
    );
    assert_eq!(
        report.gate(false),
        [
            "1 change breaks on the wire; pass --allow-breaking if intended",
            "linq-api needs a major release (0.2.0), but its Cargo.toml has 0.1.0: bump its version",
        ]
    );
    // --allow-breaking waives the wire, not the version.
    assert_eq!(report.gate(true).len(), 1);
    let json = report.to_json();
    assert_eq!(json["wire_breaking"], 1);
    assert_eq!(json["bumps"]["linq-api"], "major");
    assert_eq!(json["versions"][0]["short"], true);
    assert_eq!(json["versions"][1]["short"], false);
    assert_eq!(json["changes"][0]["wire"]["breaks"], true);
    assert_eq!(json["changes"][0]["rust"]["linq-api-ext"], "major");
    assert_eq!(json["gate"].as_array().map(Vec::len), Some(2));
}

/// The versions of `linq-api` and `linq-api-ext`: `base` at the base, then each one's now.
fn versions(base: &str, api: &str, ext: &str) -> Vec<CrateVersion> {
    [("linq-api", api), ("linq-api-ext", ext)]
        .into_iter()
        .map(|(name, head)| CrateVersion {
            name: name.into(),
            base: Some(base.into()),
            head: Some(head.into()),
        })
        .collect()
}

#[test]
fn a_bump_the_version_already_carries_does_not_gate_nor_does_a_patch() {
    let old = Spec::parse("a", &base()).unwrap();
    let new = Spec::parse("b", &mutated("response field added")).unwrap();
    let mut report = Report::new("a", "b", &old, &new);
    assert_eq!(report.wire_breaking(), 0);
    report.versions = versions("0.1.0", "0.2.0", "0.1.0");
    assert_eq!(report.gate(false), Vec::<String>::new());
    report.versions = versions("0.1.0", "0.1.9", "0.1.0");
    assert_eq!(
        report.gate(false),
        ["linq-api needs a major release (0.2.0), but its Cargo.toml has 0.1.9: bump its version"]
    );
    // Without a base version (a `--base-file`), versions are not checked.
    report.versions[0].base = None;
    assert_eq!(report.gate(false), Vec::<String>::new());
}

#[test]
fn crate_versions_are_read_from_the_manifests_or_the_workspace() {
    let manifests = |path: &str| match path {
        "Cargo.toml" => Some("[workspace]\n[workspace.package]\nversion = \"0.3.1\"\n".to_owned()),
        "linq-api/Cargo.toml" => {
            Some("[package]\nname = \"linq-api\"\nversion.workspace = true\n".to_owned())
        }
        "linq-api-ext/Cargo.toml" => {
            Some("[package]\nversion = \"0.4.0\"\n[dependencies]\nversion = \"9\"\n".to_owned())
        }
        _ => None,
    };
    assert_eq!(
        xtask::crate_version(manifests, "linq-api").as_deref(),
        Some("0.3.1")
    );
    assert_eq!(
        xtask::crate_version(manifests, "linq-api-ext").as_deref(),
        Some("0.4.0")
    );
    assert_eq!(xtask::crate_version(manifests, "linq-fake"), None);
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
        vec![wire("- `list_things`: query parameter `per_page` renamed to `page_size` — wire: **breaks**, old clients send the old name, which Linq no longer reads; Rust: the positional argument keeps its place and type (only its name in the signature changes); the request sends the new name; the `httpmock` feature's `When` method of the parameter is renamed (linq-api: major via its `httpmock` feature, linq-api-ext: patch)")]
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

/// Issue #26's seven realistic Linq changes, made structurally on the real spec (so that they
/// survive edits of it), each with its wire and Rust verdicts.
mod linq_changes {
    use super::*;
    use xtask::semver::{Edit, Mutation};

    fn real() -> String {
        std::fs::read_to_string(workspace_root().join(xtask::snapshot::SPEC)).unwrap()
    }

    /// The report of `edits` on the real spec, with both crates at 0.1.0 before and after.
    fn report_of(edits: &'static [Edit]) -> Report {
        let base = real();
        let mutation = Mutation {
            kind: "a Linq change",
            edits,
            unseen: None,
        };
        let new = mutation.apply(&base).unwrap();
        let old = Spec::parse("base", &base).unwrap();
        let mut report = Report::new(
            "base",
            "edited",
            &old,
            &Spec::parse("edited", &new).unwrap(),
        );
        report.versions = versions("0.1.0", "0.1.0", "0.1.0");
        report
    }

    /// Each change as (breaks on the wire, subject and what).
    fn verdicts(report: &Report) -> Vec<(bool, String)> {
        report
            .changes
            .iter()
            .map(|c| (c.wire.breaks, format!("{}: {}", c.subject, c.what)))
            .collect()
    }

    #[test]
    fn a_response_field_added_is_safe_on_the_wire_and_gates_only_on_linq_api_s_version() {
        let report = report_of(&[Edit::Set(
            "/components/schemas/Contact/properties/tags",
            "{type: array, items: {type: string}}",
        )]);
        assert_eq!(
            verdicts(&report),
            [(false, "Contact: field `tags` added".into())]
        );
        let reaches = &report.changes[0].reaches;
        assert!(
            reaches.contains(&"`list_contacts` response `200`".to_owned()),
            "{reaches:?}"
        );
        // A webhook delivery carries the contact too.
        assert!(
            reaches.contains(&"`webhook_event` delivery body".to_owned()),
            "{reaches:?}"
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Patch));
        assert_eq!(
            report.gate(false),
            ["linq-api needs a major release (0.2.0), but its Cargo.toml has 0.1.0: bump its version"]
        );
    }

    #[test]
    fn an_optional_list_parameter_added_is_safe_on_the_wire() {
        let report = report_of(&[Edit::Set(
            "/paths/~1api~1partner~1v2~1contacts/get/parameters/-",
            "{name: updated_since, in: query, required: false, schema: {type: string, format: date-time}}",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                false,
                "list_contacts: query parameter `updated_since` added (optional)".into()
            )]
        );
        assert!(report.changes[0].breaking, "positional calls change");
        assert_eq!(report.bumps(), (Bump::Major, Bump::Patch));
    }

    #[test]
    fn a_webhook_event_type_added_is_safe_on_the_wire_with_or_without_its_payload() {
        let report = report_of(&[Edit::Set(
            "/components/schemas/KnownWebhookEventType/enum/-",
            "contact.merged",
        )]);
        assert_eq!(report.wire_breaking(), 0, "{:#?}", report.changes);
        assert!(report
            .changes
            .iter()
            .all(|c| c.what.contains("enum value `contact.merged` added")));
        assert!(report.changes[0]
            .wire
            .reason
            .contains("`OtherWebhookEventType`"));
        assert_eq!(report.bumps(), (Bump::Major, Bump::Patch));

        // With a payload schema of its own: a new member of `WebhookEvent`, which old receivers
        // already took as `OtherWebhookEvent`.
        let report = report_of(&[
            Edit::Set("/components/schemas/KnownWebhookEventType/enum/-", "contact.merged"),
            Edit::Set(
                "/components/schemas/ContactMergedEvent",
                "{type: object, x-linq-webhook-event: contact.merged, required: [event_type], properties: {event_type: {type: string, enum: [contact.merged]}, data: {$ref: '#/components/schemas/Contact'}}}",
            ),
            Edit::Set(
                "/components/schemas/WebhookEvent/oneOf/-",
                "{$ref: '#/components/schemas/ContactMergedEvent'}",
            ),
            Edit::Set(
                "/components/schemas/OtherWebhookEvent/properties/event_type/not/enum/-",
                "contact.merged",
            ),
        ]);
        assert_eq!(report.wire_breaking(), 0, "{:#?}", report.changes);
        let whats: Vec<String> = verdicts(&report).into_iter().map(|(_, w)| w).collect();
        assert!(
            whats.contains(&"WebhookEvent: variant `<ContactMergedEvent>` added".to_owned()),
            "{whats:#?}"
        );
        assert!(whats.contains(&"types: schema `ContactMergedEvent` added".to_owned()));
    }

    #[test]
    fn a_find_parameter_made_required_or_a_contact_field_removed_breaks_the_wire() {
        let report = report_of(&[Edit::Set(
            "/paths/~1api~1partner~1v2~1contacts~1find/get/parameters/1/required",
            "true",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                true,
                "find_contact: query parameter `phone_number` became required".into()
            )]
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
        let report = report_of(&[Edit::Remove(
            "/components/schemas/Contact/properties/location",
        )]);
        assert_eq!(
            verdicts(&report),
            [(true, "Contact: field `location` removed".into())]
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
        assert_eq!(report.gate(false).len(), 3, "{:?}", report.gate(false));
    }

    #[test]
    fn a_new_bulk_operation_is_safe_on_the_wire_and_major_through_the_mocks() {
        let report = report_of(&[Edit::Set(
            "/paths/~1api~1partner~1v2~1contacts~1bulk",
            "{post: {operationId: bulk_create_contacts, tags: [contacts], summary: Bulk Create Contacts, requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {contacts: {type: array, items: {$ref: '#/components/schemas/ContactFields'}}}}}}}, responses: {'207': {description: One result per contact., content: {application/json: {schema: {type: object, properties: {results: {type: array, items: {type: object}}}}}}}}}}",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                false,
                "bulk_create_contacts: operation `POST /api/partner/v2/contacts/bulk` added".into()
            )]
        );
        let change = &report.changes[0];
        assert_eq!(
            (change.api, change.httpmock, change.ext),
            (Bump::Minor, Bump::Major, Bump::Patch)
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Patch));
    }

    #[test]
    fn a_renamed_field_is_a_removal_and_an_addition() {
        let report = report_of(&[
            Edit::Rename("/components/schemas/Contact/properties/title", "job_title"),
            Edit::Rename(
                "/components/schemas/ContactFields/properties/title",
                "job_title",
            ),
        ]);
        assert_eq!(
            verdicts(&report),
            [
                (false, "Contact: field `job_title` added".into()),
                (true, "Contact: field `title` removed".into()),
                (
                    false,
                    "ContactFields: field `job_title` added (optional)".into()
                ),
                (true, "ContactFields: field `title` removed".into()),
            ]
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
    }

    #[test]
    fn an_id_retyped_from_integer_to_string_breaks_the_wire() {
        let report = report_of(&[Edit::Set(
            "/components/schemas/Contact/properties/id",
            "{type: string, description: The contact ID.}",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                true,
                "Contact: field `id` retyped: `integer (int64, ≥ 1)` → `string`".into()
            )]
        );
        assert_eq!(report.bumps(), (Bump::Major, Bump::Major));
    }

    /// A bound that changes the Rust type (typify makes `minimum: 1` a `NonZeroU64`) but not
    /// the JSON type is judged on the wire by its direction, like any rule: a response that
    /// promises more is safe, one that promises less breaks.
    #[test]
    fn a_response_bound_that_retypes_in_rust_is_judged_by_its_direction_on_the_wire() {
        let tighter = report_of(&[Edit::Set(
            "/components/schemas/WebhookSubscription/properties/delivery_attempts/minimum",
            "0",
        )]);
        let verdict = verdicts(&tighter);
        assert_eq!(verdict.len(), 1, "{verdict:?}");
        assert!(!verdict[0].0, "safe on the wire: {verdict:?}");
        assert!(verdict[0].1.contains("delivery_attempts"), "{verdict:?}");
        let looser = report_of(&[Edit::Remove(
            "/components/schemas/Contact/properties/id/minimum",
        )]);
        let verdict = verdicts(&looser);
        assert!(
            verdict
                .iter()
                .any(|(breaks, what)| *breaks && what.contains("`id`")),
            "old clients may rely on positive ids: {verdict:?}"
        );
    }

    #[test]
    fn a_tightened_input_rule_that_ext_applies_is_a_wire_break_and_a_behaviour_change() {
        let report = report_of(&[Edit::Set(
            "/components/schemas/ContactFields/properties/title/maxLength",
            "100",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                true,
                "ContactFields: field `title`: `maxLength` 255 → 100".into()
            )]
        );
        let change = &report.changes[0];
        assert!(change
            .reason
            .contains("ext now refuses, before sending, input it used to accept"));
        assert_eq!((change.api, change.ext), (Bump::Patch, Bump::Minor));

        let report = report_of(&[Edit::Set(
            "/components/schemas/ContactFields/properties/email/pattern",
            r"'^(?: *|[^\s@\x00-\x1F\x7F]+@[^\s@\x00-\x1F\x7F]+\.[a-z]+)$'",
        )]);
        assert_eq!(report.wire_breaking(), 1, "{:#?}", report.changes);
        assert!(report.changes[0]
            .what
            .starts_with("field `email`: `pattern` `"));
        assert_eq!(report.bumps(), (Bump::Patch, Bump::Minor));
    }

    #[test]
    fn a_loosened_parameter_rule_is_safe_and_says_ext_s_own_check_must_follow() {
        let report = report_of(&[Edit::Set(
            "/paths/~1api~1partner~1v2~1contacts/get/parameters/1/schema/maximum",
            "200",
        )]);
        assert_eq!(
            verdicts(&report),
            [(
                false,
                "list_contacts: query parameter `per_page`: `maximum` 100 → 200".into()
            )]
        );
        assert!(report.changes[0].reason.contains("`MAX_PER_PAGE`"));
        assert_eq!(report.bumps(), (Bump::Patch, Bump::Patch));
        assert_eq!(report.gate(false), Vec::<String>::new());
    }

    /// The spec's own #26 change: a subscription input's `version` gained `enum: [2]` and a
    /// contact input `minProperties: 1`. Both are listed as tightened inputs, the first retyping
    /// in Rust (typify's newtype that refuses anything but 2).
    #[test]
    fn an_input_enum_and_min_properties_are_listed_as_tightened_inputs() {
        let before = Mutation {
            kind: "before #26",
            edits: &[
                Edit::Remove(
                    "/components/schemas/WebhookSubscriptionInput/properties/version/enum",
                ),
                Edit::Remove("/components/schemas/ContactFields/minProperties"),
            ],
            unseen: None,
        }
        .apply(&real())
        .unwrap();
        let old = Spec::parse("before", &before).unwrap();
        let new = Spec::parse("real", &real()).unwrap();
        let report = Report::new("before", "real", &old, &new);
        assert_eq!(
            verdicts(&report),
            [
                (true, "ContactInput: field `contact`: `minProperties` 1 added".into()),
                (
                    true,
                    "WebhookSubscriptionInput: field `version`: `enum` `[2]` added (retyped in Rust: `integer (int64)` → `integer (int64, enum)`)".into()
                ),
            ]
        );
        let (min_properties, version) = (&report.changes[0], &report.changes[1]);
        assert_eq!(
            (min_properties.api, min_properties.ext),
            (Bump::Patch, Bump::Patch)
        );
        assert!(min_properties
            .reaches
            .contains(&"`create_contact` request body".to_owned()));
        assert_eq!((version.api, version.ext), (Bump::Major, Bump::Major));
        assert_eq!(report.wire_breaking(), 2);
    }

    /// `cargo xtask diff` itself: the JSON output and the exit code of the wire gate.
    #[test]
    fn the_command_prints_json_and_gates_on_the_wire() {
        let dir = std::env::temp_dir().join(format!("xtask-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("base.yaml");
        std::fs::write(&base, real()).unwrap();
        let run = |edits: &'static [Edit], extra: &[&str]| {
            let edited = dir.join("edited.yaml");
            let mutation = Mutation {
                kind: "cli",
                edits,
                unseen: None,
            };
            std::fs::write(&edited, mutation.apply(&real()).unwrap()).unwrap();
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args(["diff", "--base-file"])
                .arg(&base)
                .arg("--spec")
                .arg(&edited)
                .args(extra)
                .output()
                .unwrap();
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            )
        };
        let tags: &'static [Edit] = &[Edit::Set(
            "/components/schemas/Contact/properties/tags",
            "{type: array, items: {type: string}}",
        )];
        let (code, out) = run(tags, &["--format", "json"]);
        assert_eq!(code, Some(0), "{out}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["wire_breaking"], 0);
        assert_eq!(json["changes"][0]["rust"]["linq-api"], "major");
        let retype: &'static [Edit] = &[Edit::Set(
            "/components/schemas/Contact/properties/id",
            "{type: string}",
        )];
        let (code, out) = run(retype, &["--json"]);
        assert_eq!(code, Some(1), "{out}");
        assert_eq!(run(retype, &["--allow-breaking"]).0, Some(0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The release flow fed by the report: each change becomes one changelog entry under its Keep a
/// Changelog kind, and the release check fails while the Unreleased section lacks one or a
/// version falls short of its bump.
#[test]
fn the_report_feeds_the_changelog_and_gates_the_release() {
    let old = Spec::parse("v0.1.0", &base()).unwrap();
    let new = Spec::parse("b", &mutated("response field added")).unwrap();
    let mut report = Report::new("v0.1.0", "b", &old, &new);
    let removed = Spec::parse("c", &mutated("operation removed")).unwrap();
    report
        .changes
        .extend(Report::new("v0.1.0", "c", &old, &removed).changes);
    let entries = report.changelog_entries();
    let kinds: Vec<&str> = entries.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(kinds, ["Added", "Removed"], "{entries:#?}");
    assert!(
        entries[1].1.starts_with("- **Breaks on the wire**: `"),
        "{}",
        entries[1].1
    );
    assert!(
        entries[0]
            .1
            .ends_with("(linq-api: major, linq-api-ext: patch)"),
        "{}",
        entries[0].1
    );

    let changelog = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n";
    report.versions = versions("0.1.0", "0.2.0", "0.2.0");
    let problems = xtask::release::check(changelog, Some(&report));
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems
        .iter()
        .all(|p| p.contains("Unreleased section lacks")));
    let written = xtask::release::merge(changelog, &entries).unwrap();
    assert_eq!(
        xtask::release::check(&written, Some(&report)),
        Vec::<String>::new()
    );
    // A wire break does not stop a release (Linq made it); a version below its bump does.
    report.versions = versions("0.1.0", "0.1.1", "0.2.0");
    assert_eq!(
        xtask::release::check(&written, Some(&report)),
        ["linq-api needs a major release (0.2.0), but its Cargo.toml has 0.1.1: bump its version"]
    );
}
