//! The Linq Contacts client a service uses.
//!
//! `linq-api-ext` wraps the generated [`linq_api`] client of Linq's Partner API V2 Contacts
//! endpoints with what a service needs: configuration from the environment, one error type
//! over both of Linq's error formats, retries that never create a contact twice, builders that
//! refuse bad input before sending, pagination, and webhooks (verifying Linq's signed contact
//! events, managing subscriptions). Its companion
//! crate [`linq-fake`](https://docs.rs/linq-fake) is a fake Linq server for your own tests.
//!
//! ```
//! use futures_util::TryStreamExt;
//! use linq_api_ext::{Error, LinqClient, Outcome};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! # let fake = linq_fake::FakeLinq::start().await;
//! # std::env::set_var("LINQ_INTEGRATION_TOKEN", fake.token());
//! # std::env::set_var("LINQ_BASE_URL", fake.base_url());
//! let linq = LinqClient::from_env()?; // LINQ_INTEGRATION_TOKEN, optional LINQ_BASE_URL
//!
//! let (ada, meta) = linq.contacts().create().first_name("Ada").email("ada@example.com")
//!     .send_with_meta().await?; // the contact, and what the response said
//! println!("created {} in request {}", ada.id, meta.request_id().unwrap_or("-"));
//!
//! // Safe to repeat: finds Ada instead of creating her twice, even after a lost reply.
//! let same = linq.contacts().find_or_create().email("ada@example.com").first_name("Ada").await?;
//! assert_eq!((same.outcome, same.contact.id), (Outcome::Found, ada.id));
//! // Update the contact with this email, or create it.
//! let grace = linq.contacts().upsert().email("grace@example.com").title("Rear Admiral").await?;
//! assert_eq!(grace.outcome, Outcome::Created);
//!
//! let hit = linq.contacts().find().phone_number("+1 (555) 123-4567").send().await?;
//! assert!(hit.is_none()); // find gives an Option<Contact>
//! let renamed = linq.contacts().update(ada.id).last_name("Lovelace").send().await?;
//! assert_eq!(renamed.full_name.as_deref(), Some("Ada Lovelace"));
//!
//! let mut all = linq.contacts().list().per_page(100).stream(); // page by page, in Linq's order
//! while let Some(contact) = all.try_next().await? {
//!     println!("{} {}", contact.id, contact.full_name.as_deref().unwrap_or(""));
//! }
//!
//! linq.contacts().delete(ada.id).send().await?;
//! match linq.contacts().get(ada.id).send().await {
//!     Err(Error::NotFound(e)) => println!("gone: {e}"),
//!     other => panic!("expected not found, got {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! (This example runs against the fake Linq of `linq-fake`; see below.)
//!
//! # Defaults
//!
//! | setting | default |
//! |---|---|
//! | base URL | `https://api.linqapp.com` (`LINQ_BASE_URL`) |
//! | timeout of one attempt | 60 s |
//! | connect timeout | 10 s |
//! | total deadline of a call | none (set one with [`LinqClientBuilder::total_deadline`]) |
//! | retries | 2, backoff 0.5 s · 2ⁿ up to 8 s with jitter, `Retry-After` honoured up to 60 s |
//! | user agent | `linq-api-rust/<version>`, after your product if you set one |
//! | largest response body read | 8 MiB ([`DEFAULT_MAX_RESPONSE_BODY`], [`LinqClientBuilder::max_response_body`]) |
//!
//! Zero timeouts, deadlines and body limits are refused, on the client and per call.
//!
//! # Retries never duplicate
//!
//! Reads, updates and deletes are retried on connection failures, timeouts, 408, 429 and 5xx.
//! A create is retried only when it provably did not reach Linq (the connection could not be
//! established, or a 429) — never after a timeout or a 5xx, where a second POST could create a
//! second contact. [`Error::is_retryable`] gives the same, operation-aware answer to a caller
//! with a retry loop of its own, and [`Error::may_have_taken_effect`] says whether a failed
//! request may have been processed. See [`RetryPolicy`] for the whole table.
//!
//! **The deadline rule:** with a total deadline, a retry starts only if, after its wait, at
//! least the smaller of the attempt timeout and [`MIN_USEFUL_ATTEMPT`] (1 s) is left. When the
//! deadline ends the retries, the caller gets the last reply's error (status, headers, request
//! id, `Retry-After`) with [`Error::stopped_by_deadline`] true.
//!
//! # Every read is bounded, and nothing that arrived is lost
//!
//! Each attempt is bounded in time (its timeout, and the total deadline) and each response body
//! in size: at most [`LinqClientBuilder::max_response_body`] bytes (8 MiB by default, about ten
//! times a page of 100 contacts with every field at its longest), successes and errors alike.
//! When a body breaks off, stalls or is too large after its status arrived, the error keeps the
//! status, the headers and the request id, and says what happened ([`BodyFailure`]): an error
//! status stays its variant (a 429 keeps its `Retry-After`, which still drives the retry), a
//! success becomes [`Error::Decode`] — for a create, the contact then probably exists.
//!
//! # Input rules
//!
//! Bad input is refused before anything is sent, with an [`Error::InvalidInput`] that names the
//! field and the rule (never the value). The field rules come from the spec's `maxLength` and
//! `pattern` through [`linq_api::rules`], the same table the fake Linq applies: names, company,
//! title and location at most 255 characters; email at most 254, `local@domain`; phone number
//! at most 32 characters, 4 to 15 digits with an optional leading `+` and separators; no
//! control character in any field. Create, update and find apply the same rules. Linq's prose
//! rules are the builders': at least one of first name, last name, email or phone number on
//! create and update; an email or a phone number on find.
//!
//! # No personal data in errors or logs
//!
//! Emails, phone numbers and names never appear in an error's `Display` or `Debug` nor in
//! this crate's log events: input errors name the field and the rule, never the value;
//! transport errors drop the request's URL (a find's carries the email and phone number); a
//! success body is never shown. Text from the server (an error body's message) is shown with
//! its control characters escaped. (What Linq itself puts in its error messages is Linq's.)
//!
//! # Writes that never duplicate and still succeed
//!
//! Linq V2 has no idempotency key, so a plain [`create`](Contacts::create) that fails after it
//! may have reached Linq (a timeout, a dropped connection, a 5xx, a reply cut off) is never
//! sent again — and the service does not know whether the contact exists.
//! [`find_or_create`](Contacts::find_or_create) and [`upsert`](Contacts::upsert) close that
//! gap: they look the contact up by its email (or, without one, its phone number), create it
//! only when it is not there, and after an ambiguous failure look again before deciding, so
//! they end in a definite [`Ensured`] answer that says what happened ([`Outcome`]). A contact
//! that only shares the phone number (a company switchboard) is another person: it is never
//! updated or returned. On the happy path they cost two
//! round trips (find, then create or update). What they guarantee and what they cannot (two
//! writers racing on one identity) is in [`reconcile`].
//!
//! # Spawning calls, and what a success says
//!
//! A [`Contacts`] handle and every builder it makes own a handle of the client (a cheap clone
//! of one shared connection pool), so builders and their futures are `Send + 'static`:
//! `tokio::spawn(linq.contacts().get(id).send())` just works. Every builder also has
//! `send_with_meta`, which returns the typed value beside a [`ResponseMeta`]: the HTTP
//! status, the response headers, the request id, the number of attempts and the elapsed
//! time. Plain `send` builds the same metadata and drops it, so it costs nothing to not ask.
//! A walk over every page has it too: [`ListContacts::pages`] yields each page beside the
//! metadata of the call that got it.
//!
//! # The stable surface
//!
//! This crate is what services compile against, so a Linq change that only *adds* something —
//! a response field, an optional parameter, an optional request field — must not break them.
//! The generated types of [`linq_api`] cannot promise that: they are plain structs with public
//! fields, and a field added to one breaks every struct literal of it (a service's test
//! fixture, a mock). So nothing here re-exports them; this crate owns its public types:
//!
//! - [`Contact`], [`ContactOwner`], [`Pagination`], [`ContactPage`] are `#[non_exhaustive]`
//!   structs with public fields: reading them is plain field access, but they cannot be built
//!   with a literal or matched exhaustively outside this crate, so adding a field is a minor
//!   release. Tests build them with [`Contact::new`] or from JSON (they are `serde`
//!   types). Public fields rather than accessors: a response type is data, and accessors would
//!   only hide the same `Option<String>`s behind a method each.
//! - [`WebhookEvent`] is `#[non_exhaustive]` too; a test builds one the way a receiver gets
//!   one: by signing a body with [`WebhookSecret::sign`] and verifying it.
//! - Each is converted from its generated counterpart by code that names every field it copies,
//!   never by a pattern that lists them all: a field Linq adds does not break this crate either;
//!   it appears here when someone adds it, deliberately, in a minor release.
//! - Ids are a [`ContactId`], positive by construction (the generated path parameter is a
//!   `NonZeroU64` already). An id that cannot exist cannot be passed to `get`, `update` or
//!   `delete`; it is refused where it is made ([`ContactId::try_from`], `str::parse`), with an
//!   [`Error::InvalidInput`] naming `id`.
//! - Request fields are builder setters (an optional field added to Linq's API is a new setter:
//!   minor), and query parameters are builder setters too, never positional arguments.
//! - Enums ([`Error`], [`ErrorFormat`], [`EventData`], [`EventType`], [`VerifyError`]) are
//!   `#[non_exhaustive]`. An event type or subscription event name that this crate does not
//!   type (Linq adds them) decodes into an `Other` value keeping the raw name (and the event's
//!   raw data), never into an error.
//!
//! [`linq_api`] stays available (`LinqClient::raw`, the `linq_api` re-export) for the raw
//! positional API, without these promises.
//!
//! # The token is a secret
//!
//! It is redacted in every `Debug` and `Display` (client, builder, errors), never logged, marked
//! sensitive on the wire, and only ever sent to the configured base URL: redirects are not
//! followed, and plain `http://` is refused except on loopback or with
//! [`LinqClientBuilder::allow_http`].
//!
//! # Testing your service
//!
//! [`linq-fake`](https://docs.rs/linq-fake) (a dev-dependency: `linq-fake = "0.1"`) is an
//! in-memory Linq on 127.0.0.1 with fault injection and a request log. Point the client at it:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use linq_fake::{FakeLinq, Operation, Reply};
//! use linq_api_ext::{Error, LinqClient};
//!
//! let fake = FakeLinq::start().await;
//! let linq = LinqClient::builder().token(fake.token()).base_url(fake.base_url()).build()?;
//!
//! // Linq fails once with a 503: the create is not re-sent, so no duplicate can appear.
//! fake.script(Operation::CreateContact, [Reply::status(503)]);
//! let err = linq.contacts().create().email("ada@example.com").send().await.unwrap_err();
//! assert!(matches!(err, Error::Server(_)));
//! assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1);
//!
//! // A read is retried through the same failure.
//! let ada = linq.contacts().create().email("ada@example.com").send().await?;
//! fake.script(Operation::GetContact, [Reply::status(503)]);
//! assert_eq!(linq.contacts().get(ada.id).send().await?.id, ada.id);
//! # Ok(())
//! # }
//! ```
//!
//! The runnable quickstart does the same walk-through against the fake, or against Linq when
//! `LINQ_INTEGRATION_TOKEN` is set: `cargo run -p linq-api-ext --example quickstart`.
//!
//! # Webhooks
//!
//! Linq delivers `contact.created`, `contact.updated` and `contact.deleted` events to the URLs
//! a service subscribes, signed with the subscription's secret
//! (`X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`). [`WebhookVerifier`]
//! checks a delivery's signature over the **raw body bytes** (constant-time, with one or more
//! secrets for a rotation, the body bounded in size) and decodes it into a [`WebhookEvent`] of
//! this crate's own types; anything else is a [`VerifyError`] that says why and which HTTP
//! status to answer. Event types this crate does not type arrive as [`EventData::Other`] with
//! their name and data, never as an error.
//!
//! ```
//! use linq_api_ext::{EventData, SeenEvents, WebhookSecret, WebhookVerifier};
//!
//! let verifier = WebhookVerifier::new("whsec-from-your-vault")?;
//! let seen = SeenEvents::new(10_000);
//! # let body: &[u8] = br#"{"api_version":"v2","created_at":"2025-07-30T10:00:00-06:00","data":{"id":123},"event_id":"wh_evt_contact_deleted_123","event_type":"contact.deleted"}"#;
//! # let header = WebhookSecret::new("whsec-from-your-vault").sign(body);
//! // `header`: the X-Webhook-Signature value; `body`: the request body exactly as received.
//! let event = verifier.verify(Some(&header), body)?;
//! if seen.first_time(&event.event_id) {
//!     match &event.data {
//!         EventData::ContactCreated(c) | EventData::ContactUpdated(c) => println!("{} changed", c.id),
//!         EventData::ContactDeleted(id) => println!("{id} deleted"),
//!         other => println!("{}: not for us", other.event_type()),
//!     }
//! }
//! # assert!(!seen.first_time("wh_evt_contact_deleted_123"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Subscriptions are managed with [`LinqClient::webhook_subscriptions`]: `list`, `create`,
//! `update` and `delete` builders with the same error type, retries and tracing as contacts.
//! They refuse before sending a URL that is not `https` (plain `http` only on loopback), an
//! empty list of events and an empty secret; the version is always 2 (the events this crate
//! decodes), and the secret is redacted like the token. A create is never re-sent after a
//! failure that may have reached Linq: a second subscription of the same URL doubles every
//! delivery.
//!
//! ```no_run
//! use linq_api_ext::{EventType, LinqClient};
//! # async fn run(linq: LinqClient) -> Result<(), linq_api_ext::Error> {
//! let subscription = linq
//!     .webhook_subscriptions()
//!     .create()
//!     .webhook_url("https://crm.example.com/webhooks/linq")
//!     .events([EventType::ContactCreated, EventType::ContactUpdated, EventType::ContactDeleted])
//!     .secret("whsec-from-your-vault")
//!     .await?;
//! println!("subscribed: {}", subscription.id);
//! # Ok(())
//! # }
//! ```
//!
//! **V2 signs only the body, with no timestamp**: a recorded delivery verifies again when
//! replayed, and Linq redelivers failed deliveries. Drop repeats by [`WebhookEvent::event_id`]
//! ([`SeenEvents`] is a bounded in-memory set for one process) and keep handlers idempotent.
//! With the `axum` feature, [the `LinqWebhook` extractor][linq-webhook] does all of it inside a
//! handler and answers refusals with 400, 401 or 413. The [`webhooks`] module has the details, and
//! `cargo run -p linq-api-ext --features axum --example webhook_receiver` shows a receiver
//! against the fake Linq.
//!
//! # Interceptors
//!
//! An [`Interceptor`] runs around **each attempt** of every call, retries included: it can add
//! or change headers (a token the service refreshes wins over the configured one), run async
//! code first, stop the call before anything is sent, and see how each attempt ended. It never
//! sees the token, nor a find's query (an email or a phone number).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
//! use futures_util::future::BoxFuture;
//! use linq_api_ext::{AttemptOutcome, AttemptRequest, BoxError, Interceptor, LinqClient};
//! use linq_fake::{FakeLinq, Operation, Reply};
//!
//! #[derive(Default)]
//! struct Tenant { attempts: AtomicU32 }
//!
//! impl Interceptor for Tenant {
//!     fn before_attempt<'a>(&'a self, request: &'a mut AttemptRequest<'_>)
//!         -> BoxFuture<'a, Result<(), BoxError>> {
//!         Box::pin(async move {
//!             request.headers_mut().insert("x-tenant", "acme".parse()?);
//!             Ok(())
//!         })
//!     }
//!     fn after_attempt(&self, _outcome: &AttemptOutcome<'_>) {
//!         self.attempts.fetch_add(1, Ordering::Relaxed);
//!     }
//! }
//!
//! let fake = FakeLinq::start().await;
//! let tenant = Arc::new(Tenant::default());
//! let linq = LinqClient::builder().token(fake.token()).base_url(fake.base_url())
//!     .interceptor(tenant.clone())
//!     .build()?;
//! fake.script(Operation::ListContacts, [Reply::status(503)]);
//! linq.contacts().list().send().await?; // a 503, then a success
//! assert_eq!(tenant.attempts.load(Ordering::Relaxed), 2);
//! assert!(fake.requests().iter().all(|r| r.headers["x-tenant"] == "acme"));
//! # Ok(())
//! # }
//! ```
//!
//! # Tracing and OpenTelemetry
//!
//! Each call runs in a `linq.call` span (operation, method, path) with an event per attempt
//! (attempt, status, elapsed_ms, request_id) and per retry; nothing logged contains the token.
//! Each attempt is also a span of its own named and described as OpenTelemetry's HTTP client
//! conventions say (`GET /api/partner/v2/contacts/{id}`, `otel.kind = client`,
//! `http.request.method`, `server.address`, `server.port`, `url.full` with a find's `email` and
//! `phone_number` values `REDACTED`, `http.request.resend_count` on retries,
//! `http.response.status_code`, `error.type`), so `tracing-opentelemetry` exports them as they
//! are. With the `opentelemetry` feature each attempt also sends its span's W3C trace context
//! (`traceparent`) and records `http.client.request.duration`:
//!
//! ```
//! # #[cfg(feature = "opentelemetry")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use opentelemetry::trace::TracerProvider as _;
//! use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! // Your exporter (OTLP, say) goes here; the in-memory one shows what is exported.
//! let exporter = InMemorySpanExporter::default();
//! let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("my-service")));
//! let _guard = tracing::subscriber::set_default(subscriber);
//!
//! # let fake = linq_fake::FakeLinq::start().await;
//! # let linq = linq_api_ext::LinqClient::builder().token(fake.token()).base_url(fake.base_url()).build()?;
//! linq.contacts().find().email("ada@example.com").send().await?;
//! provider.force_flush()?;
//! let spans = exporter.get_finished_spans()?;
//! // Named `GET /api/partner/v2/contacts/find`: the method and the spec's path template.
//! let name = format!("GET {}", linq_api::spec::FIND_CONTACT.path);
//! let attempt = spans.iter().find(|s| s.name == name).unwrap();
//! let url = attempt.attributes.iter().find(|kv| kv.key.as_str() == "url.full").unwrap();
//! assert!(url.value.to_string().ends_with("?email=REDACTED"));
//! # assert!(fake.requests()[0].headers.contains_key("traceparent"));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "opentelemetry"))]
//! # fn main() {}
//! ```
//!
//! # Rate limits, shared
//!
//! A [`RateLimiter`] is consulted before every attempt (retries and pages fetched ahead
//! included) by all the tasks that share the client: [`LocalRateLimiter`] within one process,
//! and with the `redis` feature `RedisRateLimiter` across every replica of a service (one GCRA
//! script on Redis; when Redis is away it limits each process alone, logs that once and never
//! fails a call). Whatever the limiter, a 429 with `Retry-After` pauses every call of the
//! client, and a client-wide [`RetryBudget`] (AWS's standard mode: 500 tokens, 5 a retry)
//! keeps retries from multiplying the load during an outage.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use linq_api_ext::{LinqClient, LocalRateLimiter};
//!
//! # let fake = linq_fake::FakeLinq::start().await;
//! let limiter = Arc::new(LocalRateLimiter::per_second(50)?.burst(5)?);
//! let linq = LinqClient::builder().token(fake.token()).base_url(fake.base_url())
//!     .rate_limiter(limiter.clone()) // share one limiter among clients: one budget
//!     .build()?;
//! linq.contacts().list().send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! `cargo run -p linq-api-ext --features redis --example shared_rate_limit` runs two replicas
//! that share one limit through a local `redis-server`, against the fake Linq.
//! The webhook subscription builders are traced the same way (their secret is never logged),
//! and a delivery refused by [the `LinqWebhook` extractor][linq-webhook] is one debug event
//! (`status`, `reason`) holding neither a secret nor anything of the body.
//!
// The extractor exists only with the `axum` feature; without it, its links lead to the module
// that describes it, so the docs build either way.
#![cfg_attr(feature = "axum", doc = "[linq-webhook]: crate::webhooks::LinqWebhook")]
#![cfg_attr(not(feature = "axum"), doc = "[linq-webhook]: crate::webhooks")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The layers, bottom-up: each file imports only files above it in this list (the whole order,
// file by file, is in DESIGN.md and checked in CI by .ci/layers.py).
mod call;
mod client;
mod contacts;
mod error;
mod http;
mod model;
mod rules;
mod subscriptions;
pub mod webhooks;

pub use call::intercept::{AttemptOutcome, AttemptRequest, BoxError, Interceptor};
pub use call::limit::{LocalRateLimiter, RateLimiter};
pub use call::meta::ResponseMeta;
#[cfg(feature = "redis")]
pub use call::redis::RedisRateLimiter;
pub use call::retry::{RetryBudget, RetryPolicy, MIN_USEFUL_ATTEMPT};
pub use client::{
    LinqClient, LinqClientBuilder, Token, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY, DEFAULT_TIMEOUT, TOKEN_ENV,
};
pub use contacts::reconcile;
pub use contacts::{
    ContactPage, ContactStream, ListContacts, PageStream, MAX_CONCURRENCY, MAX_PER_PAGE,
};
pub use contacts::{
    Contacts, CreateContact, DeleteContact, FindContact, GetContact, UpdateContact,
};
pub use error::{ApiError, BodyFailure, Error, ErrorFormat, Result};
pub use model::{
    Contact, ContactId, ContactOwner, Pagination, WebhookSubscription, WebhookSubscriptionId,
};
pub use reconcile::{Ensured, FindOrCreate, Outcome, Plan, Upsert};
pub use subscriptions::{
    CreateWebhookSubscription, DeleteWebhookSubscription, ListWebhookSubscriptions,
    UpdateWebhookSubscription, WebhookSubscriptions,
};
pub use webhooks::{
    EventData, EventType, SeenEvents, VerifyError, WebhookEvent, WebhookSecret, WebhookVerifier,
};

/// The generated client this crate is built on, for the raw API.
pub use linq_api;
