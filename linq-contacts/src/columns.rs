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
