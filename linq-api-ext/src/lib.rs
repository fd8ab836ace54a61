//! The Linq Contacts client a service uses.
//!
//! `linq-api-ext` wraps the generated [`linq_api`] client of Linq's Partner API V2 Contacts
//! endpoints with what a service needs: configuration from the environment, one error type
//! over both of Linq's error formats, retries that never create a contact twice, builders that
//! refuse bad input before sending, and pagination. Its companion
//! crate [`linq-fake`](https://docs.rs/linq-fake) is a fake Linq server for your own tests.
//!
//! ```
//! use futures_util::TryStreamExt;
//! use linq_api_ext::{Error, LinqClient};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! # let fake = linq_fake::FakeLinq::start().await;
//! # std::env::set_var("LINQ_INTEGRATION_TOKEN", fake.token());
//! # std::env::set_var("LINQ_BASE_URL", fake.base_url());
//! let linq = LinqClient::from_env()?; // LINQ_INTEGRATION_TOKEN, optional LINQ_BASE_URL
//!
//! let ada = linq.contacts().create().first_name("Ada").email("ada@example.com").send().await?;
//! let hit = linq.contacts().find().phone_number("+1 (555) 123-4567").send().await?;
//! assert!(hit.is_none()); // find gives an Option<Contact>
//! let renamed = linq.contacts().update(ada.id).last_name("Lovelace").send().await?;
//! assert_eq!(renamed.full_name.as_deref(), Some("Ada Lovelace"));
//!
//! let mut all = linq.contacts().list().per_page(100).stream(); // every contact, in order
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
//!
//! # Retries never duplicate
//!
//! Reads, updates and deletes are retried on connection failures, timeouts, 408, 429 and 5xx.
//! A create is retried only when it provably did not reach Linq (the connection could not be
//! established, or a 429) — never after a timeout or a 5xx, where a second POST could create a
//! second contact. See [`RetryPolicy`] for the whole table.
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
//! # Tracing
//!
//! Each call runs in a `linq.call` span (operation, method, path) with an event per attempt
//! (attempt, status, elapsed_ms, request_id) and per retry; nothing logged contains the token.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod contacts;
mod error;
mod pagination;
mod retry;

pub use config::{
    LinqClient, LinqClientBuilder, Token, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT, TOKEN_ENV,
};
pub use contacts::{
    Contacts, CreateContact, DeleteContact, FindContact, GetContact, UpdateContact,
};
pub use error::{ApiError, Error, ErrorFormat, Result};
pub use pagination::{ContactPage, ContactStream, ListContacts, MAX_CONCURRENCY, MAX_PER_PAGE};
pub use retry::RetryPolicy;

/// The generated client this crate is built on, for the raw API.
pub use linq_api;
/// A contact, as Linq returns it.
pub use linq_api::types::Contact;
/// The user who owns a contact.
pub use linq_api::types::ContactOwner;
/// Where a page stands in the whole list.
pub use linq_api::types::Pagination;
