//! The input rules, in one place: what a value must be before it is sent.
//!
//! Field rules (the longest value, the shape of an email or phone number, no control
//! characters) come from the spec's `maxLength` and `pattern`, through
//! [`linq_api::rules`] — the same table the fake Linq (`linq-fake`) applies, so the two agree.
//! Rules Linq states only in prose (at least one identity field; find needs an email or a phone
//! number) are the builders'. Every refusal is an [`Error::InvalidInput`] naming the field and
//! the rule, never the value.

use crate::error::{Error, Result};

/// The spec's schema of the contact fields.
const CONTACT_FIELDS: &str = "ContactFields";

/// Checks `value` for contact field `field` (`email`, `first_name`, …) against the spec.
pub(crate) fn check_contact_field(field: &'static str, value: &str) -> Result<()> {
    check(CONTACT_FIELDS, field, value)
}

/// Checks the owner's email (`user_email` of a create or update body).
pub(crate) fn check_user_email(value: &str) -> Result<()> {
    check("ContactInput", "user_email", value)
}

fn check(schema: &str, field: &'static str, value: &str) -> Result<()> {
    match linq_api::rules::rule(schema, field) {
        Some(rule) => rule
            .check(value)
            .map_err(|broken| Error::invalid(field, broken.to_string())),
        // The spec gives this field no rule: nothing to refuse.
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_field_and_the_rule_never_the_value() {
        let e = check_contact_field("email", "ada-private.example.org").unwrap_err();
        assert!(
            matches!(e, Error::InvalidInput { field: "email", .. }),
            "{e:?}"
        );
        assert!(!e.to_string().contains("ada-private"), "{e}");
        let e = check_contact_field("company", &"x".repeat(300)).unwrap_err();
        assert!(e.to_string().contains("at most 255 characters"), "{e}");
        let e = check_user_email("boss at example.org").unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidInput {
                field: "user_email",
                ..
            }
        ));
        assert!(check_contact_field("phone_number", "030/1234567").is_ok());
    }
}
