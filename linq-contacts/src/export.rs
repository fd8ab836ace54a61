//! `export`: every contact, in Linq's order, to a file or stdout, fetching pages ahead.

use std::{
    fs::File,
    io::{self, BufWriter, IsTerminal, Write},
    path::{Path, PathBuf},
};

use futures_util::TryStreamExt;
use indicatif::ProgressBar;
use linq_api_ext::{Contact, LinqClient, ListContacts};

use crate::{
    columns::{Column, COLUMNS},
    exit::Exit,
    ExportArgs, Format,
};

/// The `--columns` argument: one of the README's columns.
pub fn parse_column(name: &str) -> Result<&'static Column, String> {
    crate::columns::column(name).ok_or_else(|| {
        format!(
            "not a column: use {}",
            COLUMNS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

pub async fn run(linq: &LinqClient, args: ExportArgs) -> Result<(), Exit> {
    let format = args.format.unwrap_or_else(|| match &args.output {
        Some(path) if has_extension(path, &["jsonl", "ndjson"]) => Format::Jsonl,
        _ => Format::Csv,
    });
    let columns: Vec<&'static Column> = if args.columns.is_empty() {
        COLUMNS.iter().collect()
    } else {
        args.columns.clone()
    };
    if format == Format::Jsonl && (args.bom || !args.columns.is_empty()) {
        return Err(Exit::new(
            crate::exit::REFUSED,
            "--bom and --columns are for CSV: JSON Lines has every field and no byte-order mark",
        ));
    }
    let csv = CsvOptions {
        columns,
        bom: args.bom,
    };
    let progress = progress(linq).await;
    let contacts = linq
        .contacts()
        .list()
        .per_page(args.per_page)
        .concurrency(args.concurrency.into());
    let Some(path) = &args.output else {
        let written = write_all(contacts, format, &csv, io::stdout().lock(), &progress).await;
        return written.map(drop).map_err(|e| e.exit(linq, "stdout"));
    };
    // Written aside and renamed when complete: an interrupted export never looks finished.
    let partial = partial(path);
    let file = File::create(&partial)
        .map_err(|e| Exit::io(format!("creating {}", partial.display()), &e))?;
    match write_all(contacts, format, &csv, file, &progress).await {
        Ok(written) => {
            std::fs::rename(&partial, path)
                .map_err(|e| Exit::io(format!("writing {}", path.display()), &e))?;
            eprintln!("exported {written} contacts to {}", path.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e.exit(linq, &path.display().to_string()))
        }
    }
}

/// Why an export stopped.
enum Stopped {
    Linq(linq_api_ext::Error),
    Write(io::Error),
}

impl Stopped {
    fn exit(self, linq: &LinqClient, to: &str) -> Exit {
        match self {
            Stopped::Linq(e) => Exit::call(linq, "export stopped", &e),
            // `export | head`: the reader has all it wanted.
            Stopped::Write(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::quiet(0),
            Stopped::Write(e) => Exit::io(format!("writing {to}"), &e),
        }
    }
}

/// What a CSV export writes.
struct CsvOptions {
    columns: Vec<&'static Column>,
    /// Start with a UTF-8 byte-order mark (for Excel).
    bom: bool,
}

/// Streams every contact into `out`; the number written.
async fn write_all(
    list: ListContacts,
    format: Format,
    csv: &CsvOptions,
    out: impl Write,
    progress: &ProgressBar,
) -> Result<u64, Stopped> {
    let mut sink = Sink::new(format, csv, BufWriter::new(out)).map_err(Stopped::Write)?;
    let mut contacts = list.stream();
    while let Some(contact) = contacts.try_next().await.map_err(|e| {
        progress.abandon();
        Stopped::Linq(e)
    })? {
        sink.write(&contact).map_err(Stopped::Write)?;
        progress.inc(1);
    }
    sink.finish().map_err(Stopped::Write)?;
    progress.finish_and_clear();
    Ok(progress.position())
}

/// Where an export to `path` is written until it completes.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    name.into()
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A progress bar on stderr when it is a terminal; hidden otherwise, so nothing but the
/// export reaches a redirected stream.
async fn progress(linq: &LinqClient) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    // One small extra request for the total.
    let total = linq
        .contacts()
        .list()
        .per_page(1)
        .send()
        .await
        .ok()
        .map(|page| page.pagination.total_count);
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::no_length(),
    };
    bar.set_style(crate::import::rounded_style(
        "{bar:40} {pos}/{len} contacts, {rate}, eta {eta}",
    ));
    bar
}

/// The output, in either format.
enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>, Vec<&'static Column>),
    Jsonl(W),
}

impl<W: Write> Sink<W> {
    fn new(format: Format, options: &CsvOptions, mut out: W) -> io::Result<Self> {
        Ok(match format {
            Format::Csv => {
                if options.bom {
                    out.write_all(b"\xEF\xBB\xBF")?;
                }
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(options.columns.iter().map(|c| c.name))?;
                Sink::Csv(Box::new(csv), options.columns.clone())
            }
            Format::Jsonl => Sink::Jsonl(out),
        })
    }

    fn write(&mut self, contact: &Contact) -> io::Result<()> {
        match self {
            Sink::Csv(csv, columns) => {
                csv.write_record(
                    columns
                        .iter()
                        .map(|c| (c.export)(contact).unwrap_or_default()),
                )?;
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, contact)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        let mut out = match self {
            Sink::Csv(csv, _) => csv.into_inner().map_err(|e| e.into_error())?,
            Sink::Jsonl(out) => out,
        };
        out.flush()
    }
}
