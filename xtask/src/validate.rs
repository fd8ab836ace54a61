//! Validation of example values against OpenAPI **3.0** schemas, by the `jsonschema` crate.
//!
//! An OpenAPI 3.0 Schema Object is JSON Schema draft 4 (draft-wright-00, to be exact) with a few
//! changes, of which one matters for validation: `nullable: true` adds `null` to the `type`
//! beside it — and does nothing without a `type` (OpenAPI 3.0.3). [`to_json_schema`] makes that
//! the usual translation (`type: T, nullable: true` → `type: [T, "null"]`, any other `nullable`
//! dropped); the rest is draft 4 as the crate implements it: `oneOf` means exactly one match, a
//! `$ref` ignores its siblings, `exclusiveMinimum`/`exclusiveMaximum` are booleans, `format`s that
//! draft 4 knows (`date-time`, `email`, …) are checked. These are the semantics of the reference
//! validators (openapi-schema-validator, which `.ci/run` runs on the same examples).

use serde_json::{Map, Value};

use crate::spec::Spec;

/// Validates `value` against `schema` (a schema of `spec`, whose `$ref`s point into
/// `#/components/schemas`); returns one message per violation, each starting with the JSON
/// pointer of the offending part of the value (`/` for the value itself). An error when the
/// schema cannot be compiled (a `$ref` that does not resolve, say).
pub fn validate(spec: &Spec, schema: &Value, value: &Value) -> Result<Vec<String>, String> {
    let components = spec
        .get("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
                .collect::<Map<_, _>>()
        })
        .unwrap_or_default();
    // The schema sits beside the components, so that `#/components/schemas/...` resolves.
    let root = serde_json::json!({
        "allOf": [to_json_schema(schema)],
        "components": {"schemas": components},
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the schema cannot be compiled: {e}"))?;
    let mut errors: Vec<String> = validator
        .iter_errors(value)
        .map(|error| {
            let path = error.instance_path().as_str();
            let at = if path.is_empty() { "/" } else { path };
            format!("{at}: {error}")
        })
        .collect();
    errors.sort();
    Ok(errors)
}

/// Translates an OpenAPI 3.0 Schema Object into JSON Schema draft 4: `nullable` becomes a `null`
/// in the `type` beside it, or is dropped when there is none; subschemas are translated too.
/// Values (`enum`, `default`, `example`) are left as they are.
pub fn to_json_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let translated = match key.as_str() {
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" | "deprecated"
            | "readOnly" | "writeOnly" => continue,
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
                    .collect(),
            ),
            "items" | "not" => to_json_schema(value),
            "additionalProperties" if value.is_object() => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(to_json_schema)
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), translated);
    }
    let nullable = object.get("nullable") == Some(&Value::Bool(true));
    if let (true, Some(Value::String(t))) = (nullable, object.get("type")) {
        out.insert("type".into(), serde_json::json!([t, "null"]));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Spec {
        Spec::parse(
            "t.yaml",
            r#"
openapi: 3.0.3
components:
  schemas:
    Thing:
      type: object
      required: [id]
      additionalProperties: false
      properties:
        id: {type: integer, minimum: 1}
        name: {type: string, nullable: true}
        kind: {type: string, enum: [a, b]}
        tags: {type: array, items: {type: string}}
        at: {type: string, format: date-time}
        owner:
          oneOf:
            - $ref: '#/components/schemas/Owner'
            - {type: object, nullable: true, enum: [null]}
        loose_owner: {nullable: true, allOf: [{$ref: '#/components/schemas/Owner'}]}
    Owner:
      type: object
      properties:
        id: {type: integer}
    Either:
      oneOf:
        - $ref: '#/components/schemas/Thing'
        - {type: object, required: [miss], properties: {miss: {type: boolean}}}
    Both:
      oneOf:
        - $ref: '#/components/schemas/Owner'
        - {type: object}
"#,
        )
        .unwrap()
    }

    fn run(schema: &str, value: Value) -> Vec<String> {
        let spec = spec();
        validate(
            &spec,
            &json!({"$ref": format!("#/components/schemas/{schema}")}),
            &value,
        )
        .unwrap()
    }

    #[test]
    fn a_valid_value_passes() {
        let errors = run(
            "Thing",
            json!({"id": 1, "name": null, "kind": "a", "tags": ["x"], "owner": null,
                   "at": "2025-07-30T10:00:00.000-05:00"}),
        );
        assert_eq!(errors, Vec::<String>::new());
        assert!(run("Thing", json!({"id": 2, "owner": {"id": 3}})).is_empty());
    }

    #[test]
    fn each_keyword_reports_with_its_pointer() {
        let errors = run(
            "Thing",
            json!({"id": 0, "name": 5, "kind": "c", "tags": [1], "owner": {"id": "x"},
                   "at": "yesterday", "extra": true}),
        );
        let pointers: Vec<&str> = errors
            .iter()
            .map(|e| e.split(':').next().unwrap())
            .collect();
        assert_eq!(
            pointers,
            ["/", "/at", "/id", "/kind", "/name", "/owner", "/tags/0"],
            "{errors:#?}"
        );
        assert_eq!(
            run("Thing", json!({})),
            vec!["/: \"id\" is a required property"]
        );
    }

    #[test]
    fn nullable_counts_only_beside_a_type() {
        // `type: string, nullable: true` admits null; `kind` has no `nullable`.
        assert!(run("Thing", json!({"id": 1, "name": null})).is_empty());
        let errors = run("Thing", json!({"id": 1, "kind": null}));
        assert!(!errors.is_empty(), "a null kind must fail");
        assert!(
            errors.iter().all(|e| e.starts_with("/kind: ")),
            "{errors:#?}"
        );
        // `nullable` beside `allOf` means nothing: the referenced Owner refuses null.
        let errors = run("Thing", json!({"id": 1, "loose_owner": null}));
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].starts_with("/loose_owner: "), "{errors:#?}");
    }

    #[test]
    fn one_of_needs_exactly_one() {
        assert!(run("Either", json!({"miss": true})).is_empty());
        assert!(run("Either", json!({"id": 1})).is_empty());
        assert_eq!(run("Either", json!({"name": "x"})).len(), 1);
        // Owner and a bare object both match.
        let errors = run("Both", json!({"id": 1}));
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains("more than one"), "{errors:#?}");
    }
}
