//! Generates the Linq Contacts client from the OpenAPI spec with progenitor.
//!
//! The generator settings live here and only here ([`settings`]). The output goes to
//! `$OUT_DIR/codegen.rs`, which `src/lib.rs` includes and the snapshot test reviews.

use std::{fs, path::PathBuf, process::ExitCode};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};

/// The spec, relative to this crate. It is a link to the single source of truth,
/// `openapi/linq-v2-contacts.yaml` at the top of the repository, so that the packaged crate
/// carries the spec with it.
const SPEC: &str = "openapi/linq-v2-contacts.yaml";

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
        .with_derive("PartialEq");
    settings
}

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
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

fn generate() -> Result<(), String> {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let spec_path = manifest_dir.join(SPEC);
    let shown = spec_path.display();
    let text =
        fs::read_to_string(&spec_path).map_err(|e| format!("cannot read the spec {shown}: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_yaml::from_str(&text)
        .map_err(|e| format!("the spec {shown} is not a valid OpenAPI 3.0 document: {e}"))?;
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "the spec {shown} declares openapi {}, but progenitor only accepts 3.0.x",
            spec.openapi
        ));
    }

    let mut generator = Generator::new(&settings());
    // progenitor panics (rather than returning an error) on some unsupported constructs, such
    // as two different success types for one operation; turn that into a message too.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
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
    let file = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced unparsable code from {shown}: {e}"))?;
    let code = prettyplease::unparse(&file);

    let out =
        PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("codegen.rs");
    // Only write when the content changes, so that dependents are not rebuilt needlessly.
    if fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        fs::write(&out, code).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(())
}
