//! What `linq-api-ext` logs through `tracing`: a span per call and an event per attempt, with
//! the operation, attempt, status and request id — and never the token.
//!
//! A test binary of its own: the subscriber is installed globally before the client runs, so
//! no other test can have cached the callsites' interest without it.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use httpmock::{Method::GET, MockServer};
use linq_api_ext::{LinqClient, RetryPolicy};
use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, Layer};

const TOKEN: &str = "tok-SECRET-0123456789";

/// A `tracing` writer that keeps everything written, to read the logs back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn calls_are_traced_without_the_token() {
    let logs = Captured::default();
    let writer = logs.clone();
    // Everything at every level, but the mock server's own traces: they print the headers it
    // received, the token among them, and they are the server's, not the client's.
    let client_side = filter_fn(|meta| !meta.target().starts_with("httpmock"));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_filter(client_side),
        ),
    )
    .unwrap();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/partner/v2/contacts/123");
            then.status(503).header("x-request-id", "req-42");
        })
        .await;
    let linq = LinqClient::builder()
        .token(TOKEN)
        .base_url(server.base_url())
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .jitter(false),
        )
        .build()
        .unwrap();
    let err = linq
        .contacts()
        .get(linq_api_ext::ContactId::new(123).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 3);

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The span names the call...
    assert!(logs.contains("linq.call{operation=\"get_contact\" method=\"GET\" path=\"/api/partner/v2/contacts/{id}\"}"), "{logs}");
    // ...each attempt is an event with its number, status, time and request id...
    for attempt in 1..=3 {
        assert!(
            logs.contains(&format!("attempt={attempt} status=503 elapsed_ms=")),
            "{logs}"
        );
    }
    assert!(logs.contains("request_id=\"req-42\""), "{logs}");
    // ...each retry says how long it waits...
    assert!(
        logs.contains("retrying linq call attempt=1 wait_ms=5"),
        "{logs}"
    );
    assert!(
        logs.contains("retrying linq call attempt=2 wait_ms=10"),
        "{logs}"
    );
    // ...and nothing the client side logs shows the token, not even reqwest's and hyper's own
    // trace output. (The mock server's own traces print the headers it received; they are
    // the server's, so they are left out.)
    let client_side: Vec<&str> = logs
        .lines()
        .filter(|l| !l.contains(" httpmock::"))
        .collect();
    assert!(
        client_side.iter().any(|l| l.contains("hyper_util::")),
        "the transport's traces are captured too: {logs}"
    );
    for line in client_side {
        assert!(!line.contains(TOKEN), "token leaked in the logs: {line}");
        assert!(!line.contains("SECRET"), "token leaked in the logs: {line}");
    }
}
