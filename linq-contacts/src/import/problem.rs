//! [`Problem`]: why a row, or a field of it, cannot be imported as it is, in words.

use serde::Serialize;

/// A reason a row cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The column at fault, when there is one.
    pub field: Option<String>,
    /// What is wrong, in words (never the value: it may be personal data).
    pub reason: String,
}

impl Problem {
    pub fn new(field: Option<&str>, reason: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "`{field}` {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}
