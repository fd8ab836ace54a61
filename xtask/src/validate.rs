//! Validation of example values against OpenAPI **3.0** schemas.
//!
//! Written for the keywords this spec uses, with OpenAPI 3.0 semantics rather than JSON Schema's:
//! `nullable: true` admits `null` (also beside `allOf`/`oneOf`, as progenitor reads it), a `$ref`
//! ignores its siblings, `exclusiveMinimum`/`exclusiveMaximum` are booleans. Supported: `$ref`,
//! `type`, `nullable`, `enum`, `minimum`/`maximum` (and the exclusive flags), `minLength`/
//! `maxLength`, `items`, `minItems`/`maxItems`, `required`, `properties`, `additionalProperties`,
//! `allOf`, `anyOf`, `oneOf`, `not`. `format` and `pattern` are annotations here (as in JSON
//! Schema 2020-12 by default).
//!
//! (A general JSON Schema validator would need the 3.0 schemas rewritten into JSON Schema first —
//! about as much code as this file — and some thirty more crates to compile on CI.)

use serde_json::Value;

use crate::spec::{kind, ref_name, short, Spec};

/// Validates `value` against `schema`; returns one message per violation, each starting with the
/// JSON pointer of the offending part of the value (`/` for the value itself).
pub fn validate(spec: &Spec, schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(spec, schema, value, "", &mut errors, 0);
    errors
}

fn at(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

fn check(
    spec: &Spec,
    schema: &Value,
    value: &Value,
    path: &str,
    errors: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        errors.push(format!("{}: schema nesting too deep (a loop?)", at(path)));
        return;
    }
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        match spec.resolve_ref(reference) {
            Some((target, _)) => check(spec, target, value, path, errors, depth + 1),
            None => errors.push(format!(
                "{}: `$ref: {reference}` does not resolve",
                at(path)
            )),
        }
        return;
    }
    let nullable = object.get("nullable").and_then(Value::as_bool) == Some(true);
    if value.is_null() {
        if nullable {
            return;
        }
        if object.contains_key("type") {
            errors.push(format!(
                "{}: null is not allowed (the schema is not nullable)",
                at(path)
            ));
            return;
        }
    }
    if let Some(expected) = object.get("type").and_then(Value::as_str) {
        let ok = match expected {
            "string" => value.is_string(),
            "integer" => {
                value.as_f64().is_some_and(|n| n.fract() == 0.0) || value.is_i64() || value.is_u64()
            }
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !ok {
            errors.push(format!(
                "{}: expected {expected}, found {} {}",
                at(path),
                kind(value),
                short(value)
            ));
            return;
        }
    }
    if let Some(allowed) = object.get("enum").and_then(Value::as_array) {
        if !allowed.iter().any(|a| same(a, value)) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            errors.push(format!(
                "{}: {} is not one of [{}]",
                at(path),
                short(value),
                list.join(", ")
            ));
        }
    }
    if let Some(n) = value.as_f64().filter(|_| value.is_number()) {
        bound(object, n, path, errors);
    }
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as u64;
        if let Some(min) = object
            .get("minLength")
            .and_then(Value::as_u64)
            .filter(|min| length < *min)
        {
            errors.push(format!("{}: shorter than minLength {min}", at(path)));
        }
        if let Some(max) = object
            .get("maxLength")
            .and_then(Value::as_u64)
            .filter(|max| length > *max)
        {
            errors.push(format!("{}: longer than maxLength {max}", at(path)));
        }
    }
    if let Some(items) = value.as_array() {
        let count = items.len() as u64;
        if let Some(min) = object
            .get("minItems")
            .and_then(Value::as_u64)
            .filter(|min| count < *min)
        {
            errors.push(format!("{}: fewer than minItems {min} items", at(path)));
        }
        if let Some(max) = object
            .get("maxItems")
            .and_then(Value::as_u64)
            .filter(|max| count > *max)
        {
            errors.push(format!("{}: more than maxItems {max} items", at(path)));
        }
        if let Some(item_schema) = object.get("items") {
            for (index, item) in items.iter().enumerate() {
                check(
                    spec,
                    item_schema,
                    item,
                    &format!("{path}/{index}"),
                    errors,
                    depth + 1,
                );
            }
        }
    }
    if let Some(fields) = value.as_object() {
        for name in object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str().filter(|name| !fields.contains_key(*name)) {
                errors.push(format!("{}: missing required property `{name}`", at(path)));
            }
        }
        let properties = object.get("properties").and_then(Value::as_object);
        for (name, field) in fields {
            let field_path = format!("{path}/{}", crate::spec::escape(name));
            match properties.and_then(|p| p.get(name)) {
                Some(field_schema) => {
                    check(spec, field_schema, field, &field_path, errors, depth + 1)
                }
                None => {
                    match object.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{}: property `{name}` is not allowed (additionalProperties: false)", at(path)));
                        }
                        Some(extra @ Value::Object(_)) => {
                            check(spec, extra, field, &field_path, errors, depth + 1)
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for member in object
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(spec, member, value, path, errors, depth + 1);
    }
    if let Some(members) = object.get("anyOf").and_then(Value::as_array) {
        let results = branches(spec, members, value, path, depth);
        if results.iter().all(|(_, e)| !e.is_empty()) {
            errors.push(format!(
                "{}: matches none of anyOf [{}]",
                at(path),
                explain(&results)
            ));
        }
    }
    if let Some(members) = object.get("oneOf").and_then(Value::as_array) {
        let results = branches(spec, members, value, path, depth);
        let matching: Vec<&str> = results
            .iter()
            .filter(|(_, e)| e.is_empty())
            .map(|(n, _)| n.as_str())
            .collect();
        match matching.len() {
            1 => {}
            0 => errors.push(format!(
                "{}: matches none of oneOf [{}]",
                at(path),
                explain(&results)
            )),
            _ => errors.push(format!(
                "{}: matches {} of oneOf ({}); exactly one must match",
                at(path),
                matching.len(),
                matching.join(", ")
            )),
        }
    }
    if let Some(not) = object.get("not") {
        let mut sub = Vec::new();
        check(spec, not, value, path, &mut sub, depth + 1);
        if sub.is_empty() {
            errors.push(format!("{}: matches the schema under `not`", at(path)));
        }
    }
}

/// Checks numeric bounds (OpenAPI 3.0: `exclusiveMinimum`/`exclusiveMaximum` are booleans).
fn bound(object: &serde_json::Map<String, Value>, n: f64, path: &str, errors: &mut Vec<String>) {
    let exclusive = |key: &str| object.get(key).and_then(Value::as_bool) == Some(true);
    if let Some(min) = object.get("minimum").and_then(Value::as_f64) {
        if n < min || (exclusive("exclusiveMinimum") && n == min) {
            errors.push(format!("{}: {n} is below the minimum {min}", at(path)));
        }
    }
    if let Some(max) = object.get("maximum").and_then(Value::as_f64) {
        if n > max || (exclusive("exclusiveMaximum") && n == max) {
            errors.push(format!("{}: {n} is above the maximum {max}", at(path)));
        }
    }
}

/// Each branch's name (its `$ref` name, or `#index`) and its errors.
fn branches(
    spec: &Spec,
    members: &[Value],
    value: &Value,
    path: &str,
    depth: usize,
) -> Vec<(String, Vec<String>)> {
    members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let name = member
                .get("$ref")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{index}"), ref_name);
            let mut sub = Vec::new();
            check(spec, member, value, path, &mut sub, depth + 1);
            (name, sub)
        })
        .collect()
}

fn explain(results: &[(String, Vec<String>)]) -> String {
    results
        .iter()
        .map(|(name, errors)| {
            format!(
                "{name}: {}",
                errors.first().map(String::as_str).unwrap_or("ok")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// JSON equality where `1` and `1.0` are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
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
        owner: {nullable: true, allOf: [{$ref: '#/components/schemas/Owner'}]}
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
    }

    #[test]
    fn a_valid_value_passes() {
        let errors = run(
            "Thing",
            json!({"id": 1, "name": null, "kind": "a", "tags": ["x"], "owner": null}),
        );
        assert_eq!(errors, Vec::<String>::new());
        assert!(run("Thing", json!({"id": 2, "owner": {"id": 3}})).is_empty());
    }

    #[test]
    fn each_keyword_reports() {
        let errors = run(
            "Thing",
            json!({"id": 0, "name": 5, "kind": "c", "tags": [1], "owner": {"id": "x"}, "extra": true}),
        );
        assert_eq!(
            errors,
            vec![
                "/: property `extra` is not allowed (additionalProperties: false)",
                "/id: 0 is below the minimum 1",
                "/kind: \"c\" is not one of [\"a\", \"b\"]",
                "/name: expected string, found integer 5",
                "/owner/id: expected integer, found string \"x\"",
                "/tags/0: expected string, found integer 1",
            ]
        );
        assert_eq!(
            run("Thing", json!({})),
            vec!["/: missing required property `id`"]
        );
        assert_eq!(
            run("Thing", json!({"id": 1, "kind": null})),
            vec!["/kind: null is not allowed (the schema is not nullable)"]
        );
    }

    #[test]
    fn one_of_needs_exactly_one() {
        assert!(run("Either", json!({"miss": true})).is_empty());
        assert!(run("Either", json!({"id": 1})).is_empty());
        assert_eq!(
            run("Either", json!({"name": "x"})),
            vec!["/: matches none of oneOf [Thing: /: missing required property `id`; #1: /: missing required property `miss`]"]
        );
        assert_eq!(
            run("Both", json!({"id": 1})),
            vec!["/: matches 2 of oneOf (Owner, #1); exactly one must match"]
        );
    }
}
