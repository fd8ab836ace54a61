//! Throughput of `linq-contacts export` and `import` against the fake Linq with injected
//! latency: contacts per second, beside the floor the latency sets at that concurrency.
//!
//! Run by hand (CI only builds it): `cargo bench -p linq-contacts --bench throughput`.
//! The binary is the release build; each measurement is one run of it, process start
//! included. Figures and how to read them: BENCHMARKS.md.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use linq_api_ext::linq_api::types::ContactFields;
use linq_fake::FakeLinq;

/// Contacts the export benchmark lists.
const EXPORT_CONTACTS: u32 = 20_000;
/// The page size of the export (Linq's maximum).
const PER_PAGE: u32 = 100;
/// Rows the import benchmark creates.
const IMPORT_ROWS: u32 = 400;
/// Round trips an import of a new contact makes: find, then create.
const IMPORT_ROUND_TRIPS: u32 = 2;

const LATENCIES_MS: [u64; 3] = [0, 5, 20];
const CONCURRENCY: [u32; 3] = [1, 4, 16];

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    // `-- large`: issue #23's run alone (100,000 rows, 20 ms, concurrency 16, peak RSS).
    if std::env::args().skip(1).any(|a| a == "large") {
        runtime.block_on(import_large());
        return;
    }
    println!("| command | latency | concurrency | contacts/s | latency floor (contacts/s) | of the floor |");
    println!("|---|---|---|---|---|---|");
    runtime.block_on(async {
        for latency in LATENCIES_MS.map(Duration::from_millis) {
            for concurrency in CONCURRENCY {
                export(latency, concurrency).await;
            }
        }
        for latency in LATENCIES_MS.map(Duration::from_millis) {
            for concurrency in CONCURRENCY {
                import(latency, concurrency).await;
            }
        }
    });
}

async fn export(latency: Duration, concurrency: u32) {
    let fake = FakeLinq::builder().latency(latency).start().await;
    for i in 0..EXPORT_CONTACTS {
        fake.insert_contact(contact(i));
    }
    let pages = EXPORT_CONTACTS.div_ceil(PER_PAGE);
    // Pages in flight at once: one until the first page gives the count, then `concurrency`.
    let floor = latency * (1 + (pages - 1).div_ceil(concurrency));
    let mut cmd = cli(&fake);
    cmd.args([
        "export",
        "--format",
        "jsonl",
        "--per-page",
        &PER_PAGE.to_string(),
    ])
    .args(["--concurrency", &concurrency.to_string()]);
    let took = time(cmd).await;
    report("export", latency, concurrency, EXPORT_CONTACTS, took, floor);
}

async fn import(latency: Duration, concurrency: u32) {
    let fake = FakeLinq::builder().latency(latency).start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = rows_file(dir.path(), IMPORT_ROWS);
    let floor = import_floor(latency, concurrency, IMPORT_ROWS);
    let mut cmd = cli(&fake);
    cmd.arg("import")
        .arg(&file)
        .args(["--concurrency", &concurrency.to_string()]);
    let took = time(cmd).await;
    assert_eq!(
        fake.contacts().len(),
        IMPORT_ROWS as usize,
        "every row imported"
    );
    report("import", latency, concurrency, IMPORT_ROWS, took, floor);
    drop(dir);
}

/// Rows of the large import.
const LARGE_ROWS: u32 = 100_000;

/// 100,000 new rows at 20 ms latency and concurrency 16: the time against the latency floor,
/// and the CLI's peak resident memory (GNU time's `%M`).
async fn import_large() {
    let latency = Duration::from_millis(20);
    let concurrency = 16;
    let fake = FakeLinq::builder()
        .latency(latency)
        .record_requests(false)
        .start()
        .await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = rows_file(dir.path(), LARGE_ROWS);
    let rss = dir.path().join("rss");
    let mut time_it = Command::new("/usr/bin/time");
    time_it
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(env!("CARGO_BIN_EXE_linq-contacts"));
    let mut cmd = against(time_it, &fake);
    cmd.arg("import")
        .arg(&file)
        .args(["--concurrency", &concurrency.to_string()]);
    let took = time(cmd).await;
    assert_eq!(
        fake.contacts().len(),
        LARGE_ROWS as usize,
        "every row imported"
    );
    let floor = import_floor(latency, concurrency, LARGE_ROWS);
    report("import", latency, concurrency, LARGE_ROWS, took, floor);
    let kib = std::fs::read_to_string(&rss).unwrap_or_default();
    println!(
        "{:.2}× the latency floor; peak RSS of the CLI: {:.1} MB",
        took.as_secs_f64() / floor.as_secs_f64(),
        kib.trim().parse::<f64>().unwrap_or(f64::NAN) / 1024.0
    );
}

fn contact(i: u32) -> ContactFields {
    ContactFields {
        first_name: Some(format!("N{i}")),
        email: Some(format!("c{i}@example.com")),
        phone_number: Some(format!("+1555{i:07}")),
        company: Some("Acme".into()),
        ..ContactFields::default()
    }
}

fn cli(fake: &FakeLinq) -> Command {
    against(Command::new(env!("CARGO_BIN_EXE_linq-contacts")), fake)
}

/// `cmd` (the CLI, or a command that runs it) pointed at `fake`, its output discarded.
fn against(mut cmd: Command, fake: &FakeLinq) -> Command {
    cmd.env("LINQ_INTEGRATION_TOKEN", fake.token())
        .env("LINQ_BASE_URL", fake.base_url())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    cmd
}

/// A CSV file of `rows` new contacts in `dir`.
fn rows_file(dir: &Path, rows: u32) -> PathBuf {
    let file = dir.join("rows.csv");
    let mut csv = String::from("first_name,email,company\n");
    for i in 0..rows {
        csv.push_str(&format!("N{i},c{i}@example.com,Acme\n"));
    }
    std::fs::write(&file, csv).expect("the CSV file is written");
    file
}

/// The latency floor of importing `rows` new rows.
fn import_floor(latency: Duration, concurrency: u32, rows: u32) -> Duration {
    latency * IMPORT_ROUND_TRIPS * rows.div_ceil(concurrency)
}

/// Runs the command to the end (off the runtime, so the fake keeps serving).
async fn time(mut cmd: Command) -> Duration {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let status = cmd.status().expect("the binary runs");
        assert!(status.success(), "the command succeeded");
        started.elapsed()
    })
    .await
    .expect("the blocking task ends")
}

fn report(
    command: &str,
    latency: Duration,
    concurrency: u32,
    n: u32,
    took: Duration,
    floor: Duration,
) {
    let rate = f64::from(n) / took.as_secs_f64();
    let (floor_rate, share) = if floor.is_zero() {
        ("—".to_owned(), "—".to_owned())
    } else {
        let floor_rate = f64::from(n) / floor.as_secs_f64();
        (
            format!("{floor_rate:.0}"),
            format!("{:.0} %", 100.0 * rate / floor_rate),
        )
    };
    println!(
        "| {command} | {} ms | {concurrency} | {rate:.0} | {floor_rate} | {share} |",
        latency.as_millis()
    );
}
