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

use clap::{Args, Parser, Subcommand, ValueEnum};

use exit::Exit;
use linq_api_ext::{ContactId, MAX_CONCURRENCY, MAX_PER_PAGE};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "linq-contacts",
    version,
    max_term_width = 100,
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
    /// $XDG_STATE_HOME/linq-contacts/fake.json, by default under ~/.local/state; on Windows
    /// %LOCALAPPDATA%\linq-contacts\fake.json].
    #[arg(long, global = true, value_name = "FILE")]
    fake_state: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write every contact to a file or stdout, as CSV or JSON Lines.
    Export(ExportArgs),
    /// Create or update contacts from a CSV file with a header row; re-runs never duplicate.
    Import(ImportArgs),
    /// Print one contact as JSON.
    Get {
        /// The contact's id.
        id: ContactId,
    },
    /// Find a contact by email and/or phone number (either may match) and print it as JSON.
    Find {
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
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The CSV file, with a header row (the columns in the README).
    file: PathBuf,
    /// Check every row and report every problem; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// How many rows are sent at once, 1 to 64.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Ignore columns import does not know instead of refusing the file.
    #[arg(long)]
    ignore_unknown_columns: bool,
    /// The journal of finished rows, read to resume and appended to [default: FILE.journal].
    #[arg(long, value_name = "PATH")]
    journal: Option<PathBuf>,
    /// The machine-readable report (JSON) [default: FILE.report.json].
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
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
    let session = connect::Session::open(cli.fake, cli.fake_state).await?;
    let linq = session.client();
    let result = match cli.command {
        Command::Export(args) => export::run(linq, args).await,
        Command::Import(args) => import::run(linq, args).await,
        Command::Get { id } => oneoff::get(linq, id).await,
        Command::Find {
            email,
            phone_number,
        } => oneoff::find(linq, email, phone_number).await,
        Command::Delete { id, yes } => oneoff::delete(linq, id, yes).await,
    };
    // The fake's contacts are kept even when the command failed part-way.
    session.close().await?;
    result
}
