//! `linq-fake`: the fake Linq as a server of its own, for the tests of services in any language.
//!
//! It prints the base URL and the integration token as `NAME=value` lines on standard output,
//! then serves until Ctrl-C or SIGTERM. See `linq-fake --help`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use linq_api::types::ContactFields;
use linq_fake::{DeliveryPolicy, Duplicates, FakeLinq, Organization, RateLimit};

/// A fake of Linq's Partner API V2 Contacts and Webhook Subscriptions endpoints, in memory, on
/// 127.0.0.1, which delivers contact events to subscribed loopback URLs.
///
/// On start it prints, on standard output, one `NAME=value` line each:
///
///   LINQ_BASE_URL=http://127.0.0.1:4010
///   LINQ_INTEGRATION_TOKEN=<the token>
///
/// (and LINQ_INTEGRATION_TOKEN_2=…, _3=… for each further --token: organizations that see only
/// their own contacts), so that a test harness can read them (or a shell can `export` them)
/// before it starts the service under test. Send every request with the header
/// `X-LINQ-INTEGRATION-TOKEN`. The fake keeps everything in memory and forgets it when it
/// stops: on Ctrl-C (SIGINT) or SIGTERM it stops accepting connections, lets requests in flight
/// finish, and exits with status 0.
///
/// Webhooks: every contact create, update and delete made through the API is POSTed, in the V2
/// envelope, to each active subscription listing its event type, signed with
/// `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>` when the subscription has a
/// secret. Only loopback URLs (127.0.0.0/8, [::1], localhost) are sent to; others are stored but
/// never called. A non-2xx answer, a timeout or a failed connection is retried (see the
/// --webhook-* options).
#[derive(Debug, Parser)]
#[command(name = "linq-fake", version, verbatim_doc_comment)]
struct Args {
    /// The port to listen on, on 127.0.0.1 only; 0 picks a free port (read the URL printed).
    #[arg(long, default_value_t = 4010)]
    port: u16,

    /// The integration token the fake accepts. Repeat it for several organizations, each of
    /// which sees only its own contacts and has its own user: owner@company.com for the
    /// first, owner@organization<N>.example for the Nth. Default: one organization with a
    /// random token.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// Start with N sample contacts in the first organization (`Sample<i> Contact`,
    /// `sample<i>@example.com`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u32,

    /// At most N requests per SECONDS per organization (a burst of N, then one every
    /// SECONDS/N); past it, a 429 with Retry-After. Example: --rate-limit 10/1.
    #[arg(long, value_name = "N/SECONDS", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,

    /// What create, PUT and PATCH do with an email or phone number another contact of the
    /// organization has: allow it, reject it (422 VALIDATION_ERROR) or conflict (409
    /// DUPLICATE_CONTACT).
    #[arg(long, value_enum, default_value_t = DuplicatesArg::Allow)]
    duplicates: DuplicatesArg,

    /// Latency added to every answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,

    /// Webhook deliveries: attempts per event in all, the first included (1: no retry).
    #[arg(long, value_name = "N", default_value_t = DeliveryPolicy::default().max_attempts(),
          value_parser = clap::value_parser!(u32).range(1..))]
    webhook_attempts: u32,

    /// Webhook deliveries: the wait before the first retry, in milliseconds; it doubles for
    /// each further retry (at most 60 s). 0 retries at once.
    #[arg(long, value_name = "MS", default_value_t = millis(DeliveryPolicy::default().first_backoff()))]
    webhook_backoff_ms: u64,

    /// Webhook deliveries: how long a receiver has to answer one attempt, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = millis(DeliveryPolicy::default().attempt_timeout()),
          value_parser = clap::value_parser!(u64).range(1..))]
    webhook_timeout_ms: u64,
}

/// A duration in whole milliseconds, for the defaults shown by `--help`.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `--duplicates`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DuplicatesArg {
    Allow,
    Reject,
    Conflict,
}

impl From<DuplicatesArg> for Duplicates {
    fn from(arg: DuplicatesArg) -> Duplicates {
        match arg {
            DuplicatesArg::Allow => Duplicates::Allow,
            DuplicatesArg::Reject => Duplicates::Reject,
            DuplicatesArg::Conflict => Duplicates::Conflict,
        }
    }
}

/// `N/SECONDS`, N ≥ 1 and SECONDS > 0 (fractions allowed: `5/0.5`).
fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (requests, seconds) = text
        .split_once('/')
        .ok_or_else(|| "expected N/SECONDS, such as 10/1".to_owned())?;
    let requests: u32 = requests
        .trim()
        .parse()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| "N must be a whole number of requests, at least 1".to_owned())?;
    let per = seconds
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "SECONDS must be a number of seconds greater than 0".to_owned())?;
    Ok(RateLimit::new(requests, per))
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
        .duplicates(args.duplicates.into())
        .delivery_policy(
            DeliveryPolicy::new()
                .attempts(args.webhook_attempts)
                .backoff(Duration::from_millis(args.webhook_backoff_ms))
                .timeout(Duration::from_millis(args.webhook_timeout_ms)),
        )
        // A long-running server: the request log would only grow.
        .record_requests(false);
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit);
    }
    let mut tokens = args.tokens.into_iter();
    if let Some(token) = tokens.next() {
        builder = builder.token(token);
    }
    for token in tokens {
        builder = builder.organization(Organization::new(token));
    }
    for i in 1..=args.seed {
        builder = builder.contact(sample(i));
    }
    let fake = match builder.try_start().await {
        Ok(fake) => fake,
        Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("linq-fake: {error}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!(
                "linq-fake: cannot listen on 127.0.0.1:{}: {error}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };

    if let Err(error) = print_settings(&fake) {
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

/// The `NAME=value` lines on standard output, flushed.
fn print_settings(fake: &FakeLinq) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "LINQ_BASE_URL={}", fake.base_url())?;
    for (i, token) in fake.tokens().iter().enumerate() {
        match i {
            0 => writeln!(out, "LINQ_INTEGRATION_TOKEN={token}")?,
            _ => writeln!(out, "LINQ_INTEGRATION_TOKEN_{}={token}", i + 1)?,
        }
    }
    out.flush()
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
