//! `linq-contacts`: bulk export and import of Linq Partner API V2 contacts, and one-off get,
//! find and delete, on the `linq-api-ext` client. See the README for the commands, the CSV
//! columns and the exit codes.

#![forbid(unsafe_code)]

mod columns;
mod connect;
mod exit;
mod export;
mod import;
mod oneoff;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use columns::Field;
use exit::Exit;
use linq_api_ext::{ContactId, MAX_CONCURRENCY, MAX_PER_PAGE};

/// The end of `linq-contacts --help`: the exit codes, and where the columns are listed.
const EXIT_CODES: &str = "\
Exit codes:
  0    everything succeeded
  1    something failed: a call to Linq, a file, or a row of an import (or of a dry run)
  2    refused before anything was sent: bad arguments, configuration, or an import file
       whose header is refused
  3    not found: get, find or delete of a contact that does not exist
  4    delete was not confirmed
  130  interrupted by Ctrl-C; run the same import again to resume

The columns of import and export: linq-contacts import --help";

/// The end of `linq-contacts import --help`: the columns and how headers are matched.
const IMPORT_COLUMNS: &str = "\
Columns (the header names them, in any order):
  first_name, last_name, email, phone_number, company, title, location, user_email
  (the owner's email); id, full_name, image_url, created_at and updated_at are read-only
  and ignored. Headers match case-, space- and punctuation-insensitively (`Phone Number`
  is phone_number), and the headers of HubSpot, Google Contacts, Outlook, Salesforce and
  Mailchimp exports are known (`E-mail 1 - Value`, `Job Title`, `Account Name`, …: the
  README's alias table). Where several columns fill one field, the first non-empty is
  taken. A row needs an email or a phone number.

Files beside FILE: FILE.report.json (every row), FILE.failed.csv (the failed rows in their
own columns plus `reason`: fix them and import that file), FILE.journal (to resume).

Exit codes: 0 every row succeeded; 1 a row failed; 2 the file was refused before anything
was sent; 130 interrupted (run again to resume).";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "linq-contacts",
    version,
    max_term_width = 100,
    after_long_help = EXIT_CODES,
    about = "Bulk export and import of Linq contacts (Partner API V2)",
    long_about = "Bulk export and import of Linq contacts (Partner API V2).\n\n\
        Reads LINQ_INTEGRATION_TOKEN and LINQ_BASE_URL (default https://api.linqapp.com), \
        or runs against an in-process fake Linq with --fake."
)]
struct Cli {
    /// Run against an in-process fake Linq: no account, no network. Its contacts are kept
    /// in the --fake-state file between runs.
    #[arg(long, global = true)]
    fake: bool,

    /// Where --fake keeps its contacts between runs; runs on one file take turns [default:
    /// linq-contacts/fake.json in your state directory: $XDG_STATE_HOME, by default
    /// ~/.local/state, on Linux; ~/Library/Application Support on macOS; %LOCALAPPDATA% on
    /// Windows].
    #[arg(long, global = true, value_name = "FILE")]
    fake_state: Option<PathBuf>,

    /// Send at most N requests a second (`50/s`, or `50`), retries included, so that a bulk
    /// run stays under Linq's rate limit instead of waiting out 429s.
    #[arg(long, global = true, value_name = "N/s", value_parser = connect::parse_rate)]
    rate_limit: Option<u32>,

    /// Share --rate-limit through the Redis at URL (`redis://host:port`) with every other run
    /// that uses the same Redis and token: several imports at once stay under one limit. If
    /// Redis cannot be reached, each run limits itself alone.
    #[arg(long, global = true, value_name = "URL", requires = "rate_limit")]
    redis_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

/// How `get` and `find` print a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Pretty JSON, as Linq returns it.
    Json,
    /// One field a line, for people.
    Table,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write every contact to a file or stdout, as CSV or JSON Lines.
    Export(ExportArgs),
    /// Create or update contacts from a CSV file or spreadsheet with a header row; re-runs
    /// never duplicate.
    #[command(after_long_help = IMPORT_COLUMNS)]
    Import(ImportArgs),
    /// Print one contact (JSON, or --output table).
    Get {
        /// The contact's id.
        id: ContactId,
        /// How to print it.
        #[arg(long, value_enum, default_value_t = Output::Json)]
        output: Output,
    },
    /// Find a contact by email and/or phone number (either may match) and print it.
    Find {
        /// How to print it.
        #[arg(long, value_enum, default_value_t = Output::Json)]
        output: Output,
        /// The email address to look for.
        #[arg(long)]
        email: Option<String>,
        /// The phone number to look for, in any common format.
        #[arg(long)]
        phone_number: Option<String>,
    },
    /// Delete a contact, after asking (unless --yes).
    Delete {
        /// The contact's id.
        id: ContactId,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Print a completion script for a shell, e.g. `linq-contacts completions bash >
    /// ~/.local/share/bash-completion/completions/linq-contacts`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The output format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// RFC 4180 CSV with a header row (the columns in the README).
    Csv,
    /// One JSON object per line, as Linq returns contacts.
    Jsonl,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The output format [default: jsonl for a file ending in .jsonl or .ndjson, else csv].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to this file instead of stdout (replaced only when the export completes).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Contacts per page, 1 to 100.
    #[arg(long, default_value_t = MAX_PER_PAGE,
          value_parser = clap::value_parser!(u64).range(1..=MAX_PER_PAGE))]
    per_page: u64,
    /// How many pages to fetch at once, 1 to 32.
    #[arg(long, default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))]
    concurrency: u16,
    /// Start the CSV with a UTF-8 byte-order mark, so that Excel reads accents right.
    #[arg(long)]
    bom: bool,
    /// The CSV columns to write, in this order (comma-separated names of the README's
    /// columns) [default: all].
    #[arg(long, value_delimiter = ',', value_parser = export::parse_column)]
    columns: Vec<&'static columns::Column>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The file: CSV (any common encoding and delimiter), .xlsx or .ods; `-` reads CSV from
    /// standard input.
    file: PathBuf,
    /// Send nothing: look each row up in the account (reads only) and say what an import
    /// would do — create, update, leave unchanged, or conflict — and report every problem.
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run: check the rows only, without Linq (no token needed).
    #[arg(long)]
    offline: bool,
    /// How many rows are sent at once, 1 to 64.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Take column `Source Column` for `field` (a column name such as email or phone_number,
    /// or `ignore`); repeatable, before the built-in aliases.
    #[arg(long, value_name = "'Source Column=field'", value_parser = import::parse_map)]
    map: Vec<(String, Option<Field>)>,
    /// A file of --map lines (`Source Column=field`, one a line; `#` starts a comment).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// Leave out columns nothing names instead of refusing the file; the summary and the
    /// report list those that held values.
    #[arg(long)]
    ignore_unknown_columns: bool,
    /// The file's encoding (utf-8, utf-16le, windows-1252, …) [default: detected].
    #[arg(long, value_parser = import::parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// The CSV delimiter: `,` `;` `|` or `tab` [default: detected from the header line].
    #[arg(long, value_parser = import::parse_delimiter)]
    delimiter: Option<u8>,
    /// The sheet of a spreadsheet to import [default: the first].
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Read phone numbers without a country code as this country's (DE, FR, US, …) and send
    /// them in E.164 [default: sent as written].
    #[arg(long, value_name = "CC", value_parser = import::parse_country)]
    default_country: Option<phonenumber::country::Id>,
    /// Import a row without the fields Linq's rules refuse (recorded in the report) instead
    /// of failing it; a row left with neither email nor phone number still fails.
    #[arg(long)]
    skip_invalid_fields: bool,
    /// Join the lines of a multi-line value (an address) with `, ` instead of failing it.
    #[arg(long)]
    fold_lines: bool,
    /// The journal of finished rows, read to resume and appended to [default: FILE.journal].
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// The machine-readable report (JSON) [default: FILE.report.json].
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// The failed rows, to fix and import [default: FILE.failed.csv].
    #[arg(long, value_name = "PATH")]
    failed: Option<PathBuf>,
    /// Start over: ignore (and replace) the journal of an earlier run.
    #[arg(long)]
    restart: bool,
}

fn main() -> ExitCode {
    // A bug is still one line on stderr, never a backtrace.
    std::panic::set_hook(Box::new(|panic| {
        let at = panic
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("linq-contacts: internal error{at}; please report it");
    }));
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Exit::io("could not start the async runtime", &e).report(),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => exit.report(),
    }
}

async fn run(cli: Cli) -> Result<(), Exit> {
    match cli.command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "linq-contacts", &mut std::io::stdout());
            return Ok(());
        }
        // Checks only: no token, no fake, nothing sent (and without --dry-run, refused before
        // anything is asked of the environment).
        Command::Import(args) if args.offline => {
            return import::run(&connect::offline()?, args).await;
        }
        _ => {}
    }
    let limit = connect::Limit {
        per_second: cli.rate_limit,
        redis_url: cli.redis_url,
    };
    let session = connect::Session::open(cli.fake, cli.fake_state, limit).await?;
    let linq = session.client();
    let result = match cli.command {
        Command::Export(args) => export::run(linq, args).await,
        Command::Import(args) => import::run(linq, args).await,
        Command::Get { id, output } => oneoff::get(linq, id, output).await,
        Command::Find {
            email,
            phone_number,
            output,
        } => oneoff::find(linq, email, phone_number, output).await,
        Command::Delete { id, yes } => oneoff::delete(linq, id, yes).await,
        Command::Completions { .. } => Ok(()),
    };
    // The fake's contacts are kept even when the command failed part-way.
    session.close().await?;
    result
}
