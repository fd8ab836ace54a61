//! `cargo xtask lint`: checks of the spec beyond OpenAPI validity — the project's conventions
//! and the constructs progenitor 0.15 mishandles (see `openapi/README.md`).
//!
//! Every [`Finding`] names its rule, a JSON pointer and the line of the YAML file.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt,
};

use serde_json::Value;

use crate::{
    spec::{child, ref_name, Spec},
    validate::validate,
};

/// How a nullable reference is written, for the messages of the `nullable-*` rules.
const NULLABLE_REF: &str = "for a nullable reference write `oneOf: [{$ref: ...}, {type: object, \
                            nullable: true, enum: [null]}]` (JSON null; progenitor makes it an \
                            `Option`)";

/// The one error schema every 4xx response must use.
pub const ERROR_SCHEMA: &str = "#/components/schemas/ErrorBody";

/// The extension that marks a component schema as the body Linq delivers for one event type:
/// `x-linq-webhook-event: contact.created`. OpenAPI 3.0 has no `webhooks` section; standard
/// tools ignore `x-` keys, and this lint checks what the marks say (see openapi/README.md).
pub const WEBHOOK_EVENT_MARK: &str = "x-linq-webhook-event";

/// The body of a delivery: a `oneOf` of every marked schema and one fallback for other types.
pub const WEBHOOK_EVENT_SCHEMA: &str = "#/components/schemas/WebhookEvent";

/// The event type names the spec knows (a string enum); every mark must be one of them.
pub const KNOWN_EVENT_TYPES_SCHEMA: &str = "#/components/schemas/KnownWebhookEventType";

/// The members of the V2 event envelope, required in every marked schema.
pub const ENVELOPE_FIELDS: [&str; 5] = [
    "api_version",
    "created_at",
    "data",
    "event_id",
    "event_type",
];

/// The rules of the lint. Each has a stable kebab-case code ([`Rule::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `openapi` must be 3.0.x: progenitor rejects 3.1.
    OpenApiVersion,
    /// OpenAPI 3.1 / JSON Schema syntax in a 3.0 spec: `type: [..]` or `type: "null"`.
    Syntax31,
    /// Every operation has an operationId, in snake_case, unique in the spec.
    OperationId,
    /// Every operation has at least one tag.
    OperationTag,
    /// Every operation has a summary.
    OperationSummary,
    /// Every operation declares at least one 2xx response.
    SuccessResponse,
    /// Every 4xx response is JSON with the schema [`ERROR_SCHEMA`].
    ErrorSchema,
    /// No 5xx response is declared: undeclared, a 5xx keeps its status and raw body.
    ServerErrorDeclared,
    /// `nullable` beside `$ref` (progenitor and standard tools ignore it).
    NullableRef,
    /// `nullable` without a `type` beside it (OpenAPI 3.0.3: it only widens that `type`).
    NullableWithoutType,
    /// A `default` response (progenitor counts it as a second success type).
    DefaultResponse,
    /// Error responses of one operation with different schemas.
    MixedErrorSchemas,
    /// 2xx responses of one operation with different body schemas.
    MixedSuccessSchemas,
    /// A 2xx with a body beside a 2xx without one.
    MixedSuccessBodies,
    /// An example that does not validate against its schema.
    InvalidExample,
    /// A `$ref` that does not resolve (or is not local).
    UnresolvedRef,
    /// A component (schema, response, parameter, example, …) nothing refers to.
    UnusedComponent,
    /// A `pattern` that `linq-api`'s build cannot compile into a DFA table: a construct that
    /// ECMA-262 and regex-syntax read differently, or one the translation does not know.
    Pattern,
    /// A schema marked [`WEBHOOK_EVENT_MARK`] that does not match its mark, or a
    /// [`WEBHOOK_EVENT_SCHEMA`] whose branches are not exactly the marked schemas plus one
    /// fallback that excludes exactly the marked types.
    WebhookEvent,
}

impl Rule {
    /// The rule's code as printed in findings.
    pub fn code(self) -> &'static str {
        match self {
            Rule::OpenApiVersion => "openapi-version",
            Rule::Syntax31 => "openapi-3.1-syntax",
            Rule::OperationId => "operation-id",
            Rule::OperationTag => "operation-tag",
            Rule::OperationSummary => "operation-summary",
            Rule::SuccessResponse => "success-response",
            Rule::ErrorSchema => "error-schema",
            Rule::ServerErrorDeclared => "server-error-declared",
            Rule::NullableRef => "nullable-ref",
            Rule::NullableWithoutType => "nullable-without-type",
            Rule::DefaultResponse => "default-response",
            Rule::MixedErrorSchemas => "mixed-error-schemas",
            Rule::MixedSuccessSchemas => "mixed-success-schemas",
            Rule::MixedSuccessBodies => "mixed-success-bodies",
            Rule::InvalidExample => "invalid-example",
            Rule::UnresolvedRef => "unresolved-ref",
            Rule::UnusedComponent => "unused-component",
            Rule::Pattern => "pattern",
            Rule::WebhookEvent => "webhook-event",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One problem found in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which rule.
    pub rule: Rule,
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// 1-based line of that node in the YAML file.
    pub line: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Finding {
    /// `file:line: rule: message (at pointer)`, the form printed by `cargo xtask lint`.
    pub fn render(&self, file: &str) -> String {
        let line = self.line.map_or_else(|| "?".to_owned(), |l| l.to_string());
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        format!(
            "{file}:{line}: {}: {} (at {pointer})",
            self.rule, self.message
        )
    }
}

/// Runs every rule over the spec; findings are sorted by line.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    let mut linter = Linter {
        spec,
        findings: Vec::new(),
        refs: Vec::new(),
        uncompiled: Vec::new(),
    };
    linter.version();
    linter.walk(spec.root(), "", Ctx::Normal);
    linter.operations();
    linter.webhook_events();
    linter.refs();
    // A schema that does not compile because a `$ref` does not resolve is reported once, as
    // that `$ref`; any other cause is reported on each example.
    if !linter
        .findings
        .iter()
        .any(|f| f.rule == Rule::UnresolvedRef)
    {
        for (pointer, message) in std::mem::take(&mut linter.uncompiled) {
            linter.report(Rule::InvalidExample, pointer, message);
        }
    }
    let mut findings = linter.findings;
    findings.sort_by(|a, b| (a.line, a.rule, &a.pointer).cmp(&(b.line, b.rule, &b.pointer)));
    findings.dedup();
    findings
}

/// How to read the children of a node during the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A node of the OpenAPI structure (a schema, an operation, …).
    Normal,
    /// An Example Object: its `value` is data, not structure.
    Example,
}

/// Keys whose values are maps from arbitrary names to structure.
const NAMED_MAPS: &[&str] = &[
    "paths",
    "properties",
    "responses",
    "schemas",
    "content",
    "headers",
    "securitySchemes",
    "requestBodies",
    "links",
    "callbacks",
    "encoding",
    "variables",
];

/// The component kinds that can be referred to with `$ref`.
const COMPONENT_KINDS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
];

struct Linter<'a> {
    spec: &'a Spec,
    findings: Vec<Finding>,
    /// Every `$ref` of the structure: (pointer of the object holding it, the reference).
    refs: Vec<(String, String)>,
    /// Examples whose schema does not compile: (pointer, message).
    uncompiled: Vec<(String, String)>,
}

impl Linter<'_> {
    fn report(&mut self, rule: Rule, pointer: impl Into<String>, message: impl Into<String>) {
        let pointer = pointer.into();
        self.findings.push(Finding {
            rule,
            line: self.spec.line(&pointer),
            pointer,
            message: message.into(),
        });
    }

    fn version(&mut self) {
        match self.spec.root().get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.0.") => {}
            Some(version) => self.report(
                Rule::OpenApiVersion,
                "/openapi",
                format!("openapi {version} is not 3.0.x; progenitor only reads OpenAPI 3.0"),
            ),
            None => self.report(Rule::OpenApiVersion, "", "no `openapi: 3.0.x` field"),
        }
    }

    /// Walks the structure (not example data): 3.1 syntax, `nullable` beside `$ref`, examples,
    /// and collects every `$ref`.
    fn walk(&mut self, node: &Value, pointer: &str, ctx: Ctx) {
        match node {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.walk(item, &child(pointer, &index.to_string()), Ctx::Normal);
                }
            }
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    self.refs.push((pointer.to_owned(), reference.to_owned()));
                    if map.contains_key("nullable") {
                        self.report(
                            Rule::NullableRef,
                            child(pointer, "nullable"),
                            format!(
                                "`nullable` beside `$ref` is ignored (a `$ref` ignores its \
                             siblings); {NULLABLE_REF}"
                            ),
                        );
                    }
                }
                if ctx == Ctx::Example {
                    return;
                }
                if let Some(Value::String(pattern)) = map.get("pattern") {
                    if let Err(e) = crate::patterns::compile(pattern) {
                        self.report(
                            Rule::Pattern,
                            child(pointer, "pattern"),
                            format!("linq-api's build cannot compile this pattern: {e}"),
                        );
                    }
                }
                if map.contains_key("nullable")
                    && !map.contains_key("type")
                    && !map.contains_key("$ref")
                {
                    self.report(
                        Rule::NullableWithoutType,
                        child(pointer, "nullable"),
                        format!(
                            "`nullable` without a `type` beside it means nothing in OpenAPI \
                         3.0.3 (it only widens that `type`; Spectral and Redocly reject it); \
                         {NULLABLE_REF}"
                        ),
                    );
                }
                match map.get("type") {
                    Some(Value::Array(_)) => self.report(
                        Rule::Syntax31,
                        child(pointer, "type"),
                        "`type` is a list (OpenAPI 3.1 syntax); use one type and `nullable: true`",
                    ),
                    Some(Value::String(t)) if t == "null" => self.report(
                        Rule::Syntax31,
                        child(pointer, "type"),
                        "`type: null` is OpenAPI 3.1 / JSON Schema; use `nullable: true` on the schema",
                    ),
                    _ => {}
                }
                self.examples(map, pointer);
                for (key, value) in map {
                    if key.starts_with("x-")
                        || matches!(key.as_str(), "example" | "enum" | "default")
                    {
                        continue;
                    }
                    let here = child(pointer, key);
                    match (key.as_str(), value) {
                        ("examples", Value::Object(examples)) => {
                            for (name, example) in examples {
                                self.walk(example, &child(&here, name), Ctx::Example);
                            }
                        }
                        (name, Value::Object(entries)) if NAMED_MAPS.contains(&name) => {
                            for (name, entry) in entries {
                                self.walk(entry, &child(&here, name), Ctx::Normal);
                            }
                        }
                        // components.parameters is a map, an operation's parameters a list.
                        ("parameters", Value::Object(entries)) => {
                            for (name, entry) in entries {
                                self.walk(entry, &child(&here, name), Ctx::Normal);
                            }
                        }
                        _ => self.walk(value, &here, Ctx::Normal),
                    }
                }
            }
            _ => {}
        }
    }

    /// Validates the examples held by one object: a media type or parameter (`schema` beside
    /// `example`/`examples`), or a schema with its own `example`.
    fn examples(&mut self, map: &serde_json::Map<String, Value>, pointer: &str) {
        let own_schema = Value::Object(map.clone());
        let schema = map.get("schema").unwrap_or(&own_schema);
        if let Some(example) = map.get("example") {
            self.example(
                schema,
                example,
                child(pointer, "example"),
                "the example".into(),
            );
        }
        let Some(examples) = map.get("examples").and_then(Value::as_object) else {
            return;
        };
        if !map.contains_key("schema") {
            return;
        }
        for (name, example) in examples {
            let here = child(&child(pointer, "examples"), name);
            let (example, via) = match example.get("$ref").and_then(Value::as_str) {
                Some(reference) => match self.spec.resolve_ref(reference) {
                    Some((target, _)) => (target, format!(" ({reference})")),
                    None => continue, // reported as an unresolved $ref
                },
                None => (example, String::new()),
            };
            let Some(value) = example.get("value") else {
                continue;
            };
            self.example(schema, value, here, format!("example `{name}`{via}"));
        }
    }

    /// Validates one example value against its schema.
    fn example(&mut self, schema: &Value, value: &Value, pointer: String, label: String) {
        match validate(self.spec, schema, value) {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => self.report(
                Rule::InvalidExample,
                pointer,
                format!("{label} does not match its schema: {}", summary(&errors)),
            ),
            Err(why) => self
                .uncompiled
                .push((pointer, format!("{label} cannot be checked: {why}"))),
        }
    }

    fn operations(&mut self) {
        let mut ids: HashMap<String, usize> = HashMap::new();
        for op in self.spec.operations() {
            let pointer = op.pointer.clone();
            match op.id() {
                None => self.report(
                    Rule::OperationId,
                    &pointer,
                    "the operation has no operationId",
                ),
                Some(id) => {
                    let id_pointer = child(&pointer, "operationId");
                    if !is_snake_case(id) {
                        self.report(
                            Rule::OperationId,
                            &id_pointer,
                            format!("operationId `{id}` is not snake_case (it becomes the Rust method name)"),
                        );
                    }
                    let line = self.spec.line(&id_pointer).unwrap_or(0);
                    if let Some(first) = ids.get(id) {
                        self.report(
                            Rule::OperationId,
                            &id_pointer,
                            format!("operationId `{id}` is already used at line {first}"),
                        );
                    } else {
                        ids.insert(id.to_owned(), line);
                    }
                }
            }
            let tagged = op
                .value
                .get("tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| !tags.is_empty());
            if !tagged {
                self.report(
                    Rule::OperationTag,
                    &pointer,
                    format!("`{}` has no tag", op.label()),
                );
            }
            let summarized = op
                .value
                .get("summary")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty());
            if !summarized {
                self.report(
                    Rule::OperationSummary,
                    &pointer,
                    format!("`{}` has no summary", op.label()),
                );
            }
            self.responses(
                &op.label(),
                &child(&pointer, "responses"),
                op.value.get("responses"),
            );
        }
    }

    fn responses(&mut self, label: &str, pointer: &str, responses: Option<&Value>) {
        let Some(responses) = responses.and_then(Value::as_object) else {
            self.report(
                Rule::SuccessResponse,
                pointer,
                format!("`{label}` declares no responses"),
            );
            return;
        };
        // status → body schema identity (None: no body).
        let mut successes: BTreeMap<&str, Option<String>> = BTreeMap::new();
        let mut errors: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (status, response) in responses {
            let here = child(pointer, status);
            if status == "default" {
                self.report(
                    Rule::DefaultResponse,
                    &here,
                    "a `default` response counts as another success type in progenitor (build \
                     panic); declare the statuses instead",
                );
                continue;
            }
            let Ok((resolved, _)) = self.spec.deref(response, &here) else {
                continue; // reported as an unresolved $ref
            };
            let schema = body_schema(resolved);
            let identity = schema.map(identity);
            match status.chars().next() {
                Some('2') => {
                    successes.insert(status, identity);
                }
                Some(class @ ('4' | '5')) => {
                    if class == '5' {
                        self.report(
                            Rule::ServerErrorDeclared,
                            &here,
                            format!(
                                "`{status}` is declared: a 5xx with a body that is not JSON (a \
                                 proxy's HTML page) would lose its status; leave 5xx undeclared \
                                 so it arrives as UnexpectedResponse"
                            ),
                        );
                    }
                    if identity.as_deref() != Some(ERROR_SCHEMA) {
                        let found = identity
                            .as_deref()
                            .map_or("no JSON body".to_owned(), |i| format!("`{i}`"));
                        self.report(
                            Rule::ErrorSchema,
                            &here,
                            format!("error response `{status}` must have a JSON body `$ref: '{ERROR_SCHEMA}'`, found {found}"),
                        );
                    }
                    errors.insert(status, identity);
                }
                _ => {}
            }
        }
        if successes.is_empty() {
            self.report(
                Rule::SuccessResponse,
                pointer,
                format!("`{label}` declares no 2xx response"),
            );
        }
        let with_body: Vec<&str> = successes
            .iter()
            .filter(|(_, s)| s.is_some())
            .map(|(k, _)| *k)
            .collect();
        let without: Vec<&str> = successes
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(k, _)| *k)
            .collect();
        if !with_body.is_empty() && !without.is_empty() {
            self.report(
                Rule::MixedSuccessBodies,
                pointer,
                format!(
                    "`{label}`: 2xx with a body ({}) beside 2xx without one ({}); progenitor \
                     panics (one success type per operation)",
                    with_body.join(", "),
                    without.join(", ")
                ),
            );
        }
        let schemas: BTreeSet<&String> = successes.values().flatten().collect();
        if schemas.len() > 1 {
            self.report(
                Rule::MixedSuccessSchemas,
                pointer,
                format!(
                    "`{label}`: different success schemas ({}); progenitor panics (one success \
                     type per operation)",
                    describe(&successes)
                ),
            );
        }
        let kinds: BTreeSet<&Option<String>> = errors.values().collect();
        if kinds.len() > 1 {
            self.report(
                Rule::MixedErrorSchemas,
                pointer,
                format!(
                    "`{label}`: different error schemas ({}); progenitor panics (one error type \
                     per operation)",
                    describe(&errors)
                ),
            );
        }
    }

    /// The schemas marked [`WEBHOOK_EVENT_MARK`] and [`WEBHOOK_EVENT_SCHEMA`]: each mark is a
    /// known event type, used once, on an envelope whose `event_type` is exactly that name;
    /// the envelope's `oneOf` holds every marked schema and one fallback whose `event_type`
    /// excludes exactly the marked names (so that the branches stay exclusive and any other
    /// type still decodes).
    fn webhook_events(&mut self) {
        let schemas_pointer = "/components/schemas";
        let Some(schemas) = self.spec.get(schemas_pointer).and_then(Value::as_object) else {
            return;
        };
        let known: Option<BTreeSet<&str>> = self
            .spec
            .resolve_ref(KNOWN_EVENT_TYPES_SCHEMA)
            .and_then(|(schema, _)| schema.get("enum"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect());
        // mark → the first schema marked with it; every marked schema
        let mut marks: BTreeMap<&str, &str> = BTreeMap::new();
        let mut marked: BTreeSet<&str> = BTreeSet::new();
        for (name, schema) in schemas {
            let Some(mark) = schema.get(WEBHOOK_EVENT_MARK) else {
                continue;
            };
            let here = child(&child(schemas_pointer, name), WEBHOOK_EVENT_MARK);
            let Some(mark) = mark.as_str() else {
                self.report(
                    Rule::WebhookEvent,
                    here,
                    format!("`{WEBHOOK_EVENT_MARK}` must be the name of the event type, such as `contact.created`"),
                );
                continue;
            };
            marked.insert(name);
            if let Some(first) = marks.get(mark) {
                self.report(
                    Rule::WebhookEvent,
                    &here,
                    format!("event type `{mark}` is already marked on `{first}`"),
                );
            } else {
                marks.insert(mark, name);
            }
            if let Some(known) = &known {
                if !known.contains(mark) {
                    self.report(
                        Rule::WebhookEvent,
                        &here,
                        format!(
                            "event type `{mark}` is not a value of `{}`",
                            ref_name(KNOWN_EVENT_TYPES_SCHEMA)
                        ),
                    );
                }
            }
            let required: BTreeSet<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let missing: Vec<&str> = ENVELOPE_FIELDS
                .iter()
                .copied()
                .filter(|field| !required.contains(field))
                .collect();
            if !missing.is_empty() {
                self.report(
                    Rule::WebhookEvent,
                    child(&child(schemas_pointer, name), "required"),
                    format!(
                        "the event `{name}` must require the envelope's members; missing: {}",
                        missing.join(", ")
                    ),
                );
            }
            let event_type = schema.pointer("/properties/event_type/enum");
            if event_type != Some(&serde_json::json!([mark])) {
                self.report(
                    Rule::WebhookEvent,
                    child(&child(schemas_pointer, name), "properties"),
                    format!("the event `{name}` must have `event_type: {{type: string, enum: [{mark}]}}`, as its mark says"),
                );
            }
        }
        let Some((envelope, envelope_pointer)) = self.spec.resolve_ref(WEBHOOK_EVENT_SCHEMA) else {
            if !marks.is_empty() {
                self.report(
                    Rule::WebhookEvent,
                    schemas_pointer,
                    format!(
                        "schemas are marked `{WEBHOOK_EVENT_MARK}` but there is no `{}` (a `oneOf` of them and a fallback)",
                        ref_name(WEBHOOK_EVENT_SCHEMA)
                    ),
                );
            }
            return;
        };
        let branches: Vec<String> = envelope
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|branch| branch.get("$ref").and_then(Value::as_str))
            .map(ref_name)
            .collect();
        let one_of = child(&envelope_pointer, "oneOf");
        for name in &marked {
            if !branches.iter().any(|b| b == name) {
                self.report(
                    Rule::WebhookEvent,
                    &one_of,
                    format!(
                        "the marked event `{name}` is not a branch of `{}`",
                        ref_name(WEBHOOK_EVENT_SCHEMA)
                    ),
                );
            }
        }
        let fallbacks: Vec<&String> = branches
            .iter()
            .filter(|b| !marked.contains(b.as_str()))
            .collect();
        let [fallback] = fallbacks.as_slice() else {
            self.report(
                Rule::WebhookEvent,
                &one_of,
                format!(
                    "`{}` must be a `oneOf` of `$ref`s to the marked events and exactly one fallback for other event types; found {} unmarked branch(es)",
                    ref_name(WEBHOOK_EVENT_SCHEMA),
                    fallbacks.len()
                ),
            );
            return;
        };
        let excluded: Option<BTreeSet<&str>> = schemas
            .get(fallback.as_str())
            .and_then(|schema| schema.pointer("/properties/event_type/not/enum"))
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect());
        let names: BTreeSet<&str> = marks.keys().copied().collect();
        if excluded.as_ref() != Some(&names) {
            let listed = names.iter().copied().collect::<Vec<_>>().join(", ");
            self.report(
                Rule::WebhookEvent,
                child(&child(schemas_pointer, fallback), "properties"),
                format!(
                    "the fallback event `{fallback}` must have `event_type: {{type: string, not: {{type: string, enum: [{listed}]}}}}` (exactly the marked types), so that the branches of `{}` stay exclusive",
                    ref_name(WEBHOOK_EVENT_SCHEMA)
                ),
            );
        }
    }

    /// Unresolved references, then components nothing reaches from outside `components`.
    fn refs(&mut self) {
        let refs = std::mem::take(&mut self.refs);
        for (pointer, reference) in &refs {
            let here = child(pointer, "$ref");
            if !reference.starts_with("#/") {
                self.report(
                    Rule::UnresolvedRef,
                    here,
                    format!(
                        "`$ref: {reference}` is not a local reference; keep the spec in one file"
                    ),
                );
            } else if self.spec.resolve_ref(reference).is_none() {
                self.report(
                    Rule::UnresolvedRef,
                    here,
                    format!("`$ref: {reference}` does not resolve"),
                );
            }
        }
        // Reachability: start from references outside components, follow into components.
        let component_of = |target: &str| -> Option<String> {
            let parts: Vec<&str> = target.splitn(4, '/').collect();
            (parts.len() >= 4 && parts[1] == "components").then(|| parts[..4].join("/"))
        };
        let mut reached: BTreeSet<String> = BTreeSet::new();
        let mut queue: Vec<String> = refs
            .iter()
            .filter(|(pointer, _)| !pointer.starts_with("/components/"))
            .filter_map(|(_, reference)| reference.strip_prefix('#').and_then(component_of))
            .collect();
        while let Some(component) = queue.pop() {
            if !reached.insert(component.clone()) {
                continue;
            }
            let inside = format!("{component}/");
            for (pointer, reference) in &refs {
                if pointer == &component || pointer.starts_with(&inside) {
                    if let Some(target) = reference.strip_prefix('#').and_then(component_of) {
                        queue.push(target);
                    }
                }
            }
        }
        let Some(components) = self
            .spec
            .root()
            .get("components")
            .and_then(Value::as_object)
        else {
            return;
        };
        for kind in COMPONENT_KINDS {
            let Some(entries) = components.get(*kind).and_then(Value::as_object) else {
                continue;
            };
            for name in entries.keys() {
                let pointer = child(&child("/components", kind), name);
                if !reached.contains(&pointer) {
                    let what = kind.trim_end_matches('s');
                    self.report(
                        Rule::UnusedComponent,
                        &pointer,
                        format!("{what} `{name}` is not used by any operation; remove it"),
                    );
                }
            }
        }
    }
}

/// The body schema of a response object (its `application/json` media type, or the first).
fn body_schema(response: &Value) -> Option<&Value> {
    let content = response.get("content")?.as_object()?;
    let media = content
        .get("application/json")
        .or_else(|| content.values().next())?;
    media.get("schema")
}

/// How progenitor tells schemas apart: a `$ref` by its target, an inline schema by its text.
fn identity(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.to_owned(),
        None => format!("inline {schema}"),
    }
}

fn describe(by_status: &BTreeMap<&str, Option<String>>) -> String {
    by_status
        .iter()
        .map(|(status, identity)| {
            let what = match identity {
                None => "no body".to_owned(),
                Some(i) if i.starts_with("#/") => ref_name(i),
                Some(_) => "an inline schema".to_owned(),
            };
            format!("{status}: {what}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn summary(errors: &[String]) -> String {
    let mut text = errors
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > 3 {
        text.push_str(&format!("; and {} more", errors.len() - 3));
    }
    text
}

/// `list_contacts`: lower-case ASCII words joined by single underscores.
pub fn is_snake_case(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.split('_').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case() {
        assert!(is_snake_case("list_contacts"));
        assert!(is_snake_case("get2"));
        assert!(!is_snake_case("listContacts"));
        assert!(!is_snake_case("list__contacts"));
        assert!(!is_snake_case("_list"));
        assert!(!is_snake_case("list-contacts"));
        assert!(!is_snake_case(""));
    }
}
