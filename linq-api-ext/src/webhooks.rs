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

#[cfg(feature = "axum")]
mod axum;
mod error;
mod events;
mod seen;
mod signature;
mod verify;

#[cfg(feature = "axum")]
pub use self::axum::{LinqWebhook, WebhookRejection};
pub use crate::model::EventType;
pub use error::VerifyError;
pub use events::{EventData, WebhookEvent};
pub use seen::SeenEvents;
pub use signature::{WebhookSecret, SIGNATURE_HEADER};
pub use verify::{WebhookVerifier, DEFAULT_MAX_WEBHOOK_BODY};
