//! Where the records come from: a CSV file or standard input in any common encoding and with
//! any common delimiter, streamed; or the first (or a named) sheet of an `.xlsx`/`.ods`
//! spreadsheet, which is read whole. Each record comes with the line (or spreadsheet row) it
//! starts on, and its values as written.

use std::{
    borrow::Cow,
    collections::VecDeque,
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

use calamine::{Data, Reader};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

use super::problem::Problem;
use crate::exit::{Exit, FAILED, REFUSED};

/// How much of a CSV file is looked at to tell its encoding and delimiter.
const SNIFF: usize = 64 * 1024;

/// What to import: a file, or standard input (`-`).
#[derive(Clone, Debug)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn new(arg: &Path) -> Input {
        if arg == Path::new("-") {
            Input::Stdin
        } else {
            Input::File(arg.to_owned())
        }
    }

    /// The name reports give it, and the base of the files written beside it (`stdin` for
    /// standard input, in the current directory).
    pub fn path(&self) -> PathBuf {
        match self {
            Input::File(path) => path.clone(),
            Input::Stdin => PathBuf::from("stdin"),
        }
    }

    /// Whether it is a spreadsheet (by its extension).
    pub fn is_spreadsheet(&self) -> bool {
        match self {
            Input::File(path) => path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["xlsx", "xlsm", "xlsb", "xls", "ods"]
                    .iter()
                    .any(|x| e.eq_ignore_ascii_case(x))
            }),
            Input::Stdin => false,
        }
    }
}

/// How to read a CSV file or spreadsheet; `None` means "detect".
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
}

/// The `--encoding` argument: any WHATWG label (`utf-8`, `utf-16le`, `windows-1252`,
/// `latin1`, `cp1252`, `iso-8859-15`, …).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        "not an encoding this tool knows: try utf-8, utf-16le, utf-16be, windows-1252 or \
         iso-8859-15"
            .to_owned()
    })
}

/// The `--delimiter` argument: one ASCII character, or `tab`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() && t != "\"" => Ok(t.as_bytes()[0]),
        _ => Err("must be one character, such as `,` `;` `|` or `tab`".to_owned()),
    }
}

/// One record.
pub enum Record {
    /// The line (or row) it starts on, and its values.
    Values(u64, Vec<String>),
    /// A record that is not readable as values of the header's columns: why, and what could
    /// be read of it (for the failed-rows file).
    Bad(u64, Problem, Vec<String>),
}

/// The records of a CSV file or a sheet, after the header.
pub struct Source {
    pub header: Vec<String>,
    /// The delimiter of a CSV file (`,` for a spreadsheet): the failed-rows file uses it too.
    pub delimiter: u8,
    /// How the file was read, when it was not plain UTF-8 with commas (for the summary).
    pub read_as: Option<String>,
    kind: Kind,
}

enum Kind {
    Csv {
        reader: Box<csv::Reader<Lines<Box<dyn Read>>>>,
        record: csv::ByteRecord,
        /// Whether the text is the file's own bytes (UTF-8), so fields may not be UTF-8.
        raw_utf8: bool,
    },
    Sheet {
        range: calamine::Range<Data>,
        /// The next row of `range` (relative to its start).
        next: u32,
        /// The spreadsheet's number of the range's first row, less one.
        first: u32,
    },
}

impl Source {
    pub fn open(input: &Input, options: &ReadOptions) -> Result<Source, Exit> {
        if input.is_spreadsheet() {
            return open_sheet(&input.path(), options.sheet.as_deref());
        }
        let name = input.path();
        let raw: Box<dyn Read> = match input {
            Input::File(path) => Box::new(
                File::open(path)
                    .map_err(|e| Exit::io(format!("opening {}", path.display()), &e))?,
            ),
            Input::Stdin => Box::new(io::stdin()),
        };
        open_csv(&name, raw, options)
    }

    /// The next record; `None` at the end. An I/O error ends the import.
    pub fn next(&mut self) -> Result<Option<Record>, Exit> {
        match &mut self.kind {
            Kind::Csv {
                reader,
                record,
                raw_utf8,
            } => next_csv(reader, record, *raw_utf8, self.header.len()),
            Kind::Sheet { range, next, first } => {
                while *next < range.height() as u32 {
                    let row = *next;
                    *next += 1;
                    let values = sheet_row(range, row);
                    if values.iter().any(|v| !v.trim().is_empty()) {
                        return Ok(Some(Record::Values(u64::from(*first + row + 1), values)));
                    }
                }
                Ok(None)
            }
        }
    }
}

fn open_csv(name: &Path, mut raw: Box<dyn Read>, options: &ReadOptions) -> Result<Source, Exit> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut raw)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| Exit::io(format!("reading {}", name.display()), &e))?;
    let (encoding, bom) = encoding_of(&head, options.encoding)
        .map_err(|why| Exit::new(REFUSED, format!("{}: {why}", name.display())))?;
    let (text, _) = encoding.decode_without_bom_handling(&head[bom..]);
    let header_line = text.split(['\n', '\r']).next().unwrap_or("");
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| delimiter_of(header_line));
    // The sniffed head (after its byte-order mark), then the rest of the input.
    let mut head = io::Cursor::new(head);
    head.set_position(bom as u64);
    let rest: Box<dyn Read> = Box::new(head.chain(raw));
    let raw_utf8 = encoding == UTF_8;
    let text: Box<dyn Read> = if raw_utf8 {
        rest
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_sniffing(false)
                .build(rest),
        )
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(Lines::new(text));
    let header = reader.byte_headers().map_err(|e| {
        Exit::new(
            REFUSED,
            format!("{}: the header row cannot be read: {e}", name.display()),
        )
    })?;
    let header = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let read_as = (encoding != UTF_8 || delimiter != b',' || bom > 0).then(|| {
        format!(
            "read as {}{}, {}",
            encoding.name(),
            if bom > 0 {
                " with a byte-order mark"
            } else {
                ""
            },
            delimiter_name(delimiter)
        )
    });
    Ok(Source {
        header,
        delimiter,
        read_as,
        kind: Kind::Csv {
            reader: Box::new(reader),
            record: csv::ByteRecord::new(),
            raw_utf8,
        },
    })
}

fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab-separated".to_owned(),
        d => format!("`{}`-separated", d as char),
    }
}

/// The encoding of a file that starts with `head`, and the length of its byte-order mark:
/// the one asked for; else the byte-order mark's; else UTF-8 when `head` is UTF-8; else the
/// guess of `chardetng` (Windows-1252 for what Excel's "Save as CSV" writes in the West).
/// UTF-16 without a byte-order mark is refused with the option that reads it.
fn encoding_of(
    head: &[u8],
    forced: Option<&'static Encoding>,
) -> Result<(&'static Encoding, usize), String> {
    let bom = Encoding::for_bom(head);
    if let Some(forced) = forced {
        let bom = bom.filter(|(e, _)| *e == forced).map_or(0, |(_, len)| len);
        return Ok((forced, bom));
    }
    if let Some((encoding, len)) = bom {
        return Ok((encoding, len));
    }
    // UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let zeros = |offset: usize| {
            head.iter()
                .skip(offset)
                .step_by(2)
                .filter(|b| **b == 0)
                .count()
        };
        for (offset, utf16) in [(1, UTF_16LE), (0, UTF_16BE)] {
            if zeros(offset) * 2 > pairs {
                return Err(format!(
                    "the file looks like {} without a byte-order mark; pass --encoding {}",
                    utf16.name(),
                    utf16.name().to_ascii_lowercase()
                ));
            }
        }
    }
    match std::str::from_utf8(head) {
        Ok(_) => return Ok((UTF_8, 0)),
        // Cut in the middle of a character at the end of what was read: still UTF-8.
        Err(e) if e.error_len().is_none() => return Ok((UTF_8, 0)),
        Err(_) => {}
    }
    Ok((guess(head), 0))
}

/// The likely encoding of bytes that are not UTF-8.
fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Deny)
}

/// The delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes
/// (`,` when none is there).
fn delimiter_of(header: &str) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            '|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let best = (0..4)
        .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t', b'|'][best]
    }
}

fn next_csv(
    reader: &mut csv::Reader<Lines<Box<dyn Read>>>,
    record: &mut csv::ByteRecord,
    raw_utf8: bool,
    width: usize,
) -> Result<Option<Record>, Exit> {
    match reader.read_byte_record(record) {
        Ok(false) => Ok(None),
        Ok(true) => {
            let byte = record.position().map_or(0, csv::Position::byte);
            let line = reader.get_mut().line_of(byte);
            // One pass: a field that had to be repaired (`Cow::Owned`) was not valid UTF-8.
            let mut invalid = None;
            let lossy: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(i, v)| match String::from_utf8_lossy(v) {
                    Cow::Borrowed(text) => text.to_owned(),
                    Cow::Owned(repaired) => {
                        invalid.get_or_insert(i);
                        repaired
                    }
                })
                .collect();
            if raw_utf8 {
                if let Some(column) = invalid {
                    let likely = guess(record.as_slice());
                    let reason = format!(
                        "is not valid UTF-8 (the file looks like {0}: pass --encoding {0})",
                        likely.name().to_ascii_lowercase()
                    );
                    let field = format!("column {}", column + 1);
                    return Ok(Some(Record::Bad(
                        line,
                        Problem::new(Some(&field), reason),
                        lossy,
                    )));
                }
            }
            let extra_data = lossy.iter().skip(width).any(|v| !v.trim().is_empty());
            if lossy.len() < width || extra_data {
                let reason = format!(
                    "the record has {} fields where the header has {width}",
                    lossy.len()
                );
                return Ok(Some(Record::Bad(line, Problem::new(None, reason), lossy)));
            }
            Ok(Some(Record::Values(line, lossy)))
        }
        Err(e) => {
            let byte = e.position().map_or(0, csv::Position::byte);
            let line = reader.get_mut().line_of(byte);
            match e.kind() {
                csv::ErrorKind::Io(io) => Err(Exit::io("reading the CSV file", io)),
                _ => Err(Exit::new(
                    FAILED,
                    format!("reading the CSV file at line {line}: {e}"),
                )),
            }
        }
    }
}

fn open_sheet(path: &Path, sheet: Option<&str>) -> Result<Source, Exit> {
    let unreadable = |e: &dyn std::fmt::Display| {
        Exit::new(
            REFUSED,
            format!(
                "{}: not a spreadsheet this tool can read: {e}",
                path.display()
            ),
        )
    };
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| unreadable(&e))?;
    let names = workbook.sheet_names();
    let range = match sheet {
        Some(name) => {
            if !names.iter().any(|n| n == name) {
                return Err(Exit::new(
                    REFUSED,
                    format!(
                        "{}: no sheet named `{name}` (the sheets: {})",
                        path.display(),
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            workbook.worksheet_range(name).map_err(|e| unreadable(&e))?
        }
        None => match workbook.worksheet_range_at(0) {
            Some(range) => range.map_err(|e| unreadable(&e))?,
            None => return Err(unreadable(&"it has no sheet")),
        },
    };
    let first = range.start().map_or(0, |(row, _)| row);
    let mut next = 0;
    let header = loop {
        if next >= range.height() as u32 {
            return Err(Exit::new(
                REFUSED,
                format!("{}: the sheet is empty (no header row)", path.display()),
            ));
        }
        let row = sheet_row(&range, next);
        next += 1;
        if row.iter().any(|v| !v.trim().is_empty()) {
            break row.into_iter().map(|h| h.trim().to_owned()).collect();
        }
    };
    Ok(Source {
        header,
        delimiter: b',',
        read_as: None,
        kind: Kind::Sheet { range, next, first },
    })
}

/// The values of row `row` of `range` (relative), as text: whole numbers without a
/// fraction (a phone number typed as a number), dates as the spreadsheet shows them.
fn sheet_row(range: &calamine::Range<Data>, row: u32) -> Vec<String> {
    (0..range.width() as u32)
        .map(|col| match range.get((row as usize, col as usize)) {
            Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => {
                format!("{}", *f as i64)
            }
            Some(Data::Error(_)) | None => String::new(),
            Some(cell) => cell.to_string(),
        })
        .collect()
}

/// The text as the CSV reader reads it, keeping the bytes read but not yet placed on a line,
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

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending.extend(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_told_from_the_header_line() {
        assert_eq!(delimiter_of("a,b,c"), b',');
        assert_eq!(delimiter_of("first_name;last_name;email"), b';');
        assert_eq!(delimiter_of("a\tb\tc"), b'\t');
        assert_eq!(delimiter_of("a|b|c"), b'|');
        assert_eq!(delimiter_of("\"Name; Title\",Email"), b',');
        assert_eq!(delimiter_of("email"), b',');
    }

    #[test]
    fn encodings_are_told_from_the_bytes() {
        assert_eq!(encoding_of(b"a,b\r\n", None), Ok((UTF_8, 0)));
        assert_eq!(encoding_of(b"\xEF\xBB\xBFa,b", None), Ok((UTF_8, 3)));
        assert_eq!(encoding_of(b"\xFF\xFEa\0,\0b\0", None), Ok((UTF_16LE, 2)));
        let cp1252 = b"Name;Ort\r\nJos\xe9 M\xfcller;K\xf6ln\r\nFran\xe7ois;Besan\xe7on\r\n";
        assert_eq!(
            encoding_of(cp1252, None).map(|(e, _)| e.name()),
            Ok("windows-1252")
        );
        let no_bom = encoding_of(b"a\0,\0b\0\r\0\n\0", None).unwrap_err();
        assert!(no_bom.contains("--encoding utf-16le"), "{no_bom}");
        // A character cut at the end of what was sniffed is still UTF-8.
        assert_eq!(
            encoding_of("aé".as_bytes().split_last().unwrap().1, None),
            Ok((UTF_8, 0))
        );
    }
}
