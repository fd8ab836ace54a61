//! The library's rules, said in words an operator reads: a rule that is a regular expression
//! in the spec (`must match the pattern …`) is replaced by what the pattern means for the
//! field, with the likely cause when the value shows it (an extension, several values, line
//! breaks). The value itself is never repeated.

use crate::columns::Field;

/// The rule `rule` that `value` of `field` broke, in words.
pub fn rule(field: Option<Field>, rule: &str, value: Option<&str>) -> String {
    if !rule.contains("pattern") {
        return rule.to_owned();
    }
    let value = value.unwrap_or("");
    let lines = value.contains(['\n', '\r']);
    match field {
        Some(Field::PhoneNumber) => {
            let cause = if value.chars().any(|c| c.is_ascii_alphabetic()) {
                "has letters (an extension such as `x123`?): "
            } else if value.contains([',', ';', '/']) && digits(value) > 15 {
                "holds more than one number: "
            } else if lines {
                "is on several lines: "
            } else {
                ""
            };
            format!(
                "{cause}a phone number has 4 to 15 digits, an optional leading +, and spaces, \
                 dots, dashes, slashes or parentheses between; no letters and no extension"
            )
        }
        Some(Field::Email | Field::UserEmail) => {
            let cause = if value.matches('@').count() > 1 {
                "holds more than one address: "
            } else if !value.contains('@') {
                "has no `@`: "
            } else if value.trim().contains(char::is_whitespace) {
                "has a space or a line break: "
            } else {
                ""
            };
            format!("{cause}an email address is `name@domain`, with no spaces")
        }
        _ if lines => "must be on one line: no line breaks (--fold-lines joins the lines with \
                       `, `)"
            .to_owned(),
        _ => "must have no control characters (such as tabs or line breaks)".to_owned(),
    }
}

fn digits(value: &str) -> usize {
    value.chars().filter(char::is_ascii_digit).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERN: &str =
        "must match the pattern `^(?: *|[ ()./-]*\\+?(?:[ ()./-]*[0-9]){4,15}[ ()./-]*)$`";

    #[test]
    fn rules_are_words_never_a_pattern_or_the_value() {
        let said = rule(
            Some(Field::PhoneNumber),
            PATTERN,
            Some("+1 555 123 4567 x123"),
        );
        assert!(said.starts_with("has letters (an extension"), "{said}");
        assert!(said.contains("4 to 15 digits") && !said.contains('^') && !said.contains("555"));
        let said = rule(Some(Field::Email), PATTERN, Some("a@x.org, b@x.org"));
        assert!(said.starts_with("holds more than one address"), "{said}");
        let said = rule(Some(Field::Location), PATTERN, Some("Main St\nBerlin"));
        assert!(
            said.contains("no line breaks") && said.contains("--fold-lines"),
            "{said}"
        );
        assert_eq!(
            rule(
                Some(Field::Company),
                "must be at most 255 characters long",
                None
            ),
            "must be at most 255 characters long"
        );
    }
}
