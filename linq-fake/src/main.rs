//! `linq-fake`: the fake Linq as a server of its own, for the tests of services in any language.
//!
//! It prints the base URL and the integration token as `NAME=value` lines on standard output,
//! then serves until Ctrl-C or SIGTERM. See `linq-fake --help`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use linq_api::types::ContactFields;
use linq_fake::FakeLinq;

/// A fake of Linq's Partner API V2 Contacts endpoints, in memory, on 127.0.0.1.
///
/// On start it prints, on standard output, one `NAME=value` line each:
///
///   LINQ_BASE_URL=http://127.0.0.1:4010
///   LINQ_INTEGRATION_TOKEN=<the token>
///
/// so that a test harness can read them (or a shell can `export` them) before it starts the
/// service under test. Send every request with the header `X-LINQ-INTEGRATION-TOKEN`. The fake
/// keeps everything in memory and forgets it when it stops: on Ctrl-C (SIGINT) or SIGTERM it
/// stops accepting connections, lets requests in flight finish, and exits with status 0.
#[derive(Debug, Parser)]
#[command(name = "linq-fake", version, verbatim_doc_comment)]
struct Args {
    /// The port to listen on, on 127.0.0.1 only; 0 picks a free port (read the URL printed).
    #[arg(long, default_value_t = 4010)]
    port: u16,

    /// The integration token the fake accepts. Default: a random one, printed.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,

    /// Start with N sample contacts (ids 1..=N; `Sample<i> Contact`, `sample<i>@example.com`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u32,

    /// Latency added to every answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
}

/// The sample contact number `i` of `--seed`.
fn sample(i: u32) -> ContactFields {
    ContactFields {
        first_name: Some(format!("Sample{i}")),
        last_name: Some("Contact".to_owned()),
        email: Some(format!("sample{i}@example.com")),
        phone_number: Some(format!("+1555{:07}", i % 10_000_000)),
        ..Default::default()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = FakeLinq::builder()
        .port(args.port)
        .latency(Duration::from_millis(args.latency_ms))
        // A long-running server: the request log would only grow.
        .record_requests(false);
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    for i in 1..=args.seed {
        builder = builder.contact(sample(i));
    }
    let fake = match builder.try_start().await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!(
                "linq-fake: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };

    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "LINQ_BASE_URL={}", fake.base_url())
        .and_then(|()| writeln!(out, "LINQ_INTEGRATION_TOKEN={}", fake.token()))
        .and_then(|()| out.flush());
    drop(out);
    if let Err(error) = printed {
        eprintln!("linq-fake: cannot write to standard output: {error}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "linq-fake: serving on {} (Ctrl-C or SIGTERM stops it)",
        fake.base_url()
    );

    if let Err(error) = stop_signal().await {
        eprintln!("linq-fake: cannot wait for a stop signal: {error}");
        return ExitCode::FAILURE;
    }
    fake.shutdown().await;
    eprintln!("linq-fake: stopped");
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C, or on SIGTERM where there are Unix signals.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
