//! `--default-country`: phone numbers written without a country code, read as numbers of one
//! country and sent in E.164, with libphonenumber's metadata (the `phonenumber` crate).

use phonenumber::{country::Id, Mode};

/// The `--default-country` argument: an ISO 3166-1 alpha-2 code (`DE`, `us`).
pub fn parse_country(code: &str) -> Result<Id, String> {
    code.trim()
        .to_ascii_uppercase()
        .parse::<Id>()
        .map_err(|_| "must be a two-letter country code, such as DE, FR, GB or US".to_owned())
}

/// `value` in E.164 (`+49301063352`), read as a number of `country` unless it has a country
/// code of its own; `None` when it is no valid number there, or has an extension (which Linq
/// cannot hold): such a value is sent as written, and the library's rule decides.
pub fn to_e164(value: &str, country: Id) -> Option<String> {
    let number = phonenumber::parse(Some(country), value).ok()?;
    if number.extension().is_some() || !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_become_e164() {
        let de = parse_country("de").unwrap();
        assert_eq!(to_e164("030 1063352", de).as_deref(), Some("+49301063352"));
        assert_eq!(
            to_e164("(030) 106 33 52", de).as_deref(),
            Some("+49301063352")
        );
        assert_eq!(
            to_e164("0171 2345678", de).as_deref(),
            Some("+491712345678")
        );
        // A number with its own country code keeps it.
        assert_eq!(
            to_e164("+1 202-555-0143", de).as_deref(),
            Some("+12025550143")
        );
        assert_eq!(to_e164("12", de), None);
        assert!(parse_country("Germany").is_err());
    }
}
