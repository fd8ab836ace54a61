//! `import FILE`: creates or updates a contact per row, a bounded number at a time,
//! journaled so that a re-run resumes, and reported row by row. The file is a CSV file in
//! any common encoding and delimiter, standard input (`-`), or a spreadsheet; its header is
//! mapped onto the fields by name, by the aliases of the common CRM exports, or by `--map`.

mod apply;
mod failed;
mod journal;
mod mapping;
mod phone;
mod problem;
mod rows;
mod source;
mod words;

use std::{
    collections::HashSet,
    io::IsTerminal,
    path::{Path, PathBuf},
};

use futures_util::{stream::FuturesUnordered, StreamExt};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use linq_api_ext::{ContactId, LinqClient};
use serde::Serialize;

use crate::{
    columns::Field,
    exit::{one_line, Exit, FAILED, INTERRUPTED},
    ImportArgs,
};
use apply::{Applied, Done, UnknownOwners};
use failed::FailedRows;
use journal::Journal;
pub use mapping::parse_map;
use mapping::IgnoredColumn;
pub use phone::parse_country;
use problem::Problem;
use rows::{Read, Repair, Row, Rows};
pub use source::{parse_delimiter, parse_encoding};
use source::{Input, ReadOptions, Source};

/// How many failures the summary on stdout lists; the report has them all.
const FAILURES_SHOWN: usize = 50;

/// What a run does with the rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Creates and updates.
    Import,
    /// Reads only: what an import would do, by the identity rule, against the account.
    Plan,
    /// Checks each row; no network at all.
    Check,
}

pub async fn run(linq: &LinqClient, args: ImportArgs) -> Result<(), Exit> {
    let input = Input::new(&args.file);
    let name = input.path();
    let mode = match (args.dry_run, args.offline) {
        (false, false) => Mode::Import,
        (true, false) => Mode::Plan,
        (true, true) => Mode::Check,
        (false, true) => {
            return Err(Exit::new(
                crate::exit::REFUSED,
                "--offline checks the rows without Linq: it needs --dry-run",
            ))
        }
    };
    let mut maps = match &args.mapping {
        Some(file) => mapping::read_mapping_file(file)?,
        None => Vec::new(),
    };
    maps.extend(args.map.iter().cloned());
    let read = ReadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        sheet: args.sheet.clone(),
    };
    let repair = Repair {
        fold_lines: args.fold_lines,
        default_country: args.default_country,
    };
    let mut rows = Rows::open(&input, &read, &maps, args.ignore_unknown_columns, repair)?;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| beside(&name, "report.json"));
    let mut failed = FailedRows::new(
        args.failed
            .clone()
            .unwrap_or_else(|| beside(&name, "failed.csv")),
        rows.header(),
        rows.delimiter(),
    )?;
    let mut report = Report::new(&name, mode);
    let skip = args.skip_invalid_fields;
    if mode == Mode::Check {
        while let Some(read) = rows.next()? {
            match read {
                Read::Bad(line, problem, original) => {
                    failed.write(line, &original, std::slice::from_ref(&problem))?;
                    report.failed(line, vec![problem], false);
                }
                Read::Row(mut row) => match apply::check(linq, &mut row, skip) {
                    Ok(()) => report.valid(row.line, row.notes),
                    Err(problems) => {
                        failed.write(row.line, &row.original, &problems)?;
                        report.failed(row.line, problems, false);
                    }
                },
            }
        }
        report.complete = true;
        report.take_notes(&rows);
        report.failed_rows = failed.finish()?;
        return report.finish(&report_path);
    }
    let mut journal = match mode {
        Mode::Import => {
            let path = args
                .journal
                .clone()
                .unwrap_or_else(|| beside(&name, "journal"));
            Some((Journal::open(&path, args.restart)?, path))
        }
        _ => None,
    };
    let progress = progress(&input, &read);
    let sink = Sink {
        journal: journal.as_mut().map(|(j, _)| j),
        report: &mut report,
        failed: &mut failed,
        progress: &progress,
    };
    let interrupted = import(
        linq,
        &mut rows,
        sink,
        mode,
        usize::from(args.concurrency),
        skip,
    )
    .await?;
    progress.finish_and_clear();
    report.complete = !interrupted;
    report.take_notes(&rows);
    report.failed_rows = failed.finish()?;
    if let Some((journal, path)) = journal {
        if report.complete && report.summary.failed == 0 {
            journal.remove()?;
        }
        let result = report.finish(&report_path);
        if interrupted {
            println!(
                "interrupted: run the same command again to resume (journal {})",
                path.display()
            );
            return Err(Exit::quiet(INTERRUPTED));
        }
        return result;
    }
    if interrupted {
        return Err(Exit::quiet(INTERRUPTED));
    }
    report.finish(&report_path)
}

/// Where finished rows go.
struct Sink<'a> {
    journal: Option<&'a mut Journal>,
    report: &'a mut Report,
    failed: &'a mut FailedRows,
    progress: &'a ProgressBar,
}

impl Sink<'_> {
    fn failed(
        &mut self,
        row_line: u64,
        original: &[String],
        problems: Vec<Problem>,
        conflict: bool,
    ) -> Result<(), Exit> {
        self.failed.write(row_line, original, &problems)?;
        self.report.failed(row_line, problems, conflict);
        self.progress.inc(1);
        Ok(())
    }
}

/// Sends the rows (or, in a plan, looks them up), at most `concurrency` at a time and never
/// two for the same person at once; whether Ctrl-C stopped it.
async fn import(
    linq: &LinqClient,
    rows: &mut Rows,
    mut sink: Sink<'_>,
    mode: Mode,
    concurrency: usize,
    skip_invalid: bool,
) -> Result<bool, Exit> {
    // Declared before the rows in flight, which borrow it.
    let unknown_owners = UnknownOwners::default();
    let unknown_owners = &unknown_owners;
    let mut in_flight = FuturesUnordered::new();
    let mut busy: HashSet<String> = HashSet::new();
    let mut waiting: Option<Row> = None;
    let mut fatal: Option<Problem> = None;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        // Start rows while there is room, and until a row must wait for one of the same person.
        while in_flight.len() < concurrency {
            let row = match waiting.take() {
                Some(row) => row,
                None => match rows.next()? {
                    None => break,
                    Some(Read::Bad(line, problem, original)) => {
                        sink.failed(line, &original, vec![problem], false)?;
                        continue;
                    }
                    Some(Read::Row(mut row)) => {
                        if let Some(entry) = sink.journal.as_ref().and_then(|j| j.earlier(&row)) {
                            sink.report.done(row.line, entry.applied, true, row.notes);
                            sink.progress.inc(1);
                            continue;
                        }
                        if let Some(problem) = &fatal {
                            sink.failed(row.line, &row.original, vec![problem.clone()], false)?;
                            continue;
                        }
                        match apply::check(linq, &mut row, skip_invalid) {
                            Ok(()) => row,
                            Err(problems) => {
                                sink.failed(row.line, &row.original, problems, false)?;
                                continue;
                            }
                        }
                    }
                },
            };
            let keys = row.keys();
            if keys.iter().any(|k| busy.contains(k)) {
                waiting = Some(row);
                break;
            }
            busy.extend(keys);
            in_flight.push(async move {
                let result = match mode {
                    Mode::Import => apply::apply(linq, &row, unknown_owners).await,
                    _ => apply::plan(linq, &row).await,
                };
                (row, result)
            });
        }
        if in_flight.is_empty() {
            return Ok(false);
        }
        let (row, result) = tokio::select! {
            _ = &mut ctrl_c => return Ok(true),
            Some(finished) = in_flight.next() => finished,
        };
        for key in row.keys() {
            busy.remove(&key);
        }
        match result {
            Ok(applied) => {
                if let Some(journal) = sink.journal.as_mut() {
                    // The fingerprint is the row's as read, before any field was left out.
                    journal.record(&row, applied)?;
                }
                sink.report.done(row.line, applied, false, row.notes);
                sink.progress.inc(1);
            }
            Err(failed) => {
                if failed.is_fatal() && fatal.is_none() {
                    let mut problem = failed.problem();
                    problem.reason =
                        format!("not sent: Linq refused the token ({})", problem.reason);
                    fatal = Some(problem);
                }
                sink.failed(
                    row.line,
                    &row.original,
                    vec![failed.problem()],
                    failed.is_conflict(),
                )?;
            }
        }
    }
}

/// `FILE.<suffix>` next to the file.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

/// A progress bar on stderr when it is a terminal, else none. The rows of a file are counted
/// first, as records of the source (one per row, without mapping or repairing them again;
/// standard input cannot be read twice). The rate is rounded to whole rows a second.
fn progress(input: &Input, read: &ReadOptions) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let mut total = 0;
    if let Input::File(_) = input {
        if let Ok(mut source) = Source::open(input, read) {
            while let Ok(Some(_)) = source.next() {
                total += 1;
            }
        }
    }
    let bar = if total > 0 {
        ProgressBar::new(total)
    } else {
        ProgressBar::no_length()
    };
    bar.set_style(rounded_style(
        "{bar:40} {pos}/{len} rows, {rate}, eta {eta}",
    ));
    bar
}

/// A progress style whose `{rate}` is whole items a second (`25/s`, not `24.9715/s`).
pub fn rounded_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
}

/// The machine-readable report, also summarised on stdout.
#[derive(Debug, Serialize)]
struct Report {
    file: PathBuf,
    dry_run: bool,
    /// A dry run that only checked the rows, without Linq.
    offline: bool,
    /// Every row of the file was dealt with (false after Ctrl-C).
    complete: bool,
    /// How the file was read and mapped (encoding, delimiter, fields of several columns).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Columns nothing imports that hold values, and how many.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ignored_columns: Vec<IgnoredColumn>,
    /// For each field, the rows where another of its columns held another value (the first
    /// non-empty was taken).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    several_values: Vec<(&'static str, u64)>,
    /// The failed rows in their original columns, with a `reason` column, to fix and import.
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_rows: Option<PathBuf>,
    summary: Summary,
    /// Every row, in file order.
    rows: Vec<RowReport>,
    #[serde(skip)]
    mode: Mode,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    rows: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
    failed: u64,
    /// Rows an offline dry run found nothing wrong with.
    valid: u64,
    /// Of the failed: those whose phone number is another person's (the identity rule).
    conflicts: u64,
    /// Of the created, updated and unchanged: those an earlier run did (from the journal).
    resumed: u64,
    /// Of the created, updated and unchanged: those whose owner (`user_email`) is not a user
    /// of this account, and was not sent.
    owner_dropped: u64,
    /// Of the created, updated and unchanged: those whose phone number another contact (another
    /// person) holds too; it was left alone.
    phone_shared: u64,
    /// Rows with notes: a value repaired or taken from several, a field left out.
    noted: u64,
}

#[derive(Debug, Serialize)]
struct RowReport {
    line: u64,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<ContactId>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    resumed: bool,
    /// The row's owner is not a user of this account and was not sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    owner_dropped: bool,
    /// Another contact (another person) that holds the row's phone number too; left alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_phone_with: Option<ContactId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<Problem>,
    /// What was changed on the way in, or left out (field and what, never the value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<Problem>,
}

impl Report {
    fn new(file: &Path, mode: Mode) -> Self {
        Report {
            file: file.to_owned(),
            dry_run: mode != Mode::Import,
            offline: mode == Mode::Check,
            complete: false,
            notes: Vec::new(),
            ignored_columns: Vec::new(),
            several_values: Vec::new(),
            failed_rows: None,
            summary: Summary::default(),
            rows: Vec::new(),
            mode,
        }
    }

    /// What the rows said about the file, once they are all read.
    fn take_notes(&mut self, rows: &Rows) {
        self.notes = rows.notes();
        self.ignored_columns = rows.ignored_columns();
        self.several_values = Field::ALL
            .into_iter()
            .map(|f| (f.name(), rows.stats.alternates[f.index()]))
            .filter(|(_, n)| *n > 0)
            .collect();
    }

    fn push(&mut self, row: RowReport) {
        self.summary.rows += 1;
        self.summary.noted += u64::from(!row.notes.is_empty());
        self.rows.push(row);
    }

    fn done(&mut self, line: u64, applied: Applied, resumed: bool, notes: Vec<Problem>) {
        let outcome = match applied.done {
            Done::Created => {
                self.summary.created += 1;
                "created"
            }
            Done::Updated => {
                self.summary.updated += 1;
                "updated"
            }
            Done::Unchanged => {
                self.summary.unchanged += 1;
                "unchanged"
            }
        };
        self.summary.resumed += u64::from(resumed);
        self.summary.owner_dropped += u64::from(applied.owner_dropped);
        self.summary.phone_shared += u64::from(applied.shared_phone_with.is_some());
        self.push(RowReport {
            line,
            outcome,
            id: applied.id,
            resumed,
            owner_dropped: applied.owner_dropped,
            shared_phone_with: applied.shared_phone_with,
            problems: Vec::new(),
            notes,
        });
    }

    fn valid(&mut self, line: u64, notes: Vec<Problem>) {
        self.summary.valid += 1;
        self.push(RowReport {
            line,
            outcome: "valid",
            id: None,
            resumed: false,
            owner_dropped: false,
            shared_phone_with: None,
            problems: Vec::new(),
            notes,
        });
    }

    fn failed(&mut self, line: u64, problems: Vec<Problem>, conflict: bool) {
        self.summary.failed += 1;
        self.summary.conflicts += u64::from(conflict);
        self.push(RowReport {
            line,
            outcome: "failed",
            id: None,
            resumed: false,
            owner_dropped: false,
            shared_phone_with: None,
            problems,
            notes: Vec::new(),
        });
    }

    /// The first line of the summary.
    fn headline(&self) -> String {
        let s = &self.summary;
        let file = self.file.display();
        match self.mode {
            Mode::Check => format!(
                "dry run of {file}: {} rows, {} valid, {} with problems; nothing was sent",
                s.rows, s.valid, s.failed
            ),
            Mode::Plan => format!(
                "dry run of {file} against Linq: {} rows: {} to create, {} to update, {} \
                 unchanged, {} failed ({} conflicts); nothing was written",
                s.rows, s.created, s.updated, s.unchanged, s.failed, s.conflicts
            ),
            Mode::Import => format!(
                "import of {file}: {} rows: {} created, {} updated, {} unchanged, {} failed{}",
                s.rows,
                s.created,
                s.updated,
                s.unchanged,
                s.failed,
                if s.resumed > 0 {
                    format!(" ({} done by an earlier run)", s.resumed)
                } else {
                    String::new()
                }
            ),
        }
    }

    /// Writes the report, prints the summary, and fails when any row did.
    fn finish(mut self, path: &Path) -> Result<(), Exit> {
        self.rows.sort_by_key(|r| r.line);
        let json = serde_json::to_vec_pretty(&self)
            .map_err(|e| Exit::new(FAILED, format!("writing the report: {e}")))?;
        std::fs::write(path, json)
            .map_err(|e| Exit::io(format!("writing {}", path.display()), &e))?;
        println!("{}", self.headline());
        for note in &self.notes {
            println!("note: {note}");
        }
        if !self.ignored_columns.is_empty() {
            let columns: Vec<String> = self
                .ignored_columns
                .iter()
                .map(|c| format!("{} ({} non-empty)", c.column, c.values))
                .collect();
            println!(
                "not imported, although they hold values: {} (name them with --map 'Source \
                 Column=field')",
                columns.join(", ")
            );
        }
        for (field, rows) in &self.several_values {
            println!(
                "`{field}`: {rows} rows had other values in its other columns; the first \
                 non-empty was taken (the report's row notes say which)"
            );
        }
        let s = &self.summary;
        if s.noted > 0 {
            println!(
                "{} rows were repaired on the way or had a field left out: see the notes of \
                 the rows in the report",
                s.noted
            );
        }
        let failures = self.rows.iter().filter(|r| !r.problems.is_empty());
        for row in failures.take(FAILURES_SHOWN) {
            for problem in &row.problems {
                println!("line {}: {}", row.line, one_line(&problem.to_string()));
            }
        }
        if s.failed as usize > FAILURES_SHOWN {
            println!(
                "… and {} more failed rows",
                s.failed as usize - FAILURES_SHOWN
            );
        }
        let shared = self
            .rows
            .iter()
            .filter_map(|r| Some((r, r.shared_phone_with?)));
        for (row, other) in shared.take(FAILURES_SHOWN) {
            let outcome = match (self.mode, row.outcome) {
                (Mode::Plan, "created") => "to create",
                (_, outcome) => outcome,
            };
            println!(
                "line {}: {outcome} although the phone number is shared with contact #{other} \
                 (another person: not merged)",
                row.line
            );
        }
        if s.owner_dropped > 0 {
            let lines: Vec<String> = self
                .rows
                .iter()
                .filter(|r| r.owner_dropped)
                .take(FAILURES_SHOWN)
                .map(|r| r.line.to_string())
                .collect();
            println!(
                "rows whose owner (user_email) is not a user of this account: {}, sent without \
                 it (a created contact has the account's default owner, a found one keeps its \
                 own): lines {}{}",
                s.owner_dropped,
                lines.join(", "),
                if s.owner_dropped as usize > FAILURES_SHOWN {
                    ", …"
                } else {
                    ""
                }
            );
        }
        if let Some(failed) = &self.failed_rows {
            println!(
                "failed rows: {} (their original columns and a reason: fix them there and \
                 import that file)",
                failed.display()
            );
        }
        println!("report: {}", path.display());
        if s.failed > 0 {
            Err(Exit::quiet(FAILED))
        } else {
            Ok(())
        }
    }
}
