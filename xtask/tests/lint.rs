//! Each lint rule against a fixture that violates it, asserting the finding, its JSON pointer
//! and its line; the clean fixture and the real spec have no finding.

use xtask::{
    lint::{lint, Finding, Rule},
    snapshot::SPEC,
    spec::Spec,
    workspace_root,
};

fn findings(fixture: &str) -> (String, Vec<Finding>) {
    let path = workspace_root()
        .join("xtask/tests/fixtures/lint")
        .join(format!("{fixture}.yaml"));
    let spec = Spec::load(&path).unwrap();
    let name = format!("{fixture}.yaml");
    (name, lint(&spec))
}

/// Asserts the exact findings of a fixture, as `cargo xtask lint` prints them.
fn assert_findings(fixture: &str, expected: &[&str]) {
    let (name, findings) = findings(fixture);
    let rendered: Vec<String> = findings.iter().map(|f| f.render(&name)).collect();
    assert_eq!(rendered, expected, "findings of {fixture}.yaml");
}

/// The rule codes found in a fixture, for the cases where one rule implies another.
fn rules(fixture: &str) -> Vec<Rule> {
    findings(fixture).1.into_iter().map(|f| f.rule).collect()
}

#[test]
fn the_clean_fixture_has_no_finding() {
    assert_eq!(findings("clean").1, Vec::<Finding>::new());
}

#[test]
fn the_real_spec_lints_clean() {
    let spec = Spec::load(&workspace_root().join(SPEC)).unwrap();
    let findings: Vec<String> = lint(&spec).iter().map(|f| f.render(SPEC)).collect();
    assert_eq!(findings, Vec::<String>::new());
}

#[test]
fn each_finding_carries_pointer_and_line() {
    let (_, findings) = findings("nullable-ref");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, Rule::NullableRef);
    assert_eq!(
        findings[0].pointer,
        "/components/schemas/Thing/properties/last_error/nullable"
    );
    assert_eq!(findings[0].line, Some(64));
}

#[test]
fn rule_default_response() {
    assert_findings(
        "default-response",
        &[
            "default-response.yaml:32: default-response: a `default` response counts as another success type in progenitor (build panic); declare the statuses instead (at /paths/~1things~1{id}/delete/responses/default)",
        ],
    );
}

#[test]
fn rule_error_schema() {
    assert_findings(
        "error-schema",
        &[
            "error-schema.yaml:23: error-schema: error response `404` must have a JSON body `$ref: '#/components/schemas/ErrorBody'`, found `#/components/schemas/Thing` (at /paths/~1things~1{id}/get/responses/404)",
        ],
    );
}

#[test]
fn rule_invalid_example() {
    assert_findings(
        "invalid-example",
        &[
            "invalid-example.yaml:21: invalid-example: example `one` (#/components/examples/OneThing) does not match its schema: /id: \"one\" is not of type \"integer\" (at /paths/~1things~1{id}/get/responses/200/content/application~1json/examples/one)",
            "invalid-example.yaml:44: invalid-example: the example does not match its schema: /: 0 is less than the minimum of 1 (at /components/parameters/ThingId/example)",
        ],
    );
}

/// A second error schema is never `ErrorBody`, so this rule always comes with `error-schema`.
#[test]
fn rule_mixed_error_schemas() {
    assert_eq!(
        rules("mixed-error-schemas"),
        [Rule::MixedErrorSchemas, Rule::ErrorSchema]
    );
    assert_findings(
        "mixed-error-schemas",
        &[
            "mixed-error-schemas.yaml:29: mixed-error-schemas: `delete_thing`: different error schemas (404: ErrorBody, 409: no body); progenitor panics (one error type per operation) (at /paths/~1things~1{id}/delete/responses)",
            "mixed-error-schemas.yaml:34: error-schema: error response `409` must have a JSON body `$ref: '#/components/schemas/ErrorBody'`, found no JSON body (at /paths/~1things~1{id}/delete/responses/409)",
        ],
    );
}

#[test]
fn rule_mixed_success_bodies() {
    assert_findings(
        "mixed-success-bodies",
        &[
            "mixed-success-bodies.yaml:29: mixed-success-bodies: `delete_thing`: 2xx with a body (200) beside 2xx without one (204); progenitor panics (one success type per operation) (at /paths/~1things~1{id}/delete/responses)",
        ],
    );
}

#[test]
fn rule_mixed_success_schemas() {
    assert_findings(
        "mixed-success-schemas",
        &[
            "mixed-success-schemas.yaml:13: mixed-success-schemas: `get_thing`: different success schemas (200: Thing, 201: ErrorBody); progenitor panics (one success type per operation) (at /paths/~1things~1{id}/get/responses)",
        ],
    );
}

#[test]
fn rule_nullable_ref() {
    assert_findings(
        "nullable-ref",
        &[
            "nullable-ref.yaml:64: nullable-ref: `nullable` beside `$ref` is ignored (a `$ref` ignores its siblings); for a nullable reference write `oneOf: [{$ref: ...}, {type: object, nullable: true, enum: [null]}]` (JSON null; progenitor makes it an `Option`) (at /components/schemas/Thing/properties/last_error/nullable)",
        ],
    );
}

#[test]
fn rule_nullable_without_type() {
    assert_findings(
        "nullable-without-type",
        &[
            "nullable-without-type.yaml:63: nullable-without-type: `nullable` without a `type` beside it means nothing in OpenAPI 3.0.3 (it only widens that `type`; Spectral and Redocly reject it); for a nullable reference write `oneOf: [{$ref: ...}, {type: object, nullable: true, enum: [null]}]` (JSON null; progenitor makes it an `Option`) (at /components/schemas/Thing/properties/last_error/nullable)",
        ],
    );
}

#[test]
fn rule_openapi_3_1_syntax() {
    assert_findings(
        "openapi-3.1-syntax",
        &[
            "openapi-3.1-syntax.yaml:60: openapi-3.1-syntax: `type` is a list (OpenAPI 3.1 syntax); use one type and `nullable: true` (at /components/schemas/Thing/properties/name/type)",
        ],
    );
}

#[test]
fn rule_openapi_version() {
    assert_findings(
        "openapi-version",
        &[
            "openapi-version.yaml:1: openapi-version: openapi 3.1.0 is not 3.0.x; progenitor only reads OpenAPI 3.0 (at /openapi)",
        ],
    );
}

#[test]
fn rule_operation_id_duplicate() {
    assert_findings(
        "operation-id-duplicate",
        &[
            "operation-id-duplicate.yaml:26: operation-id: operationId `get_thing` is already used at line 10 (at /paths/~1things~1{id}/delete/operationId)",
        ],
    );
}

#[test]
fn rule_operation_id() {
    assert_findings(
        "operation-id",
        &[
            "operation-id.yaml:10: operation-id: operationId `getThing` is not snake_case (it becomes the Rust method name) (at /paths/~1things~1{id}/get/operationId)",
        ],
    );
}

#[test]
fn rule_operation_summary() {
    assert_findings(
        "operation-summary",
        &[
            "operation-summary.yaml:25: operation-summary: `delete_thing` has no summary (at /paths/~1things~1{id}/delete)",
        ],
    );
}

#[test]
fn rule_operation_tag() {
    assert_findings(
        "operation-tag",
        &[
            "operation-tag.yaml:9: operation-tag: `get_thing` has no tag (at /paths/~1things~1{id}/get)",
        ],
    );
}

#[test]
fn rule_server_error_declared() {
    assert_findings(
        "server-error-declared",
        &[
            "server-error-declared.yaml:34: server-error-declared: `503` is declared: a 5xx with a body that is not JSON (a proxy's HTML page) would lose its status; leave 5xx undeclared so it arrives as UnexpectedResponse (at /paths/~1things~1{id}/delete/responses/503)",
        ],
    );
}

#[test]
fn rule_success_response() {
    assert_findings(
        "success-response",
        &[
            "success-response.yaml:29: success-response: `delete_thing` declares no 2xx response (at /paths/~1things~1{id}/delete/responses)",
        ],
    );
}

#[test]
fn rule_unresolved_ref() {
    assert_findings(
        "unresolved-ref",
        &[
            "unresolved-ref.yaml:63: unresolved-ref: `$ref: #/components/schemas/Owner` does not resolve (at /components/schemas/Thing/properties/owner/$ref)",
        ],
    );
}

#[test]
fn rule_unused_component() {
    assert_findings(
        "unused-component",
        &[
            "unused-component.yaml:68: unused-component: schema `Unused` is not used by any operation; remove it (at /components/schemas/Unused)",
            "unused-component.yaml:75: unused-component: example `Spare` is not used by any operation; remove it (at /components/examples/Spare)",
        ],
    );
}

#[test]
fn rule_webhook_event() {
    // A mark that is no known event type, on a schema that lacks envelope members, whose
    // `event_type` disagrees, and that is not a branch of `WebhookEvent`; the fallback then
    // does not exclude exactly the marked types.
    assert_findings(
        "webhook-event",
        &[
            "webhook-event.yaml:52: webhook-event: the marked event `ThingDeleted` is not a branch of `WebhookEvent` (at /components/schemas/WebhookEvent/oneOf)",
            "webhook-event.yaml:63: unused-component: schema `ThingDeleted` is not used by any operation; remove it (at /components/schemas/ThingDeleted)",
            "webhook-event.yaml:65: webhook-event: event type `thing.removed` is not a value of `KnownWebhookEventType` (at /components/schemas/ThingDeleted/x-linq-webhook-event)",
            "webhook-event.yaml:66: webhook-event: the event `ThingDeleted` must require the envelope's members; missing: api_version, created_at, event_id (at /components/schemas/ThingDeleted/required)",
            "webhook-event.yaml:67: webhook-event: the event `ThingDeleted` must have `event_type: {type: string, enum: [thing.removed]}`, as its mark says (at /components/schemas/ThingDeleted/properties)",
            "webhook-event.yaml:74: webhook-event: the fallback event `OtherEvent` must have `event_type: {type: string, not: {type: string, enum: [thing.created, thing.removed]}}` (exactly the marked types), so that the branches of `WebhookEvent` stay exclusive (at /components/schemas/OtherEvent/properties)",
        ],
    );
}

#[test]
fn a_mark_used_twice_and_an_envelope_without_fallback_are_found() {
    let text = std::fs::read_to_string(
        workspace_root().join("xtask/tests/fixtures/lint/webhook-event.yaml"),
    )
    .unwrap()
    .replace(
        "x-linq-webhook-event: thing.removed",
        "x-linq-webhook-event: thing.created",
    )
    .replace(
        "        - $ref: '#/components/schemas/OtherEvent'\n",
        "        - $ref: '#/components/schemas/ThingDeleted'\n",
    );
    let spec = Spec::parse("twice.yaml", &text).unwrap();
    let messages: Vec<String> = lint(&spec)
        .into_iter()
        .filter(|f| f.rule == Rule::WebhookEvent)
        .map(|f| f.message)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m == "event type `thing.created` is already marked on `ThingCreated`"),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("exactly one fallback for other event types; found 0")),
        "{messages:#?}"
    );
}

#[test]
fn the_real_snapshot_surface_has_every_operation_of_the_spec() {
    let text = std::fs::read_to_string(workspace_root().join(xtask::snapshot::SNAPSHOT)).unwrap();
    let surface = xtask::snapshot::Surface::of(xtask::snapshot::snapshot_body(&text)).unwrap();
    let mut operations: Vec<&str> = surface.operations.keys().map(String::as_str).collect();
    operations.sort_unstable();
    // Derived from the spec, so that an operation Linq adds needs no edit here.
    let spec = Spec::load(&workspace_root().join(xtask::snapshot::SPEC)).unwrap();
    let mut expected: Vec<String> = spec
        .operations()
        .iter()
        .map(|op| op.id().unwrap().to_owned())
        .collect();
    expected.sort_unstable();
    assert!(expected.len() > 1, "{expected:?}");
    assert_eq!(operations, expected);
    for name in [
        "Contact",
        "ContactInput",
        "ErrorBody",
        "FindContactResult",
        "StandardError",
        "WebhookSubscription",
        "WebhookSubscriptionInput",
        "WebhookEvent",
        "WebhookEventType",
        "ContactCreatedEvent",
        "OtherWebhookEvent",
    ] {
        assert!(surface.types.contains_key(name), "type {name} not found");
    }
}

#[test]
fn rule_pattern() {
    // The messages linq-api's build would fail with; the fixture's first pattern is fine.
    assert_findings(
        "pattern",
        &[
            "pattern.yaml:67: pattern: linq-api's build cannot compile this pattern: an empty class (`[]a]` at offset 1) is not carried over from ECMA-262; see linq-api/build/patterns.rs for what is (at /components/schemas/Thing/properties/code/pattern)",
            "pattern.yaml:71: pattern: linq-api's build cannot compile this pattern: a Unicode property class (`\\p{L}` at offset 1) is not carried over from ECMA-262; see linq-api/build/patterns.rs for what is (at /components/schemas/Thing/properties/tag/pattern)",
            "pattern.yaml:75: pattern: linq-api's build cannot compile this pattern: a class operation (`a&&b` at offset 2) is not carried over from ECMA-262; see linq-api/build/patterns.rs for what is (at /components/schemas/Thing/properties/slug/pattern)",
        ],
    );
}

#[test]
fn patterns_are_translated_with_ecma_262_meaning_or_refused() {
    use xtask::patterns::translate;
    // `\s`, `.`, `\d` and `\w` become ECMA-262's own classes; literals are written out.
    assert_eq!(
        translate(r"^\s.\d\W$").unwrap(),
        r"^[\x{9}-\x{D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}][^\x{A}\x{D}\x{2028}\x{2029}][0-9][^0-9A-Za-z_]$"
    );
    assert_eq!(
        translate(r"(?:a|b)+[^@\x00-\x1F]{2,3}").unwrap(),
        r"(?:(?:(?:\x{61})|(?:\x{62})))+(?:[^\x{40}\x{0}-\x{1F}]){2,3}"
    );
    // Each construct the two dialects read differently is refused, naming it.
    for (pattern, named) in [
        (r"[^]a]", "an empty class"),
        (r"\bword", "this assertion"),
        (r"\Aa", "this assertion"),
        (r"(?i)a", "an inline flag"),
        (r"(?P<x>a)", "this kind of group"),
        (r"\a", "this escape"),
        (r"\U0001F600", "this escape"),
        (r"\x{41}", "this escape"),
        (r"[[:alpha:]]", "a POSIX class"),
        (r"[a[b]]", "a nested class"),
        (r"a{ 2}", "this repetition"),
        ("😀+", "a character beyond U+FFFF"),
    ] {
        let refused = translate(pattern).unwrap_err();
        assert!(refused.starts_with(named), "{pattern}: {refused}");
    }
    // And what regex-syntax cannot read at all (ECMA-262's look-arounds, back-references).
    for pattern in [r"(?=a)", r"(a)\1"] {
        let refused = translate(pattern).unwrap_err();
        assert!(
            refused.starts_with("regex-syntax cannot read it"),
            "{refused}"
        );
    }
}

#[test]
fn compiled_tables_are_complete_dfas() {
    let table = xtask::patterns::compile("^a+$").unwrap();
    assert_eq!(table.classes.len(), 256);
    assert_eq!(table.next.len(), table.stride * table.flags.len());
    // State 0 is dead: it leads nowhere and never matches.
    assert!(table.next[..table.stride].iter().all(|&s| s == 0));
    assert_eq!(table.flags[0], 0);
    assert!(table
        .next
        .iter()
        .all(|&s| usize::from(s) < table.flags.len()));
    // A pattern whose DFA would not fit the table's byte-sized state ids is refused.
    let refused = xtask::patterns::compile("^a{0,300}$").err().unwrap();
    assert!(refused.contains("more than 256 states"), "{refused}");
}
