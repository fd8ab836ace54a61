//! Every operation of the client, reads and writes, against Prism, an independent mock server
//! that answers with random replies generated from `openapi/linq-v2-contacts.yaml`: no reply the
//! spec allows may be refused as undecodable ([`Error::Decode`]). The writes send valid request
//! bodies, varied from call to call (which optional fields are set); the proxy validates each
//! request too, so a body ext builds that the spec refuses fails the run as well.
//!
//! `.ci/run` starts two Prism processes on 127.0.0.1 (pinned in `.ci/tools`) and runs this with
//! the URL of the second in `LINQ_PRISM_URL`:
//!
//! ```text
//! prism mock --dynamic   (random replies from the spec's schemas)
//!   ↑
//! prism proxy --errors   (validates each reply against the spec: one that is not
//!   ↑                     schema-valid becomes a 500 problem+json "VIOLATIONS")
//! this example
//! ```
//!
//! The proxy is there because Prism's generator sometimes writes replies the spec does not
//! allow (for `OtherWebhookEventType`, `{type: string, not: {...}}`, it writes `true` or a
//! number): the client may refuse those. Each reply is therefore one of:
//! - decoded: counted;
//! - decoded, then refused by `list` because it is another page than the one asked for
//!   ([`Error::WrongPage`]: Prism's `current_page` is random; no schema can tie a reply to its
//!   request): counted as decoded;
//! - refused by the validating proxy (not schema-valid): counted apart, not a failure;
//! - refused by the client as undecodable although the proxy passed it: **a failure**;
//! - anything else (a transport error, another status, the proxy's refusal of a request ext
//!   built): a failure too.
//!
//! It exits non-zero on any failure, when an operation decoded fewer than [`MIN_DECODED`]
//! replies (so a check that could not really run never passes), and when an operation of the
//! spec (`linq_api::spec::OPERATIONS`) was not called at all.
//!
//! ```sh
//! LINQ_PRISM_URL=http://127.0.0.1:4011 cargo run -p linq-api-ext --example against_prism
//! ```
//! `LINQ_PRISM_CALLS` sets the calls per operation (default 200, writes included: the run is
//! bound by Prism's reply time, about a second per hundred calls).

use std::{collections::BTreeMap, process::ExitCode, time::Duration};

use linq_api::spec::{self, Operation};
use linq_api_ext::{ContactId, Error, LinqClient, RetryPolicy, WebhookSubscriptionId};

/// The environment variable with the validating proxy's base URL.
const URL_ENV: &str = "LINQ_PRISM_URL";
/// The environment variable with the number of calls per operation.
const CALLS_ENV: &str = "LINQ_PRISM_CALLS";
/// Calls per operation unless `LINQ_PRISM_CALLS` says otherwise.
const DEFAULT_CALLS: u32 = 200;
/// The fewest decoded replies per operation for the run to count.
const MIN_DECODED: u32 = 5;
/// The `type` of the problem+json a validating Prism proxy answers for a reply that breaks
/// the spec.
const VIOLATIONS: &str = "https://stoplight.io/prism/errors#VIOLATIONS";

/// What became of one operation's calls.
#[derive(Default)]
struct Tally {
    decoded: u32,
    wrong_page: u32,
    schema_invalid: u32,
    failures: Vec<String>,
}

/// The tally of each operation, by the spec's operationId, so that one left out is seen.
#[derive(Default)]
struct Tallies(BTreeMap<&'static str, Tally>);

impl Tallies {
    /// Counts the outcome of one call of `operation`.
    fn record<T>(&mut self, operation: Operation, outcome: Result<T, Error>) {
        self.0
            .entry(operation.id)
            .or_default()
            .record(operation.id, outcome);
    }
}

impl Tally {
    fn record<T>(&mut self, what: &str, outcome: Result<T, Error>) {
        match outcome {
            Ok(_) => self.decoded += 1,
            Err(Error::WrongPage { .. }) => self.wrong_page += 1,
            Err(e) if is_violation(&e) => self.schema_invalid += 1,
            Err(Error::Decode {
                status,
                message,
                snippet,
                ..
            }) => self.failures.push(format!(
                "{what}: a schema-valid reply ({}) was refused as undecodable: {message}\n      \
                 body starts: {snippet}",
                status.map_or("no status".to_owned(), |s| s.to_string()),
            )),
            Err(other) => self.failures.push(format!("{what}: {other}")),
        }
    }
}

/// Whether `error` is the validating proxy's answer to a reply the spec does not allow.
fn is_violation(error: &Error) -> bool {
    error.api_error().is_some_and(|api| {
        api.status().as_u16() == 500 && api.body_snippet().is_some_and(|b| b.contains(VIOLATIONS))
    })
}

/// A small deterministic generator (xorshift64*), so that runs repeat.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `1..=max`.
    fn up_to(&mut self, max: u64) -> u64 {
        1 + self.next() % max.max(1)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("against_prism: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, String> {
    let url = std::env::var(URL_ENV).map_err(|_| format!("{URL_ENV} is not set"))?;
    let calls = match std::env::var(CALLS_ENV) {
        Ok(n) => n
            .parse::<u32>()
            .ok()
            .filter(|&n| n >= MIN_DECODED)
            .ok_or_else(|| format!("{CALLS_ENV} must be a number of at least {MIN_DECODED}"))?,
        Err(_) => DEFAULT_CALLS,
    };
    let linq = LinqClient::builder()
        // Prism's security check accepts any value of the token header.
        .token("prism-accepts-any-token")
        .base_url(url.as_str())
        // One attempt per call: the proxy's 500 for a schema-invalid reply is not retried.
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build a client for {url}: {e}"))?;

    let mut numbers = Numbers(0x9E37_79B9_7F4A_7C15);
    let mut tallies = Tallies::default();
    let contacts = linq.contacts();
    let subscriptions = linq.webhook_subscriptions();
    for n in 0..calls {
        let id = ContactId::new(numbers.up_to(1_000_000)).ok_or("a contact id of 0")?;
        tallies.record(spec::GET_CONTACT, contacts.get(id).send().await);

        let page = numbers.up_to(50);
        let per_page = numbers.up_to(linq_api_ext::MAX_PER_PAGE);
        tallies.record(
            spec::LIST_CONTACTS,
            contacts.list().page(page).per_page(per_page).send().await,
        );

        let find = contacts.find();
        let find = match n % 3 {
            0 => find.email(format!("ada{n}@example.com")),
            1 => find.phone_number(format!("+1 555 010 {:04}", n % 10_000)),
            _ => find
                .email(format!("ada{n}@example.com"))
                .phone_number("+44 20 7946 0958"),
        };
        tallies.record(spec::FIND_CONTACT, find.send().await);

        // Writes: each optional field set on some calls and not on others.
        let mut create = contacts.create().first_name(format!("Ada{n}"));
        if n % 2 == 0 {
            create = create.email(format!("ada{n}@example.com"));
        }
        if n % 3 == 0 {
            create = create
                .phone_number("+1 (555) 010-0100")
                .company("Analytical Engines")
                .title("Mathematician")
                .location("London");
        }
        if n % 5 == 0 {
            create = create.last_name("Lovelace").user_email("owner@example.com");
        }
        tallies.record(spec::CREATE_CONTACT, create.send().await);

        let mut update = contacts.update(id).last_name(format!("Lovelace{n}"));
        if n % 2 == 1 {
            update = update
                .title("Countess")
                .email(format!("ada{n}@example.org"));
        }
        tallies.record(spec::UPDATE_CONTACT, update.send().await);

        let mut patch = contacts
            .patch(id)
            .phone_number(format!("+1 555 010 {:04}", n % 10_000));
        if n % 2 == 0 {
            patch = patch
                .company("Babbage & Co")
                .user_email("owner@example.com");
        }
        tallies.record(spec::PATCH_CONTACT, patch.send().await);

        tallies.record(spec::DELETE_CONTACT, contacts.delete(id).send().await);

        tallies.record(
            spec::LIST_WEBHOOK_SUBSCRIPTIONS,
            subscriptions.list().send().await,
        );

        let mut subscribe = subscriptions
            .create()
            .webhook_url(format!("https://hooks.example.com/linq/{n}"))
            .event("contact.created");
        if n % 2 == 0 {
            subscribe = subscribe.secret(format!("whsec-{n}-not-a-real-secret"));
        }
        if n % 3 == 0 {
            subscribe = subscribe
                .events(["contact.updated", "contact.deleted"])
                .active(n % 6 == 0);
        }
        tallies.record(spec::CREATE_WEBHOOK_SUBSCRIPTION, subscribe.send().await);

        let subscription =
            WebhookSubscriptionId::new(numbers.up_to(1_000_000)).ok_or("a subscription id of 0")?;
        let mut resubscribe = subscriptions
            .update(subscription)
            .webhook_url(format!("https://hooks.example.com/linq/{n}/v2"))
            .events(["contact.created", "contact.updated"]);
        if n % 2 == 1 {
            resubscribe = resubscribe
                .secret(format!("whsec-{n}-rotated"))
                .active(true);
        }
        tallies.record(spec::UPDATE_WEBHOOK_SUBSCRIPTION, resubscribe.send().await);

        tallies.record(
            spec::DELETE_WEBHOOK_SUBSCRIPTION,
            subscriptions.delete(subscription).send().await,
        );
    }

    let mut passed = true;
    for operation in spec::OPERATIONS {
        if !tallies.0.contains_key(operation.id) {
            println!("{}: never called", operation.id);
            passed = false;
        }
    }
    for (operation, tally) in &tallies.0 {
        println!(
            "{operation}: {calls} calls, {} decoded ({} of them another page than asked), {} \
             schema-invalid replies refused by the validating proxy, {} failures",
            tally.decoded + tally.wrong_page,
            tally.wrong_page,
            tally.schema_invalid,
            tally.failures.len()
        );
        for failure in tally.failures.iter().take(5) {
            println!("    {failure}");
        }
        if !tally.failures.is_empty() {
            passed = false;
        }
        if tally.decoded + tally.wrong_page < MIN_DECODED {
            println!("    fewer than {MIN_DECODED} replies decoded: the check did not really run");
            passed = false;
        }
    }
    println!(
        "against_prism: {}",
        if passed {
            "every schema-valid reply decoded"
        } else {
            "FAILED"
        }
    );
    Ok(passed)
}
