//! Receiving Linq's webhooks: verify a delivery's signature, decode its event, drop
//! redeliveries.
//!
//! Linq POSTs each event to a subscribed URL as JSON, signed with the subscription's secret:
//! `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. A [`WebhookVerifier`]
//! holds the secret (or several, while one is rotated) and turns the **raw body bytes** and the
//! request's headers into a typed [`WebhookEvent`] — or refuses them with a [`VerifyError`]
//! that says why and which HTTP status to answer with.
//!
//! ```
//! use linq_api_ext::webhooks::{EventData, WebhookSecret, WebhookVerifier, SIGNATURE_HEADER};
//!
//! let verifier = WebhookVerifier::new("whsec-from-your-vault")?;
//! # let body = br#"{"api_version":"v2","created_at":"2025-07-30T10:00:00-06:00","data":{"id":123},"event_id":"wh_evt_contact_deleted_123","event_type":"contact.deleted"}"#;
//! # let signature = WebhookSecret::new("whsec-from-your-vault").sign(body);
//! // In your handler: the body exactly as it arrived, and the signature header.
//! let event = verifier.verify(Some(&signature), body)?;
//! match &event.data {
//!     EventData::ContactCreated(contact) | EventData::ContactUpdated(contact) => {
//!         println!("contact {} changed", contact.id)
//!     }
//!     EventData::ContactDeleted(id) => println!("contact {id} deleted"),
//!     other => println!("{} (not handled here)", other.event_type()),
//! }
//! # assert_eq!(event.event_id, "wh_evt_contact_deleted_123");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Verify the raw bytes
//!
//! The signature covers the body exactly as sent. Parsing the JSON and serialising it again
//! (what a JSON extractor of a web framework does) changes the bytes — key order, spacing,
//! escapes — and no signature matches any more; worse, code that verifies a re-serialised body
//! can be made to accept one that was not signed. Give the verifier the bytes you received. With
//! the `axum` feature, the [`LinqWebhook`][linq-webhook] extractor reads the raw body itself
//! (bounded in size) and verifies before anything is decoded, so that mistake cannot be made.
//!
//! The comparison is constant-time (`hmac`'s `verify_slice`); the signature must be exactly 64
//! hexadecimal digits after `sha256=`, so an empty or shortened signature is refused, never
//! compared as a prefix. What is accepted, and promised to stay accepted:
//!
//! - the scheme name `sha256` in any case (`sha256=`, `SHA256=`, `Sha256=`): Linq documents the
//!   lower case, and a proxy or a framework that upper-cases header values changes nothing of
//!   what the signature proves;
//! - the hexadecimal digits in either case;
//! - whitespace around the whole value, which HTTP itself does not count as part of it.
//!
//! Anything else (another scheme, whitespace inside, a digit too many) is refused.
//!
//! # Replays and duplicates
//!
//! **V2 signs only the body: no timestamp, no URL.** A valid delivery recorded by anyone who
//! saw it can be sent again later and still verifies; the signature proves who wrote the
//! event, not when it was sent. Linq also redelivers an event whose delivery failed (and
//! subscribing one URL twice to the same events delivers each event twice). So a receiver
//! must tolerate seeing an event more than once: process events idempotently (an update sets
//! fields, a delete of a deleted contact is fine), and drop redeliveries by
//! [`WebhookEvent::event_id`], which Linq keeps unique per event. [`SeenEvents`] is a small
//! bounded set for that, for one process; several instances behind a load balancer need a
//! shared store (a unique key in your database) instead. Serve the endpoint over HTTPS only,
//! so that deliveries cannot be read and replayed from the network in the first place.
//!
//! # Rotating a secret
//!
//! A verifier accepts a delivery signed with any of its secrets:
//! [`WebhookVerifier::with_secrets`] with the new and the old secret, update the subscription
//! to the new secret, then drop the old one once deliveries carry the new signature.
//!
//! # Testing a receiver
//!
//! [`WebhookSecret::sign`] computes the header value Linq would send for a body, for your
//! tests; the fake Linq (`linq-fake`) delivers signed events for real on loopback.
//!
// The extractor exists only with the `axum` feature; without it, its link stays in this module.
#![cfg_attr(feature = "axum", doc = "[linq-webhook]: self::LinqWebhook")]
#![cfg_attr(not(feature = "axum"), doc = "[linq-webhook]: self")]

use std::{
    collections::{HashSet, VecDeque},
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use reqwest::{header::HeaderMap, StatusCode};

use crate::error::{Error, Result};

#[cfg(feature = "axum")]
mod axum;
mod events;
mod signature;

#[cfg(feature = "axum")]
pub use self::axum::{LinqWebhook, WebhookRejection};
pub use crate::model::EventType;
pub use events::{EventData, WebhookEvent};
pub use signature::SIGNATURE_HEADER;

/// The default limit on the body of one delivery: 1 MiB. A contact event is under 4 KiB even
/// with every field at its longest; the limit leaves room for the larger events Linq may add,
/// and still bounds what a sender can make the receiver buffer and hash.
pub const DEFAULT_MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// A webhook secret: the key Linq signs deliveries with. Never printed.
///
/// It is used exactly as given (a trailing newline read from a file is part of it, as it is of
/// the secret Linq was given).
///
/// ```
/// use linq_api_ext::webhooks::WebhookSecret;
///
/// let secret = WebhookSecret::new("It's a Secret to Everybody");
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
/// // The header value Linq would send with this body, for your tests:
/// assert_eq!(
///     secret.sign(b"Hello, World!"),
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the rare caller that must hand it on.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value of the [`SIGNATURE_HEADER`] Linq sends with `body` under this secret: for
    /// testing a receiver (as async-stripe's test header generator), and for a fake sender.
    pub fn sign(&self, body: &[u8]) -> String {
        signature::sign(self, body)
    }

    /// Whether the secret has anything but whitespace in it.
    pub(crate) fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl From<String> for WebhookSecret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for WebhookSecret {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

/// Verifies deliveries and decodes their events: holds one or more secrets and the limit on a
/// body. Cheap to clone (the secrets are shared), `Send + Sync`; keep one in your server's
/// state.
///
/// ```
/// use linq_api_ext::webhooks::{VerifyError, WebhookVerifier};
///
/// // While rotating: the new secret, and the old one until Linq signs with the new.
/// let verifier = WebhookVerifier::with_secrets(["new-secret", "old-secret"])?
///     .max_body(64 * 1024)?;
/// let refused = verifier.verify(Some("sha1=0a1b"), b"{}").unwrap_err();
/// assert_eq!(refused, VerifyError::WrongScheme { scheme: Some("sha1".into()) });
/// // The scheme name in any case, the digits in either, whitespace around the value: the
/// // signature holds (this body then fails only as an event).
/// let body = b"{}";
/// let signed = linq_api_ext::webhooks::WebhookSecret::new("new-secret").sign(body);
/// let shouted = format!(" {} ", signed.to_uppercase());
/// assert!(shouted.starts_with(" SHA256="));
/// let verdict = verifier.verify(Some(&shouted), body).unwrap_err();
/// assert!(matches!(verdict, VerifyError::Undecodable { .. }), "{verdict}");
/// // Whitespace inside the value is refused.
/// let spaced = signed.replacen('=', "= ", 1);
/// assert_eq!(verifier.verify(Some(&spaced), body).unwrap_err(), VerifyError::BadHex);
/// assert_eq!(refused.status().as_u16(), 400);
/// assert!(!format!("{verifier:?}").contains("secret"));
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Arc<[WebhookSecret]>,
    max_body: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("keys", &format_args!("{} (redacted)", self.secrets.len()))
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier with one secret, and the default limit on a body
    /// ([`DEFAULT_MAX_WEBHOOK_BODY`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `secret` when it is empty or only whitespace.
    pub fn new(secret: impl Into<WebhookSecret>) -> Result<Self> {
        Self::with_secrets([secret])
    }

    /// A verifier that accepts a delivery signed with any of `secrets` (for a rotation).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `secret` when there is none, or one is empty or only
    /// whitespace.
    pub fn with_secrets<S: Into<WebhookSecret>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let secrets: Arc<[WebhookSecret]> = secrets.into_iter().map(Into::into).collect();
        if secrets.is_empty() {
            return Err(Error::invalid("secret", "at least one secret is required"));
        }
        if secrets.iter().any(WebhookSecret::is_blank) {
            return Err(Error::invalid(
                "secret",
                "must not be empty or only whitespace",
            ));
        }
        Ok(Self {
            secrets,
            max_body: DEFAULT_MAX_WEBHOOK_BODY,
        })
    }

    /// The most bytes a delivery's body may have (default [`DEFAULT_MAX_WEBHOOK_BODY`]); a
    /// larger one is refused with [`VerifyError::TooLarge`] before it is hashed.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `max_body` for zero: no delivery could be accepted.
    pub fn max_body(mut self, bytes: usize) -> Result<Self> {
        if bytes == 0 {
            return Err(Error::invalid("max_body", "must be at least 1 byte"));
        }
        self.max_body = bytes;
        Ok(self)
    }

    /// The most bytes a delivery's body may have.
    pub fn max_body_size(&self) -> usize {
        self.max_body
    }

    /// Verifies a delivery from the value of its [`SIGNATURE_HEADER`] (`None` when the request
    /// had none) and its raw body, and decodes its event.
    ///
    /// [`verify_headers`](Self::verify_headers) takes the request's headers instead, and will
    /// keep working unchanged if Linq's signature needs more headers (V3 adds a timestamp).
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the delivery is refused; nothing of the body or the
    /// secrets is in it.
    pub fn verify(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        self.within_limit(body)?;
        signature::check_value(signature.map(str::as_bytes), body, &self.secrets)?;
        WebhookEvent::decode(body)
    }

    /// Verifies a delivery from the request's headers and its raw body, and decodes its event.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_headers(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        self.within_limit(body)?;
        signature::check(headers, body, &self.secrets)?;
        WebhookEvent::decode(body)
    }

    fn within_limit(&self, body: &[u8]) -> Result<(), VerifyError> {
        if body.len() > self.max_body {
            return Err(VerifyError::TooLarge {
                limit: self.max_body,
            });
        }
        Ok(())
    }
}

/// Why a delivery was refused. Safe to log and to answer with: it never holds a secret, nor
/// anything of the body (which is personal data). [`status`](Self::status) is the HTTP status
/// to answer with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request has no signature header.
    #[error("the request has no {} header", SIGNATURE_HEADER)]
    MissingSignature,
    /// The signature is not `sha256=…` (`sha1=…`, or no `scheme=` at all).
    #[error("the signature's scheme is {}, expected `sha256=`", SchemeShown(.scheme))]
    WrongScheme {
        /// The scheme named, when it is a short plain name (`sha1`).
        scheme: Option<String>,
    },
    /// The signature after `sha256=` is not hexadecimal.
    #[error("the signature is not hexadecimal")]
    BadHex,
    /// The signature is not the 64 hexadecimal digits of a SHA-256 HMAC (an empty `sha256=`
    /// among them).
    #[error("the signature has {digits} hexadecimal digits, expected 64")]
    WrongLength {
        /// The digits it has.
        digits: usize,
    },
    /// The signature is well-formed but made with none of the verifier's secrets: a wrong
    /// secret, or a body that was changed (or re-serialised) after signing.
    #[error("the signature matches none of the {secrets} secret(s): wrong secret, or the body was changed")]
    NoSecretMatches {
        /// How many secrets were tried.
        secrets: usize,
    },
    /// The body is larger than the limit; it was not hashed.
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is signed correctly but is not an event as Linq documents it.
    #[error("the body is signed but does not decode: {message}")]
    Undecodable {
        /// What failed, in words (never the body's content).
        message: String,
    },
}

/// A refused scheme in a message: its name, or that there was none to show.
struct SchemeShown<'a>(&'a Option<String>);

impl fmt::Display for SchemeShown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, "`{name}`"),
            None => f.write_str("missing or unreadable"),
        }
    }
}

impl VerifyError {
    /// The HTTP status to answer the delivery with: 413 for a body over the limit, 401 for a
    /// missing or non-matching signature, 400 for a malformed signature or an undecodable
    /// body.
    pub fn status(&self) -> StatusCode {
        match self {
            VerifyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            VerifyError::MissingSignature | VerifyError::NoSecretMatches { .. } => {
                StatusCode::UNAUTHORIZED
            }
            VerifyError::WrongScheme { .. }
            | VerifyError::BadHex
            | VerifyError::WrongLength { .. }
            | VerifyError::Undecodable { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

/// The ids of the events a receiver has seen lately, to drop redeliveries: a set bounded to
/// `capacity` ids, forgetting the oldest first. `Send + Sync`; share it (in an `Arc`, or in
/// your server's state).
///
/// Mark an event when you take it; if processing it then fails, [`forget`](Self::forget) it
/// before answering with an error, so that Linq's redelivery is processed instead of dropped.
///
/// ```
/// use linq_api_ext::webhooks::SeenEvents;
///
/// let seen = SeenEvents::new(10_000);
/// assert!(seen.first_time("wh_evt_contact_123"));
/// assert!(!seen.first_time("wh_evt_contact_123")); // a redelivery: drop it, answer 200
/// seen.forget("wh_evt_contact_123"); // processing failed: take the next delivery
/// assert!(seen.first_time("wh_evt_contact_123"));
/// ```
pub struct SeenEvents {
    capacity: usize,
    ids: Mutex<Ids>,
}

#[derive(Default)]
struct Ids {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenEvents {
    /// A set remembering the last `capacity` event ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ids: Mutex::default(),
        }
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, Ids> {
        // A panic elsewhere while holding the lock leaves the set usable.
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `event_id`; true when it was not among the ids remembered (process the event),
    /// false when it was (a redelivery or a replay: drop it).
    pub fn first_time(&self, event_id: &str) -> bool {
        let mut ids = self.ids();
        if ids.set.contains(event_id) {
            return false;
        }
        while ids.order.len() >= self.capacity {
            if let Some(oldest) = ids.order.pop_front() {
                ids.set.remove(&oldest);
            }
        }
        ids.set.insert(event_id.to_owned());
        ids.order.push_back(event_id.to_owned());
        true
    }

    /// Forgets `event_id`, so that its next delivery counts as the first.
    pub fn forget(&self, event_id: &str) {
        let mut ids = self.ids();
        if ids.set.remove(event_id) {
            ids.order.retain(|id| id != event_id);
        }
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.ids().order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for SeenEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenEvents")
            .field("capacity", &self.capacity)
            .field("remembered", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELETED: &[u8] = br#"{"api_version":"v2","created_at":"2025-07-30T10:00:00-06:00","data":{"id":123},"event_id":"wh_evt_contact_deleted_123","event_type":"contact.deleted"}"#;

    #[test]
    fn a_verifier_needs_non_blank_secrets_and_a_positive_limit() {
        let none: [&str; 0] = [];
        for refused in [
            WebhookVerifier::with_secrets(none),
            WebhookVerifier::new(""),
            WebhookVerifier::with_secrets(["ok", " \n"]),
        ] {
            assert!(matches!(
                refused,
                Err(Error::InvalidInput {
                    field: "secret",
                    ..
                })
            ));
        }
        let verifier = WebhookVerifier::new("s").unwrap();
        assert!(matches!(
            verifier.clone().max_body(0),
            Err(Error::InvalidInput {
                field: "max_body",
                ..
            })
        ));
        assert_eq!(verifier.max_body(10).unwrap().max_body_size(), 10);
    }

    #[test]
    fn secrets_never_show() {
        let secret = WebhookSecret::new("hunter2-secret");
        let verifier = WebhookVerifier::with_secrets([secret.clone(), "other".into()]).unwrap();
        for shown in [format!("{secret:?}"), format!("{verifier:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("other"), "{shown}");
        }
        // No error, whatever went wrong, repeats the secret or the body.
        let body = br#"{"event_id":"hunter2-secret","data":{"email":"ada@example.com"}}"#;
        for signature in [None, Some("sha256=zz"), Some(&*secret.sign(b"x"))] {
            let e = verifier.verify(signature, body).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && !e.contains("ada@"), "{e}");
        }
        let e = verifier.verify(Some(&secret.sign(body)), body).unwrap_err();
        assert!(matches!(e, VerifyError::Undecodable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(!e.contains("hunter2") && !e.contains("ada@"), "{e}");
    }

    #[test]
    fn a_body_over_the_limit_is_refused_before_the_signature() {
        let secret = WebhookSecret::new("s");
        let verifier = WebhookVerifier::new(secret.clone())
            .unwrap()
            .max_body(DELETED.len() - 1)
            .unwrap();
        let e = verifier.verify(Some(&secret.sign(DELETED)), DELETED);
        assert_eq!(
            e,
            Err(VerifyError::TooLarge {
                limit: DELETED.len() - 1
            })
        );
        assert_eq!(e.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let exact = WebhookVerifier::new(secret.clone())
            .unwrap()
            .max_body(DELETED.len())
            .unwrap();
        assert!(exact.verify(Some(&secret.sign(DELETED)), DELETED).is_ok());
    }

    #[test]
    fn verify_and_verify_headers_agree() {
        let secret = WebhookSecret::new("s");
        let verifier = WebhookVerifier::new(secret.clone()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, secret.sign(DELETED).parse().unwrap());
        let by_value = verifier
            .verify(Some(&secret.sign(DELETED)), DELETED)
            .unwrap();
        assert_eq!(
            verifier.verify_headers(&headers, DELETED).unwrap(),
            by_value
        );
        assert_eq!(
            verifier.verify_headers(&HeaderMap::new(), DELETED),
            Err(VerifyError::MissingSignature)
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(VerifyError::MissingSignature.status(), 401);
        assert_eq!(VerifyError::NoSecretMatches { secrets: 1 }.status(), 401);
        assert_eq!(VerifyError::BadHex.status(), 400);
        assert_eq!(VerifyError::WrongLength { digits: 0 }.status(), 400);
        assert_eq!(
            VerifyError::Undecodable {
                message: String::new()
            }
            .status(),
            400
        );
    }

    #[test]
    fn seen_events_are_bounded_and_forget_the_oldest() {
        let seen = SeenEvents::new(2);
        assert!(seen.is_empty());
        assert!(seen.first_time("a"));
        assert!(seen.first_time("b"));
        assert!(!seen.first_time("a"));
        assert!(seen.first_time("c")); // "a" is forgotten
        assert_eq!(seen.len(), 2);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("c"));
        seen.forget("c");
        assert!(seen.first_time("c"));
        assert!(SeenEvents::new(0).first_time("x"));
    }
}
