//! Every example in `openapi/linq-v2-contacts.yaml` decodes into the generated type of the place
//! it documents, and re-serialises to the same documented fields.
//!
//! The walk covers media-type `example` and `examples` (inline `value` or
//! `$ref: '#/components/examples/...'`) of request bodies and responses, in `paths` (with the
//! request bodies of callbacks: the webhook deliveries) and in
//! `#/components/responses` / `#/components/requestBodies`. The schema `$ref` of the media type
//! says which `linq_api::types` type the example must decode into.
//!
//! Whether each example is valid for its *schema* (with standard OpenAPI 3.0 semantics), wherever
//! it sits, and whether every `#/components/examples` entry is used, is `cargo xtask lint`'s job
//! (`invalid-example`, `unused-component`); this test checks what only Rust can: the generated
//! types read them.

use std::collections::BTreeMap;

use linq_api::types;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};

use crate::support;

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../openapi/linq-v2-contacts.yaml"
);

/// Examples in the spec today (31). Fewer means examples were lost or the walk broke.
const MIN_EXAMPLES: usize = 31;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn load_spec() -> Value {
    let text = std::fs::read_to_string(SPEC_PATH)
        .unwrap_or_else(|e| panic!("cannot read the spec {SPEC_PATH}: {e}"));
    serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("the spec {SPEC_PATH} is not YAML: {e}"))
}

/// One example that was decoded.
#[derive(Debug)]
struct Checked {
    /// JSON pointer of the example (or of its `$ref`).
    location: String,
    /// The schema the example was decoded as.
    schema: String,
    /// The variant of a `oneOf` type it decoded to, if any.
    variant: Option<&'static str>,
}

#[derive(Debug, Default)]
struct Report {
    checked: Vec<Checked>,
    failures: Vec<String>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Walks every request body and response of `spec` and checks their examples.
fn check_spec(spec: &Value) -> Report {
    let mut report = Report::default();

    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let base = format!("/paths/{}/{method}", escape(path));
                if let Some(body) = operation.get("requestBody") {
                    check_holder(spec, body, &format!("{base}/requestBody"), &mut report);
                }
                if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                    for (status, response) in responses {
                        let at = format!("{base}/responses/{}", escape(status));
                        check_holder(spec, response, &at, &mut report);
                    }
                }
                // The webhook deliveries: the request bodies of the operation's callbacks.
                let callbacks = operation.get("callbacks").and_then(Value::as_object);
                for (name, callback) in callbacks.into_iter().flatten() {
                    for (expression, item) in callback.as_object().into_iter().flatten() {
                        for method in METHODS {
                            let Some(body) = item.get(method).and_then(|op| op.get("requestBody"))
                            else {
                                continue;
                            };
                            let at = format!(
                                "{base}/callbacks/{}/{}/{method}/requestBody",
                                escape(name),
                                escape(expression)
                            );
                            check_holder(spec, body, &at, &mut report);
                        }
                    }
                }
            }
        }
    }
    for kind in ["responses", "requestBodies"] {
        if let Some(items) = spec.pointer(&format!("/components/{kind}")).and_then(Value::as_object)
        {
            for (name, holder) in items {
                let at = format!("/components/{kind}/{}", escape(name));
                check_holder(spec, holder, &at, &mut report);
            }
        }
    }
    report
}

/// A request body or response: a `$ref` to a component (checked where it is defined) or an
/// object with `content`.
fn check_holder(spec: &Value, holder: &Value, at: &str, report: &mut Report) {
    if let Some(reference) = holder.get("$ref").and_then(Value::as_str) {
        // Components are walked on their own; only make sure the target exists.
        if resolve(spec, reference).is_none() {
            report.failures.push(format!("{at}: dangling $ref {reference}"));
        }
        return;
    }
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return;
    };
    for (media_type, media) in content {
        let at = format!("{at}/content/{}", escape(media_type));
        check_media_type(spec, media, &at, report);
    }
}

fn check_media_type(spec: &Value, media: &Value, at: &str, report: &mut Report) {
    let has_examples = media.get("example").is_some() || media.get("examples").is_some();
    if !has_examples {
        return;
    }
    let schema = match media
        .pointer("/schema/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => name.to_string(),
        None => {
            report.failures.push(format!(
                "{at}: has examples but its schema is not a `$ref` to #/components/schemas/*, \
                 so no generated type can be chosen for them"
            ));
            return;
        }
    };

    let mut examples: Vec<(String, Value)> = Vec::new();
    if let Some(value) = media.get("example") {
        examples.push((format!("{at}/example"), value.clone()));
    }
    if let Some(map) = media.get("examples") {
        let Some(map) = map.as_object() else {
            report.failures.push(format!("{at}/examples: not a map"));
            return;
        };
        for (name, entry) in map {
            let entry_at = format!("{at}/examples/{}", escape(name));
            let entry = match entry.get("$ref").and_then(Value::as_str) {
                Some(reference) => match resolve(spec, reference) {
                    Some(target) => target,
                    None => {
                        report.failures.push(format!("{entry_at}: dangling $ref {reference}"));
                        continue;
                    }
                },
                None => entry,
            };
            match entry.get("value") {
                Some(value) => examples.push((entry_at, value.clone())),
                None => report.failures.push(format!(
                    "{entry_at}: no `value` (externalValue is not supported here)"
                )),
            }
        }
    }

    for (location, value) in examples {
        match decode_and_round_trip(&schema, &value) {
            Ok(variant) => report.checked.push(Checked {
                location,
                schema: schema.clone(),
                variant,
            }),
            Err(why) => report.failures.push(format!("{location} (schema {schema}): {why}")),
        }
    }
}

fn resolve<'a>(spec: &'a Value, reference: &str) -> Option<&'a Value> {
    spec.pointer(reference.strip_prefix('#')?)
}

/// Decodes `example` as the generated type for `schema`, as the client would decode it from
/// the wire, and checks that re-serialising gives back the documented fields. Returns the
/// `oneOf` variant it decoded to, if the type has variants.
fn decode_and_round_trip(schema: &str, example: &Value) -> Result<Option<&'static str>, String> {
    match schema {
        "Contact" => round_trip::<types::Contact>(example).map(|_| None),
        "ContactEnvelope" => round_trip::<types::ContactEnvelope>(example).map(|_| None),
        "ContactFields" => round_trip::<types::ContactFields>(example).map(|_| None),
        "ContactInput" => round_trip::<types::ContactInput>(example).map(|_| None),
        "ContactList" => round_trip::<types::ContactList>(example).map(|_| None),
        "ContactOwner" => round_trip::<types::ContactOwner>(example).map(|_| None),
        "Pagination" => round_trip::<types::Pagination>(example).map(|_| None),
        "FindContactMiss" => round_trip::<types::FindContactMiss>(example).map(|_| None),
        "StandardError" => round_trip::<types::StandardError>(example).map(|_| None),
        "Error" => round_trip::<types::Error>(example).map(|_| None),
        "ErrorItem" => round_trip::<types::ErrorItem>(example).map(|_| None),
        "WebhookSubscriptionList" => {
            round_trip::<types::WebhookSubscriptionList>(example).map(|_| None)
        }
        "WebhookSubscriptionEnvelope" => {
            round_trip::<types::WebhookSubscriptionEnvelope>(example).map(|_| None)
        }
        "WebhookSubscriptionRequest" => {
            round_trip::<types::WebhookSubscriptionRequest>(example).map(|_| None)
        }
        "WebhookEvent" => {
            let decoded = round_trip::<types::WebhookEvent>(example)?;
            Ok(Some(match decoded {
                types::WebhookEvent::ContactCreatedEvent(_) => "ContactCreatedEvent",
                types::WebhookEvent::ContactUpdatedEvent(_) => "ContactUpdatedEvent",
                types::WebhookEvent::ContactDeletedEvent(_) => "ContactDeletedEvent",
                types::WebhookEvent::OtherWebhookEvent(_) => "OtherWebhookEvent",
            }))
        }
        "FindContactResult" => {
            let decoded = round_trip::<types::FindContactResult>(example)?;
            Ok(Some(match decoded {
                types::FindContactResult::Contact(_) => "Contact",
                types::FindContactResult::FindContactMiss(_) => "FindContactMiss",
            }))
        }
        "ErrorBody" => {
            let decoded = round_trip::<types::ErrorBody>(example)?;
            Ok(Some(match decoded {
                types::ErrorBody::StandardError(_) => "StandardError",
                types::ErrorBody::Error(_) => "Error",
                types::ErrorBody::UnrecognizedError(_) => "UnrecognizedError",
            }))
        }
        other => Err(format!(
            "no linq_api::types type is mapped to schema {other}; add it to \
             decode_and_round_trip"
        )),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<T, String> {
    // Decode from text, exactly as a response body is decoded.
    let text = example.to_string();
    let decoded: T = serde_json::from_str(&text).map_err(|e| format!("does not decode: {e}"))?;
    let again = serde_json::to_value(&decoded).map_err(|e| format!("does not serialise: {e}"))?;
    let mut differences = Vec::new();
    same_documented_fields(example, &again, "", &mut differences);
    if differences.is_empty() {
        Ok(decoded)
    } else {
        Err(format!(
            "re-serialises differently: {}",
            differences.join("; ")
        ))
    }
}

/// Compares the documented `expected` with the re-serialised `actual`, tolerating only what the
/// generated types do by design: a documented `null` may be omitted (optional fields skip
/// `None`), a documented `[]` may be omitted (empty lists are skipped), and a date-time may be
/// written differently (`.000` dropped) as long as it is the same instant in the same offset.
fn same_documented_fields(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                let here = format!("{at}/{key}");
                match a.get(key) {
                    Some(a_value) => same_documented_fields(e_value, a_value, &here, out),
                    None if e_value.is_null() => {}
                    None if e_value.as_array().is_some_and(Vec::is_empty) => {}
                    None => out.push(format!("{here} was dropped")),
                }
            }
            for key in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{at}/{key} appeared"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{at}: {} items became {}", e.len(), a.len()));
            }
            for (i, (e_item, a_item)) in e.iter().zip(a).enumerate() {
                same_documented_fields(e_item, a_item, &format!("{at}/{i}"), out);
            }
        }
        (Value::String(e), Value::String(a)) if e != a => {
            let same_instant = match (
                chrono::DateTime::parse_from_rfc3339(e),
                chrono::DateTime::parse_from_rfc3339(a),
            ) {
                (Ok(e), Ok(a)) => e == a && e.offset() == a.offset(),
                _ => false,
            };
            if !same_instant {
                out.push(format!("{at}: {e:?} became {a:?}"));
            }
        }
        (Value::Number(e), Value::Number(a)) if e != a && e.as_f64() != a.as_f64() => {
            out.push(format!("{at}: {e} became {a}"));
        }
        (e, a) if std::mem::discriminant(e) != std::mem::discriminant(a) => {
            out.push(format!("{at}: {e} became {a}"));
        }
        _ => {}
    }
}

#[test]
fn every_spec_example_decodes_into_its_generated_type_and_round_trips() {
    let spec = load_spec();
    let report = check_spec(&spec);
    assert!(
        report.failures.is_empty(),
        "{} example problem(s):\n  {}",
        report.failures.len(),
        report.failures.join("\n  ")
    );

    assert!(
        report.checked.len() >= MIN_EXAMPLES,
        "only {} examples were checked, expected at least {MIN_EXAMPLES}: {:#?}",
        report.checked.len(),
        report.checked
    );

    // Every body type of the API, and both shapes of each `oneOf`, is exercised by an example.
    let mut seen: BTreeMap<(&str, Option<&str>), usize> = BTreeMap::new();
    for checked in &report.checked {
        *seen.entry((checked.schema.as_str(), checked.variant)).or_default() += 1;
    }
    for expected in [
        ("ContactList", None),
        ("ContactEnvelope", None),
        ("ContactInput", None),
        ("FindContactResult", Some("Contact")),
        ("FindContactResult", Some("FindContactMiss")),
        ("ErrorBody", Some("StandardError")),
        ("ErrorBody", Some("Error")),
        ("ErrorBody", Some("UnrecognizedError")),
        ("WebhookSubscriptionList", None),
        ("WebhookSubscriptionEnvelope", None),
        ("WebhookSubscriptionRequest", None),
        ("WebhookEvent", Some("ContactCreatedEvent")),
        ("WebhookEvent", Some("ContactUpdatedEvent")),
        ("WebhookEvent", Some("ContactDeletedEvent")),
        ("WebhookEvent", Some("OtherWebhookEvent")),
    ] {
        assert!(
            seen.contains_key(&expected),
            "no example of {expected:?}; seen: {seen:?}"
        );
    }

    // Examples inside #/components/responses were decoded, not only those under paths.
    assert!(
        report.checked.iter().any(|c| c.location.starts_with("/components/responses/")),
        "no example under #/components/responses was checked: {:#?}",
        report.checked
    );
}

#[test]
fn shared_component_examples_are_the_documented_ones() {
    // The spec's reusable examples carry the values of Linq's reference, the same fixtures the
    // client tests serve.
    let spec = load_spec();
    let example = |name: &str| -> Value {
        spec.pointer(&format!("/components/examples/{name}/value"))
            .cloned()
            .unwrap_or_else(|| panic!("#/components/examples/{name} has no value"))
    };
    assert_eq!(example("ContactJohn"), support::john_doe_json());
    assert_eq!(
        example("ContactEnvelopeJohn"),
        json!({ "data": support::john_doe_json() })
    );
    assert_eq!(
        example("UpdateEmailOnly"),
        support::update_email_only_json()
    );
    assert_eq!(
        example("ContactNotFound"),
        support::contact_not_found_json()
    );
    assert_eq!(example("ValidationError"), support::validation_error_json());
    assert_eq!(
        spec.pointer(
            "/paths/~1api~1partner~1v2~1contacts/post/requestBody/content/application~1json/examples/default_owner/value"
        ),
        Some(&support::create_request_json())
    );
}

// The checker itself must be able to fail; otherwise the test above proves nothing.

#[test]
fn the_check_rejects_an_example_that_no_longer_matches_its_type() {
    let mut spec = load_spec();
    // An id that is a string, as a careless edit could leave it.
    *spec
        .pointer_mut("/components/examples/ContactJohn/value/id")
        .expect("ContactJohn has an id") = json!("123");
    let report = check_spec(&spec);
    assert!(
        report.failures.iter().any(|f| f.contains("/paths/~1api~1partner~1v2~1contacts~1find/get/responses/200/content/application~1json/examples/found")
            && f.contains("does not decode")),
        "{:#?}",
        report.failures
    );
}

#[test]
fn the_check_rejects_a_documented_field_the_type_drops() {
    let mut spec = load_spec();
    // A field the generated type does not know: it would decode, then silently disappear.
    spec.pointer_mut("/components/examples/ContactNotFound/value")
        .and_then(Value::as_object_mut)
        .expect("ContactNotFound is an object")
        .insert("request_id".into(), json!("req-1"));
    let report = check_spec(&spec);
    assert!(
        report.failures.iter().any(|f| f.contains("/components/responses/NotFound")
            && f.contains("request_id was dropped")),
        "{:#?}",
        report.failures
    );
}
