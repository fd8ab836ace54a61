//! The axum extractor as a receiver runs it: a real server on 127.0.0.1, real HTTP requests.

use std::sync::{Arc, Mutex};

use axum::{extract::FromRef, routing::post, Router};
use linq_api_ext::webhooks::{
    EventData, LinqWebhook, WebhookEvent, WebhookSecret, WebhookVerifier, SIGNATURE_HEADER,
};

use super::{deleted_body, SECRET};

/// The receiver's state: the verifier (reached by the extractor through `FromRef`) and what
/// arrived.
#[derive(Clone)]
struct Receiver {
    verifier: WebhookVerifier,
    received: Arc<Mutex<Vec<WebhookEvent>>>,
}

impl FromRef<Receiver> for WebhookVerifier {
    fn from_ref(state: &Receiver) -> Self {
        state.verifier.clone()
    }
}

async fn receive(
    axum::extract::State(state): axum::extract::State<Receiver>,
    LinqWebhook(event): LinqWebhook,
) -> &'static str {
    state.received.lock().unwrap().push(event);
    "ok"
}

/// A receiver on 127.0.0.1 with a body limit of `max_body`: its URL and what it received.
async fn start(max_body: usize) -> (String, Arc<Mutex<Vec<WebhookEvent>>>) {
    let state = Receiver {
        verifier: WebhookVerifier::new(SECRET).unwrap().max_body(max_body).unwrap(),
        received: Arc::default(),
    };
    let received = state.received.clone();
    let app = Router::new().route("/hook", post(receive)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn post_to(
    url: &str,
    signature: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body);
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_signed_delivery_reaches_the_handler_verified_and_decoded() {
    let (url, received) = start(64 * 1024).await;
    let body = deleted_body(7);
    let signature = WebhookSecret::new(SECRET).sign(&body);
    assert_eq!(
        post_to(&url, Some(&signature), body).await,
        (200, "ok".into())
    );
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 1);
    assert!(matches!(received[0].data, EventData::ContactDeleted(id) if id == 7));
}

#[tokio::test]
async fn refusals_get_their_status_and_never_reach_the_handler() {
    let (url, received) = start(1024).await;
    let body = deleted_body(7);
    let good = WebhookSecret::new(SECRET).sign(&body);
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] = b'X';
    let signed_junk = br#"{"event_id":"e","data":{"email":"ada@example.com"}}"#.to_vec();
    let junk_signature = WebhookSecret::new(SECRET).sign(&signed_junk);
    let other_secret = WebhookSecret::new("not-the-secret").sign(&body);
    let cases: Vec<(&str, Option<String>, Vec<u8>, u16)> = vec![
        ("no signature", None, body.clone(), 401),
        ("tampered body", Some(good.clone()), tampered, 401),
        ("wrong secret", Some(other_secret), body.clone(), 401),
        (
            "sha1",
            Some(format!("sha1={}", &good[7..47])),
            body.clone(),
            400,
        ),
        ("empty", Some("sha256=".into()), body.clone(), 400),
        (
            "not hex",
            Some(format!("sha256={}", "z".repeat(64))),
            body.clone(),
            400,
        ),
        ("undecodable", Some(junk_signature), signed_junk, 400),
        ("too large", Some(good.clone()), vec![b' '; 1025], 413),
    ];
    for (name, signature, body, status) in cases {
        let (got, text) = post_to(&url, signature.as_deref(), body).await;
        assert_eq!(got, status, "{name}: {text}");
        assert!(
            !text.contains(SECRET) && !text.contains("ada@"),
            "{name}: {text}"
        );
        assert!(!text.is_empty() && !text.contains('\n'), "{name}: {text:?}");
    }
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused_without_a_declared_length() {
    let (url, received) = start(1024).await;
    // Chunked, no Content-Length: the limit applies while reading.
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 100]));
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, text) = post_to(&url, Some("sha256=00"), body).await;
    assert_eq!(status, 413, "{text}");
    assert!(received.lock().unwrap().is_empty());
}
