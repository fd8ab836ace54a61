//! Reading the CSV file: the header mapped onto the columns, then one row at a time.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    fs::File,
    path::Path,
};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    columns::{column, Field, COLUMNS},
    exit::{Exit, FAILED, REFUSED},
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
    values: [Option<String>; Field::ALL.len()],
}

impl Row {
    /// The value of `field`, if the row has one.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values[field.index()].as_deref()
    }

    /// The row without `field`.
    pub fn without(&self, field: Field) -> Row {
        let mut row = self.clone();
        row.values[field.index()] = None;
        row
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

/// What the next record is.
pub enum Read {
    Row(Row),
    /// A record that could not be read as a row (wrong number of fields, not UTF-8).
    Bad(u64, Problem),
}

/// The rows of a CSV file, in order.
pub struct Rows {
    reader: csv::Reader<Lines<File>>,
    /// The field of each column of the file; `None` for a column that is ignored.
    mapping: Vec<Option<Field>>,
    record: csv::StringRecord,
    /// How many rows so far had each fingerprint.
    seen: HashMap<String, u32>,
}

impl Rows {
    /// Opens `path` and maps its header; refuses duplicate and (unless `ignore_unknown`)
    /// unknown columns, and a file with no writable column.
    pub fn open(path: &Path, ignore_unknown: bool) -> Result<Rows, Exit> {
        let file =
            File::open(path).map_err(|e| Exit::io(format!("opening {}", path.display()), &e))?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(Lines::new(file));
        let header = reader.headers().map_err(|e| {
            Exit::new(
                REFUSED,
                format!("{}: the header row cannot be read: {e}", path.display()),
            )
        })?;
        let mut seen = HashSet::new();
        let mut unknown = Vec::new();
        let mut mapping = Vec::new();
        for name in header {
            match column(name) {
                Some(c) if !seen.insert(c.name) => {
                    return Err(Exit::new(
                        REFUSED,
                        format!("{}: column `{}` appears twice", path.display(), c.name),
                    ))
                }
                Some(c) => mapping.push(c.field),
                None => {
                    unknown.push(format!("`{name}`"));
                    mapping.push(None);
                }
            }
        }
        if !unknown.is_empty() && !ignore_unknown {
            let known: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
            return Err(Exit::new(
                REFUSED,
                format!(
                    "{}: unknown column(s) {} (known: {}); pass --ignore-unknown-columns to ignore them",
                    path.display(),
                    unknown.join(", "),
                    known.join(", ")
                ),
            ));
        }
        if mapping.iter().all(Option::is_none) {
            return Err(Exit::new(
                REFUSED,
                format!(
                    "{}: no column to import (the header names none of {})",
                    path.display(),
                    Field::ALL.map(Field::name).join(", ")
                ),
            ));
        }
        Ok(Rows {
            reader,
            mapping,
            record: csv::StringRecord::new(),
            seen: HashMap::new(),
        })
    }

    /// The next record; `None` at the end of the file. An I/O error ends the import.
    pub fn next(&mut self) -> Result<Option<Read>, Exit> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let byte = self.record.position().map_or(0, csv::Position::byte);
                let line = self.reader.get_mut().line_of(byte);
                let mut values: [Option<String>; Field::ALL.len()] = Default::default();
                for (value, field) in self.record.iter().zip(&self.mapping) {
                    if let (Some(field), false) = (field, value.is_empty()) {
                        values[field.index()] = Some(value.to_owned());
                    }
                }
                let mut row = Row {
                    line,
                    occurrence: 0,
                    values,
                };
                let seen = self.seen.entry(row.fingerprint()).or_default();
                row.occurrence = *seen;
                *seen += 1;
                Ok(Some(Read::Row(row)))
            }
            Err(e) => {
                let byte = e.position().map_or(0, csv::Position::byte);
                let line = self.reader.get_mut().line_of(byte);
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("has {len} fields where the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                    csv::ErrorKind::Io(io) => {
                        return Err(Exit::io("reading the CSV file", io));
                    }
                    _ => return Err(Exit::new(FAILED, format!("reading the CSV file: {e}"))),
                };
                Ok(Some(Read::Bad(
                    line,
                    Problem::new(None, format!("the record {reason}")),
                )))
            }
        }
    }
}

/// The file as the CSV reader reads it, keeping the bytes read but not yet placed on a line,
/// so that each record's line is counted as an editor counts it: CRLF, LF and a lone CR are
/// each one line break, inside quoted fields too.
struct Lines<R> {
    inner: R,
    /// The bytes read from `inner` from offset `offset` on, not yet counted.
    pending: VecDeque<u8>,
    offset: u64,
    /// The line breaks before `offset`.
    breaks: u64,
    /// Whether the byte before `offset` was a CR (an LF right after it ends no other line).
    after_cr: bool,
}

impl<R> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            pending: VecDeque::new(),
            offset: 0,
            breaks: 0,
            after_cr: false,
        }
    }

    /// The line (from 1) of the record csv placed at `byte` (csv's own line count is one early
    /// after a CRLF or a blank line, and stays 1 in a CR-only file): csv places a record where the
    /// previous one ended, so the line breaks there (the rest of a CRLF, blank lines) are
    /// skipped to the record's first byte. Records come in order: `byte` never goes back.
    fn line_of(&mut self, byte: u64) -> u64 {
        while self.offset < byte {
            match self.pending.pop_front() {
                Some(b) => self.count(b),
                None => break,
            }
        }
        while let Some(&b @ (b'\r' | b'\n')) = self.pending.front() {
            self.pending.pop_front();
            self.count(b);
        }
        self.breaks + 1
    }

    fn count(&mut self, byte: u8) {
        self.offset += 1;
        if byte == b'\r' || (byte == b'\n' && !self.after_cr) {
            self.breaks += 1;
        }
        self.after_cr = byte == b'\r';
    }
}

impl<R: std::io::Read> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending.extend(&buf[..n]);
        Ok(n)
    }
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
            values,
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
    fn a_fingerprint_is_the_same_in_every_build() {
        // A known answer: a journal written by another build must still match its rows.
        let fingerprint = row(Some("a@example.com"), None).fingerprint();
        assert_eq!(fingerprint.len(), 32);
        // Computed independently: sha256(0x00 0x00 0x01 <13 as u64 LE> "a@example.com" 0x00 ×5),
        // first 16 bytes.
        assert_eq!(fingerprint, "d942a5e9645bdff10c01a31f3abc99eb");
    }
}
