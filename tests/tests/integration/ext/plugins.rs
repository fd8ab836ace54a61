//! What services plug in around each attempt: interceptors, OpenTelemetry spans and trace
//! context, rate limits shared by the calls of a client, and the client-wide retry quota.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::future::BoxFuture;
use linq_api_ext::{
    AttemptOutcome, AttemptRequest, BoxError, ContactId, Error, Interceptor, LinqClient,
    LocalRateLimiter, RedisRateLimiter, RetryBudget, RetryPolicy,
};
use linq_fake::{FakeLinq, Operation, Reply};
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

use crate::support::{builder_of, path_of};
use linq_api::spec;

/// A client of `fake` with fast retries and the given interceptors.
fn client_with(fake: &FakeLinq, interceptors: Vec<Arc<dyn Interceptor>>) -> LinqClient {
    let mut builder = builder_of(fake);
    for interceptor in interceptors {
        builder = builder.interceptor(interceptor);
    }
    builder.build().expect("a client of the fake builds")
}

/// A client of `fake` with `interceptors`, and Ada, created through it; the request log is
/// cleared after.
async fn with_ada(
    fake: &FakeLinq,
    interceptors: Vec<Arc<dyn Interceptor>>,
) -> (LinqClient, linq_api_ext::Contact) {
    let linq = client_with(fake, interceptors);
    let create = linq.contacts().create().email("ada@example.com");
    let ada = create.await.unwrap();
    fake.clear_requests();
    (linq, ada)
}

/// What an interceptor saw of an attempt: its number, status and error type.
type Seen = (u32, Option<u16>, Option<String>);

/// Adds `x-tenant`, and records each attempt's number and status.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
    before: Mutex<Vec<u32>>,
}

impl Interceptor for Recorder {
    fn before_attempt<'a>(
        &'a self,
        request: &'a mut AttemptRequest<'_>,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            // Async work before the attempt (a token refresh, say).
            tokio::task::yield_now().await;
            assert!(
                request.headers().is_empty(),
                "the token is not shown to an interceptor"
            );
            self.before.lock().unwrap().push(request.attempt());
            request.headers_mut().insert("x-tenant", "acme".parse()?);
            Ok(())
        })
    }

    fn after_attempt(&self, outcome: &AttemptOutcome<'_>) {
        self.seen.lock().unwrap().push((
            outcome.attempt(),
            outcome.status().map(|s| s.as_u16()),
            outcome.error_type().map(|e| e.into_owned()),
        ));
    }
}

#[tokio::test]
async fn an_interceptor_adds_a_header_and_sees_every_attempt() {
    let fake = FakeLinq::start().await;
    let recorder = Arc::new(Recorder::default());
    let (linq, ada) = with_ada(&fake, vec![recorder.clone()]).await;
    recorder.seen.lock().unwrap().clear();
    recorder.before.lock().unwrap().clear();
    fake.script(
        Operation::GetContact,
        [Reply::status(503), Reply::status(503)],
    );
    let got = linq.contacts().get(ada.id).await.unwrap();
    assert_eq!(got.id, ada.id);
    // Every attempt carried the header, as the fake received it.
    let requests = fake.requests_for(Operation::GetContact);
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.headers["x-tenant"], "acme");
    }
    assert_eq!(*recorder.before.lock().unwrap(), [1, 2, 3]);
    assert_eq!(
        *recorder.seen.lock().unwrap(),
        [
            (1, Some(503), Some("503".to_owned())),
            (2, Some(503), Some("503".to_owned())),
            (3, Some(200), None),
        ]
    );
}

/// Refuses every attempt, as an interceptor whose token refresh failed would.
struct Refuses;

impl Interceptor for Refuses {
    fn before_attempt<'a>(
        &'a self,
        _request: &'a mut AttemptRequest<'_>,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async { Err("the token could not be refreshed".into()) })
    }
}

#[tokio::test]
async fn an_interceptor_error_stops_the_call_and_sends_nothing() {
    let fake = FakeLinq::start().await;
    let linq = client_with(&fake, vec![Arc::new(Refuses)]);
    let err = linq.contacts().create().email("ada@example.com").await.unwrap_err();
    match &err {
        Error::Interceptor { attempts, .. } => assert_eq!(*attempts, 0),
        other => panic!("{other:?}"),
    }
    assert!(!err.may_have_taken_effect());
    assert_eq!(
        err.to_string(),
        "an interceptor stopped the call after 0 attempt(s): the token could not be refreshed"
    );
    assert!(fake.requests().is_empty(), "nothing was sent");
}

/// The spans the OpenTelemetry bridge exported while `run` ran, with the fake's request log.
async fn traced<F, Fut>(run: F) -> Vec<SpanData>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tests")));
    {
        let _guard = tracing::subscriber::set_default(subscriber);
        run().await;
    }
    provider.force_flush().unwrap();
    exporter
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|s| s.name.starts_with("linq.call") || s.span_kind == SpanKind::Client)
        .collect()
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

#[tokio::test(flavor = "current_thread")]
async fn each_attempt_is_an_opentelemetry_http_client_span_with_its_trace_context() {
    let fake = FakeLinq::start().await;
    let (linq, ada) = with_ada(&fake, Vec::new()).await;
    fake.script(Operation::GetContact, [Reply::status(503)]);
    let spans = traced(|| async {
        linq.contacts().get(ada.id).await.unwrap();
    })
    .await;
    let call = spans.iter().find(|s| s.name == "linq.call").expect("the call's span");
    assert_ne!(call.span_kind, SpanKind::Client, "the call is no HTTP span");
    let mut attempts: Vec<&SpanData> =
        spans.iter().filter(|s| s.span_kind == SpanKind::Client).collect();
    attempts.sort_by_key(|s| s.start_time);
    assert_eq!(attempts.len(), 2, "{spans:#?}");
    let port = fake.addr().port().to_string();
    for (n, span) in attempts.iter().enumerate() {
        assert_eq!(span.name, format!("GET {}", spec::GET_CONTACT.path));
        assert_eq!(span.parent_span_id, call.span_context.span_id());
        assert_eq!(
            attribute(span, "http.request.method").as_deref(),
            Some("GET")
        );
        assert_eq!(
            attribute(span, "server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(attribute(span, "server.port"), Some(port.clone()));
        let url = attribute(span, "url.full").expect("url.full");
        assert!(url.ends_with(&path_of(&spec::GET_CONTACT, ada.id)), "{url}");
        let resend = attribute(span, "http.request.resend_count");
        assert_eq!(resend, (n > 0).then(|| n.to_string()), "attempt {}", n + 1);
    }
    assert_eq!(
        attribute(attempts[0], "http.response.status_code").as_deref(),
        Some("503")
    );
    assert_eq!(attribute(attempts[0], "error.type").as_deref(), Some("503"));
    assert!(matches!(attempts[0].status, Status::Error { .. }));
    assert_eq!(
        attribute(attempts[1], "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(attribute(attempts[1], "error.type"), None);

    // Each attempt sent its own span's W3C trace context.
    let requests = fake.requests_for(Operation::GetContact);
    assert_eq!(requests.len(), 2);
    for (request, span) in requests.iter().zip(&attempts) {
        let context = span.span_context.clone();
        let expected = format!(
            "00-{}-{}-{:02x}",
            context.trace_id(),
            context.span_id(),
            context.trace_flags().to_u8()
        );
        assert_eq!(request.headers["traceparent"], expected.as_str());
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_span_attribute_carries_an_email_or_a_phone_number() {
    let fake = FakeLinq::start().await;
    let linq = client_with(&fake, Vec::new());
    fake.script(
        Operation::FindContact,
        std::iter::repeat_n(Reply::status(500), 3),
    );
    let spans = traced(|| async {
        let by_both = linq.contacts().find().email("ada@example.com");
        let err = by_both.phone_number("+15551234567").await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    })
    .await;
    assert!(spans.iter().any(|s| s.span_kind == SpanKind::Client));
    for span in &spans {
        for kv in &span.attributes {
            let value = kv.value.to_string();
            assert!(
                !value.contains("ada") && !value.contains("5551234567"),
                "{} = {value}",
                kv.key
            );
        }
    }
    let url = spans.iter().find_map(|s| attribute(s, "url.full")).expect("url.full");
    assert!(
        url.contains("email=REDACTED") && url.contains("phone_number=REDACTED"),
        "{url}"
    );
}

#[tokio::test]
async fn a_429_pauses_every_call_of_the_client() {
    let fake = FakeLinq::start().await;
    let linq = builder_of(&fake).retry_policy(RetryPolicy::none()).build().unwrap();
    fake.script(
        Operation::ListWebhookSubscriptions,
        [Reply::status(429).header("retry-after-ms", "400")],
    );
    let err = linq.webhook_subscriptions().list().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    let limited_at = std::time::Instant::now();
    // Another call of the same client, at once: it waits for the pause before it is sent.
    linq.contacts().list().await.unwrap();
    assert!(limited_at.elapsed() >= Duration::from_millis(350));
    assert_eq!(fake.requests_for(Operation::ListContacts).len(), 1);
}

#[tokio::test]
async fn a_local_rate_limiter_spaces_the_attempts_of_every_task() {
    let fake = FakeLinq::start().await;
    let limiter = Arc::new(LocalRateLimiter::per_second(10).unwrap().burst(1).unwrap());
    let linq = builder_of(&fake).rate_limiter(limiter).build().unwrap();
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..4).map(|_| tokio::spawn(linq.contacts().list().send())).collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // Four requests at 10 a second, one at a time: at least three tenths of a second.
    assert!(started.elapsed() >= Duration::from_millis(290));
    assert_eq!(fake.requests_for(Operation::ListContacts).len(), 4);
    assert!(LocalRateLimiter::per_second(0).is_err());
}

#[tokio::test]
async fn the_retry_quota_stops_retries_once_spent_and_refills_on_success() {
    let fake = FakeLinq::start().await;
    let policy = RetryPolicy::default()
        .max_retries(2)
        .initial_backoff(Duration::from_millis(1))
        .retry_budget(RetryBudget::new(10).retry_cost(5).success_refund(1));
    let linq = builder_of(&fake).retry_policy(policy).build().unwrap();
    let id = ContactId::new(1).unwrap();
    fake.script(
        Operation::GetContact,
        std::iter::repeat_n(Reply::status(503), 10),
    );
    // Two retries take the whole quota of 10.
    let first = linq.contacts().get(id).await.unwrap_err();
    assert_eq!(first.attempts(), 3);
    // Now no retry is left: one attempt only.
    let second = linq.contacts().get(id).await.unwrap_err();
    assert_eq!(second.attempts(), 1);
    assert_eq!(fake.requests_for(Operation::GetContact).len(), 4);
    // Five successes give back five tokens: one retry again.
    fake.clear_scripts();
    for _ in 0..5 {
        linq.contacts().list().await.unwrap();
    }
    fake.script(
        Operation::GetContact,
        std::iter::repeat_n(Reply::status(503), 10),
    );
    let third = linq.contacts().get(id).await.unwrap_err();
    assert_eq!(third.attempts(), 2);
    // Without a quota, the policy alone decides.
    let unlimited = builder_of(&fake)
        .retry_policy(
            RetryPolicy::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(1))
                .no_retry_budget(),
        )
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            unlimited.contacts().get(id).await.unwrap_err().attempts(),
            3
        );
    }
}

/// A `redis-server` of its own on 127.0.0.1 (installed by `.ci/run`), stopped when dropped.
struct Redis {
    child: std::process::Child,
    url: String,
}

impl Redis {
    async fn start() -> Redis {
        let port = free_port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (.ci/run installs Debian's redis-server)");
        let redis = Redis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        // Up to ten seconds for it to listen.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return redis;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not listen on 127.0.0.1:{port}");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_rate_limit_through_redis() {
    let redis = Redis::start().await;
    let fake = FakeLinq::start().await;
    // Two replicas of a service: two clients, each with its own limiter on the same key.
    let replica = || {
        let limiter = RedisRateLimiter::new(&redis.url, "linq:test", 10).unwrap().burst(1).unwrap();
        builder_of(&fake).rate_limiter(Arc::new(limiter)).build().unwrap()
    };
    let (a, b) = (replica(), replica());
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..3)
        .flat_map(|_| {
            [
                tokio::spawn(a.contacts().list().send()),
                tokio::spawn(b.contacts().list().send()),
            ]
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // Six requests under one budget of 10 a second, evenly spaced: at least half a second,
    // which neither replica alone would have waited (each sent three).
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert_eq!(fake.requests_for(Operation::ListContacts).len(), 6);
    assert!(RedisRateLimiter::new("not a url", "k", 1).is_err());
    assert!(
        !format!("{:?}", RedisRateLimiter::new(&redis.url, "k", 1).unwrap()).contains("redis://")
    );
}

#[tokio::test]
async fn an_unreachable_redis_never_fails_a_call() {
    let fake = FakeLinq::start().await;
    let nowhere = format!("redis://127.0.0.1:{}", free_port());
    let limiter = RedisRateLimiter::new(&nowhere, "linq:test", 100).unwrap();
    let linq = builder_of(&fake).rate_limiter(Arc::new(limiter)).build().unwrap();
    for _ in 0..3 {
        linq.contacts().list().await.unwrap();
    }
    assert_eq!(fake.requests_for(Operation::ListContacts).len(), 3);
}
