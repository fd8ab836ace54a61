//! What `linq-api-ext` logs through `tracing`: a span per call and an event per attempt, with
//! the operation, attempt, status and request id — and never the token or personal data.
//!
//! A test binary of its own: the subscriber is installed globally (once, at trace level, for
//! every test here) before the client runs, so no other test can have cached the callsites'
//! interest without it.

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

use futures_util::TryStreamExt;
use httpmock::MockServer;
use linq_api::mock::MockServerExt;
use linq_api_ext::LinqClient;
use opentelemetry_sdk::metrics::{
    data::{AggregatedMetrics, MetricData},
    InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
};
use serde_json::json;
use tracing::Instrument;
use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, Layer};

// The fixtures every integration test shares (token, John Doe, Linq's documented bodies).
#[allow(dead_code)]
#[path = "integration/support.rs"]
mod support;
use support::{id, page_json, TOKEN};

/// The meter provider of this binary (installed globally with the subscriber, before any
/// call) and its in-memory exporter.
fn metrics() -> &'static (SdkMeterProvider, InMemoryMetricExporter) {
    static METRICS: OnceLock<(SdkMeterProvider, InMemoryMetricExporter)> = OnceLock::new();
    METRICS.get_or_init(|| {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        (provider, exporter)
    })
}

/// Everything the client side logged so far, from every test of this binary.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    metrics();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        // Everything at every level, but the mock server's own traces: they print the headers
        // and queries it received, and they are the server's, not the client's.
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
        logs
    })
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn client_at(base_url: String) -> LinqClient {
    support::builder_at(base_url).build().unwrap()
}

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
    let logs = logs();
    let server = MockServer::start_async().await;
    server.get_contact(|when, then| {
        when.id(id(123));
        then.into_inner().status(503).header("x-request-id", "req-42");
    });
    let linq = client_at(server.base_url());
    let err =
        linq.contacts().get(linq_api_ext::ContactId::new(123).unwrap()).send().await.unwrap_err();
    assert_eq!(err.attempts(), 3);

    let logs = logs.text();
    // The span names the call...
    let call = format!(
        "linq.call{{operation=\"get_contact\" method=\"GET\" path=\"{}\"}}",
        linq_api::spec::GET_CONTACT.path
    );
    assert!(logs.contains(&call), "{logs}");
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
    let client_side: Vec<&str> = logs.lines().filter(|l| !l.contains(" httpmock::")).collect();
    assert!(
        client_side.iter().any(|l| l.contains("hyper_util::")),
        "the transport's traces are captured too: {logs}"
    );
    for line in client_side {
        assert!(!line.contains(TOKEN), "token leaked in the logs: {line}");
        assert!(!line.contains("SECRET"), "token leaked in the logs: {line}");
    }
}

/// Personal data the failing calls below send.
const EMAIL: &str = "ada.private@example.org";
const PHONE: &str = "+15557654321";
const NAME: &str = "Augusta-Private";

#[tokio::test]
async fn failing_find_create_and_update_log_and_show_no_personal_data() {
    let logs = logs();
    let server = MockServer::start_async().await;
    server.create_contact(|_, then| {
        then.into_inner().status(503).body("upstream failed");
    });
    server.update_contact(|when, then| {
        when.id(id(5));
        then.into_inner().status(422).json_body(json!({
            "status": "error", "error_code": "VALIDATION_ERROR",
            "message": "Contact validation failed", "errors": ["Email is invalid"]
        }));
    });
    let linq = client_at(server.base_url());
    // A find whose connection fails: the request's URL carries the email and phone number.
    let (_held, addr) = support::refusing_port();
    let refused = client_at(format!("http://{addr}"));

    let mut errors = Vec::new();
    errors
        .push(refused.contacts().find().email(EMAIL).phone_number(PHONE).send().await.unwrap_err());
    errors.push(
        linq.contacts()
            .create()
            .first_name(NAME)
            .email(EMAIL)
            .phone_number(PHONE)
            .send()
            .await
            .unwrap_err(),
    );
    errors.push(
        linq.contacts()
            .update(linq_api_ext::ContactId::new(5).unwrap())
            .last_name(NAME)
            .email(EMAIL)
            .send()
            .await
            .unwrap_err(),
    );
    // Refused before sending: the rule is named, not the value.
    errors.push(
        linq.contacts()
            .create()
            .first_name(NAME)
            .email(format!("{EMAIL} (work)"))
            .send()
            .await
            .unwrap_err(),
    );
    errors.push(
        linq.contacts().find().phone_number(format!("{PHONE} call me")).send().await.unwrap_err(),
    );
    assert_eq!(
        errors.iter().map(|e| e.attempts()).collect::<Vec<_>>(),
        [3, 1, 1, 0, 0],
        "{errors:?}"
    );

    let logs = logs.text();
    assert!(
        logs.contains("find_contact"),
        "the calls were traced: {logs}"
    );
    for secret in [EMAIL, PHONE, NAME, "ada.private", "5557654321"] {
        for error in &errors {
            let (shown, debug) = (error.to_string(), format!("{error:?}"));
            assert!(!shown.contains(secret), "{secret} in {shown}");
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        for line in logs.lines() {
            assert!(!line.contains(secret), "{secret} in the logs: {line}");
        }
    }
}

#[tokio::test]
async fn pages_fetched_ahead_are_traced_inside_the_callers_span() {
    let logs = logs();
    let server = MockServer::start_async().await;
    for n in 1..=3 {
        server.list_contacts(|when, then| {
            when.page(id(n));
            let page = page_json(vec![json!({"id": n})], n, 1, 3);
            then.into_inner().status(200).json_body(page);
        });
    }
    let linq = client_at(server.base_url());
    let ids: Vec<u64> = linq
        .contacts()
        .list()
        .per_page(1)
        .concurrency(3)
        .stream()
        .map_ok(|c| u64::from(c.id))
        .try_collect()
        .instrument(tracing::info_span!("nightly_export", job = 77))
        .await
        .unwrap();
    assert_eq!(ids, [1, 2, 3]);
    let logs = logs.text();
    let page_calls: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("operation=\"list_contacts\"") && l.contains("linq call succeeded"))
        .collect();
    assert_eq!(page_calls.len(), 3, "{logs}");
    for line in page_calls {
        assert!(line.contains("nightly_export{job=77}:linq.call"), "{line}");
    }
}

/// Each attempt's duration reaches the `http.client.request.duration` histogram (feature
/// `opentelemetry`) with OpenTelemetry's attributes, and never a value of the request.
#[tokio::test]
async fn each_attempt_is_recorded_in_the_request_duration_histogram() {
    let _ = logs();
    let server = MockServer::start_async().await;
    // Find first: an id-less get mock would match its path too.
    server.find_contact(|_, then| {
        then.into_inner().status(200).json_body(json!({"contact": null}));
    });
    server.get_contact(|when, then| {
        when.id(id(7));
        then.into_inner().status(503);
    });
    let linq = support::builder_at(server.base_url())
        .retry_policy(linq_api_ext::RetryPolicy::none())
        .build()
        .unwrap();
    let _ = linq.contacts().get(id(7).into()).send().await.unwrap_err();
    let none = linq.contacts().find().email("ada@example.com").send().await;
    assert!(none.unwrap().is_none());

    let (provider, exporter) = metrics();
    provider.force_flush().unwrap();
    let mut points = Vec::new();
    for resource in exporter.get_finished_metrics().unwrap() {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                if metric.name() != "http.client.request.duration" {
                    continue;
                }
                if let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data() {
                    for point in histogram.data_points() {
                        let attributes: Vec<(String, String)> = point
                            .attributes()
                            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
                            .collect();
                        points.push((attributes, point.count()));
                    }
                }
            }
        }
    }
    let port = server.address().port().to_string();
    let has = |attributes: &[(String, String)], key: &str, value: &str| {
        attributes.iter().any(|(k, v)| k == key && v == value)
    };
    // Other tests of this binary record too: this test's points are its server's.
    points.retain(|(a, _)| has(a, "server.port", &port));
    let failed = points.iter().find(|(a, _)| {
        has(a, "url.template", linq_api::spec::GET_CONTACT.path) && has(a, "error.type", "503")
    });
    let (attributes, count) = failed.expect("the 503's data point");
    assert!(*count >= 1);
    for (key, value) in [
        ("http.request.method", "GET"),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
        ("http.response.status_code", "503"),
    ] {
        assert!(has(attributes, key, value), "{key} in {attributes:?}");
    }
    let found = points.iter().find(|(a, _)| {
        has(a, "url.template", linq_api::spec::FIND_CONTACT.path)
            && has(a, "http.response.status_code", "200")
    });
    let (attributes, _) = found.expect("the find's data point");
    assert!(!attributes.iter().any(|(k, _)| k == "error.type"));
    let all = format!("{points:?}");
    assert!(
        !all.contains("ada"),
        "no personal data in the metrics: {all}"
    );
}
