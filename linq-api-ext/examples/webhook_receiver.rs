//! A webhook receiver, end to end against the fake Linq: subscribe, change a contact, and print
//! the verified events as they arrive.
//!
//! ```sh
//! cargo run -p linq-api-ext --features axum --example webhook_receiver
//! ```
//!
//! It starts the fake Linq and an axum receiver, both on 127.0.0.1, subscribes the receiver to
//! the three contact events with a secret, then creates, updates and deletes a contact. The
//! fake delivers each event signed; the receiver's `LinqWebhook` extractor verifies the
//! signature over the raw body and decodes the event, and the example prints it. It exits once
//! the three events have arrived (or fails after 30 seconds).

use std::{sync::Arc, time::Duration};

use axum::{extract::FromRef, routing::post, Router};
use linq_api_ext::{
    webhooks::LinqWebhook, EventData, EventType, LinqClient, SeenEvents, WebhookEvent,
    WebhookVerifier,
};
use linq_fake::FakeLinq;
use tokio::sync::mpsc;

/// The receiver's state: the verifier (the extractor finds it through `FromRef`), the ids
/// already seen, and where verified events go.
#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    seen: Arc<SeenEvents>,
    events: mpsc::UnboundedSender<WebhookEvent>,
}

impl FromRef<Receiver> for WebhookVerifier {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.verifier.clone()
    }
}

/// The handler: by the time it runs, the delivery is verified and decoded.
async fn receive(
    axum::extract::State(receiver): axum::extract::State<Receiver>,
    LinqWebhook(event): LinqWebhook,
) -> &'static str {
    // V2 signs only the body: a redelivery (or a replay) verifies again. Drop repeats.
    if receiver.seen.first_time(&event.event_id) {
        let _ = receiver.events.send(event);
    }
    "ok"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A secret only the fake Linq and this receiver know.
    let secret = format!("whsec-example-{:016x}", fastrand::u64(..));

    let fake = FakeLinq::start().await;
    let linq = LinqClient::builder()
        .token(fake.token())
        .base_url(fake.base_url())
        .build()?;
    println!("fake Linq at {}", fake.base_url());

    let (events, mut arrived) = mpsc::unbounded_channel();
    let receiver = Receiver {
        verifier: WebhookVerifier::new(secret.clone())?,
        seen: Arc::new(SeenEvents::new(1_000)),
        events,
    };
    let app = Router::new()
        .route("/webhooks/linq", post(receive))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/linq", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("receiver at {url}");

    let subscription = linq
        .webhook_subscriptions()
        .create()
        .webhook_url(&url)
        .events([
            EventType::ContactCreated,
            EventType::ContactUpdated,
            EventType::ContactDeleted,
        ])
        .secret(secret)
        .await?;
    println!(
        "subscribed {} to {} (signed: {})",
        subscription.id,
        subscription
            .events
            .iter()
            .map(EventType::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        subscription.secret_configured == Some(true)
    );

    let ada = linq
        .contacts()
        .create()
        .first_name("Ada")
        .email("ada.webhooks@example.com")
        .await?;
    linq.contacts().update(ada.id).last_name("Lovelace").await?;
    linq.contacts().delete(ada.id).await?;
    println!("created, updated and deleted contact {}", ada.id);

    for _ in 0..3 {
        let event = tokio::time::timeout(Duration::from_secs(30), arrived.recv())
            .await
            .map_err(|_| "no event arrived within 30 s")?
            .ok_or("the receiver stopped")?;
        let what = match &event.data {
            EventData::ContactCreated(c) | EventData::ContactUpdated(c) => format!(
                "contact {} ({})",
                c.id,
                c.full_name.as_deref().unwrap_or("no name")
            ),
            EventData::ContactDeleted(id) => format!("contact {id}"),
            other => format!("{} (not a contact event)", other.event_type()),
        };
        println!(
            "verified {} {} at {}: {what}",
            event.event_type(),
            event.event_id,
            event.created_at
        );
    }

    linq.webhook_subscriptions().delete(subscription.id).await?;
    println!("unsubscribed; done");
    Ok(())
}
