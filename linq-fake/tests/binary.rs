//! The `linq-fake` binary as a non-Rust service's test would use it: a separate process, plain
//! HTTP and JSON, stopped with SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use linq_api::spec::{self, TOKEN_HEADER};

/// The running binary and what it printed.
struct Server {
    child: Child,
    base_url: String,
    token: String,
    /// The tokens of the further organizations (`LINQ_INTEGRATION_TOKEN_2`, …).
    more_tokens: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only reached when a test failed before stopping the server itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` and reads its `NAME=value` lines.
fn start(args: &[&str]) -> Server {
    start_organizations(args, 1)
}

/// Starts the binary with `args` for `organizations` tokens and reads its `NAME=value` lines.
fn start_organizations(args: &[&str], organizations: usize) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linq-fake"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the linq-fake binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut value = |name: &str| -> String {
        let line = lines
            .next()
            .expect("linq-fake prints a line per value")
            .expect("stdout is UTF-8");
        line.strip_prefix(&format!("{name}="))
            .unwrap_or_else(|| panic!("expected {name}=…, got {line:?}"))
            .to_owned()
    };
    let base_url = value("LINQ_BASE_URL");
    let token = value("LINQ_INTEGRATION_TOKEN");
    let more_tokens = (2..=organizations)
        .map(|i| value(&format!("LINQ_INTEGRATION_TOKEN_{i}")))
        .collect();
    Server {
        child,
        base_url,
        token,
        more_tokens,
    }
}

/// Sends SIGTERM and waits (up to 30 s) for the process to exit; returns its status and stderr.
fn terminate(mut server: Server) -> (std::process::ExitStatus, String) {
    let pid = server.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -TERM {pid} failed");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server
            .child
            .try_wait()
            .expect("the child can be waited for")
        {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "linq-fake did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = server.child.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("stderr is UTF-8");
    }
    (status, stderr)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

#[tokio::test]
async fn the_binary_serves_create_and_find_over_plain_http_and_stops_on_sigterm() {
    let server = start(&["--port", "0", "--token", "binary-test-token"]);
    assert!(
        server.base_url.starts_with("http://127.0.0.1:"),
        "{}",
        server.base_url
    );
    assert_eq!(server.token, "binary-test-token");
    let http = http();

    let created = http
        .post(format!("{}{}", server.base_url, spec::CREATE_CONTACT.path))
        .header(TOKEN_HEADER, &server.token)
        .json(&json!({"contact": {"first_name": "Ada", "email": "ada@example.com", "phone_number": "(555) 123-4567"}}))
        .send()
        .await
        .expect("create reaches the fake");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("a JSON body");
    let id = created["data"]["id"].as_i64().expect("an id");
    assert_eq!(created["data"]["phone_number"], "+15551234567");

    let found = http
        .get(format!("{}{}", server.base_url, spec::FIND_CONTACT.path))
        .query(&[("phone_number", "555-123-4567")])
        .header(TOKEN_HEADER, &server.token)
        .send()
        .await
        .expect("find reaches the fake");
    assert_eq!(found.status(), 200);
    let found: Value = found.json().await.expect("a JSON body");
    assert_eq!(found["id"], id);
    assert_eq!(found["email"], "ada@example.com");

    let wrong = http
        .get(format!(
            "{}{}",
            server.base_url,
            spec::GET_CONTACT.path.replace("{id}", &id.to_string())
        ))
        .header(TOKEN_HEADER, "not-the-token")
        .send()
        .await
        .expect("get reaches the fake");
    assert_eq!(wrong.status(), 401);

    let base_url = server.base_url.clone();
    let (status, stderr) = terminate(server);
    assert!(status.success(), "exit status {status}; stderr: {stderr}");
    assert!(stderr.contains("linq-fake: stopped"), "stderr: {stderr}");
    // Stopped means stopped: nothing listens on the port any more.
    assert!(http
        .get(format!("{base_url}{}", spec::LIST_CONTACTS.path))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn seeded_contacts_are_there_from_the_start_under_a_random_token() {
    let server = start(&["--port", "0", "--seed", "3"]);
    assert!(server.token.len() >= 16, "a random token is printed");
    let page: Value = http()
        .get(format!("{}{}", server.base_url, spec::LIST_CONTACTS.path))
        .header(TOKEN_HEADER, &server.token)
        .send()
        .await
        .expect("list reaches the fake")
        .json()
        .await
        .expect("a JSON body");
    assert_eq!(page["pagination"]["total_count"], 3);
    assert_eq!(page["contacts"][2]["email"], "sample3@example.com");
    let (status, _) = terminate(server);
    assert!(status.success());
}

#[tokio::test]
async fn several_tokens_are_organizations_and_the_rate_limit_applies() {
    let server = start_organizations(
        &[
            "--port",
            "0",
            "--token",
            "org-one",
            "--token",
            "org-two",
            "--rate-limit",
            "1/60",
            "--duplicates",
            "conflict",
        ],
        2,
    );
    assert_eq!(server.token, "org-one");
    assert_eq!(server.more_tokens, ["org-two"]);
    let http = http();
    let list = |token: &str| {
        http.get(format!("{}{}", server.base_url, spec::LIST_CONTACTS.path))
            .header(TOKEN_HEADER, token)
            .send()
    };
    assert_eq!(list("org-one").await.expect("an answer").status(), 200);
    let limited = list("org-one").await.expect("an answer");
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(list("org-two").await.expect("an answer").status(), 200);
    let (status, _) = terminate(server);
    assert!(status.success());
}

#[test]
fn bad_flags_are_refused_with_the_rule() {
    for (args, says) in [
        (&["--rate-limit", "ten"][..], "N/SECONDS"),
        (&["--rate-limit", "0/1"][..], "at least 1"),
        (&["--rate-limit", "5/0"][..], "greater than 0"),
        (&["--duplicates", "maybe"][..], "allow"),
        (&["--webhook-attempts", "0"][..], "--webhook-attempts"),
        (&["--webhook-timeout-ms", "0"][..], "--webhook-timeout-ms"),
        (
            &["--webhook-backoff-ms", "soon"][..],
            "--webhook-backoff-ms",
        ),
        (
            &["--token", "x", "--token", "x", "--port", "0"][..],
            "same token",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_linq-fake"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the linq-fake binary runs");
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn help_documents_every_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_linq-fake"))
        .arg("--help")
        .output()
        .expect("the linq-fake binary runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("UTF-8 help");
    for flag in [
        "--port",
        "--token",
        "--seed",
        "--latency-ms",
        "--webhook-attempts",
        "--webhook-backoff-ms",
        "--webhook-timeout-ms",
        spec::SIGNATURE_HEADER,
        "SIGTERM",
        "LINQ_BASE_URL",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
}

#[test]
fn a_port_in_use_is_a_clear_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().expect("an address").port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_linq-fake"))
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .expect("the linq-fake binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
