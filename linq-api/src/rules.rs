//! The input rules of the spec, for the client's validation and the fake Linq alike.
//!
//! Every `maxLength` and `pattern` of a string property of the spec's component schemas
//! (`ContactFields.email`, `ContactInput.user_email`, …) is a [`FieldRule`], taken from the spec
//! by `build.rs` into a generated table. The generated types themselves stay plain `String`s:
//! typify would otherwise turn each constrained string into a newtype, changing every request
//! type (see `openapi/README.md`). So the rules are applied here, by [`FieldRule::check`],
//! with the spec's own semantics: lengths in characters (JSON Schema counts code points) and
//! patterns as ECMA-262 regular expressions (as OpenAPI specifies), with the `regress` engine.
//!
//! ```
//! let email = linq_api::rules::rule("ContactFields", "email").expect("the spec has the rule");
//! assert!(email.check("ada@example.com").is_ok());
//! let broken = email.check("not-an-email").unwrap_err();
//! assert!(!broken.to_string().contains("not-an-email")); // the rule, never the value
//! ```

use std::{fmt, sync::OnceLock};

/// The `maxLength` and `pattern` of one string property of the spec.
pub struct FieldRule {
    schema: &'static str,
    field: &'static str,
    max_length: Option<usize>,
    pattern: Option<&'static str>,
    compiled: OnceLock<Option<regress::Regex>>,
}

impl FieldRule {
    /// A rule of the generated table.
    pub(crate) const fn new(
        schema: &'static str,
        field: &'static str,
        max_length: Option<usize>,
        pattern: Option<&'static str>,
    ) -> Self {
        Self {
            schema,
            field,
            max_length,
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// The component schema the property belongs to (`ContactFields`).
    pub fn schema(&self) -> &'static str {
        self.schema
    }

    /// The property (`email`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The most characters the value may have (`maxLength`).
    pub fn max_length(&self) -> Option<usize> {
        self.max_length
    }

    /// The ECMA-262 regular expression the value must match (`pattern`).
    pub fn pattern(&self) -> Option<&'static str> {
        self.pattern
    }

    /// Checks `value` against the rule. The error says which rule it broke, never the value.
    pub fn check(&self, value: &str) -> Result<(), RuleBroken> {
        if let Some(max) = self.max_length {
            // A value of at most `max` bytes has at most `max` characters, so only a longer
            // one is counted; counting stops just past the limit, so a huge value costs no
            // more than that.
            if value.len() > max && value.chars().take(max.saturating_add(1)).count() > max {
                return Err(RuleBroken::TooLong { max });
            }
        }
        if let Some(pattern) = self.pattern {
            let regex = self
                .compiled
                .get_or_init(|| regress::Regex::new(pattern).ok());
            // build.rs compiled every pattern already; one that would not compile matches
            // nothing rather than everything.
            if regex.as_ref().is_none_or(|r| r.find(value).is_none()) {
                return Err(RuleBroken::Pattern { pattern });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FieldRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldRule")
            .field("schema", &self.schema)
            .field("field", &self.field)
            .field("max_length", &self.max_length)
            .field("pattern", &self.pattern)
            .finish()
    }
}

/// Which rule a value broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleBroken {
    /// It has more characters than `maxLength`.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// It does not match `pattern`.
    Pattern {
        /// The pattern, as in the spec.
        pattern: &'static str,
    },
}

impl fmt::Display for RuleBroken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleBroken::TooLong { max } => write!(f, "must be at most {max} characters long"),
            RuleBroken::Pattern { pattern } => write!(f, "must match the pattern `{pattern}`"),
        }
    }
}

impl std::error::Error for RuleBroken {}

/// Every rule of the spec.
pub fn all() -> &'static [FieldRule] {
    &crate::generated::INPUT_RULES
}

/// The rule of property `field` of component schema `schema`, if the spec gives it one.
pub fn rule(schema: &str, field: &str) -> Option<&'static FieldRule> {
    all()
        .iter()
        // The field first: field names mostly differ in length, so a mismatch is rejected
        // without comparing the schema's name.
        .find(|r| r.field == field && r.schema == schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_of_the_spec_compiles_and_the_contact_fields_have_rules() {
        for rule in all() {
            if let Some(pattern) = rule.pattern() {
                assert!(regress::Regex::new(pattern).is_ok(), "{rule:?}");
            }
        }
        for field in [
            "first_name",
            "last_name",
            "email",
            "phone_number",
            "company",
            "title",
            "location",
        ] {
            let rule = rule("ContactFields", field).expect(field);
            assert!(rule.max_length().is_some(), "{rule:?}");
            assert!(rule.check("x\u{1b}[31m").is_err(), "{field} accepts ESC");
        }
        assert!(rule("ContactInput", "user_email").is_some());
    }

    #[test]
    fn emails_and_phone_numbers() {
        let email = rule("ContactFields", "email").unwrap();
        for ok in ["a@b.co", "ada.lovelace+crm@example.org", "", "  "] {
            assert!(email.check(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "ab.co",
            "@b.co",
            "a@",
            "a b@c.d",
            "a@b@c",
            "not-an-email",
            "a@b\n",
        ] {
            assert!(email.check(bad).is_err(), "{bad:?}");
        }
        let phone = rule("ContactFields", "phone_number").unwrap();
        for ok in [
            "(555) 123-4567",
            "555-123-4567",
            "+15551234567",
            "+1 (555) 123-4567",
            "030/1234567",
            "555.123.4567",
        ] {
            assert!(phone.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "call me",
            "12",
            "+1 555 123 4567 8901 234",
            "1+1234",
            "555\u{0}1234",
        ] {
            assert!(phone.check(bad).is_err(), "{bad:?}");
        }
        // Lengths are in characters, not bytes: 255 two-byte characters fit a 255 limit.
        let company = rule("ContactFields", "company").unwrap();
        assert_eq!(company.max_length(), Some(255));
        assert!(company.check(&"é".repeat(255)).is_ok());
        assert!(company.check(&"a".repeat(255)).is_ok());
        assert_eq!(
            company.check(&"é".repeat(256)),
            Err(RuleBroken::TooLong { max: 255 })
        );
        assert_eq!(
            company.check(&"a".repeat(256)),
            Err(RuleBroken::TooLong { max: 255 })
        );
        let long = format!("{}@example.com", "a".repeat(100_000));
        assert_eq!(email.check(&long), Err(RuleBroken::TooLong { max: 254 }));
    }
}
