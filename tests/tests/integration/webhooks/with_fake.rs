//! End to end: the fake Linq delivers the events of the API's writes to a receiver on
//! 127.0.0.1 that verifies and decodes them with `linq-api-ext`'s axum extractor. What the
//! receiver's handler got and what the fake recorded of each attempt are both checked.

use std::{
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::{FromRef, Request, State},
    http::StatusCode,
    middleware::map_request,
    routing::post,
    Router,
};
use linq_api_ext::{
    webhooks::LinqWebhook, ContactId, EventData, EventType, LinqClient, WebhookEvent,
    WebhookVerifier,
};
use linq_fake::{DeliveryAttempt, DeliveryOutcome, DeliveryPolicy, FakeLinq};

use super::SECRET;

/// A generous bound on waiting for background deliveries; only a broken fake gets near it.
const WAIT: Duration = Duration::from_secs(20);

/// The receiver's state: its verifier, what its handler got, and how many more requests it
/// answers with a 500 before it accepts.
#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    received: Arc<Mutex<Vec<WebhookEvent>>>,
    failures_left: Arc<AtomicU32>,
}

impl FromRef<Receiver> for WebhookVerifier {
    fn from_ref(state: &Receiver) -> Self {
        state.verifier.clone()
    }
}

async fn receive(State(state): State<Receiver>, LinqWebhook(event): LinqWebhook) -> StatusCode {
    state.received.lock().unwrap().push(event);
    let fail = state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// Changes one byte of the body on its way to the extractor: a delivery tampered with in
/// transit.
async fn tamper(request: Request) -> Request {
    let (parts, body) = request.into_parts();
    let mut bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    Request::from_parts(parts, axum::body::Body::from(bytes))
}

/// What a test sets up: the fake, a client of it, and a receiver.
struct Setup {
    fake: FakeLinq,
    linq: LinqClient,
    url: String,
    received: Arc<Mutex<Vec<WebhookEvent>>>,
}

/// The fake (immediate retries, `attempts` in all) and a receiver on 127.0.0.1 verifying with
/// `secret`, failing its first `failures` requests, and tampering with bodies if asked.
async fn setup(secret: &str, failures: u32, tampering: bool, attempts: u32) -> Setup {
    let fake = FakeLinq::builder()
        .delivery_policy(DeliveryPolicy::immediate().attempts(attempts))
        .start()
        .await;
    let linq = LinqClient::builder().token(fake.token()).base_url(fake.base_url()).build().unwrap();
    let state = Receiver {
        verifier: WebhookVerifier::new(secret).unwrap(),
        received: Arc::default(),
        failures_left: Arc::new(AtomicU32::new(failures)),
    };
    let received = state.received.clone();
    let mut app = Router::new().route("/hook", post(receive));
    if tampering {
        app = app.layer(map_request(tamper));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app.with_state(state)).await });
    Setup {
        fake,
        linq,
        url,
        received,
    }
}

impl Setup {
    /// Subscribes the receiver to the three contact events, signed with [`SECRET`].
    async fn subscribe(&self) {
        self.linq
            .webhook_subscriptions()
            .create()
            .webhook_url(&self.url)
            .events([
                EventType::ContactCreated,
                EventType::ContactUpdated,
                EventType::ContactDeleted,
            ])
            .secret(SECRET)
            .await
            .unwrap();
    }

    /// Creates a contact through the API.
    async fn create_contact(&self) -> ContactId {
        let create = self.linq.contacts().create().first_name("Ada");
        create.email("ada@example.com").await.unwrap().id
    }

    /// Waits until `count` attempts have ended, and returns them.
    async fn attempts(&self, count: usize) -> Vec<DeliveryAttempt> {
        match self.fake.wait_for_deliveries(count, WAIT).await {
            Ok(attempts) => attempts,
            Err(ended) => panic!("only {} of {count} attempts ended: {ended:?}", ended.len()),
        }
    }

    fn received(&self) -> Vec<WebhookEvent> {
        self.received.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn every_contact_event_arrives_once_verified_and_decoded() {
    let s = setup(SECRET, 0, false, 4).await;
    s.subscribe().await;
    let id = s.create_contact().await;
    s.linq.contacts().update(id).last_name("Lovelace").await.unwrap();
    s.linq.contacts().delete(id).await.unwrap();

    let attempts = s.attempts(3).await;
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    for attempt in &attempts {
        assert_eq!(
            attempt.outcome,
            DeliveryOutcome::Delivered(200),
            "{attempt:?}"
        );
        assert_eq!(attempt.attempt, 1);
        assert!(attempt.signature.is_some());
    }

    let received = s.received();
    let types: Vec<&str> = received.iter().map(WebhookEvent::event_type).collect();
    assert_eq!(
        types,
        ["contact.created", "contact.updated", "contact.deleted"]
    );
    match &received[0].data {
        EventData::ContactCreated(c) => {
            assert_eq!(c.id, id);
            assert_eq!(c.email.as_deref(), Some("ada@example.com"));
        }
        other => panic!("{other:?}"),
    }
    match &received[1].data {
        EventData::ContactUpdated(c) => {
            assert_eq!(c.id, id);
            assert_eq!(c.full_name.as_deref(), Some("Ada Lovelace"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(received[2].data, EventData::ContactDeleted(id));
    let mut ids: Vec<&str> = received.iter().map(|e| e.event_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every event has its own id");
    assert!(received.iter().all(|e| e.api_version == "v2"));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_on_every_attempt() {
    let s = setup("not-the-subscriptions-secret", 0, false, 2).await;
    s.subscribe().await;
    s.create_contact().await;
    let attempts = s.attempts(2).await;
    assert_eq!(
        attempts.iter().map(|a| &a.outcome).collect::<Vec<_>>(),
        [
            &DeliveryOutcome::ErrorStatus(401),
            &DeliveryOutcome::ErrorStatus(401)
        ]
    );
    assert!(s.received().is_empty(), "nothing reached the handler");
    // The delivery itself was sound: the subscription's secret verifies it.
    let right = WebhookVerifier::new(SECRET).unwrap();
    let first = &attempts[0];
    let event = right.verify(first.signature.as_deref(), &first.body).unwrap();
    assert_eq!(event.event_type(), "contact.created");
}

#[tokio::test]
async fn a_tampered_body_is_refused() {
    let s = setup(SECRET, 0, true, 2).await;
    s.subscribe().await;
    s.create_contact().await;
    let attempts = s.attempts(2).await;
    assert!(
        attempts.iter().all(|a| a.outcome == DeliveryOutcome::ErrorStatus(401)),
        "{attempts:?}"
    );
    assert!(s.received().is_empty(), "nothing reached the handler");
    // Untouched, the same bytes verify.
    let verifier = WebhookVerifier::new(SECRET).unwrap();
    assert!(verifier.verify(attempts[0].signature.as_deref(), &attempts[0].body).is_ok());
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    let s = setup(SECRET, 2, false, 4).await;
    s.subscribe().await;
    let id = s.create_contact().await;
    let attempts = s.attempts(3).await;
    assert_eq!(
        attempts.iter().map(|a| (a.attempt, a.outcome.clone())).collect::<Vec<_>>(),
        [
            (1, DeliveryOutcome::ErrorStatus(500)),
            (2, DeliveryOutcome::ErrorStatus(500)),
            (3, DeliveryOutcome::Delivered(200)),
        ]
    );
    assert!(attempts.iter().all(|a| a.event_id == attempts[0].event_id));
    assert!(attempts.iter().all(|a| a.body == attempts[0].body));
    // The handler verified all three copies: one event, one id, delivered three times.
    let received = s.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|e| e == &received[0]));
    assert!(matches!(&received[0].data, EventData::ContactCreated(c) if c.id == id));
    assert_eq!(received[0].event_id, attempts[0].event_id);
}
