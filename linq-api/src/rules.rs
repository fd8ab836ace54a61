//! The input rules of the spec, for the client's validation and the fake Linq alike.
//!
//! Every `maxLength` and `pattern` of a string property of the spec's component schemas
//! (`ContactFields.email`, `ContactInput.user_email`, …) is a [`FieldRule`], taken from the spec
//! by `build.rs` into a generated table. The generated types themselves stay plain `String`s:
//! typify would otherwise turn each constrained string into a newtype, changing every request
//! type (see `openapi/README.md`). So the rules are applied here, by [`FieldRule::check`],
//! with the spec's own semantics: lengths in characters (JSON Schema counts code points) and
//! patterns as ECMA-262 regular expressions (as OpenAPI specifies), found anywhere in the value.
//!
//! The patterns are not interpreted at run time: `build.rs` (`build/patterns.rs`) translates
//! each into `regex-automata`'s dialect with ECMA-262's meaning (its `\s`, `.`, `\d`, `\w`) and
//! writes the complete DFA out as a table, so a check is one table lookup per byte. The tests
//! compare every table with `regress`, an ECMA-262 engine, on many values.
//!
//! ```
//! let email = linq_api::rules::rule("ContactFields", "email").expect("the spec has the rule");
//! assert!(email.check("ada@example.com").is_ok());
//! let broken = email.check("not-an-email").unwrap_err();
//! assert!(!broken.to_string().contains("not-an-email")); // the rule, never the value
//! ```

use std::fmt;

use crate::generated::{PATTERN_MATCHED, PATTERN_MATCHES_AT_END};

/// The `maxLength` and `pattern` of one string property of the spec.
pub struct FieldRule {
    schema: &'static str,
    field: &'static str,
    max_length: Option<usize>,
    pattern: Option<Pattern>,
}

impl FieldRule {
    /// A rule of the generated table.
    pub(crate) const fn new(
        schema: &'static str,
        field: &'static str,
        max_length: Option<usize>,
        pattern: Option<Pattern>,
    ) -> Self {
        Self {
            schema,
            field,
            max_length,
            pattern,
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

    /// The ECMA-262 regular expression the value must match (`pattern`), as in the spec.
    pub fn pattern(&self) -> Option<&'static str> {
        self.pattern.as_ref().map(|p| p.source)
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
        if let Some(pattern) = &self.pattern {
            if !pattern.is_found_in(value) {
                return Err(RuleBroken::Pattern {
                    pattern: pattern.source,
                });
            }
        }
        Ok(())
    }
}

/// A `pattern` of the spec, and the DFA `build.rs` compiled it into (the generated table
/// writes its fields).
pub(crate) struct Pattern {
    pub(crate) source: &'static str,
    /// `classes[byte]`: the column of `byte` in `next`.
    pub(crate) classes: &'static [u8; 256],
    /// Columns per state.
    pub(crate) stride: usize,
    /// `next[state * stride + class]`: the state after a byte. State 0 is dead.
    pub(crate) next: &'static [u8],
    /// Per state: [`PATTERN_MATCHED`] and [`PATTERN_MATCHES_AT_END`].
    pub(crate) flags: &'static [u8],
    pub(crate) start: u8,
}

impl Pattern {
    /// Whether the pattern matches somewhere in `value`. A table out of shape (it cannot be:
    /// build.rs writes it) would answer "no" rather than panic.
    fn is_found_in(&self, value: &str) -> bool {
        const DEAD: usize = 0;
        let mut state = usize::from(self.start);
        for &byte in value.as_bytes() {
            let column = usize::from(self.classes[usize::from(byte)]);
            state = match self.next.get(state * self.stride + column) {
                Some(&next) => usize::from(next),
                None => return false,
            };
            if state == DEAD {
                return false;
            }
            // Matches are seen one byte late: this state says one ended before `byte`.
            if self
                .flags
                .get(state)
                .is_some_and(|f| f & PATTERN_MATCHED != 0)
            {
                return true;
            }
        }
        self.flags
            .get(state)
            .is_some_and(|f| f & PATTERN_MATCHES_AT_END != 0)
    }
}

impl fmt::Debug for FieldRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldRule")
            .field("schema", &self.schema)
            .field("field", &self.field)
            .field("max_length", &self.max_length)
            .field("pattern", &self.pattern())
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

    /// Values around which the spec's patterns turn: separators, digits, the characters where
    /// ECMA-262's `\s` and `.` differ from other dialects' (U+0085, U+180E, U+200B, U+FEFF),
    /// controls, and characters of two, three and four UTF-8 bytes.
    const ALPHABET: &[char] = &[
        'a',
        'Z',
        '0',
        '9',
        '_',
        ' ',
        '@',
        '.',
        '+',
        '-',
        '(',
        ')',
        '/',
        ':',
        '?',
        '=',
        '#',
        '%',
        '[',
        ']',
        '\\',
        'h',
        'H',
        't',
        'T',
        'p',
        'P',
        's',
        'S',
        '\0',
        '\t',
        '\n',
        '\u{b}',
        '\u{c}',
        '\r',
        '\u{1b}',
        '\u{1f}',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{a0}',
        'é',
        '\u{1680}',
        '\u{180e}',
        '\u{2000}',
        '\u{200a}',
        '\u{200b}',
        '\u{2028}',
        '\u{2029}',
        '\u{202f}',
        '\u{205f}',
        '\u{3000}',
        '\u{feff}',
        '\u{fffd}',
        '\u{ffff}',
        '😀',
        '\u{10ffff}',
    ];

    /// Valid and nearly valid values of every kind the spec constrains.
    const SEEDS: &[&str] = &[
        "",
        " ",
        "   ",
        "a",
        "Ada Lovelace",
        "ada@example.com",
        "a@b",
        "+1 (555) 123-4567",
        "555.123.4567",
        "1234",
        "123456789012345",
        "https://example.com/hooks?x=1",
        "HTTP://x",
        "whsec_abc",
    ];

    /// Every seed, and every seed with one character of the alphabet inserted or replaced at
    /// each position, and every pair of the alphabet's characters.
    fn corpus() -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for seed in SEEDS {
            let chars: Vec<char> = seed.chars().collect();
            values.push((*seed).to_owned());
            for at in 0..=chars.len() {
                for &c in ALPHABET {
                    let mut inserted = chars.clone();
                    inserted.insert(at, c);
                    values.push(inserted.into_iter().collect());
                    if at < chars.len() {
                        let mut replaced = chars.clone();
                        replaced[at] = c;
                        values.push(replaced.into_iter().collect());
                    }
                }
            }
        }
        for &a in ALPHABET {
            for &b in ALPHABET {
                values.push([a, b].into_iter().collect());
            }
        }
        values
    }

    /// Every rule with a pattern: the rule, its compiled table, and the pattern as `regress`
    /// (an ECMA-262 engine) compiles it.
    fn tables_beside_regress(
    ) -> impl Iterator<Item = (&'static FieldRule, &'static Pattern, regress::Regex)> {
        all().iter().filter_map(|rule| {
            let pattern = rule.pattern.as_ref()?;
            let regex = regress::Regex::new(pattern.source).expect("the spec's patterns compile");
            Some((rule, pattern, regex))
        })
    }

    /// Asserts that the table and `regress` agree on `value`; returns whether it matches.
    fn assert_agree(
        rule: &FieldRule,
        pattern: &Pattern,
        regex: &regress::Regex,
        value: &str,
    ) -> bool {
        let expected = regex.find(value).is_some();
        assert_eq!(
            pattern.is_found_in(value),
            expected,
            "{}.{} on {value:?}",
            rule.schema(),
            rule.field()
        );
        expected
    }

    #[test]
    fn every_compiled_pattern_agrees_with_an_ecma_262_engine() {
        let values = corpus();
        let mut checked = 0;
        for (rule, pattern, regex) in tables_beside_regress() {
            let (mut matched, mut refused) = (0, 0);
            for value in &values {
                if assert_agree(rule, pattern, &regex, value) {
                    matched += 1;
                } else {
                    refused += 1;
                }
            }
            // The corpus exercises both answers of every pattern.
            assert!(
                matched > 0 && refused > 0,
                "{rule:?}: {matched} / {refused}"
            );
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} patterns");
    }

    #[test]
    fn every_compiled_pattern_agrees_on_every_character_of_the_bmp_and_beyond() {
        // Each character alone and inside a value: the class memberships, one by one.
        let characters = (0..=0xFFFFu32)
            .chain([0x1_0000, 0x1_F600, 0xE_0001, 0x10_FFFF])
            .filter_map(char::from_u32);
        let values: Vec<String> = characters
            .flat_map(|c| [format!("{c}"), format!("a{c}@b"), format!("https://x{c}")])
            .collect();
        for (rule, pattern, regex) in tables_beside_regress() {
            for value in &values {
                assert_agree(rule, pattern, &regex, value);
            }
        }
    }

    /// The rule of `field` accepts every value of `ok` and refuses every value of `bad` (each a
    /// list of values separated by `|`).
    fn assert_rule(field: &str, ok: &str, bad: &str) {
        let rule = rule("ContactFields", field).unwrap();
        for value in ok.split('|') {
            assert!(rule.check(value).is_ok(), "{field}: {value:?}");
        }
        for value in bad.split('|') {
            assert!(rule.check(value).is_err(), "{field}: {value:?}");
        }
    }

    #[test]
    fn emails_and_phone_numbers() {
        assert_rule(
            "email",
            "a@b.co|ada.lovelace+crm@example.org||  ",
            "ab.co|@b.co|a@|a b@c.d|a@b@c|not-an-email|a@b\n",
        );
        assert_rule(
            "phone_number",
            "(555) 123-4567|555-123-4567|+15551234567|+1 (555) 123-4567|030/1234567|555.123.4567",
            "call me|12|+1 555 123 4567 8901 234|1+1234|555\u{0}1234",
        );
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
        let email = rule("ContactFields", "email").unwrap();
        let long = format!("{}@example.com", "a".repeat(100_000));
        assert_eq!(email.check(&long), Err(RuleBroken::TooLong { max: 254 }));
    }
}
