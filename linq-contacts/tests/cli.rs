//! `linq-contacts` end to end: the binary run against a fake Linq on 127.0.0.1.

use std::{
    collections::HashSet,
    io::Write,
    num::NonZeroU64,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::Duration,
};

use linq_api_ext::{linq_api::types::ContactFields, Contact};
use linq_fake::{FakeLinq, Operation, Organization, OrganizationUser, RateLimit, Reply};
use serde_json::Value;

/// The binary, configured for `fake` through the environment, as an operator would.
fn cli(fake: &FakeLinq) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
    cmd.env("LINQ_INTEGRATION_TOKEN", fake.token())
        .env("LINQ_BASE_URL", fake.base_url())
        .env_remove("RUST_LOG");
    cmd
}

/// Runs `cmd` to the end (off the runtime's threads, so the fake keeps serving), feeding
/// `stdin`.
async fn run(mut cmd: Command, stdin: &str) -> Output {
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(stdin.as_bytes())
            .expect("stdin is written");
        child.wait_with_output().expect("the binary ends")
    })
    .await
    .expect("the blocking task ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn fields(first: &str, email: Option<&str>, phone: Option<&str>) -> ContactFields {
    ContactFields {
        first_name: Some(first.to_owned()),
        email: email.map(str::to_owned),
        phone_number: phone.map(str::to_owned),
        ..ContactFields::default()
    }
}

/// A CSV file in `dir` with a header row.
fn csv_file(dir: &Path, name: &str, header: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts that the command succeeded and that its stdout says `expected`.
fn assert_says(out: &Output, expected: &str) {
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(expected),
        "{stdout}{}",
        text(&out.stderr)
    );
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The lines of a report's rows with this outcome.
fn lines_with(report: &Value, outcome: &str) -> Vec<u64> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| r["line"].as_u64().unwrap())
        .collect()
}

/// What the fake holds, as the client reads it.
fn held(fake: &FakeLinq) -> Vec<Contact> {
    fake.contacts()
        .into_iter()
        .map(|c| Contact::try_from(c).unwrap())
        .collect()
}

fn emails(contacts: &[Contact]) -> HashSet<String> {
    contacts.iter().filter_map(|c| c.email.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_ten_thousand_contacts_is_what_the_fake_holds() {
    let fake = FakeLinq::start().await;
    for i in 0..10_000 {
        let phone = format!("+1555{i:07}");
        let email = format!("c{i}@example.com");
        fake.insert_contact(ContactFields {
            company: (i % 3 == 0).then(|| "Acme, \"Inc\"".to_owned()),
            ..fields(
                &format!("N{i}"),
                Some(&email),
                (i % 2 == 0).then_some(&*phone),
            )
        });
    }
    let held = held(&fake);
    assert_eq!(held.len(), 10_000);

    let mut jsonl = cli(&fake);
    jsonl.args(["export", "--format", "jsonl", "--concurrency", "8"]);
    let out = run(jsonl, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "no progress bar when piped");
    let exported: Vec<Contact> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(exported, held);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.csv");
    let mut csv = cli(&fake);
    csv.args(["export", "--per-page", "100", "--output"])
        .arg(&file);
    let out = run(csv, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(!dir.path().join("all.csv.partial").exists());
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..6],
        [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone_number"
        ]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), held.len());
    for (record, contact) in records.iter().zip(&held) {
        assert_eq!(record[col("id")], contact.id.to_string());
        assert_eq!(record[col("email")], *contact.email.as_ref().unwrap());
        assert_eq!(
            &record[col("phone_number")],
            contact.phone_number.as_deref().unwrap_or("")
        );
        assert_eq!(
            &record[col("company")],
            contact.company.as_deref().unwrap_or("")
        );
        assert_eq!(&record[col("user_email")], "owner@company.com");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_exactly_and_the_good_ones_imported() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "Ada,ada@example.com,,",                   // line 2: good
        "NoKey,,,",                                // line 3: neither email nor phone
        "Bob,bob@example.com,,",                   // line 4: good
        "Eve,not-an-email,call me,",               // line 5: bad email and bad phone
        "Cy,,+1 555 123 4567,",                    // line 6: good
        "Dan,dan@example.com,,x",                  // line 7: owner not an email
        "Fay,fay@example.com",                     // line 8: too few fields
        "Gil,gil@example.com,,nobody@company.com", // line 9: an owner Linq does not know
        "Hal,hal@example.com,555-765-4321,",       // line 10: good
    ]
    .map(String::from);
    let file = csv_file(
        dir.path(),
        "crm.csv",
        "first_name,email,phone_number,user_email",
        &rows,
    );

    let mut dry = cli(&fake);
    dry.args(["import", "--dry-run", "--offline"]).arg(&file);
    let out = run(dry, "").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("9 rows, 5 valid, 4 with problems; nothing was sent"),
        "{stdout}"
    );
    for expected in [
        "line 3: `email` or phone_number is required",
        "line 5: `email` has no `@`: an email address is `name@domain`, with no spaces",
        "line 5: `phone_number` has letters (an extension such as `x123`?): a phone number has \
         4 to 15 digits",
        "line 7: `user_email` has no `@`: an email address is `name@domain`",
        "line 8: the record has 2 fields where the header has 4",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    let dry_report = report(&dir.path().join("crm.csv.report.json"));
    assert_eq!(lines_with(&dry_report, "failed"), [3, 5, 7, 8]);
    assert_eq!(lines_with(&dry_report, "valid"), [2, 4, 6, 9, 10]);
    assert!(fake.requests().is_empty(), "a dry run sends nothing");

    // `--offline` without `--dry-run` is the mistake reported, before any token is asked for.
    let mut offline = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
    offline
        .env_remove("LINQ_INTEGRATION_TOKEN")
        .args(["import", "--offline"])
        .arg(&file);
    let out = run(offline, "").await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--offline checks the rows without Linq: it needs --dry-run"),
        "{stderr}"
    );

    let mut import = cli(&fake);
    import.arg("import").arg(&file);
    let out = run(import, "").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("9 rows: 5 created, 0 updated, 0 unchanged, 4 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("owner (user_email) is not a user of this account: 1, sent without it"),
        "{stdout}"
    );
    let real = report(&dir.path().join("crm.csv.report.json"));
    assert_eq!(lines_with(&real, "failed"), [3, 5, 7, 8]);
    assert_eq!(lines_with(&real, "created"), [2, 4, 6, 9, 10]);
    assert_eq!(real["summary"]["failed"], 4);
    assert_eq!(real["summary"]["owner_dropped"], 1);
    let ownerless = &real["rows"].as_array().unwrap()[7];
    assert_eq!(ownerless["line"], 9);
    assert_eq!(ownerless["owner_dropped"], true, "{ownerless}");
    assert_eq!(
        emails(&held(&fake)),
        [
            "ada@example.com",
            "bob@example.com",
            "gil@example.com",
            "hal@example.com"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(fake.contacts().len(), 5);
    // Gil has the account's default owner.
    assert!(held(&fake).iter().all(
        |c| c.contact_owner.as_ref().and_then(|o| o.email.as_deref()) == Some("owner@company.com")
    ));
    assert!(!stdout.contains("nobody@company.com"), "{stdout}");
    // No personal data in what is printed about the failures.
    assert!(
        !stdout.contains("not-an-email") && !stdout.contains("call me"),
        "{stdout}"
    );
    // Failed rows leave the journal, so that a re-run retries just those.
    assert!(dir.path().join("crm.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_resumes_without_duplicates() {
    const ROWS: usize = 200;
    let fake = FakeLinq::builder()
        .latency(Duration::from_millis(15))
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..ROWS)
        .map(|i| format!("P{i},p{i}@example.com,Acme"))
        .collect();
    let file = csv_file(dir.path(), "people.csv", "first_name,email,company", &rows);
    let journal = dir.path().join("people.csv.journal");

    let journaled = |j: &Path| {
        std::fs::read_to_string(j)
            .map(|t| t.lines().filter(|l| l.contains("\"occurrence\"")).count())
            .unwrap_or(0)
    };
    // Starts the import and stops it, with `signal`, once `rows` are journaled.
    let stop_after = |rows: usize, signal: &'static str| {
        let mut cmd = cli(&fake);
        cmd.args(["import", "--concurrency", "2"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let journal = journal.clone();
        async move {
            let mut child = cmd.spawn().unwrap();
            let waited = tokio::time::Instant::now();
            while journaled(&journal) < rows {
                assert!(
                    child.try_wait().unwrap().is_none(),
                    "the import ended before {signal}"
                );
                assert!(waited.elapsed() < Duration::from_secs(60), "no progress");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let killed = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
            tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
                .await
                .unwrap()
        }
    };

    // Ctrl-C: the import stops, says how to resume, keeps its journal.
    let out = stop_after(10, "-INT").await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("interrupted: run the same command again"));
    let report_file = dir.path().join("people.csv.report.json");
    assert_eq!(report(&report_file)["complete"], false);
    let after_ctrl_c = journaled(&journal);

    // A crash: nothing runs after SIGKILL, whatever was in flight.
    let out = stop_after(after_ctrl_c + 20, "-KILL").await;
    assert_eq!(out.status.code(), None, "killed by a signal");
    let done_before = journaled(&journal);
    let created = fake.contacts().len();
    assert!(created < ROWS, "killed midway, not at the end ({created})");
    assert!(done_before <= created);

    fake.set_latency(Duration::ZERO);
    let mut resumed = cli(&fake);
    resumed.arg("import").arg(&file);
    let out = run(resumed, "").await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("{ROWS} rows:")), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let summary = report(&report_file)["summary"].clone();
    assert_eq!(
        summary["resumed"].as_u64().unwrap() as usize,
        done_before,
        "{summary}"
    );
    let contacts = held(&fake);
    assert_eq!(contacts.len(), ROWS, "one contact per row, no duplicate");
    assert_eq!(emails(&contacts).len(), ROWS);
    assert_eq!(
        fake.requests_for(Operation::CreateContact).len(),
        ROWS,
        "no second POST"
    );
    assert!(!journal.exists(), "a complete run removes its journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_throttled_with_429s_still_completes() {
    let fake = FakeLinq::start().await;
    let throttled = || Reply::status(429).header("retry-after-ms", "20");
    fake.script(Operation::FindContact, (0..40).map(|_| throttled()));
    fake.script(Operation::CreateContact, (0..20).map(|_| throttled()));
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..30).map(|i| format!("T{i},t{i}@example.com")).collect();
    let file = csv_file(dir.path(), "t.csv", "first_name,email", &rows);

    let mut import = cli(&fake);
    import.args(["import", "--concurrency", "4"]).arg(&file);
    let out = run(import, "").await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("30 created, 0 updated, 0 unchanged, 0 failed"));
    assert_eq!(
        fake.pending_replies(Operation::FindContact),
        0,
        "every 429 was served"
    );
    assert_eq!(fake.pending_replies(Operation::CreateContact), 0);
    assert_eq!(fake.contacts().len(), 30);
    assert_eq!(emails(&held(&fake)).len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_changes_only_what_changed() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let header = "first_name,email,phone_number,title";
    let mut rows: Vec<String> = vec![
        "Ada,ada@example.com,(555) 123-4567,Countess".into(),
        "Bob,BOB@example.com,,Builder".into(),
        // The same person as line 2, by phone number: never created twice.
        "Ada,,555.123.4567,Countess".into(),
    ];
    let file = csv_file(dir.path(), "c.csv", header, &rows);
    let mut first = cli(&fake);
    first.arg("import").arg(&file);
    let out = run(first, "").await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("2 created, 0 updated, 1 unchanged"),
        "{}",
        text(&out.stdout)
    );

    rows[1] = "Bob,bob@example.com,,Architect".into();
    let file = csv_file(dir.path(), "c.csv", header, &rows);
    fake.clear_requests();
    let mut again = cli(&fake);
    again.arg("import").arg(&file);
    let out = run(again, "").await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("0 created, 1 updated, 2 unchanged"),
        "{}",
        text(&out.stdout)
    );
    assert!(fake.requests_for(Operation::CreateContact).is_empty());
    assert_eq!(fake.contacts().len(), 2);
    let bob = fake
        .contacts()
        .into_iter()
        .find(|c| c.first_name.as_deref() == Some("Bob"));
    assert_eq!(bob.unwrap().title.as_deref(), Some("Architect"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_columns_are_refused_unless_ignored() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = csv_file(
        dir.path(),
        "u.csv",
        "email,shoe_size",
        &["a@example.com,44".into()],
    );
    let mut refused = cli(&fake);
    refused.arg("import").arg(&file);
    let out = run(refused, "").await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unknown column(s) `shoe_size`"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(fake.requests().is_empty());

    let mut ignored = cli(&fake);
    ignored
        .args(["import", "--ignore-unknown-columns"])
        .arg(&file);
    let out = run(ignored, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        emails(&held(&fake)),
        HashSet::from(["a@example.com".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_find_and_delete_handle_one_contact() {
    let fake = FakeLinq::start().await;
    let ada = fake.insert_contact(fields("Ada", Some("ada@example.com"), Some("+15551234567")));
    let id = ada.id.to_string();

    let mut get = cli(&fake);
    get.args(["get", &id]);
    let out = run(get, "").await;
    assert!(out.status.success());
    let printed: Contact = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, Contact::try_from(ada.clone()).unwrap());

    let mut find = cli(&fake);
    find.args(["find", "--phone-number", "(555) 123-4567"]);
    let out = run(find, "").await;
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_slice::<Contact>(&out.stdout).unwrap().id,
        ada.id.get()
    );

    let mut miss = cli(&fake);
    miss.args(["find", "--email", "nobody@example.com"]);
    assert_eq!(run(miss, "").await.status.code(), Some(3));

    let mut declined = cli(&fake);
    declined.args(["delete", &id]);
    let out = run(declined, "n\n").await;
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("Delete contact"), "it asked");
    assert!(fake.contact(ada.id.get()).is_some());

    let mut confirmed = cli(&fake);
    confirmed.args(["delete", &id]);
    assert!(run(confirmed, "y\n").await.status.success());
    assert!(fake.contact(ada.id.get()).is_none());

    let bob = fake.insert_contact(fields("Bob", Some("bob@example.com"), None));
    let mut forced = cli(&fake);
    forced.args(["delete", "--yes", &bob.id.to_string()]);
    let out = run(forced, "").await;
    assert!(out.status.success());
    assert!(
        !text(&out.stderr).contains("Delete contact"),
        "--yes does not ask"
    );
    assert!(fake.contact(bob.id.get()).is_none());

    let mut gone = cli(&fake);
    gone.args(["get", &id]);
    let out = run(gone, "").await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_and_never_show_the_token() {
    let fake = FakeLinq::start().await;
    let mut wrong = cli(&fake);
    wrong
        .env("LINQ_INTEGRATION_TOKEN", "s3cret-wrong-token")
        .args(["export"]);
    let out = run(wrong, "").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("linq-contacts: export stopped: unauthorized"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret") && !stderr.contains(fake.token()),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));

    // Unset or blank: an operator sets a variable or tries the fake; `.token(..)` is the
    // library's hint, for a programmer.
    for token in [None, Some("  ")] {
        let mut missing = cli(&fake);
        match token {
            Some(token) => missing.env("LINQ_INTEGRATION_TOKEN", token),
            None => missing.env_remove("LINQ_INTEGRATION_TOKEN"),
        };
        missing.args(["get", "1"]);
        let out = run(missing, "").await;
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("linq-contacts: LINQ_INTEGRATION_TOKEN is not set")
                && stderr.contains("--fake")
                && !stderr.contains(".token("),
            "{stderr}"
        );
    }

    // An import whose token Linq refuses sends one row in vain, not every row.
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..20).map(|i| format!("r{i}@example.com")).collect();
    let file = csv_file(dir.path(), "r.csv", "email", &rows);
    let mut refused = cli(&fake);
    refused
        .env("LINQ_INTEGRATION_TOKEN", "s3cret-wrong-token")
        .args(["import", "--concurrency", "1"])
        .arg(&file);
    let out = run(refused, "").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("20 failed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(fake.requests_for(Operation::FindContact).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_demo_runs_against_the_in_process_fake() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("fake.json");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contacts.csv");
    let demo = |args: &[&str]| {
        let mut cmd = fake_cli(&state);
        cmd.args(args);
        cmd
    };
    let mut import = demo(&["import"]);
    import
        .arg(&sample)
        .arg("--journal")
        .arg(dir.path().join("j"))
        .arg("--report")
        .arg(dir.path().join("r.json"));
    let out = run(import, "").await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("10 rows: 10 created"),
        "{}",
        text(&out.stdout)
    );

    let out = run(demo(&["export"]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = text(&out.stdout);
    assert_eq!(exported.lines().count(), 11, "{exported}");
    assert!(exported.contains("Lovelace") && exported.contains("+15551234567"));

    // Ids survive between runs, deletes included.
    assert!(run(demo(&["delete", "--yes", "3"]), "")
        .await
        .status
        .success());
    let out = run(demo(&["get", "4"]), "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        serde_json::from_slice::<Contact>(&out.stdout).unwrap().id,
        4
    );
    assert_eq!(run(demo(&["get", "3"]), "").await.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_numbered_by_the_physical_line_they_start_on() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Each file, with the lines of its valid rows and of its failed ones.
    let cases: [(&str, &str, &[u64], &[u64]); 5] = [
        // Excel, HubSpot and Python's csv write CRLF; line 5 has too few fields.
        (
            "crlf",
            "first_name,email\r\nA,a@example.com\r\nB,\r\nC,c@example.com\r\nD\r\n",
            &[2, 4],
            &[3, 5],
        ),
        (
            "blank-lines",
            "first_name,email\n\nA,a@example.com\n\n\nB,\nC,c@example.com\n",
            &[3, 7],
            &[6],
        ),
        (
            "crlf-blank-lines",
            "first_name,email\r\n\r\nA,a@example.com\r\n\r\nB,\r\n",
            &[3],
            &[5],
        ),
        (
            "cr-only",
            "first_name,email\rA,a@example.com\rB,\rC,c@example.com\r",
            &[2, 4],
            &[3],
        ),
        // A quoted field spans lines 2 to 5: CRLF, LF and a lone CR are one break each.
        (
            "multi-line",
            "first_name,email,notes\r\nA,a@example.com,\"met at\r\nthe fair\nand\rlater\"\r\n\
             B,,\r\nC,c@example.com,\"x\"\"\n\"\r\nE,e@example.com,\r\n",
            &[2, 7, 9],
            &[6],
        ),
    ];
    for (name, contents, valid, failed) in cases {
        let file = dir.path().join(format!("{name}.csv"));
        std::fs::write(&file, contents).unwrap();
        let mut dry = cli(&fake);
        dry.args([
            "import",
            "--dry-run",
            "--offline",
            "--ignore-unknown-columns",
        ])
        .arg(&file);
        let out = run(dry, "").await;
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
        let report = report(&dir.path().join(format!("{name}.csv.report.json")));
        assert_eq!(lines_with(&report, "valid"), valid, "{name}");
        assert_eq!(lines_with(&report, "failed"), failed, "{name}");
        let stdout = text(&out.stdout);
        for line in failed {
            assert!(
                stdout.contains(&format!("line {line}: ")),
                "{name}: {stdout}"
            );
        }
    }
    assert!(fake.requests().is_empty(), "a dry run sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_knows_rows_by_their_values_not_their_lines() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("moved.csv");
    let journal = dir.path().join("moved.csv.journal");
    let import = || {
        let mut cmd = cli(&fake);
        cmd.arg("import").arg(&file);
        cmd
    };
    // The same row twice: the second is the same person, unchanged.
    std::fs::write(
        &file,
        "first_name,email\r\nAda,ada@example.com\r\nBad,not-an-email\r\n\
         Bob,bob@example.com\r\nAda,ada@example.com\r\n",
    )
    .unwrap();
    let out = run(import(), "").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("4 rows: 2 created, 0 updated, 1 unchanged, 1 failed"),
        "{}",
        text(&out.stdout)
    );
    let first = report(&dir.path().join("moved.csv.report.json"));
    let ids: Vec<Value> = first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert!(journal.exists(), "a failed row keeps the journal");
    let ada_fingerprint = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|entry| entry["id"] == ids[0])
        .map(|entry| entry["fingerprint"].clone())
        .expect("Ada's row is journaled");

    // The operator drops the bad row: the rows after it move up a line.
    std::fs::write(
        &file,
        "first_name,email\r\nAda,ada@example.com\r\nBob,bob@example.com\r\n\
         Ada,ada@example.com\r\n",
    )
    .unwrap();
    fake.clear_requests();
    let out = run(import(), "").await;
    assert_says(
        &out,
        "3 rows: 2 created, 0 updated, 1 unchanged, 0 failed (3 done by an earlier run)",
    );
    assert!(
        fake.requests().is_empty(),
        "every row came from the journal"
    );
    let resumed = report(&dir.path().join("moved.csv.report.json"));
    let rows = resumed["rows"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(
        rows.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(),
        [ids[0].clone(), ids[2].clone(), ids[3].clone()]
    );
    assert!(!journal.exists(), "a complete run removes its journal");

    // A journal of an earlier version (keyed by line) is ignored: the row is done again and
    // found, never taken for done with the id that journal names.
    let old = dir.path().join("old.journal");
    let entry = serde_json::json!({"line": 2, "fingerprint": ada_fingerprint, "done": "created", "id": 999});
    std::fs::write(&old, format!("{entry}\n")).unwrap();
    let mut again = import();
    again.arg("--journal").arg(&old);
    let out = run(again, "").await;
    assert_says(
        &out,
        "3 rows: 0 created, 0 updated, 3 unchanged, 0 failed\n",
    );
    assert_eq!(fake.contacts().len(), 2);
}

/// The binary against its in-process fake, keeping its contacts in `state`.
fn fake_cli(state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
    cmd.env_remove("LINQ_INTEGRATION_TOKEN")
        .env_remove("LINQ_BASE_URL")
        .arg("--fake")
        .arg("--fake-state")
        .arg(state);
    cmd
}

/// The contacts a `--fake` state file holds.
fn saved(state: &Path) -> Vec<Contact> {
    serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fake_runs_on_one_state_file_lose_nothing() {
    const ROWS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("fake.json");
    let import = |name: &str| {
        let rows: Vec<String> = (0..ROWS)
            .map(|i| format!("{name}{i}@example.com"))
            .collect();
        let file = csv_file(dir.path(), &format!("{name}.csv"), "email", &rows);
        let mut cmd = fake_cli(&state);
        cmd.arg("import").arg(file);
        run(cmd, "")
    };
    let (a, b) = tokio::join!(import("a"), import("b"));
    for out in [&a, &b] {
        assert_says(out, &format!("{ROWS} rows: {ROWS} created"));
    }
    let contacts = saved(&state);
    assert_eq!(contacts.len(), 2 * ROWS, "both runs' contacts survive");
    assert_eq!(emails(&contacts).len(), 2 * ROWS);
    let ids: HashSet<String> = contacts.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids.len(), 2 * ROWS, "no id given twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_state_keeps_untouched_contacts_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("fake.json");
    let import = |name: &str, rows: &[&str]| {
        let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        let file = csv_file(dir.path(), name, "first_name,email", &rows);
        let mut cmd = fake_cli(&state);
        cmd.arg("import").arg(file);
        run(cmd, "")
    };
    let out = import("first.csv", &["Ada,ada@example.com", "Bob,bob@example.com"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = saved(&state);
    assert_eq!(before.len(), 2);

    let out = import("second.csv", &["Cy,cy@example.com", "Bob,bob@example.com"]).await;
    assert_says(&out, "1 created, 0 updated, 1 unchanged");
    let after = saved(&state);
    assert_eq!(after.len(), 3);
    // Ada and Bob were not touched: ids, times and owners as they were.
    assert_eq!(after[..2], before[..]);
    let cy = &after[2];
    assert!(cy.created_at.is_some() && cy.created_at >= before[1].created_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_fake_state_is_the_user_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let (home, xdg, tmp) = (
        dir.path().join("home"),
        dir.path().join("xdg"),
        dir.path().join("tmp"),
    );
    for d in [&home, &tmp] {
        std::fs::create_dir(d).unwrap();
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contacts.csv");
    let import = |xdg: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
        cmd.env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env_remove("XDG_STATE_HOME")
            .args(["--fake", "import", "--dry-run"])
            .arg(&sample)
            .arg("--report")
            .arg(dir.path().join("r.json"));
        if let Some(xdg) = xdg {
            cmd.env("XDG_STATE_HOME", xdg);
        }
        run(cmd, "")
    };
    let out = import(None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(home.join(".local/state/linq-contacts/fake.json").exists());
    let out = import(Some(&xdg)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(xdg.join("linq-contacts/fake.json").exists());
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "nothing in the temporary directory every user shares"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_another_account_creates_every_row() {
    const ROWS: usize = 30;
    let id = |n| NonZeroU64::new(n).expect("user ids here are positive");
    let shared = || OrganizationUser::member(id(457), "shared@example.com", "Sam", "Shared");
    let fake = FakeLinq::builder()
        .organization_users([OrganizationUser::default_admin(), shared()])
        .organization(Organization::new("globex").users([
            OrganizationUser::admin(id(900), "boss@globex.example", "Gil", "Boss"),
            shared(),
        ]))
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    // The first account: every third contact owned by a user both accounts have.
    let owner = |i: usize| i.is_multiple_of(3).then_some("shared@example.com");
    let rows: Vec<String> = (0..ROWS)
        .map(|i| format!("c{i}@example.com,{}", owner(i).unwrap_or("")))
        .collect();
    let file = csv_file(dir.path(), "first.csv", "email,user_email", &rows);
    let mut import = cli(&fake);
    // One at a time, so that ids (the export's order) follow the rows.
    import.args(["import", "--concurrency", "1"]).arg(&file);
    let out = run(import, "").await;
    assert!(out.status.success(), "{}", text(&out.stdout));
    let exported = dir.path().join("export.csv");
    let mut export = cli(&fake);
    export.args(["export", "--output"]).arg(&exported);
    let out = run(export, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Into the other account, one row at a time: its owners are unknown there, but one.
    let into_globex = || {
        let mut cmd = cli(&fake);
        cmd.env("LINQ_INTEGRATION_TOKEN", "globex")
            .args(["import", "--concurrency", "1"])
            .arg(&exported);
        cmd
    };
    fake.clear_requests();
    let out = run(into_globex(), "").await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "{ROWS} rows: {ROWS} created, 0 updated, 0 unchanged, 0 failed"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("owner (user_email) is not a user of this account: 20, sent without it"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("owner@company.com"),
        "no personal data: {stdout}"
    );
    let report = report(&dir.path().join("export.csv.report.json"));
    let dropped: Vec<bool> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["owner_dropped"] == true)
        .collect();
    assert_eq!(
        dropped,
        (0..ROWS).map(|i| owner(i).is_none()).collect::<Vec<_>>()
    );
    assert_eq!(report["summary"]["owner_dropped"], 20);
    let globex = fake.contacts_of("globex").unwrap();
    assert_eq!(globex.len(), ROWS);
    for (i, contact) in globex.iter().enumerate() {
        assert_eq!(
            contact.email.as_deref(),
            Some(&*format!("c{i}@example.com"))
        );
        let expected = owner(i).unwrap_or("boss@globex.example");
        let got = contact.contact_owner.as_ref().map(|o| o.email.as_deref());
        assert_eq!(got, Some(Some(expected)), "contact {i}");
    }
    // An unknown owner is learnt from one refusal, not one per row.
    let creates = fake.requests_for(Operation::CreateContact);
    assert_eq!(creates.len(), ROWS + 1);
    assert!(creates.iter().all(|r| r.organization == Some(1)));
    assert_eq!(
        fake.contacts().len(),
        ROWS,
        "the first account is untouched"
    );

    // Again: every contact is found and left as it is, its owner included.
    let out = run(into_globex(), "").await;
    assert_says(
        &out,
        &format!("{ROWS} rows: 0 created, 0 updated, {ROWS} unchanged"),
    );
    assert_eq!(fake.contacts_of("globex").unwrap(), globex);
}

/// Issue #22's B2B file: three colleagues on the company switchboard (Cara's written another
/// way) are three contacts, each with their own email; a row with only the switchboard is
/// not taken for any of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colleagues_on_one_switchboard_stay_three_people() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "Ada,Lovelace,ada@acme.example,+1 555 000 1111,Acme".to_owned(),
        "Bob,Babbage,bob@acme.example,+1 555 000 1111,Acme".to_owned(),
        "Cara,Carter,cara@acme.example,(555) 000-1111,Acme".to_owned(),
    ];
    let header = "first_name,last_name,email,phone_number,company";
    let file = csv_file(dir.path(), "b2b.csv", header, &rows);
    let mut import = cli(&fake);
    import.args(["import"]).arg(&file);
    let out = run(import, "").await;
    assert_says(&out, "3 rows: 3 created, 0 updated, 0 unchanged, 0 failed");
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .matches("although the phone number is shared with contact #")
            .count(),
        2,
        "{stdout}"
    );
    assert!(!stdout.contains("555"), "no personal data: {stdout}");
    let contacts = held(&fake);
    assert_eq!(contacts.len(), 3);
    let people: HashSet<(String, String)> = contacts
        .iter()
        .map(|c| (c.first_name.clone().unwrap(), c.email.clone().unwrap()))
        .collect();
    let expected: HashSet<(String, String)> = [
        ("Ada", "ada@acme.example"),
        ("Bob", "bob@acme.example"),
        ("Cara", "cara@acme.example"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(people, expected);
    let report = report(&dir.path().join("b2b.csv.report.json"));
    assert_eq!(report["summary"]["phone_shared"], 2);

    // Again: each row finds its own contact; nothing changes.
    let mut again = cli(&fake);
    again.args(["import", "--restart"]).arg(&file);
    assert_says(
        &run(again, "").await,
        "3 rows: 0 created, 0 updated, 3 unchanged, 0 failed",
    );

    // The switchboard alone is nobody's: the row fails as a conflict, and nothing is written.
    let lone = csv_file(
        dir.path(),
        "lone.csv",
        "first_name,phone_number",
        &["Dan,555-000-1111".to_owned()],
    );
    fake.clear_requests();
    let mut import = cli(&fake);
    import.args(["import"]).arg(&lone);
    let out = run(import, "").await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("line 2: `phone_number` conflict"),
        "{stdout}"
    );
    assert!(fake.requests_for(Operation::CreateContact).is_empty());
    assert!(fake.requests_for(Operation::UpdateContact).is_empty());
    assert_eq!(held(&fake).len(), 3);
}

/// A fixture of tests/fixtures copied into `dir` (so that what import writes beside it stays
/// out of the source tree).
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::copy(from, &to).unwrap();
    to
}

/// The contact the fake holds with this email (case-insensitively) or, without one, this
/// phone number.
fn holder<'a>(contacts: &'a [Contact], key: &str) -> &'a Contact {
    contacts
        .iter()
        .find(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(key))
                || c.phone_number.as_deref() == Some(key)
        })
        .unwrap_or_else(|| panic!("no contact {key} in {contacts:#?}"))
}

/// Asserts what a contact holds: name, phone number (E.164), company, job title.
fn assert_holds(
    contacts: &[Contact],
    key: &str,
    (first, last, phone, company, title): (&str, &str, &str, &str, &str),
) {
    let c = holder(contacts, key);
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    assert_eq!(
        (
            &c.first_name,
            &c.last_name,
            &c.phone_number,
            &c.company,
            &c.title
        ),
        (
            &some(first),
            &some(last),
            &some(phone),
            &some(company),
            &some(title)
        ),
        "{key}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_exports_import_as_they_are() {
    type Holds = (
        &'static str,
        (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        ),
    );
    /// An export: its file, the flags it needs, the summary, the lines created, what arrives.
    type Case = (
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static [u64],
        &'static [Holds],
    );
    // Each export, the flags it needs, the summary, the lines created, what arrives.
    let cases: [Case; 6] = [
        (
            "hubspot.csv",
            &[],
            "5 rows: 3 created, 1 updated, 0 unchanged, 1 failed",
            &[2, 3, 5],
            &[
                (
                    "ada@analytical.example",
                    (
                        "Ada",
                        "Lovelace",
                        "+12025550101",
                        "Analytical Engines, Ltd.",
                        "Chief Engineer",
                    ),
                ),
                (
                    "grace.hopper@navy.example",
                    ("Grace", "Hopper", "+12025550103", "US Navy", "Rear Admiral"),
                ),
                (
                    "+442079460104",
                    (
                        "Alan",
                        "Turing",
                        "+442079460104",
                        "Bletchley Park",
                        "Cryptanalyst",
                    ),
                ),
            ],
        ),
        (
            "google.csv",
            &["--default-country", "DE"],
            "4 rows: 4 created, 0 updated, 0 unchanged, 0 failed",
            &[2, 6, 7, 8],
            &[
                (
                    "j.schmidt@soehne.example",
                    (
                        "Jürgen",
                        "Schmidt",
                        "+491712345678",
                        "Schmidt & Söhne GmbH",
                        "Geschäftsführer",
                    ),
                ),
                (
                    "maria.weber@example.org",
                    ("Maria", "Weber", "+49891234560", "Weber KG", "Einkauf"),
                ),
                ("+491609876543", ("Klaus", "", "+491609876543", "", "")),
                (
                    "eva.klein@firma.example",
                    ("Eva", "Klein", "+49305550188", "Firma AG", "CTO"),
                ),
            ],
        ),
        (
            "outlook.csv",
            &[],
            "4 rows: 3 created, 0 updated, 1 unchanged, 0 failed",
            &[2, 4, 5],
            &[
                (
                    "renee.dubois@contoso.example",
                    (
                        "Renée",
                        "Dubois",
                        "+15145550111",
                        "Contoso, Ltd.",
                        "Head of Research",
                    ),
                ),
                (
                    "tomas.garcia@contoso.example",
                    ("Tomás", "García", "+15145550112", "Contoso, Ltd.", "Buyer"),
                ),
                ("+15145550113", ("Zoë", "Brontë", "+15145550113", "", "")),
            ],
        ),
        (
            "salesforce.csv",
            &[],
            "3 rows: 3 created, 0 updated, 0 unchanged, 0 failed",
            &[2, 4, 5],
            &[
                (
                    "lena.park@acme.example",
                    ("Lena", "Park", "+14155550121", "Acme, Inc.", "VP Sales"),
                ),
                (
                    "omar.haddad@acme.example",
                    (
                        "Omar",
                        "Haddad",
                        "+15105550122",
                        "Acme, Inc.",
                        "Procurement Lead",
                    ),
                ),
                (
                    "+14155550123",
                    ("Ines", "Costa", "+14155550123", "Globex", "Analyst"),
                ),
            ],
        ),
        (
            "mailchimp.csv",
            &[],
            "3 rows: 2 created, 0 updated, 1 unchanged, 0 failed",
            &[2, 4],
            &[
                (
                    "sam.lee@shop.example",
                    ("Sam", "Lee", "+12175550142", "Lee's Hardware", ""),
                ),
                (
                    "noor@studio.example",
                    ("Noor", "Aziz", "+12175550143", "Studio Noor", ""),
                ),
            ],
        ),
        (
            "excel-de.csv",
            &["--default-country", "DE"],
            "3 rows: 3 created, 0 updated, 0 unchanged, 0 failed",
            &[2, 3, 4],
            &[
                (
                    "jose.mueller@baeckerei.example",
                    (
                        "José",
                        "Müller",
                        "+49301063352",
                        "Bäckerei Müller; Filiale Köln",
                        "Bäckermeister",
                    ),
                ),
                (
                    "+4922147110815",
                    (
                        "Françoise",
                        "Lefèvre",
                        "+4922147110815",
                        "Café Lefèvre",
                        "Inhaberin",
                    ),
                ),
                (
                    "soeren@oersted.example",
                    (
                        "Søren",
                        "Ørsted",
                        "+4532123456",
                        "Ørsted Ingeniører",
                        "Ingeniør",
                    ),
                ),
            ],
        ),
    ];
    for (name, flags, summary, created, holds) in cases {
        let fake = FakeLinq::start().await;
        let dir = tempfile::tempdir().unwrap();
        let file = fixture(dir.path(), name);
        let mut import = cli(&fake);
        import.arg("import").args(flags).arg(&file);
        let out = run(import, "").await;
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(summary),
            "{name}: {stdout}{}",
            text(&out.stderr)
        );
        let report = report(&dir.path().join(format!("{name}.report.json")));
        assert_eq!(
            lines_with(&report, "created"),
            created,
            "{name}: {report:#}"
        );
        let contacts = held(&fake);
        for (key, expected) in holds {
            assert_holds(&contacts, key, *expected);
        }
        assert!(
            contacts.iter().all(|c| c.title.as_deref() != Some("Dr.")),
            "{name}: an honorific is no job title"
        );
        // No value of the rows in what is printed.
        assert!(
            !stdout.contains('@') || stdout.contains("`name@domain`"),
            "{name}: {stdout}"
        );
        match name {
            "outlook.csv" => {
                assert!(
                    stdout.contains("`Title` is read as an honorific"),
                    "{stdout}"
                );
                assert!(stdout.contains("read as windows-1252"), "{stdout}");
            }
            "excel-de.csv" => {
                assert!(
                    stdout.contains("read as windows-1252, `;`-separated"),
                    "{stdout}"
                )
            }
            "google.csv" => {
                assert!(
                    stdout.contains(
                        "`email` is the first non-empty of `E-mail 1 - Value`, `E-mail 2 - Value`"
                    ),
                    "{stdout}"
                );
                assert!(
                    stdout.contains("`email`: 1 rows had other values"),
                    "{stdout}"
                );
            }
            "hubspot.csv" => {
                // The failed row, in its own columns with a reason: fixed and imported.
                assert_eq!(out.status.code(), Some(1));
                assert!(
                    stdout.contains("line 6: `phone_number` has letters"),
                    "{stdout}"
                );
                let failed = dir.path().join("hubspot.csv.failed.csv");
                let written = std::fs::read_to_string(&failed).unwrap();
                assert!(
                    written.starts_with("\u{feff}Record ID,First Name,"),
                    "{written}"
                );
                assert_eq!(written.lines().count(), 2, "{written}");
                assert!(
                    written.contains("(757) 555-0105 x123")
                        && written.contains(",\"line 6: `phone_number`")
                );
                std::fs::write(&failed, written.replace(" x123", "")).unwrap();
                let mut again = cli(&fake);
                again.arg("import").arg(&failed);
                let out = run(again, "").await;
                assert_says(&out, "1 rows: 1 created, 0 updated, 0 unchanged, 0 failed");
                assert!(!dir
                    .path()
                    .join("hubspot.csv.failed.csv.failed.csv")
                    .exists());
                assert_holds(
                    &held(&fake),
                    "kj@nasa.example",
                    (
                        "Katherine",
                        "Johnson",
                        "+17575550105",
                        "NASA",
                        "Mathematician",
                    ),
                );
                assert_eq!(fake.contacts().len(), 4);
            }
            _ => {}
        }
        if name != "hubspot.csv" {
            assert!(
                out.status.success(),
                "{name}: {stdout}{}",
                text(&out.stderr)
            );
            assert!(
                !dir.path().join(format!("{name}.failed.csv")).exists(),
                "{name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spreadsheet_imports_with_its_own_row_numbers() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Kontakte.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Kunden").unwrap();
    for (col, title) in [
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Company",
        "Job Title",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    sheet.write_string(1, 0, "Ada").unwrap();
    sheet.write_string(1, 2, "ada@example.com").unwrap();
    // A phone number typed as a number.
    sheet.write_number(1, 3, 2025550123.0).unwrap();
    sheet.write_string(1, 4, "Engines").unwrap();
    // Row 3 is empty; row 4 has a number with its country code.
    for (col, value) in [
        "Bob",
        "Stone",
        "bob@stone.example",
        "+49 30 1234567",
        "Stone GmbH",
        "CEO",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(3, col as u16, *value).unwrap();
    }
    for (col, value) in ["Cy", "", "cy@example.com", "+1 555 0100 ext. 7"]
        .iter()
        .enumerate()
    {
        sheet.write_string(4, col as u16, *value).unwrap();
    }
    book.save(&file).unwrap();

    let mut missing = cli(&fake);
    missing.args(["import", "--sheet", "Leads"]).arg(&file);
    let out = run(missing, "").await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no sheet named `Leads` (the sheets: `Kunden`)"));

    let mut import = cli(&fake);
    import.args(["import", "--sheet", "Kunden"]).arg(&file);
    let out = run(import, "").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = report(&dir.path().join("Kontakte.xlsx.report.json"));
    assert_eq!(lines_with(&report, "created"), [2, 4]);
    assert_eq!(lines_with(&report, "failed"), [5]);
    let contacts = held(&fake);
    assert_holds(
        &contacts,
        "ada@example.com",
        ("Ada", "", "+12025550123", "Engines", ""),
    );
    assert_holds(
        &contacts,
        "bob@stone.example",
        ("Bob", "Stone", "+49301234567", "Stone GmbH", "CEO"),
    );
    let failed = dir.path().join("Kontakte.xlsx.failed.csv");
    let written = std::fs::read_to_string(&failed).unwrap();
    assert!(
        written.contains("Cy,,cy@example.com,+1 555 0100 ext. 7,,,\"line 5: `phone_number`"),
        "{written}"
    );
    std::fs::write(&failed, written.replace(" ext. 7", "")).unwrap();
    let mut again = cli(&fake);
    again.arg("import").arg(&failed);
    assert_says(&run(again, "").await, "1 rows: 1 created");
    assert_eq!(fake.contacts().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_against_the_account_by_the_identity_rule() {
    let fake = FakeLinq::start().await;
    fake.insert_contact(fields("Ann", Some("ann@example.com"), Some("+15550001111")));
    fake.insert_contact(fields("Bob", Some("bob@example.com"), None));
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "Ann,ann@example.com,",           // line 2: unchanged
        "Robert,bob@example.com,",        // line 3: update
        "Cy,cy@example.com,555-000-1111", // line 4: create, beside Ann's number
        "Zed,,+1 555 000 1111",           // line 5: Ann's number, another name: conflict
        "Eve,eve-at-example.com,",        // line 6: refused before anything is sent
    ]
    .map(String::from);
    let file = csv_file(dir.path(), "plan.csv", "First Name,E-mail,Phone", &rows);
    let before = held(&fake);
    let mut dry = cli(&fake);
    dry.args(["import", "--dry-run", "--map", "E-mail=email"])
        .arg(&file);
    let out = run(dry, "").await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "5 rows: 1 to create, 1 to update, 1 unchanged, 2 failed (1 conflicts); nothing was \
             written"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 5: `phone_number` conflict: not matched"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 4: to create although the phone number is shared with contact #1"),
        "{stdout}"
    );
    let report = report(&dir.path().join("plan.csv.report.json"));
    assert_eq!(lines_with(&report, "created"), [4]);
    assert_eq!(lines_with(&report, "updated"), [3]);
    assert_eq!(lines_with(&report, "unchanged"), [2]);
    assert_eq!(report["summary"]["conflicts"], 1);
    assert_eq!(held(&fake), before, "nothing was written");
    assert!(fake.requests().iter().all(|r| r.method.as_str() == "GET"));

    // The real run does what the plan said.
    let mut import = cli(&fake);
    import.args(["import", "--map", "E-mail=email"]).arg(&file);
    let out = run(import, "").await;
    assert!(
        text(&out.stdout).contains("5 rows: 1 created, 1 updated, 1 unchanged, 2 failed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(report_of(&dir, "plan.csv")["summary"]["conflicts"], 1);
}

fn report_of(dir: &tempfile::TempDir, name: &str) -> Value {
    report(&dir.path().join(format!("{name}.report.json")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_are_mapped_listed_and_never_dropped_in_silence() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "Ada,ada@example.com,ada.work@example.com,44,\"Main St 1\nBerlin\",+1 555 123 4567 x9,",
        "Bob,,bob.work@example.com,,,,",
    ]
    .map(String::from);
    let header = "FIRST-NAME,Private Mail,Work Mail,Shoe Size,City,Phone,";
    let file = csv_file(dir.path(), "m.csv", header, &rows);
    let mut refused = cli(&fake);
    refused.arg("import").arg(&file);
    let out = run(refused, "").await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "unknown column(s) `Private Mail` (1 non-empty, mostly email addresses: --map \
             'Private Mail=email'), `Work Mail` (2 non-empty, mostly email addresses: --map \
             'Work Mail=email'), `Shoe Size` (1 non-empty)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("ada@"), "{stderr}");
    assert!(fake.requests().is_empty());

    // A mapping file and --map; the rest ignored, and said; the bad fields repaired or left out.
    let mapping = dir.path().join("crm.map");
    std::fs::write(&mapping, "# our CRM\nWork Mail = email\n").unwrap();
    let mut import = cli(&fake);
    import
        .args(["import", "--mapping"])
        .arg(&mapping)
        .args(["--map", "Private Mail=email", "--ignore-unknown-columns"])
        .args(["--fold-lines", "--skip-invalid-fields"])
        .arg(&file);
    let out = run(import, "").await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("2 rows: 2 created"), "{stdout}");
    assert!(
        stdout.contains("`email` is the first non-empty of `Work Mail`, `Private Mail`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not imported, although they hold values: `Shoe Size` (1 non-empty)"),
        "{stdout}"
    );
    let contacts = held(&fake);
    let ada = holder(&contacts, "ada.work@example.com");
    assert_eq!(ada.location.as_deref(), Some("Main St 1, Berlin"));
    assert_eq!(ada.phone_number, None, "the extension was left out");
    let report = report_of(&dir, "m.csv");
    let notes = report["rows"][0]["notes"].to_string();
    assert!(
        notes.contains("not imported (--skip-invalid-fields): has letters"),
        "{notes}"
    );
    assert_eq!(report["ignored_columns"][0]["column"], "`Shoe Size`");
    assert!(
        !report.to_string().contains("x9"),
        "no values in the report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_conventions_stdin_tables_completions_and_excel_exports() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    // import - reads standard input (written beside: stdin.report.json in the directory).
    let mut import = cli(&fake);
    import.current_dir(dir.path()).args(["import", "-"]);
    let out = run(import, "first_name|email\nJosé|jose@example.com\n").await;
    assert_says(&out, "1 rows: 1 created");
    assert!(dir.path().join("stdin.report.json").exists());
    let id = held(&fake)[0].id.to_string();

    let mut get = cli(&fake);
    get.args(["get", &id, "--output", "table"]);
    let out = run(get, "").await;
    assert_says(&out, "first_name    José\n");
    assert!(text(&out.stdout).contains("email         jose@example.com\n"));

    let mut complete = cli(&fake);
    complete.args(["completions", "bash"]);
    assert_says(&run(complete, "").await, "linq-contacts");

    let mut help = cli(&fake);
    help.arg("--help");
    assert_says(&run(help, "").await, "130  interrupted by Ctrl-C");
    let mut help = cli(&fake);
    help.args(["import", "--help"]);
    assert_says(
        &run(help, "").await,
        "first_name, last_name, email, phone_number",
    );

    let mut export = cli(&fake);
    export.args(["export", "--bom", "--columns", "email,first_name"]);
    let out = run(export, "").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\u{feff}email,first_name\njose@example.com,José\n"
    );

    // A connection error names the host it tried.
    let mut down = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
    down.env("LINQ_INTEGRATION_TOKEN", "t0k3n")
        .env("LINQ_BASE_URL", "http://127.0.0.1:9")
        .args(["get", "1"]);
    let out = run(down, "").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("(tried 127.0.0.1:9)"), "{stderr}");
    assert!(!stderr.contains("t0k3n"), "{stderr}");
}

/// `--rate-limit` keeps an import under Linq's limit instead of waiting out 429s: against a
/// fake that allows 50 requests a second, an import limited to 40 gets no 429 (every row takes
/// exactly one find and one create, none re-sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_keeps_an_import_under_linqs_limit() {
    let fake = FakeLinq::builder()
        .rate_limit(RateLimit::per_second(50))
        .start()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..40).map(|i| format!("R{i},r{i}@example.com")).collect();
    let file = csv_file(dir.path(), "r.csv", "first_name,email", &rows);
    let mut import = cli(&fake);
    import
        .args(["import", "--concurrency", "8", "--rate-limit", "40/s"])
        .arg(&file);
    assert_says(
        &run(import, "").await,
        "40 rows: 40 created, 0 updated, 0 unchanged, 0 failed",
    );
    assert_eq!(
        fake.requests().len(),
        80,
        "no request was throttled and re-sent"
    );

    // Refused before anything is sent: a rate of 0, and a Redis URL without a rate.
    for args in [
        &["--rate-limit", "0/s", "export"][..],
        &["--redis-url", "redis://127.0.0.1:1", "export"][..],
    ] {
        let mut refused = cli(&fake);
        refused.args(args);
        let out = run(refused, "").await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// An `.ods` from LibreOffice (a fixture written with odfpy), a UTF-16 file with a BOM, and a
/// tab-separated Windows-1252 file read with explicit `--delimiter` and `--encoding`: each
/// imports as it is, with the spreadsheet's and the file's own row numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ods_utf16_and_explicit_overrides_import_as_they_are() {
    let fake = FakeLinq::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ods = dir.path().join("libreoffice.ods");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/libreoffice.ods"
        ),
        &ods,
    )
    .unwrap();
    let mut import = cli(&fake);
    import.arg("import").arg(&ods);
    assert_says(
        &run(import, "").await,
        "2 rows: 2 created, 0 updated, 0 unchanged, 0 failed",
    );
    let report = report(&dir.path().join("libreoffice.ods.report.json"));
    assert_eq!(lines_with(&report, "created"), [2, 4], "row 3 is empty");
    let contacts = held(&fake);
    assert_holds(
        &contacts,
        "grete@berg.example",
        ("Grete", "Berg", "+49301063352", "Berg AG", "CFO"),
    );
    assert_holds(
        &contacts,
        "hans@ulm.example",
        ("Hans", "Ulm", "", "Ulm KG", "CTO"),
    );

    // UTF-16LE with a BOM, CRLF, accents.
    let text = "first_name,last_name,email\r\nZoë,Brontë,zoe@example.com\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let utf16 = dir.path().join("utf16.csv");
    std::fs::write(&utf16, bytes).unwrap();
    let mut import = cli(&fake);
    import.arg("import").arg(&utf16);
    assert_says(&run(import, "").await, "1 rows: 1 created");
    let contacts = held(&fake);
    let zoe = holder(&contacts, "zoe@example.com");
    assert_eq!(zoe.last_name.as_deref(), Some("Brontë"));

    // Tab-separated Windows-1252, told rather than detected.
    let mut cp1252 = b"first_name\tlast_name\temail\r\n".to_vec();
    cp1252.extend(b"Ren\xe9\tDupr\xe9\trene@example.com\r\n");
    let tabs = dir.path().join("tabs.txt");
    std::fs::write(&tabs, cp1252).unwrap();
    let mut import = cli(&fake);
    import
        .args(["import", "--delimiter", "\t", "--encoding", "windows-1252"])
        .arg(&tabs);
    assert_says(&run(import, "").await, "1 rows: 1 created");
    let contacts = held(&fake);
    let rene = holder(&contacts, "rene@example.com");
    assert_eq!(
        (rene.first_name.as_deref(), rene.last_name.as_deref()),
        (Some("René"), Some("Dupré"))
    );
}
