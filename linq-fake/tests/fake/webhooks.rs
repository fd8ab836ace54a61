//! Webhook subscriptions and deliveries of the fake, through its public API only: the generated
//! client for the four operations, receivers on 127.0.0.1 for the deliveries.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use linq_api::types::{
    ContactFields, ContactInput, ErrorBody, KnownWebhookEventType, WebhookEvent, WebhookEventType,
    WebhookSubscriptionInput, WebhookSubscriptionRequest,
};
use linq_fake::{DeliveryOutcome, DeliveryPolicy, FakeLinq, Organization, SIGNATURE_HEADER};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::Notify;

/// The bound on every wait for deliveries: generous, never reached when the fake works.
const WAIT: Duration = Duration::from_secs(10);

const SECRET: &str = "whsec-test-0b1f-do-not-log";

fn contact_events() -> Vec<WebhookEventType> {
    [
        KnownWebhookEventType::ContactCreated,
        KnownWebhookEventType::ContactUpdated,
        KnownWebhookEventType::ContactDeleted,
    ]
    .into_iter()
    .map(WebhookEventType::KnownWebhookEventType)
    .collect()
}

fn subscription(url: &str, secret: Option<&str>) -> WebhookSubscriptionRequest {
    WebhookSubscriptionRequest {
        webhook_subscription: WebhookSubscriptionInput {
            webhook_url: url.to_owned(),
            version: linq_api::types::WebhookSubscriptionInputVersion::try_from(2)
                .expect("2 is the spec's only version"),
            secret: secret.map(str::to_owned),
            active: None,
            events: contact_events(),
        },
    }
}

fn ada() -> ContactInput {
    ContactInput {
        contact: ContactFields {
            first_name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            ..Default::default()
        },
        user_email: None,
    }
}

/// What a receiver does with one delivery.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Waits until [`Receiver::release`], then 200.
    Hold,
    /// 200 with a body that never ends.
    Endless,
}

#[derive(Default)]
struct Log {
    script: VecDeque<Answer>,
    received: Vec<(HeaderMap, Bytes)>,
}

/// A webhook receiver on 127.0.0.1: answers 200 unless scripted, and keeps what it received.
struct Receiver {
    url: String,
    log: Arc<Mutex<Log>>,
    release: Arc<Notify>,
}

impl Receiver {
    async fn start(script: impl IntoIterator<Item = Answer>) -> Receiver {
        let log = Arc::new(Mutex::new(Log {
            script: script.into_iter().collect(),
            received: Vec::new(),
        }));
        let release = Arc::new(Notify::new());
        let state = (Arc::clone(&log), Arc::clone(&release));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            log,
            release,
        }
    }

    fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.log.lock().unwrap().received.clone()
    }

    fn release(&self) {
        self.release.notify_waiters();
        self.release.notify_one();
    }
}

type ReceiverState = (Arc<Mutex<Log>>, Arc<Notify>);

async fn receive(
    State((log, release)): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let answer = {
        let mut log = log.lock().unwrap();
        log.received.push((headers, body));
        log.script.pop_front().unwrap_or(Answer::Status(200))
    };
    match answer {
        Answer::Status(status) => StatusCode::from_u16(status)
            .expect("a test status")
            .into_response_with_empty_body(),
        Answer::Hold => {
            release.notified().await;
            StatusCode::OK.into_response_with_empty_body()
        }
        Answer::Endless => {
            let chunk = Bytes::from(vec![b'x'; 16 * 1024]);
            let stream =
                futures_util::StreamExt::map(futures_util::stream::repeat(chunk), |chunk| {
                    Ok::<_, std::io::Error>(chunk)
                });
            axum::response::Response::new(axum::body::Body::from_stream(stream))
        }
    }
}

trait EmptyBody {
    fn into_response_with_empty_body(self) -> axum::response::Response;
}

impl EmptyBody for StatusCode {
    fn into_response_with_empty_body(self) -> axum::response::Response {
        let mut response = axum::response::Response::new(axum::body::Body::empty());
        *response.status_mut() = self;
        response
    }
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn declared_error(error: linq_api::Error<ErrorBody>) -> (u16, linq_api::types::StandardError) {
    match error {
        linq_api::Error::ErrorResponse(response) => {
            let status = response.status().as_u16();
            match response.into_inner() {
                ErrorBody::StandardError(body) => (status, body),
                other => panic!("expected the StandardError format, got {other:?}"),
            }
        }
        other => panic!("expected a declared error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_four_subscription_operations_through_the_generated_client() {
    let fake = FakeLinq::builder()
        .organization(Organization::new("other-organization-token"))
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");

    let created = linq
        .create_webhook_subscription(&subscription(
            "https://example.com/webhooks/linq",
            Some(SECRET),
        ))
        .await
        .expect("created");
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner().webhook_subscription;
    assert_eq!(created.webhook_url, "https://example.com/webhooks/linq");
    assert_eq!(created.events, contact_events());
    assert_eq!(created.version, Some(2));
    assert_eq!(created.active, Some(true));
    assert_eq!(created.secret_configured, Some(true));
    assert_eq!(created.last_delivered_at, None);
    assert_eq!(created.delivery_attempts, Some(0));
    assert!(created.created_at.is_some() && created.updated_at.is_some());
    let listed = linq.list_webhook_subscriptions().await.expect("listed");
    assert_eq!(
        listed.into_inner().webhook_subscriptions,
        vec![created.clone()]
    );
    // The secret is never sent back.
    let raw = reqwest::Client::new()
        .get(format!(
            "{}{}",
            fake.base_url(),
            linq_api::spec::LIST_WEBHOOK_SUBSCRIPTIONS.path
        ))
        .header(linq_fake::TOKEN_HEADER, fake.token())
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("a body");
    assert!(
        raw.contains("\"secret_configured\":true") && !raw.contains(SECRET),
        "{raw}"
    );

    // PUT replaces URL, events and version; the secret stays when not sent.
    let mut change = subscription("http://127.0.0.1:9/other", None);
    change.webhook_subscription.events = vec![WebhookEventType::KnownWebhookEventType(
        KnownWebhookEventType::ContactDeleted,
    )];
    change.webhook_subscription.active = Some(false);
    let updated = linq
        .update_webhook_subscription(created.id, &change)
        .await
        .expect("updated")
        .into_inner()
        .webhook_subscription;
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.webhook_url, "http://127.0.0.1:9/other");
    assert_eq!(updated.events, change.webhook_subscription.events);
    assert_eq!(updated.active, Some(false));
    assert_eq!(updated.secret_configured, Some(true));

    // Another organization sees none of it.
    let other = reqwest::Client::new();
    let theirs: Value = other
        .get(format!(
            "{}{}",
            fake.base_url(),
            linq_api::spec::LIST_WEBHOOK_SUBSCRIPTIONS.path
        ))
        .header(linq_fake::TOKEN_HEADER, "other-organization-token")
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(theirs, json!({"webhook_subscriptions": []}));

    let deleted = linq
        .delete_webhook_subscription(created.id)
        .await
        .expect("deleted");
    assert_eq!(deleted.status().as_u16(), 204);
    let listed = linq.list_webhook_subscriptions().await.expect("listed");
    assert!(listed.into_inner().webhook_subscriptions.is_empty());

    for result in [
        linq.delete_webhook_subscription(created.id)
            .await
            .map(|_| ()),
        linq.update_webhook_subscription(created.id, &change)
            .await
            .map(|_| ()),
    ] {
        let (status, body) = declared_error(result.expect_err("gone"));
        assert_eq!(status, 404);
        assert_eq!(body.error_code, "WEBHOOK_SUBSCRIPTION_NOT_FOUND");
    }
}

#[tokio::test]
async fn bad_subscriptions_are_refused_with_the_field_and_the_rule_never_the_value() {
    let fake = FakeLinq::start().await;
    let http = reqwest::Client::new();
    let url = format!(
        "{}{}",
        fake.base_url(),
        linq_api::spec::LIST_WEBHOOK_SUBSCRIPTIONS.path
    );
    let valid = json!({
        "webhook_url": "https://example.com/webhooks/linq",
        "version": 2,
        "secret": SECRET,
        "events": ["contact.created"]
    });
    let with = |key: &str, value: Value| {
        let mut input = valid.clone();
        input[key] = value;
        json!({ "webhook_subscription": input }).to_string()
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("not json".into(), 400, "not valid JSON"),
        (
            json!({"webhook_url": "https://example.com"}).to_string(),
            400,
            "webhook_subscription",
        ),
        (
            with("events", json!([])),
            422,
            "events must list at least one event",
        ),
        (
            with("events", json!(["contact.merged"])),
            422,
            "events must be documented event types",
        ),
        (
            with("events", json!("contact.created")),
            422,
            "events must be a list",
        ),
        (with("version", json!(3)), 422, "version must be 2"),
        (with("version", json!("2")), 422, "version must be 2"),
        (
            with("secret", json!("")),
            422,
            "secret must be 1 to 255 characters",
        ),
        (with("secret", json!(null)), 422, "secret must be a string"),
        (with("active", json!(null)), 422, "active must be a boolean"),
        (
            with("webhook_url", json!("ftp://example.com/x")),
            422,
            "webhook_url must be an http or https URL",
        ),
        (
            with("webhook_url", json!("https://exa mple.com/")),
            422,
            "webhook_url must be an http or https URL",
        ),
        (
            with("webhook_url", json!(42)),
            422,
            "webhook_url must be a string",
        ),
    ];
    for (body, status, error) in cases {
        let response = http
            .post(&url)
            .header(linq_fake::TOKEN_HEADER, fake.token())
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), status, "{body}");
        let text = response.text().await.expect("a body");
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(answer["status"], "error", "{text}");
        assert!(
            answer["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e.as_str().is_some_and(|e| e.contains(error))),
            "{body}: {text}"
        );
        assert!(
            !text.contains(SECRET) && !text.contains("example.com"),
            "{text}"
        );
    }
    // Nothing was stored.
    let linq = fake.raw_client().expect("a client");
    let listed = linq.list_webhook_subscriptions().await.expect("listed");
    assert!(listed.into_inner().webhook_subscriptions.is_empty());
}

#[tokio::test]
async fn contact_writes_deliver_signed_v2_events_in_order_to_the_subscriptions_that_list_them() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate())
        .organization(Organization::new("other-organization-token"))
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let signed = Receiver::start([]).await;
    let unsigned = Receiver::start([]).await;
    let deletes_only = Receiver::start([]).await;
    let inactive = Receiver::start([]).await;
    linq.create_webhook_subscription(&subscription(&signed.url, Some(SECRET)))
        .await
        .expect("subscribed");
    linq.create_webhook_subscription(&subscription(&unsigned.url, None))
        .await
        .expect("subscribed");
    let mut only_deletes = subscription(&deletes_only.url, None);
    only_deletes.webhook_subscription.events = vec![WebhookEventType::KnownWebhookEventType(
        KnownWebhookEventType::ContactDeleted,
    )];
    linq.create_webhook_subscription(&only_deletes)
        .await
        .expect("subscribed");
    let mut off = subscription(&inactive.url, None);
    off.webhook_subscription.active = Some(false);
    linq.create_webhook_subscription(&off)
        .await
        .expect("subscribed");

    // Create, update (PUT and PATCH) and delete one contact; a failed write is no event.
    let id = linq
        .create_contact(&ada())
        .await
        .expect("created")
        .into_inner()
        .data
        .id;
    linq.update_contact(id, &ada()).await.expect("updated");
    linq.patch_contact(id, &ada()).await.expect("patched");
    assert!(linq
        .update_contact(id.saturating_add(100), &ada())
        .await
        .is_err());
    linq.delete_contact(id).await.expect("deleted");

    // 4 events to each of two subscriptions, 1 to the deletes-only one.
    let deliveries = fake
        .wait_for_deliveries(9, WAIT)
        .await
        .expect("9 deliveries");
    assert_eq!(deliveries.len(), 9, "{deliveries:#?}");
    assert!(deliveries
        .iter()
        .all(|d| d.outcome == DeliveryOutcome::Delivered(200)
            && d.attempt == 1
            && d.organization == 0));
    assert!(inactive.received().is_empty());
    assert_eq!(deletes_only.received().len(), 1);

    let expected = [
        "contact.created",
        "contact.updated",
        "contact.updated",
        "contact.deleted",
    ];
    for (receiver, secret) in [(&signed, Some(SECRET)), (&unsigned, None)] {
        let received = receiver.received();
        let types: Vec<String> = received
            .iter()
            .map(|(_, body)| {
                let event: Value = serde_json::from_slice(body).expect("JSON");
                // The V2 envelope, nothing more.
                let keys: Vec<&String> = event.as_object().expect("an object").keys().collect();
                assert_eq!(
                    keys,
                    [
                        "api_version",
                        "created_at",
                        "data",
                        "event_id",
                        "event_type"
                    ]
                );
                assert_eq!(event["api_version"], "v2");
                event["event_type"].as_str().expect("a type").to_owned()
            })
            .collect();
        assert_eq!(types, expected, "in the order of the writes");
        for (headers, body) in &received {
            assert_eq!(
                headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/json")
            );
            let header = headers
                .get(SIGNATURE_HEADER)
                .map(|v| v.to_str().expect("ASCII"));
            match secret {
                Some(secret) => {
                    assert_eq!(
                        header,
                        Some(format!("sha256={}", hex_hmac(secret, body)).as_str())
                    );
                    assert_eq!(
                        header,
                        Some(linq_fake::signature(secret.as_bytes(), body).as_str())
                    );
                }
                None => assert_eq!(header, None),
            }
            // The recorded attempt holds exactly the bytes received.
            let recorded = deliveries
                .iter()
                .find(|d| d.url == receiver.url && d.body == body.to_vec())
                .expect("recorded");
            assert_eq!(recorded.signature.as_deref(), header);
        }
    }

    // Every body decodes into the generated event types, each event with its own id.
    let mut ids: Vec<&str> = Vec::new();
    for delivery in deliveries.iter().filter(|d| d.url == signed.url) {
        let event: WebhookEvent = serde_json::from_slice(&delivery.body).expect("decodes");
        match (&event, delivery.event_type.as_str()) {
            (WebhookEvent::ContactCreatedEvent(e), "contact.created") => {
                assert_eq!(e.data.id, id);
                assert_eq!(e.data.first_name.as_deref(), Some("Ada"));
                assert_eq!(e.event_id, delivery.event_id);
            }
            (WebhookEvent::ContactUpdatedEvent(e), "contact.updated") => {
                assert_eq!(e.data.id, id)
            }
            (WebhookEvent::ContactDeletedEvent(e), "contact.deleted") => {
                assert_eq!(e.data.id, id)
            }
            other => panic!("unexpected event {other:?}"),
        }
        ids.push(&delivery.event_id);
    }
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 4, "{ids:?}");

    // The subscription's counters follow its deliveries.
    let listed = linq
        .list_webhook_subscriptions()
        .await
        .expect("listed")
        .into_inner();
    let mine = &listed.webhook_subscriptions[0];
    assert_eq!(mine.delivery_attempts, Some(4));
    assert!(mine.last_delivered_at.is_some());
    assert_eq!(listed.webhook_subscriptions[3].delivery_attempts, Some(0));
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate())
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let receiver = Receiver::start([Answer::Status(500), Answer::Status(404)]).await;
    linq.create_webhook_subscription(&subscription(&receiver.url, Some(SECRET)))
        .await
        .expect("subscribed");
    linq.create_contact(&ada()).await.expect("created");

    let deliveries = fake.wait_for_deliveries(3, WAIT).await.expect("3 attempts");
    let outcomes: Vec<(u32, DeliveryOutcome)> = deliveries
        .iter()
        .map(|d| (d.attempt, d.outcome.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, DeliveryOutcome::ErrorStatus(500)),
            (2, DeliveryOutcome::ErrorStatus(404)),
            (3, DeliveryOutcome::Delivered(200)),
        ]
    );
    // The same event, byte for byte, on every attempt.
    assert!(deliveries
        .iter()
        .all(|d| d.event_id == deliveries[0].event_id
            && d.body == deliveries[0].body
            && d.signature == deliveries[0].signature));
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn retries_stop_after_the_policy_s_attempts_and_the_next_event_follows() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate().attempts(2))
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let receiver = Receiver::start([Answer::Status(503); 2]).await;
    linq.create_webhook_subscription(&subscription(&receiver.url, None))
        .await
        .expect("subscribed");
    let id = linq
        .create_contact(&ada())
        .await
        .expect("created")
        .into_inner()
        .data
        .id;
    linq.delete_contact(id).await.expect("deleted");

    // One subscription's events go in order: the delete is delivered after the create gave up.
    let deliveries = fake.wait_for_deliveries(3, WAIT).await.expect("3 attempts");
    let seen: Vec<(&str, u32, DeliveryOutcome)> = deliveries
        .iter()
        .map(|d| (d.event_type.as_str(), d.attempt, d.outcome.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("contact.created", 1, DeliveryOutcome::ErrorStatus(503)),
            ("contact.created", 2, DeliveryOutcome::ErrorStatus(503)),
            ("contact.deleted", 1, DeliveryOutcome::Delivered(200)),
        ]
    );
}

#[tokio::test]
async fn refused_connections_and_timeouts_are_retried_too() {
    let fake = FakeLinq::builder()
        .delivery_policy(
            DeliveryPolicy::immediate()
                .attempts(2)
                .timeout(Duration::from_millis(200)),
        )
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    // A port bound but not listening: connections to it are refused, and no other process
    // can take it while the socket lives.
    let refusing = tokio::net::TcpSocket::new_v4().expect("a socket");
    refusing
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("a loopback port");
    let closed = refusing.local_addr().expect("an address");
    let silent = Receiver::start([Answer::Hold, Answer::Hold]).await;
    linq.create_webhook_subscription(&subscription(&format!("http://{closed}/hook"), None))
        .await
        .expect("subscribed");
    linq.create_webhook_subscription(&subscription(&silent.url, None))
        .await
        .expect("subscribed");
    linq.create_contact(&ada()).await.expect("created");

    let deliveries = fake.wait_for_deliveries(4, WAIT).await.expect("4 attempts");
    silent.release();
    let outcomes = |url: &str| -> Vec<(u32, DeliveryOutcome)> {
        deliveries
            .iter()
            .filter(|d| d.url.contains(url))
            .map(|d| (d.attempt, d.outcome.clone()))
            .collect()
    };
    assert_eq!(
        outcomes(&closed.to_string()),
        [
            (1, DeliveryOutcome::ConnectionFailed),
            (2, DeliveryOutcome::ConnectionFailed)
        ]
    );
    assert_eq!(
        outcomes(&silent.url),
        [
            (1, DeliveryOutcome::TimedOut),
            (2, DeliveryOutcome::TimedOut)
        ]
    );
}

#[tokio::test]
async fn the_api_answers_before_the_receiver_does() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate())
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let receiver = Receiver::start([Answer::Hold]).await;
    linq.create_webhook_subscription(&subscription(&receiver.url, None))
        .await
        .expect("subscribed");
    // The receiver holds the delivery until released; the create answers all the same.
    linq.create_contact(&ada()).await.expect("created");
    assert!(fake.deliveries().is_empty());
    receiver.release();
    let deliveries = fake.wait_for_deliveries(1, WAIT).await.expect("1 delivery");
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::Delivered(200));
}

#[tokio::test]
async fn a_reply_that_never_ends_is_read_only_up_to_a_bound() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate().attempts(1).timeout(WAIT))
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let receiver = Receiver::start([Answer::Endless]).await;
    linq.create_webhook_subscription(&subscription(&receiver.url, None))
        .await
        .expect("subscribed");
    linq.create_contact(&ada()).await.expect("created");
    let deliveries = fake.wait_for_deliveries(1, WAIT).await.expect("1 delivery");
    // Read up to the bound, then left: the status decides, the attempt does not time out.
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::Delivered(200));
}

#[tokio::test]
async fn urls_beyond_loopback_are_stored_but_never_sent_to() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate())
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    linq.create_webhook_subscription(&subscription(
        "https://example.com/webhooks/linq",
        Some(SECRET),
    ))
    .await
    .expect("subscribed");
    linq.create_contact(&ada()).await.expect("created");
    let deliveries = fake.wait_for_deliveries(1, WAIT).await.expect("1 record");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::NotLoopback);
    assert_eq!(deliveries[0].attempt, 1);
    let listed = linq
        .list_webhook_subscriptions()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.webhook_subscriptions[0].delivery_attempts, Some(0));
}

#[tokio::test]
async fn a_deleted_subscription_gets_nothing_more_and_waiting_is_bounded() {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate())
        .start()
        .await;
    let linq = fake.raw_client().expect("a client");
    let receiver = Receiver::start([]).await;
    let id = linq
        .create_webhook_subscription(&subscription(&receiver.url, None))
        .await
        .expect("subscribed")
        .into_inner()
        .webhook_subscription
        .id;
    linq.create_contact(&ada()).await.expect("created");
    fake.wait_for_deliveries(1, WAIT).await.expect("1 delivery");
    linq.delete_webhook_subscription(id).await.expect("deleted");
    linq.create_contact(&ada()).await.expect("created");
    // No second delivery comes: the wait ends at its bound with what did arrive.
    let waited = fake
        .wait_for_deliveries(2, Duration::from_millis(300))
        .await
        .expect_err("nothing more is delivered");
    assert_eq!(waited.len(), 1);
    assert_eq!(receiver.received().len(), 1);
}
