/// A query parameter's value as the client sends it: its serde form, as
/// `progenitor_client::QueryParam` writes it (a string as it is, a date-time in RFC 3339, a
/// number as JSON writes it), not its `Display` (build.rs routes every query matcher of the
/// mocks through this).
pub(crate) fn query_value<T: serde::Serialize + ToString>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) | Err(_) => value.to_string(),
        Ok(other) => other.to_string(),
    }
}
