//! The rows of the file: its header mapped onto the fields (the columns of this tool, the
//! aliases of the common CRM exports, `--map`), then one row at a time, repaired where that
//! is safe and said.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{
    mapping::{Mapping, Stats},
    problem::Problem,
    source::{Input, ReadOptions, Record, Source},
};
use crate::{
    columns::{is_honorific, Field},
    exit::Exit,
};

/// One data row: the values of the writable fields (blank cells are `None`).
#[derive(Clone, Debug)]
pub struct Row {
    /// The line the record starts on (the header is line 1), as an editor shows it.
    pub line: u64,
    /// How many rows before this one in the file have the same values (the same
    /// [`fingerprint`](Row::fingerprint)): with it, the fingerprint tells the journal which
    /// row this is, however lines are counted and wherever rows moved.
    pub occurrence: u32,
    /// The [`fingerprint`](Row::fingerprint) of the row as read (before a field was left
    /// out): what the journal knows it by.
    pub read_fingerprint: String,
    values: [Option<String>; Field::ALL.len()],
    /// The record as the file has it, for the failed-rows file.
    pub original: Vec<String>,
    /// What was changed on the way (a value folded, one of several taken, a field dropped).
    pub notes: Vec<Problem>,
}

impl Row {
    /// The value of `field`, if the row has one.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values[field.index()].as_deref()
    }

    /// The row without `field`.
    pub fn without(&self, field: Field) -> Row {
        let mut row = self.clone();
        row.clear(field);
        row
    }

    /// Leaves `field` out of this row.
    pub fn clear(&mut self, field: Field) {
        self.values[field.index()] = None;
    }

    /// A fingerprint of the values, so that the journal recognises a row that was edited: the
    /// first 128 bits of a SHA-256 over the values, each length-prefixed (so that no two rows
    /// share an encoding), the same in every build, so a journal resumes with another build of
    /// the CLI. A row whose fingerprint changed is simply done again.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        for value in &self.values {
            match value {
                None => hasher.update([0]),
                Some(v) => {
                    hasher.update([1]);
                    hasher.update((v.len() as u64).to_le_bytes());
                    hasher.update(v.as_bytes());
                }
            }
        }
        hasher.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// What identifies the contact for matching: rows sharing a key are never sent at the
    /// same time, so two rows for one person cannot both create it. Coarse on purpose (the
    /// email lower-cased, the last 7 digits of the phone number): a false match only orders
    /// two rows.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(email) = self.get(Field::Email) {
            keys.push(format!("e:{}", email.to_lowercase()));
        }
        if let Some(phone) = self.get(Field::PhoneNumber) {
            let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
            let tail: String = digits[digits.len().saturating_sub(7)..].iter().collect();
            keys.push(format!("p:{tail}"));
        }
        keys
    }
}

/// What the next record is.
pub enum Read {
    Row(Row),
    /// A record that could not be read as a row (wrong number of fields, not UTF-8), with
    /// what could be read of it.
    Bad(u64, Problem, Vec<String>),
}

/// How rows are repaired on the way in.
#[derive(Clone, Debug, Default)]
pub struct Repair {
    /// Join the lines of a multi-line value with `, `.
    pub fold_lines: bool,
    /// Read phone numbers without a country code as numbers of this country.
    pub default_country: Option<phonenumber::country::Id>,
}

/// The rows of a file, in order.
pub struct Rows {
    source: Source,
    mapping: Mapping,
    repair: Repair,
    /// How many rows so far had each fingerprint.
    seen: HashMap<String, u32>,
    /// What the header and the rows so far say about the columns not imported.
    pub stats: Stats,
}

impl Rows {
    /// Opens the input and maps its header (see [`Mapping::new`]); a refused header ends the
    /// import before anything is sent.
    pub fn open(
        input: &Input,
        read: &ReadOptions,
        maps: &[(String, Option<Field>)],
        ignore_unknown: bool,
        repair: Repair,
    ) -> Result<Rows, Exit> {
        let mut source = Source::open(input, read)?;
        let name = input.path();
        let mapping = match Mapping::new(&source.header, maps) {
            Ok(mapping) => mapping,
            Err(refused) => return Err(refused.exit(&name)),
        };
        if !ignore_unknown && mapping.has_unknown() {
            // Say how much each unknown column holds, so that the operator sees what ignoring
            // it would lose: the rest of the input is read (nothing is sent).
            let mut stats = Stats::new(&mapping);
            while let Some(record) = source.next()? {
                let (Record::Values(_, values) | Record::Bad(_, _, values)) = &record;
                stats.count(values);
            }
            return Err(mapping.refuse_unknown(&name, &stats));
        }
        Ok(Rows {
            stats: Stats::new(&mapping),
            source,
            mapping,
            repair,
            seen: HashMap::new(),
        })
    }

    /// How the file was read and mapped, for the summary: one line each.
    pub fn notes(&self) -> Vec<String> {
        self.source
            .read_as
            .iter()
            .cloned()
            .chain(self.mapping.notes())
            .collect()
    }

    /// The header as the file has it.
    pub fn header(&self) -> &[String] {
        &self.source.header
    }

    /// The columns not imported that hold values, for the report.
    pub fn ignored_columns(&self) -> Vec<super::mapping::IgnoredColumn> {
        self.stats.ignored(&self.mapping)
    }

    /// The delimiter of the file (`,` for a spreadsheet).
    pub fn delimiter(&self) -> u8 {
        self.source.delimiter
    }

    /// The next record; `None` at the end of the file. An I/O error ends the import.
    pub fn next(&mut self) -> Result<Option<Read>, Exit> {
        let (line, original) = match self.source.next()? {
            None => return Ok(None),
            Some(Record::Bad(line, problem, values)) => {
                return Ok(Some(Read::Bad(line, problem, values)))
            }
            Some(Record::Values(line, values)) => (line, values),
        };
        self.stats.count(&original);
        let mut row = Row {
            line,
            occurrence: 0,
            read_fingerprint: String::new(),
            values: Default::default(),
            original,
            notes: Vec::new(),
        };
        for field in Field::ALL {
            let (value, others) = self.mapping.value(field, &row.original);
            if others {
                self.stats.alternates[field.index()] += 1;
                row.notes.push(Problem::new(
                    Some(field.name()),
                    format!(
                        "another of its columns held another value; the first non-empty ({}) \
                         was taken",
                        self.mapping.column_taken(field, &row.original)
                    ),
                ));
            }
            let Some(value) = value else { continue };
            if let Some(value) = self.repaired(field, value, &mut row.notes) {
                row.values[field.index()] = Some(value);
            }
        }
        row.read_fingerprint = row.fingerprint();
        let seen = self.seen.entry(row.read_fingerprint.clone()).or_default();
        row.occurrence = *seen;
        *seen += 1;
        Ok(Some(Read::Row(row)))
    }

    /// A value on its way in: Google's `a ::: b` multi-values give their first, an honorific
    /// is no job title, lines are folded (when asked), national phone numbers are read as the
    /// default country's (when given). What changed is noted.
    fn repaired(&self, field: Field, value: &str, notes: &mut Vec<Problem>) -> Option<String> {
        let mut value = value.to_owned();
        let note = |notes: &mut Vec<Problem>, what: &str| {
            notes.push(Problem::new(Some(field.name()), what.to_owned()));
        };
        if matches!(field, Field::Email | Field::PhoneNumber) && value.contains(":::") {
            value = value.split(":::").next().unwrap_or("").trim().to_owned();
            note(notes, "held several values (`:::`); the first was taken");
        }
        if field == Field::Title && is_honorific(&value) {
            note(
                notes,
                "is an honorific (such as Mr. or Dr.), not a job title: not imported",
            );
            return None;
        }
        if self.repair.fold_lines && value.contains(['\n', '\r']) {
            value = fold(&value);
            note(notes, "was on several lines, joined with `, `");
        }
        if let (Field::PhoneNumber, Some(country)) = (field, self.repair.default_country) {
            match super::phone::to_e164(&value, country) {
                Some(e164) => value = e164,
                None => note(
                    notes,
                    "could not be read as a phone number of the default country: sent as written",
                ),
            }
        }
        (!value.is_empty()).then_some(value)
    }
}

/// The lines of `value`, trimmed and joined with `, ` (blank lines dropped).
fn fold(value: &str) -> String {
    value
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}
#[cfg(test)]
mod tests {
    use super::*;

    fn row(email: Option<&str>, phone: Option<&str>) -> Row {
        let mut values: [Option<String>; Field::ALL.len()] = Default::default();
        values[Field::Email.index()] = email.map(str::to_owned);
        values[Field::PhoneNumber.index()] = phone.map(str::to_owned);
        Row {
            line: 2,
            occurrence: 0,
            read_fingerprint: String::new(),
            values,
            original: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn keys_match_the_same_person_written_differently() {
        let a = row(Some("Ada@Example.com"), Some("+1 (555) 123-4567"));
        let b = row(Some("ada@example.com"), None);
        let c = row(None, Some("555.123.4567"));
        assert!(b.keys().iter().all(|k| a.keys().contains(k)));
        assert!(c.keys().iter().all(|k| a.keys().contains(k)));
        assert!(row(Some("bob@example.com"), None)
            .keys()
            .iter()
            .all(|k| !a.keys().contains(k)));
    }

    #[test]
    fn fingerprints_tell_edited_rows_apart() {
        let a = row(Some("a@example.com"), None);
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
        assert_ne!(
            a.fingerprint(),
            row(Some("b@example.com"), None).fingerprint()
        );
        assert_ne!(a.fingerprint(), a.without(Field::Email).fingerprint());
    }

    #[test]
    fn folded_values_are_one_line() {
        assert_eq!(
            fold("Main St 1\r\n\r\n 10115 Berlin \n"),
            "Main St 1, 10115 Berlin"
        );
    }

    #[test]
    fn a_fingerprint_is_the_same_in_every_build() {
        // A known answer: a journal written by another build must still match its rows.
        let fingerprint = row(Some("a@example.com"), None).fingerprint();
        assert_eq!(fingerprint.len(), 32);
        // Computed independently: sha256(0x00 0x00 0x01 <13 as u64 LE> "a@example.com" 0x00 ×5),
        // first 16 bytes.
        assert_eq!(fingerprint, "d942a5e9645bdff10c01a31f3abc99eb");
    }
}
