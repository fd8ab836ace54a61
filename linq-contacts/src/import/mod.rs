//! `import FILE.csv`: creates or updates a contact per row, a bounded number at a time,
//! journaled so that a re-run resumes, and reported row by row.

mod apply;
mod journal;
mod rows;

use std::{
    collections::HashSet,
    io::IsTerminal,
    path::{Path, PathBuf},
};

use futures_util::{stream::FuturesUnordered, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use linq_api_ext::{ContactId, LinqClient};
use serde::Serialize;

use crate::{
    exit::{one_line, Exit, FAILED, INTERRUPTED},
    ImportArgs,
};
use apply::{Applied, Done, UnknownOwners};
use journal::Journal;
use rows::{Problem, Read, Row, Rows};

/// How many failures the summary on stdout lists; the report has them all.
const FAILURES_SHOWN: usize = 50;

pub async fn run(linq: &LinqClient, args: ImportArgs) -> Result<(), Exit> {
    let mut rows = Rows::open(&args.file, args.ignore_unknown_columns)?;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| beside(&args.file, "report.json"));
    let mut report = Report::new(&args.file, args.dry_run);
    if args.dry_run {
        while let Some(read) = rows.next()? {
            match read {
                Read::Bad(line, problem) => report.failed(line, vec![problem]),
                Read::Row(row) => match apply::check(linq, &row) {
                    problems if problems.is_empty() => report.valid(row.line),
                    problems => report.failed(row.line, problems),
                },
            }
        }
        report.complete = true;
        return report.finish(&report_path);
    }
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| beside(&args.file, "journal"));
    let mut journal = Journal::open(&journal_path, args.restart)?;
    let progress = progress(&args.file, args.ignore_unknown_columns);
    let interrupted = import(
        linq,
        &mut rows,
        &mut journal,
        &mut report,
        usize::from(args.concurrency),
        &progress,
    )
    .await?;
    progress.finish_and_clear();
    report.complete = !interrupted;
    if report.complete && report.summary.failed == 0 {
        journal.remove()?;
    }
    let result = report.finish(&report_path);
    if interrupted {
        println!(
            "interrupted: run the same command again to resume (journal {})",
            journal_path.display()
        );
        return Err(Exit::quiet(INTERRUPTED));
    }
    result
}

/// Sends the rows, at most `concurrency` at a time and never two for the same person at once;
/// whether Ctrl-C stopped it.
async fn import(
    linq: &LinqClient,
    rows: &mut Rows,
    journal: &mut Journal,
    report: &mut Report,
    concurrency: usize,
    progress: &ProgressBar,
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
                    Some(Read::Bad(line, problem)) => {
                        report.failed(line, vec![problem]);
                        progress.inc(1);
                        continue;
                    }
                    Some(Read::Row(row)) => row,
                },
            };
            if let Some(entry) = journal.earlier(&row) {
                report.done(row.line, entry.applied, true);
                progress.inc(1);
                continue;
            }
            if let Some(problem) = &fatal {
                report.failed(row.line, vec![problem.clone()]);
                progress.inc(1);
                continue;
            }
            let problems = apply::check(linq, &row);
            if !problems.is_empty() {
                report.failed(row.line, problems);
                progress.inc(1);
                continue;
            }
            let keys = row.keys();
            if keys.iter().any(|k| busy.contains(k)) {
                waiting = Some(row);
                break;
            }
            busy.extend(keys);
            in_flight.push(async move {
                let result = apply::apply(linq, &row, unknown_owners).await;
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
        progress.inc(1);
        match result {
            Ok(applied) => {
                journal.record(&row, applied)?;
                report.done(row.line, applied, false);
            }
            Err(failed) => {
                if failed.is_fatal() && fatal.is_none() {
                    let mut problem = failed.problem();
                    problem.reason =
                        format!("not sent: Linq refused the token ({})", problem.reason);
                    fatal = Some(problem);
                }
                report.failed(row.line, vec![failed.problem()]);
            }
        }
    }
}

/// `FILE.<suffix>` next to the CSV file.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

/// A progress bar on stderr when it is a terminal (the rows counted first), else none.
fn progress(file: &Path, ignore_unknown: bool) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let mut total = 0;
    if let Ok(mut rows) = Rows::open(file, ignore_unknown) {
        while let Ok(Some(_)) = rows.next() {
            total += 1;
        }
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The machine-readable report, also summarised on stdout.
#[derive(Debug, Serialize)]
struct Report {
    file: PathBuf,
    dry_run: bool,
    /// Every row of the file was dealt with (false after Ctrl-C).
    complete: bool,
    summary: Summary,
    /// Every row, in file order.
    rows: Vec<RowReport>,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    rows: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
    failed: u64,
    /// Rows a dry run found nothing wrong with.
    valid: u64,
    /// Of the created, updated and unchanged: those an earlier run did (from the journal).
    resumed: u64,
    /// Of the created, updated and unchanged: those whose owner (`user_email`) is not a user
    /// of this account, and was not sent.
    owner_dropped: u64,
    /// Of the created, updated and unchanged: those whose phone number another contact (another
    /// person) holds too; it was left alone.
    phone_shared: u64,
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
}

impl Report {
    fn new(file: &Path, dry_run: bool) -> Self {
        Report {
            file: file.to_owned(),
            dry_run,
            complete: false,
            summary: Summary::default(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: RowReport) {
        self.summary.rows += 1;
        self.rows.push(row);
    }

    fn done(&mut self, line: u64, applied: Applied, resumed: bool) {
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
            id: Some(applied.id),
            resumed,
            owner_dropped: applied.owner_dropped,
            shared_phone_with: applied.shared_phone_with,
            problems: Vec::new(),
        });
    }

    fn valid(&mut self, line: u64) {
        self.summary.valid += 1;
        self.push(RowReport {
            line,
            outcome: "valid",
            id: None,
            resumed: false,
            owner_dropped: false,
            shared_phone_with: None,
            problems: Vec::new(),
        });
    }

    fn failed(&mut self, line: u64, problems: Vec<Problem>) {
        self.summary.failed += 1;
        self.push(RowReport {
            line,
            outcome: "failed",
            id: None,
            resumed: false,
            owner_dropped: false,
            shared_phone_with: None,
            problems,
        });
    }

    /// Writes the report, prints the summary, and fails when any row did.
    fn finish(mut self, path: &Path) -> Result<(), Exit> {
        self.rows.sort_by_key(|r| r.line);
        let json = serde_json::to_vec_pretty(&self)
            .map_err(|e| Exit::new(FAILED, format!("writing the report: {e}")))?;
        std::fs::write(path, json)
            .map_err(|e| Exit::io(format!("writing {}", path.display()), &e))?;
        let s = &self.summary;
        if self.dry_run {
            println!(
                "dry run of {}: {} rows, {} valid, {} with problems; nothing was sent",
                self.file.display(),
                s.rows,
                s.valid,
                s.failed
            );
        } else {
            println!(
                "import of {}: {} rows: {} created, {} updated, {} unchanged, {} failed{}",
                self.file.display(),
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
            println!(
                "line {}: {} although the phone number is shared with contact #{other} \
                 (another person: not merged)",
                row.line, row.outcome
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
        println!("report: {}", path.display());
        if s.failed > 0 {
            Err(Exit::quiet(FAILED))
        } else {
            Ok(())
        }
    }
}
