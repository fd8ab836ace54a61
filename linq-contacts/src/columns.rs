//! The CSV columns: one table for export's header, import's mapping and the README's list.

use linq_api_ext::Contact;

/// A contact field that import writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    FirstName,
    LastName,
    Email,
    PhoneNumber,
    Company,
    Title,
    Location,
    /// The email of the Linq user who owns the contact.
    UserEmail,
}

impl Field {
    /// Every writable field, in the order of [`Field::index`].
    pub const ALL: [Field; 8] = [
        Field::FirstName,
        Field::LastName,
        Field::Email,
        Field::PhoneNumber,
        Field::Company,
        Field::Title,
        Field::Location,
        Field::UserEmail,
    ];

    /// The position of the field in a row's values.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The column (and API field) name.
    pub fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|c| c.field == Some(self))
            .map_or("", |c| c.name)
    }

    /// The field an API error names, if it is one of ours.
    pub fn named(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One CSV column.
#[derive(Debug)]
pub struct Column {
    /// The header name.
    pub name: &'static str,
    /// What import does with it: `None` for a read-only column, which import accepts and
    /// ignores, so an export can be imported again.
    pub field: Option<Field>,
    /// The value export writes.
    pub export: fn(&Contact) -> Option<String>,
}

/// Every column, in export order.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "id",
        field: None,
        export: |c| Some(c.id.to_string()),
    },
    Column {
        name: "first_name",
        field: Some(Field::FirstName),
        export: |c| c.first_name.clone(),
    },
    Column {
        name: "last_name",
        field: Some(Field::LastName),
        export: |c| c.last_name.clone(),
    },
    Column {
        name: "full_name",
        field: None,
        export: |c| c.full_name.clone(),
    },
    Column {
        name: "email",
        field: Some(Field::Email),
        export: |c| c.email.clone(),
    },
    Column {
        name: "phone_number",
        field: Some(Field::PhoneNumber),
        export: |c| c.phone_number.clone(),
    },
    Column {
        name: "company",
        field: Some(Field::Company),
        export: |c| c.company.clone(),
    },
    Column {
        name: "title",
        field: Some(Field::Title),
        export: |c| c.title.clone(),
    },
    Column {
        name: "location",
        field: Some(Field::Location),
        export: |c| c.location.clone(),
    },
    Column {
        name: "user_email",
        field: Some(Field::UserEmail),
        export: |c| c.contact_owner.as_ref().and_then(|o| o.email.clone()),
    },
    Column {
        name: "image_url",
        field: None,
        export: |c| c.image_url.clone(),
    },
    Column {
        name: "created_at",
        field: None,
        export: |c| c.created_at.map(|t| t.to_rfc3339()),
    },
    Column {
        name: "updated_at",
        field: None,
        export: |c| c.updated_at.map(|t| t.to_rfc3339()),
    },
];

/// The column of a header name (exact, after trimming and lower-casing).
pub fn column(header: &str) -> Option<&'static Column> {
    let header = header.trim().to_ascii_lowercase();
    COLUMNS.iter().find(|c| c.name == header)
}

/// A header name as import compares it: letters and digits only, lower-cased, so that
/// `E-mail 1 - Value`, `e_mail_1_value` and `EMAIL 1 VALUE` are one name.
pub fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A header of a CRM's export that import knows.
pub struct Alias {
    /// The header as the export writes it.
    pub header: &'static str,
    /// The field it fills, or `None` for a column that holds nothing a contact field takes
    /// (an id, a date, a label, a switchboard number), ignored without a word.
    pub field: Option<Field>,
    /// The exports that write it: the README's alias table says it, and a test checks that.
    #[cfg_attr(not(test), allow(dead_code))]
    pub from: &'static str,
}

const fn to(header: &'static str, field: Field, from: &'static str) -> Alias {
    Alias {
        header,
        field: Some(field),
        from,
    }
}

const fn skip(header: &'static str, from: &'static str) -> Alias {
    Alias {
        header,
        field: None,
        from,
    }
}

const HS: &str = "HubSpot";
const GG: &str = "Google Contacts";
const OL: &str = "Outlook";
const SF: &str = "Salesforce";
const MC: &str = "Mailchimp";

/// The headers of HubSpot, Google Contacts, Outlook, Salesforce and Mailchimp exports (and of
/// this tool's failed-rows file), matched by their [`normalize`]d form, beside the
/// [`COLUMNS`] (which already match `First Name`, `Last Name`, `Email`, `Phone Number`,
/// `Company`, `Title` and `Location`, and come first). Where several columns
/// fill one field, the first non-empty value is taken **in this table's order**: the person's
/// own email or mobile number before a second one or a switchboard. The README's alias table
/// is this list.
pub const ALIASES: &[Alias] = &[
    // first_name
    to("Given Name", Field::FirstName, GG),
    // last_name
    to("Family Name", Field::LastName, GG),
    to("Surname", Field::LastName, OL),
    // email
    to(
        "Email Address",
        Field::Email,
        "Mailchimp; Outlook as `E-mail Address`",
    ),
    to("E-mail 1 - Value", Field::Email, GG),
    to("E-mail 2 Address", Field::Email, OL),
    to("E-mail 2 - Value", Field::Email, GG),
    to("E-mail 3 Address", Field::Email, OL),
    to("E-mail 3 - Value", Field::Email, GG),
    // phone_number: mobile and direct lines before shared ones
    to("Mobile Phone Number", Field::PhoneNumber, HS),
    to(
        "Mobile Phone",
        Field::PhoneNumber,
        "Outlook; Salesforce as `MobilePhone`",
    ),
    to("Mobile", Field::PhoneNumber, SF),
    to("Phone", Field::PhoneNumber, SF),
    to("Phone 1 - Value", Field::PhoneNumber, GG),
    to("Primary Phone", Field::PhoneNumber, OL),
    to("Business Phone", Field::PhoneNumber, OL),
    to("Home Phone", Field::PhoneNumber, OL),
    to("Phone 2 - Value", Field::PhoneNumber, GG),
    to("Phone 3 - Value", Field::PhoneNumber, GG),
    to("Business Phone 2", Field::PhoneNumber, OL),
    to("Home Phone 2", Field::PhoneNumber, OL),
    to("Other Phone", Field::PhoneNumber, OL),
    to("Car Phone", Field::PhoneNumber, OL),
    // company
    to("Company Name", Field::Company, HS),
    to("Organization Name", Field::Company, GG),
    to("Organization 1 - Name", Field::Company, GG),
    to("Account Name", Field::Company, SF),
    to("Associated Company", Field::Company, HS),
    // title (job title; Outlook's `Title` is an honorific: see `HONORIFIC_TITLE`)
    to("Job Title", Field::Title, "HubSpot, Outlook"),
    to("Organization Title", Field::Title, GG),
    to("Organization 1 - Title", Field::Title, GG),
    // location
    to("City", Field::Location, HS),
    to("Address 1 - City", Field::Location, GG),
    to("Mailing City", Field::Location, SF),
    to("Business City", Field::Location, OL),
    to("Home City", Field::Location, OL),
    to("Other City", Field::Location, OL),
    to("Address", Field::Location, MC),
    // user_email
    to("Owner Email", Field::UserEmail, "—"),
    // Ignored: ids, dates, labels, names of owners (not emails), parts of addresses beside
    // the city, switchboards and faxes.
    skip("Record ID", HS),
    skip("Contact ID", SF),
    skip("Contact owner", "HubSpot, Salesforce"),
    skip("Lifecycle Stage", HS),
    skip("Lead Status", HS),
    skip("Create Date", HS),
    skip("Last Activity Date", HS),
    skip("Marketing contact status", HS),
    skip("State/Region", HS),
    skip("Country/Region", HS),
    skip("Street Address", HS),
    skip("Postal Code", HS),
    skip("Middle Name", "Google Contacts, Outlook"),
    skip("Phonetic First Name", GG),
    skip("Phonetic Middle Name", GG),
    skip("Phonetic Last Name", GG),
    skip("Name Prefix", GG),
    skip("Name Suffix", GG),
    skip("Nickname", "Google Contacts, Outlook"),
    skip("File As", GG),
    skip("Name", GG),
    skip("Additional Name", GG),
    skip("Organization Department", GG),
    skip("Birthday", "Google Contacts, Outlook, Mailchimp"),
    skip("Notes", "Google Contacts, Outlook, Mailchimp"),
    skip("Photo", GG),
    skip("Labels", GG),
    skip("Group Membership", GG),
    skip("E-mail 1 - Label", GG),
    skip("E-mail 2 - Label", GG),
    skip("E-mail 3 - Label", GG),
    skip("Phone 1 - Label", GG),
    skip("Phone 2 - Label", GG),
    skip("Phone 3 - Label", GG),
    skip("Address 1 - Label", GG),
    skip("Address 1 - Formatted", GG),
    skip("Address 1 - Street", GG),
    skip("Address 1 - PO Box", GG),
    skip("Address 1 - Region", GG),
    skip("Address 1 - Postal Code", GG),
    skip("Address 1 - Country", GG),
    skip("Address 1 - Extended Address", GG),
    skip("Website 1 - Label", GG),
    skip("Website 1 - Value", GG),
    skip("Suffix", OL),
    skip("Given Yomi", OL),
    skip("Surname Yomi", OL),
    skip("Company Yomi", OL),
    skip("E-mail Type", OL),
    skip("E-mail Display Name", OL),
    skip("E-mail 2 Type", OL),
    skip("E-mail 2 Display Name", OL),
    skip("E-mail 3 Type", OL),
    skip("E-mail 3 Display Name", OL),
    skip("Company Main Telephone", OL),
    skip("Assistant's Phone", OL),
    skip("Assistant's Name", OL),
    skip("Manager's Name", OL),
    skip("Callback", OL),
    skip("Radio Phone", OL),
    skip("Telex", OL),
    skip("TTY/TDD Phone", OL),
    skip("ISDN", OL),
    skip("Pager", OL),
    skip("Business Fax", OL),
    skip("Home Fax", OL),
    skip("Other Fax", OL),
    skip("IMAddress", OL),
    skip("Department", OL),
    skip("Office Location", OL),
    skip("Business Street", OL),
    skip("Business Street 2", OL),
    skip("Business State", OL),
    skip("Business Postal Code", OL),
    skip("Business Country/Region", OL),
    skip("Home Street", OL),
    skip("Home State", OL),
    skip("Home Postal Code", OL),
    skip("Home Country/Region", OL),
    skip("Other Street", OL),
    skip("Other State", OL),
    skip("Other Postal Code", OL),
    skip("Other Country/Region", OL),
    skip("Personal Web Page", OL),
    skip("Web Page", OL),
    skip("Spouse", OL),
    skip("Anniversary", OL),
    skip("Categories", OL),
    skip("Salutation", SF),
    skip("Mailing Street", SF),
    skip("Mailing State/Province", SF),
    skip("Mailing Zip/Postal Code", SF),
    skip("Mailing Country", SF),
    skip("Fax", SF),
    skip("Lead Source", SF),
    skip("Account ID", SF),
    skip("Created Date", SF),
    skip("Last Modified Date", SF),
    skip("MEMBER_RATING", MC),
    skip("OPTIN_TIME", MC),
    skip("OPTIN_IP", MC),
    skip("CONFIRM_TIME", MC),
    skip("CONFIRM_IP", MC),
    skip("LATITUDE", MC),
    skip("LONGITUDE", MC),
    skip("GMTOFF", MC),
    skip("DSTOFF", MC),
    skip("TIMEZONE", MC),
    skip("CC", MC),
    skip("REGION", MC),
    skip("LAST_CHANGED", MC),
    skip("LEID", MC),
    skip("EUID", MC),
    skip("TAGS", MC),
    skip("reason", "linq-contacts (FILE.failed.csv)"),
];

/// Outlook writes the honorific (Mr., Dr.) in `Title` and the job title in `Job Title`: in a
/// file with another column for the job title, `Title` is the honorific and is ignored.
pub const HONORIFIC_TITLE: &str = "title";

/// Where a header leads: `Some(field)`, `Some(None)` for a known column that is ignored (a
/// read-only column of an export of this tool, or an [`Alias`] with no field), `None` for a
/// header import does not know. Also gives the rank among the columns of the same field
/// (lower is taken first).
pub fn lookup(header: &str) -> Option<(Option<Field>, usize)> {
    let name = normalize(header);
    if let Some(c) = COLUMNS.iter().find(|c| normalize(c.name) == name) {
        return Some((c.field, 0));
    }
    ALIASES
        .iter()
        .position(|a| normalize(a.header) == name)
        .map(|i| (ALIASES[i].field, i + 1))
}

/// Whether a value of the title column is an honorific only (Mr., Mrs, Dr., Prof.), which
/// is no job title.
pub fn is_honorific(value: &str) -> bool {
    const HONORIFICS: &[&str] = &[
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame", "herr", "frau", "m",
        "mme", "mlle",
    ];
    let word = normalize(value);
    !word.is_empty() && HONORIFICS.contains(&word.as_str()) && value.trim().len() <= 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_column_and_round_trips() {
        for field in Field::ALL {
            assert_eq!(Field::ALL[field.index()], field);
            assert_eq!(COLUMNS.iter().filter(|c| c.field == Some(field)).count(), 1);
            assert_eq!(Field::named(field.name()), Some(field));
        }
        assert_eq!(column(" Email ").map(|c| c.name), Some("email"));
        assert!(column("e-mail").is_none());
    }

    #[test]
    fn aliases_match_whatever_the_case_spaces_and_punctuation() {
        assert_eq!(
            lookup("e_mail 1 VALUE").map(|l| l.0),
            Some(Some(Field::Email))
        );
        assert_eq!(
            lookup("Phone Number").map(|l| l.0),
            Some(Some(Field::PhoneNumber))
        );
        assert_eq!(
            lookup("PHONE_NUMBER").map(|l| l.0),
            Some(Some(Field::PhoneNumber))
        );
        assert_eq!(lookup("Record ID").map(|l| l.0), Some(None));
        assert_eq!(lookup("full name").map(|l| l.0), Some(None));
        assert!(lookup("shoe size").is_none());
        // The person's own number comes before a switchboard or a second one.
        let rank = |h: &str| lookup(h).unwrap().1;
        assert!(rank("Mobile Phone") < rank("Business Phone"));
        assert!(rank("E-mail 1 - Value") < rank("E-mail 2 - Value"));
        assert!(is_honorific("Dr.") && is_honorific(" mrs ") && !is_honorific("Director"));
    }

    #[test]
    fn no_two_aliases_normalize_alike() {
        let mut seen = std::collections::HashSet::new();
        for name in COLUMNS
            .iter()
            .map(|c| c.name)
            .chain(ALIASES.iter().map(|a| a.header))
        {
            assert!(seen.insert(normalize(name)), "{name} appears twice");
        }
    }

    #[test]
    fn the_readme_documents_every_alias() {
        let readme = include_str!("../README.md");
        for alias in ALIASES {
            let row = format!("| `{}` |", alias.header);
            let line = readme
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("README.md has no row for the alias `{}`", alias.header));
            let field = alias.field.map_or("(ignored)", Field::name);
            assert!(line.contains(field) && line.contains(alias.from), "{line}");
        }
    }

    #[test]
    fn the_readme_documents_every_column() {
        let readme = include_str!("../README.md");
        for c in COLUMNS {
            let row = format!("| `{}` |", c.name);
            let line = readme
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("README.md has no row for column `{}`", c.name));
            let imported = !line.contains("read-only");
            assert_eq!(imported, c.field.is_some(), "{line}");
        }
    }
}
