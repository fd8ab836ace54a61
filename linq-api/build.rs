//! Generates the Linq Contacts client from the OpenAPI spec with progenitor.
//!
//! The generator settings live here and only here ([`settings`]). The output goes to
//! `$OUT_DIR/codegen.rs`, unformatted, which `src/lib.rs` includes and the snapshot test formats
//! and reviews.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

#[path = "build/patterns.rs"]
mod patterns;

/// The spec, relative to this crate. It is a link to the single source of truth,
/// `openapi/linq-v2-contacts.yaml` at the top of the repository, so that the packaged crate
/// carries the spec with it.
const SPEC: &str = "openapi/linq-v2-contacts.yaml";

/// A cut-down spec whose `list_contacts` takes a `format: date-time` query parameter, which the
/// real spec has none of. With the `httpmock` feature, its client and mocks are generated exactly
/// as the crate's are, for a unit test (`date_time_fixture` in `src/lib.rs`) that a mock of such
/// a parameter matches what the client sends. Not packaged: without it, nothing is generated.
const DATE_TIME_FIXTURE: &str = "tests/fixtures/updated-since.yaml";

/// Every generator setting of the workspace.
fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The crate implements `ClientHooks` itself (src/hooks.rs) to keep the HTTP status of
        // error responses whose body is not JSON.
        .with_hooks(HooksMode::Expected)
        // Generated types can publish their JSON schema (as oxide.rs does).
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // "A body in neither V2 format" is `not: {anyOf: [...]}` in the spec, which typify
        // cannot turn into a type; it is any JSON value.
        .with_replacement(
            "UnrecognizedError",
            "::serde_json::Value",
            std::iter::empty(),
        )
        // Linq's timestamps carry an offset (`2025-07-30T10:00:00.000-05:00`); keep it rather
        // than converting to UTC (typify's default for `format: date-time`).
        .with_conversion(
            schemars::schema::SchemaObject {
                instance_type: Some(schemars::schema::InstanceType::String.into()),
                format: Some("date-time".to_owned()),
                ..Default::default()
            },
            "::chrono::DateTime<::chrono::FixedOffset>",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    settings
}

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/patterns.rs");
    match generate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One readable line per problem instead of a panic backtrace.
            for line in message.lines() {
                println!("cargo:warning={line}");
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The tables of what the spec says that hand-written code needs (`src/spec.rs` includes them):
/// each operation's id, method, path template, idempotency and declared statuses; the header
/// names; the bounds of `per_page`; the API version. Derived here so that nothing the spec
/// says is copied by hand.
fn spec_tables(document: &serde_json::Value) -> Result<String, String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut names = Vec::new();
    let paths = document["paths"]
        .as_object()
        .ok_or("the spec has no `paths`")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"]
                .as_str()
                .ok_or_else(|| format!("{} {path} has no operationId", method.to_uppercase()))?;
            let mut statuses = Vec::new();
            for key in op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.keys())
            {
                // A range (`4XX`) or `default` would leave the hook blind to its statuses.
                let status: u16 = key.parse().map_err(|_| {
                    format!("{id} declares the response `{key}`: declare each status by its number")
                })?;
                statuses.push(status);
            }
            statuses.sort_unstable();
            // POST creates: sending it twice creates twice. GET, PUT, PATCH (documented by
            // Linq as PUT's twin) and DELETE have the effect of once (openapi/README.md).
            let idempotent = method != "post";
            let name = id.to_uppercase();
            let method = method.to_uppercase();
            let _ = write!(
                out,
                "/// `{method} {path}` (`{id}`).\npub const {name}: Operation = Operation {{ \
                 id: {id:?}, method: {method:?}, path: {path:?}, idempotent: {idempotent}, \
                 statuses: &{statuses:?} }};\n",
            );
            names.push(name);
        }
    }
    let _ = write!(
        out,
        "/// Every operation of the spec, path by path in the spec's order.\n\
         pub const OPERATIONS: [Operation; {}] = [{}];\n",
        names.len(),
        names.join(", ")
    );

    // The rest is what ext, the fake and the CLI need; a spec without a part of it (a cut-down
    // test fixture, say) still builds the client, and what it lacks is said once here.
    let sections: [Section; 4] = [token_table, signature_table, per_page_table, version_table];
    for section in sections {
        match section(document) {
            Ok(code) => out.push_str(&code),
            Err(missing) => println!("cargo:warning=linq_api::spec lacks a table: {missing}"),
        }
    }
    Ok(out)
}

/// One part of `linq_api::spec`: its code, or what the spec lacks for it.
type Section = fn(&serde_json::Value) -> Result<String, String>;

/// `TOKEN_HEADER`: the header of the spec's `apiKey` security scheme.
fn token_table(document: &serde_json::Value) -> Result<String, String> {
    let token = document["components"]["securitySchemes"]
        .as_object()
        .and_then(|schemes| {
            schemes
                .values()
                .find(|s| s["type"] == "apiKey" && s["in"] == "header")
        })
        .and_then(|s| s["name"].as_str())
        .ok_or("the spec has no apiKey security scheme in a header")?;
    Ok(format!(
        "/// The header that carries the integration token (the spec's apiKey scheme).\n\
         pub const TOKEN_HEADER: &str = {token:?};\n"
    ))
}

/// `SIGNATURE_HEADER`: the header parameter of the webhook callback.
fn signature_table(document: &serde_json::Value) -> Result<String, String> {
    let paths = document["paths"]
        .as_object()
        .ok_or("the spec has no `paths`")?;
    let mut signature = None;
    for item in paths.values() {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            for callback in op["callbacks"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
            {
                for expression in callback.as_object().into_iter().flat_map(|c| c.values()) {
                    for parameter in expression["post"]["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        if parameter["in"] == "header" {
                            signature = parameter["name"].as_str();
                        }
                    }
                }
            }
        }
    }
    let signature = signature.ok_or("the webhook callback declares no header parameter")?;
    Ok(format!(
        "/// The header of a webhook delivery that carries its signature (the callback's).\n\
         pub const SIGNATURE_HEADER: &str = {signature:?};\n"
    ))
}

/// `PER_PAGE_MIN`, `PER_PAGE_MAX`, `PER_PAGE_DEFAULT`: the bounds of the `per_page` parameter.
fn per_page_table(document: &serde_json::Value) -> Result<String, String> {
    use std::fmt::Write as _;
    let per_page = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(|item| item["get"]["parameters"].as_array())
        .flatten()
        .find(|p| p["name"] == "per_page" && p["in"] == "query")
        .map(|p| &p["schema"])
        .ok_or("the spec has no `per_page` query parameter")?;
    let mut out = String::new();
    for (name, key, what) in [
        (
            "PER_PAGE_MIN",
            "minimum",
            "The fewest contacts a page may hold",
        ),
        (
            "PER_PAGE_MAX",
            "maximum",
            "The most contacts a page may hold",
        ),
        (
            "PER_PAGE_DEFAULT",
            "default",
            "The contacts of a page when `per_page` is not sent",
        ),
    ] {
        let value = per_page[key]
            .as_u64()
            .ok_or_else(|| format!("`per_page` has no {key}"))?;
        let _ = write!(
            out,
            "/// {what} (`per_page`'s {key}).\npub const {name}: u64 = {value};\n"
        );
    }
    Ok(out)
}

/// `API_VERSION`: the major of the spec's `info.version`.
fn version_table(document: &serde_json::Value) -> Result<String, String> {
    let version = document["info"]["version"]
        .as_str()
        .and_then(|v| v.split('.').next())
        .and_then(|major| major.parse::<i64>().ok())
        .ok_or("the spec's info.version does not start with a major version number")?;
    Ok(format!(
        "/// The API version (the major of the spec's `info.version`): the `version` a webhook\n\
         /// subscription asks for, and `v{version}`, the `api_version` of its events.\n\
         pub const API_VERSION: i64 = {version};\n"
    ))
}

/// OpenAPI 3.0 has no null type: the spec writes JSON null as `{type: T, nullable: true,
/// enum: [null]}` (`nullable` only widens the `type` beside it). progenitor reads that as
/// `T`-or-null restricted to null, which typify does not recognise as null, so a `oneOf` of a
/// schema and null would become an enum instead of an `Option`. Without its `type`, progenitor
/// reads the same schema as plain null.
fn null_schemas_for_typify(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            let only_null = map.get("nullable") == Some(&serde_json::Value::Bool(true))
                && map.get("enum") == Some(&serde_json::json!([null]));
            if only_null {
                map.remove("type");
            }
            map.values_mut().for_each(null_schemas_for_typify);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(null_schemas_for_typify),
        _ => {}
    }
}

/// typify turns `not: {type: string, enum: [...]}` into a string newtype that refuses those
/// values (an "any other name" type, such as `OtherWebhookEventType`), but only when the `not`
/// holds the enum itself and stands without a `type` beside it (openapiv3 would read
/// `{type: string, not: ...}` as a plain string and drop the `not`). The spec writes the
/// standard form, `{type: string, not: {$ref: <a string enum>}}`, so that each list of names is
/// written once; this inlines the referenced enum and drops the outer `type` for the generator.
fn not_schemas_for_typify(document: &mut serde_json::Value) {
    let schemas = document
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_default();
    fn walk(node: &mut serde_json::Value, schemas: &serde_json::Value) {
        match node {
            serde_json::Value::Object(map) => {
                let enum_not = map.get_mut("not").is_some_and(|not| {
                    let target = not
                        .get("$ref")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .and_then(|name| schemas.get(name));
                    if let Some(target) = target {
                        *not = target.clone();
                    }
                    not.get("enum").is_some() && not.get("type").is_some()
                });
                if enum_not {
                    map.remove("type");
                }
                map.values_mut().for_each(|value| walk(value, schemas));
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|value| walk(value, schemas))
            }
            _ => {}
        }
    }
    walk(document, &schemas);
}

/// One input rule of the spec: the `maxLength` and `pattern` of a string property.
struct InputRule {
    schema: String,
    field: String,
    max_length: Option<u64>,
    pattern: Option<(String, patterns::Table)>,
}

/// Takes the `maxLength` and `pattern` of every string property of the component schemas out
/// of the document, and returns them as rules.
///
/// Why taken out: typify turns a constrained string into a newtype (`ContactFieldsEmail`, with
/// a `TryFrom<&str>` and a `regress` dependency), which would change every generated request
/// type and its callers. The rules are emitted instead as a table (`input_rules` in the
/// generated code, read by `src/rules.rs`), which the client's validation and the fake both
/// apply. See openapi/README.md.
fn take_input_rules(document: &mut serde_json::Value) -> Result<Vec<InputRule>, String> {
    let mut rules = Vec::new();
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return Ok(rules);
    };
    for (schema, body) in schemas.iter_mut() {
        let Some(properties) = body
            .get_mut("properties")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for (field, property) in properties.iter_mut() {
            let Some(property) = property.as_object_mut() else {
                continue;
            };
            if property.get("type").and_then(serde_json::Value::as_str) != Some("string") {
                continue;
            }
            let max_length = property.remove("maxLength").and_then(|v| v.as_u64());
            let pattern = match property.remove("pattern") {
                Some(serde_json::Value::String(p)) => {
                    if let Err(e) = regress::Regex::new(&p) {
                        return Err(format!(
                            "the pattern of {schema}.{field} is not an ECMA-262 regular \
                             expression: {e}"
                        ));
                    }
                    let table = patterns::compile(&p).map_err(|e| {
                        format!("the pattern of {schema}.{field} cannot be compiled: {e}")
                    })?;
                    Some((p, table))
                }
                Some(other) => {
                    return Err(format!(
                        "the pattern of {schema}.{field} is not a string: {other}"
                    ))
                }
                None => None,
            };
            if max_length.is_some() || pattern.is_some() {
                rules.push(InputRule {
                    schema: schema.clone(),
                    field: field.clone(),
                    max_length,
                    pattern,
                });
            }
        }
    }
    Ok(rules)
}

/// The rules as Rust: a table the hand-written `src/rules.rs` reads.
fn input_rules_code(rules: &[InputRule]) -> String {
    let mut rows = String::new();
    for rule in rules {
        let max_length = match rule.max_length {
            Some(n) => format!("Some({n})"),
            None => "None".to_owned(),
        };
        let pattern = match &rule.pattern {
            Some((p, table)) => format!(
                "Some(crate::rules::Pattern {{ source: {p:?}, classes: {}, stride: {}, next: {}, \
                 flags: {}, start: {} }})",
                byte_string(&table.classes, 16),
                table.stride,
                byte_string(&table.next, table.stride),
                byte_string(&table.flags, 16),
                table.start,
            ),
            None => "None".to_owned(),
        };
        rows.push_str(&format!(
            "    crate::rules::FieldRule::new({:?}, {:?}, {max_length}, {pattern}),\n",
            rule.schema, rule.field
        ));
    }
    format!(
        "/// The `maxLength` and `pattern` of every string property of the spec's component\n\
         /// schemas. Generated by build.rs from the spec; read them through [`crate::rules`].\n\
         pub(crate) static INPUT_RULES: [crate::rules::FieldRule; {}] = [\n{rows}];\n\
         /// Bit of a pattern table's state flags: a match ended just before the byte that led \
         here.\n\
         pub(crate) const PATTERN_MATCHED: u8 = {};\n\
         /// Bit of a pattern table's state flags: a value that ends here matches.\n\
         pub(crate) const PATTERN_MATCHES_AT_END: u8 = {};\n",
        rules.len(),
        patterns::MATCHED,
        patterns::MATCHES_AT_END,
    )
}

/// `bytes` as a byte string literal (`b"\x00\x01"`), `row` bytes to a line: the literal
/// continues over lines (a `\` at a line's end skips the newline and the indentation after it),
/// so that the reviewed snapshot shows one DFA state (or class row) per line and no long lines.
/// A row longer than [`MAX_ROW`] bytes is wrapped; the next row still starts on a line of its
/// own.
fn byte_string(bytes: &[u8], row: usize) -> String {
    let row = row.max(1);
    let mut literal = String::with_capacity(bytes.len() * 5 + bytes.len() / row * 24 + 3);
    literal.push_str("b\"");
    for (index, byte) in bytes.iter().enumerate() {
        // A new line at each row, and within a long row every MAX_ROW bytes.
        if (index % row).is_multiple_of(MAX_ROW) {
            literal.push_str("\\\n                    ");
        }
        literal.push_str(&format!("\\x{byte:02x}"));
    }
    literal.push('"');
    literal
}

/// The most bytes [`byte_string`] writes on one line (4 characters each).
const MAX_ROW: usize = 32;

fn generate() -> Result<(), String> {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let (mut document, shown) = read_document(&manifest_dir.join(SPEC), "spec")?;
    let tables = spec_tables(&document)?;
    for_typify(&mut document);
    let rules = take_input_rules(&mut document)?;
    let spec = parse_for_the_generator(document, &shown)?;
    // Unformatted: rustc does not need the layout, and formatting (prettyplease, with syn's
    // full parser) would cost every service's build. The snapshot test formats it for review.
    let mut code = client_code(&spec, &shown)?;
    code.push('\n');
    code.push_str(&input_rules_code(&rules));

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    write_if_changed(&out_dir.join("codegen.rs"), &code)?;
    write_if_changed(&out_dir.join("spec.rs"), &tables)?;

    // The typed httpmock helpers, only for those who ask for them (the `httpmock` feature).
    println!("cargo::rustc-check-cfg=cfg(date_time_fixture)");
    if std::env::var_os("CARGO_FEATURE_HTTPMOCK").is_some() {
        let mocks = mock_code(&spec, "crate")?;
        write_if_changed(&out_dir.join("httpmock.rs"), &mocks)?;

        let fixture = manifest_dir.join(DATE_TIME_FIXTURE);
        if fixture.exists() {
            println!("cargo:rerun-if-changed={DATE_TIME_FIXTURE}");
            let (mut document, shown) = read_document(&fixture, "fixture")?;
            for_typify(&mut document);
            let spec = parse_for_the_generator(document, &shown)?;
            let code = client_code(&spec, &shown)?;
            let mocks = mock_code(&spec, "crate::date_time_fixture")?;
            write_if_changed(&out_dir.join("date-time-fixture.rs"), &code)?;
            write_if_changed(&out_dir.join("date-time-fixture-httpmock.rs"), &mocks)?;
            println!("cargo:rustc-cfg=date_time_fixture");
        }
    }
    Ok(())
}

/// The YAML document at `path` (the `what`, for messages) as JSON, and the path as shown.
fn read_document(path: &Path, what: &str) -> Result<(serde_json::Value, String), String> {
    let shown = path.display().to_string();
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read the {what} {shown}: {e}"))?;
    let document = serde_norway::from_str(&text)
        .map_err(|e| format!("the {what} {shown} is not valid YAML: {e}"))?;
    Ok((document, shown))
}

/// The constructs of standard OpenAPI 3.0 that typify misreads, rewritten as it reads them:
/// null-only schemas and `not` schemas.
fn for_typify(document: &mut serde_json::Value) {
    null_schemas_for_typify(document);
    not_schemas_for_typify(document);
}

/// The document parsed as the OpenAPI 3.0 the generator takes.
fn parse_for_the_generator(
    document: serde_json::Value,
    shown: &str,
) -> Result<openapiv3::OpenAPI, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(document)
        .map_err(|e| format!("the spec {shown} is not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "the spec {shown} declares openapi {}, but progenitor only accepts 3.0.x",
            spec.openapi
        ));
    }
    Ok(spec)
}

/// The client generated from `spec` with the workspace's [`settings`], unformatted.
fn client_code(spec: &openapiv3::OpenAPI, shown: &str) -> Result<String, String> {
    let mut generator = Generator::new(&settings());
    // progenitor panics (rather than returning an error) on some unsupported constructs, such
    // as two different success types for one operation; turn that into a message too.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(spec)
    }));
    std::panic::set_hook(default_hook);
    let tokens = match tokens {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => {
            return Err(format!(
                "progenitor cannot generate a client from {shown}: {e}"
            ))
        }
        Err(panic) => {
            let reason = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown reason");
            // typify's messages can dump whole schemas; the first line says what failed.
            let reason = reason.lines().next().unwrap_or_default();
            return Err(format!(
                "progenitor cannot generate a client from {shown}: it panicked with `{reason}`. \
                 Usual causes: two different success or error schemas on one operation, a \
                 `default` response, or a 200 with a body beside a 2xx without one \
                 (see openapi/README.md)"
            ));
        }
    };
    let mut code = tokens.to_string();
    code.push('\n');
    Ok(code)
}

/// The httpmock helpers of `spec` (whose generated types are at `crate_path`), with path values
/// escaped and query values written as the client sends them.
fn mock_code(spec: &openapiv3::OpenAPI, crate_path: &str) -> Result<String, String> {
    let mocks = Generator::new(&settings())
        .httpmock(spec, crate_path)
        .map_err(|e| format!("progenitor cannot generate the httpmock helpers: {e}"))?;
    let mocks = escape_path_parameters(mocks.to_string(), spec)?;
    Ok(query_values_as_sent(mocks))
}

/// Writes `code` to `path` unless it holds it already, so that dependents are not rebuilt
/// needlessly.
fn write_if_changed(path: &Path, code: &str) -> Result<(), String> {
    if fs::read_to_string(path).ok().as_deref() != Some(code) {
        fs::write(path, code).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// progenitor's httpmock helpers put a path parameter's value into the path's regular expression
/// as it is, so a value with a regex character (`+`, `.`, `(`) would not match itself. Each
/// value goes through `regex::escape` instead. The generated shape is checked: one rewrite per
/// path parameter of every operation, or the build fails rather than shipping unescaped mocks.
fn escape_path_parameters(code: String, spec: &openapiv3::OpenAPI) -> Result<String, String> {
    const UNESCAPED: &str = ", value . to_string ())) . unwrap ()";
    const ESCAPED: &str = ", regex :: escape (& value . to_string ()))) . unwrap ()";
    let expected: usize = spec
        .operations()
        .map(|(path, _, op)| {
            let shared = spec
                .paths
                .paths
                .get(path)
                .and_then(|item| item.as_item())
                .map(|item| item.parameters.as_slice())
                .unwrap_or_default();
            op.parameters
                .iter()
                .chain(shared)
                .filter(|p| is_path_parameter(spec, p))
                .count()
        })
        .sum();
    let found = code.matches(UNESCAPED).count();
    if found != expected {
        return Err(format!(
            "the httpmock helpers have {found} path-parameter matchers where the spec has \
             {expected} path parameters: progenitor's output changed shape, so the escaping \
             of path values in build.rs (escape_path_parameters) needs updating"
        ));
    }
    Ok(code.replace(UNESCAPED, ESCAPED))
}

/// progenitor's httpmock helpers match a query parameter against the value's `Display`
/// (`value.to_string()`), but the client sends its serde form (`progenitor_client::QueryParam`):
/// for a `format: date-time` value, `2025-07-30 10:00:00 -05:00` against the
/// `2025-07-30T10:00:00-05:00` on the wire, so such a mock never matches. Each query value goes
/// through `crate::mock::query_value` instead, which writes it as the client does.
fn query_values_as_sent(code: String) -> String {
    const MATCHER: &str = ". query_param (";
    const DISPLAY: &str = "value . to_string ()";
    const AS_SENT: &str = "crate :: mock :: query_value (& value)";
    let mut out = String::with_capacity(code.len() + 1024);
    let mut rest = code.as_str();
    while let Some(at) = rest.find(MATCHER) {
        let (before, after) = rest.split_at(at + MATCHER.len());
        out.push_str(before);
        // The matcher's arguments: the name (a string literal), then the value.
        let end = after.find(')').map_or(0, |end| end + 1);
        match after[..end].find(DISPLAY) {
            Some(value) => {
                out.push_str(&after[..value]);
                out.push_str(AS_SENT);
                rest = &after[value + DISPLAY.len()..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// Whether `parameter` (inline or a `$ref` to `components/parameters`) is in the path.
fn is_path_parameter(
    spec: &openapiv3::OpenAPI,
    parameter: &openapiv3::ReferenceOr<openapiv3::Parameter>,
) -> bool {
    let parameter = match parameter {
        openapiv3::ReferenceOr::Item(p) => Some(p),
        openapiv3::ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/parameters/")
            .and_then(|name| spec.components.as_ref()?.parameters.get(name))
            .and_then(|p| p.as_item()),
    };
    matches!(parameter, Some(openapiv3::Parameter::Path { .. }))
}
