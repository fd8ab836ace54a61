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

/// Checks the URL of a webhook subscription: what the spec says of it, then an absolute
/// `https` URL, or plain `http` on a loopback host only (a local receiver, a test). The URL is
/// never repeated (its path or query may carry a token).
pub(crate) fn check_webhook_url(url: &str) -> Result<()> {
    const FIELD: &str = "webhook_url";
    check("WebhookSubscriptionInput", FIELD, url)?;
    let parsed = url::Url::parse(url)
        .map_err(|_| Error::invalid(FIELD, "must be an absolute URL (https://…)"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if crate::http::is_loopback(&parsed) => Ok(()),
        "http" => Err(Error::invalid(
            FIELD,
            "must use https; plain http is accepted only on a loopback host",
        )),
        _ => Err(Error::invalid(FIELD, "must be an https URL")),
    }
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

    #[test]
    fn webhook_urls_are_https_or_loopback_http() {
        for ok in [
            "https://crm.example.com/webhooks/linq",
            "https://10.0.0.5:8443/hook?token=abc",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9/",
        ] {
            assert!(check_webhook_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://crm.example.com/hook?token=hunter2",
            "ftp://crm.example.com/hunter2",
            "crm.example.com/hunter2",
            "",
            "https://",
        ] {
            let e = check_webhook_url(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        field: "webhook_url",
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }
}
