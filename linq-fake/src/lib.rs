//! A fake Linq for your tests: the seven Contacts operations and the four Webhook Subscriptions
//! operations in memory, on loopback, with signed webhook deliveries and fault injection.
//!
//! Add it to your dev-dependencies; it depends on the generated [`linq_api`] crate only, so it
//! serves users of `linq-api-ext` and of the raw generated client alike:
//!
//! ```toml
//! [dev-dependencies]
//! linq-fake = "0.1"
//! ```
//!
//! [`FakeLinq::start`] listens on `127.0.0.1` on a random port, inside the current Tokio
//! runtime. Point your client at [`FakeLinq::base_url`] with [`FakeLinq::token`], and the fake
//! answers like Linq's Partner API V2 documents it: the same paths, bodies, status codes and
//! both error formats. It never touches the network beyond loopback and it stops when dropped.
//!
//! # A service test
//!
//! The code under test makes sure a contact exists for an email. The test checks that a second
//! call finds the contact instead of creating another one — exactly one POST reached Linq — and
//! that a 503 from Linq surfaces as an error and leaves nothing behind.
//!
//! ```
//! use linq_api::types::{ContactFields, ContactInput, ErrorBody, FindContactResult};
//! use linq_fake::{FakeLinq, Operation, Reply};
//!
//! /// The code under test: the id of the contact with this email, created when missing.
//! async fn ensure_contact(
//!     linq: &linq_api::Client,
//!     email: &str,
//! ) -> Result<std::num::NonZeroU64, linq_api::Error<ErrorBody>> {
//!     if let FindContactResult::Contact(found) = linq.find_contact(Some(email), None).await?.into_inner() {
//!         return Ok(found.id);
//!     }
//!     let input = ContactInput {
//!         contact: ContactFields { email: Some(email.to_owned()), ..Default::default() },
//!         user_email: None,
//!     };
//!     Ok(linq.create_contact(&input).await?.into_inner().data.id)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let fake = FakeLinq::start().await;
//! let linq = fake.raw_client()?; // the generated client, token set and marked sensitive
//!
//! let id = ensure_contact(&linq, "ada@example.com").await?;
//! assert_eq!(ensure_contact(&linq, "ADA@example.com").await?, id); // find ignores case
//! assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1); // one POST, no duplicate
//! assert_eq!(fake.contacts().len(), 1);
//!
//! // Linq is down for one request, then recovers.
//! fake.script(Operation::FindContact, [Reply::status(503)]);
//! assert!(ensure_contact(&linq, "grace@example.com").await.is_err());
//! assert_eq!(fake.contacts().len(), 1); // the failed call created nothing
//! ensure_contact(&linq, "grace@example.com").await?;
//! assert_eq!(fake.contacts().len(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! # What the fake does
//!
//! | operation | success | failures |
//! |---|---|---|
//! | `GET /api/partner/v2/contacts` | 200 `{contacts, pagination}` | 422 for `page` < 1, `per_page` outside 1..=100, or either not an integer |
//! | `POST /api/partner/v2/contacts` | 201 `{data}` | 400 body not a JSON object or without `contact`; 422 `VALIDATION_ERROR` |
//! | `GET /api/partner/v2/contacts/find` | 200 bare contact, or `{"contact": null}` | 400 neither `email` nor `phone_number`; 422 malformed email or phone |
//! | `GET /api/partner/v2/contacts/{id}` | 200 `{data}` | 404 `CONTACT_NOT_FOUND` |
//! | `PUT`, `PATCH /api/partner/v2/contacts/{id}` | 200 `{data}` | 400, 404, 422 as above |
//! | `DELETE /api/partner/v2/contacts/{id}` | 204, no body | 404 |
//! | `GET /api/partner/v2/webhook_subscriptions` | 200 `{webhook_subscriptions}` | — |
//! | `POST /api/partner/v2/webhook_subscriptions` | 201 `{webhook_subscription}` | 400 body not a JSON object or without `webhook_subscription`; 422 `VALIDATION_ERROR` |
//! | `PUT /api/partner/v2/webhook_subscriptions/{id}` | 200 `{webhook_subscription}` | 400, 404 `WEBHOOK_SUBSCRIPTION_NOT_FOUND`, 422 |
//! | `DELETE /api/partner/v2/webhook_subscriptions/{id}` | 204, no body | 404 |
//!
//! - **Auth**: every operation needs the header `X-LINQ-INTEGRATION-TOKEN` equal to
//!   [`FakeLinq::token`] (or the token of another [`Organization`]); otherwise 401 in Linq's `render_error` format,
//!   `{"errors":[{"status":401,"code":"unauthorized","title":"Unauthorized","detail":"Invalid integration token"}]}`
//!   (detail `Missing integration token` without the header). Linq does not document which
//!   format a 401 on contacts uses; this is the one documented elsewhere in V2.
//! - **Errors** of the operations use the `render_standard_error` format
//!   (`{"status":"error","error_code":…,"message":…,"errors":[…]}`) with Linq's documented
//!   messages for `CONTACT_NOT_FOUND` and for the "at least one of `first_name`, `last_name`,
//!   `email`, `phone_number`" rule. Other codes the fake uses (undocumented by Linq):
//!   `BAD_REQUEST` (malformed body, find without parameters) and `PAYLOAD_TOO_LARGE` (413, a body
//!   over 1 MiB). An unknown path is a 404 and a wrong method a 405, both in `render_error`
//!   format (codes `not_found`, `method_not_allowed`) and without auth, as a router would.
//! - **Contacts**: ids count up from 1 (across all organizations) and are never reused;
//!   listed in id order. Every field is
//!   sent, `null` when unset (`image_url` is always `null`). `full_name` is first and last name
//!   joined by a space, `null` when both are missing. `created_at`/`updated_at` are RFC 3339 in
//!   UTC with milliseconds and a numeric offset (`2025-07-30T15:00:00.000+00:00`).
//! - **Owner**: `user_email` (case-insensitive) picks one of the
//!   [organization users](FakeLinqBuilder::organization_users); an unknown one is a 422
//!   `VALIDATION_ERROR` with message `User not found`. Without it, create assigns the first
//!   admin (by default the single admin [`OrganizationUser::default_admin`]), or no owner
//!   (`contact_owner: null`) when the organization has no admin; PUT and PATCH keep the owner.
//! - **Create, PUT and PATCH** change only the fields sent; at least one identity field must
//!   be sent as a non-blank string, or 422. A field or `user_email` that is not a string is a
//!   422, `null` included (the spec makes none of them nullable); so are an email without `@`
//!   and a phone number that cannot be normalised. A blank phone number clears the field. Unknown fields are ignored; the `content-type` is not checked. PUT and PATCH
//!   answer 404 for an unknown id before validating the body (but a body that is not JSON is a
//!   400 first). Ids that are not positive integers are a 404.
//! - **Phone numbers** are stored in E.164: spaces, dashes, dots and parentheses are dropped; a
//!   number with `+` keeps its country code (8–15 digits); 10 digits get `+1`, 11 digits
//!   starting with 1 get `+`. So `(555) 123-4567`, `555-123-4567` and `+15551234567` are the
//!   same number.
//! - **Find** compares emails case-insensitively and phone numbers after normalisation. With
//!   both parameters a contact matching either is found (OR); with several matches, the lowest
//!   id wins. A blank parameter counts as absent.
//! - **Pagination**: `page` defaults to 1, `per_page` to 25 (at most 100). Out-of-bounds values
//!   are refused with a 422 rather than clamped, so a client bug shows up in tests. A page past
//!   the end is a 200 with no contacts. `total_pages` is `ceil(total_count / per_page)`, 0 when
//!   there are no contacts.
//! - Every normal answer carries an `x-request-id` header (as a Rails app sends), also recorded
//!   in [`RecordedRequest::request_id`].
//!
//! It is a model of the documentation, not of Linq: where the documentation is silent the
//! choices above and below were made, and the real API may differ.
//!
//! # What production traffic meets
//!
//! - **Organizations** ([`FakeLinqBuilder::organization`]): each token is an organization with
//!   its own users and contacts (by default each has its own admin, so an owner's email of one
//!   organization is `User not found` in another: see [`Organization::new`]). A token sees only its own organization's contacts; another's
//!   are a 404 (get, PUT, PATCH, delete) or a miss (find), as for a contact that does not
//!   exist. [`RecordedRequest::organization`] says whose request it was.
//! - **Rate limits** ([`FakeLinqBuilder::rate_limit`], [`RateLimit`]): a bucket per
//!   organization; past it a 429 `RATE_LIMITED` with `Retry-After` in whole seconds. Linq
//!   documents only that excess requests get a 429 (no numbers, body or headers); V3 sends
//!   `Retry-After`, so the fake does too. Off by default; a scripted 429 is the other way.
//! - **Duplicate emails and phone numbers** ([`FakeLinqBuilder::duplicates`], [`Duplicates`]):
//!   allowed by default, because Linq documents no uniqueness rule and no 409 in V2; they can
//!   be refused with a 422 (as a Rails uniqueness validation would) or a 409.
//!
//! # Webhooks
//!
//! - **Subscriptions** are kept per organization, like contacts (ids count up across all
//!   organizations). Create and PUT take `{"webhook_subscription": {...}}` and check it as the
//!   spec and Linq's documentation say: `webhook_url` an `http(s)` URL (at most 2048
//!   characters, no spaces), `version` 2, `events` a non-empty list of documented event types
//!   (`KnownWebhookEventType`; an unknown name is a 422), `secret` 1 to 255 characters without
//!   control characters, `active` a boolean (default `true`). Refusals are 422
//!   `VALIDATION_ERROR` whose `errors` name the field and the rule, never the value. PUT
//!   replaces `webhook_url`, `events` and `version`, and `secret`/`active` only when sent. The
//!   secret is never sent back (`secret_configured`); `delivery_attempts` and
//!   `last_delivered_at` follow the deliveries.
//! - **Events**: every contact create, PUT, PATCH and delete made through the API that takes
//!   effect (a scripted [`Reply::applied_then`] included) is a `contact.created`,
//!   `contact.updated` or `contact.deleted` event for each *active* subscription of that
//!   organization whose `events` list it. The body is the V2 envelope
//!   `{"api_version":"v2","created_at":…,"data":…,"event_id":…,"event_type":…}`: `data` is the
//!   contact as the API answered it (`{"id": …}` for a delete), `event_id` is unique
//!   (`wh_evt_…`, the same on every attempt). With a secret the POST carries
//!   [`SIGNATURE_HEADER`] `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`
//!   (see [`signature`]); `content-type` is `application/json`.
//! - **Loopback only.** Any `http(s)` URL can be subscribed (so that services can use the URLs
//!   they use in production), but the fake only sends to `127.0.0.0/8`, `[::1]` and
//!   `localhost` (sent to `127.0.0.1`, never resolved). A delivery to any other URL is not sent
//!   and is recorded once as [`DeliveryOutcome::NotLoopback`]. Deliveries use plain HTTP: the
//!   fake has no TLS, so an `https` loopback URL fails as
//!   [`DeliveryOutcome::ConnectionFailed`]. Redirects are not followed; no proxy is used.
//! - **In the background, in order.** The API answers before any delivery is made: each
//!   subscription has a task that delivers its events one after the other, in the order of the
//!   writes, each with its retries. A subscription deleted or deactivated gets nothing more.
//! - **Retries** ([`DeliveryPolicy`], set with [`FakeLinqBuilder::delivery_policy`] or
//!   [`FakeLinq::set_delivery_policy`]): a non-2xx answer, a timeout or a connection that fails
//!   is retried, by default 4 attempts in all, 100 ms before the first retry and doubling;
//!   [`DeliveryPolicy::immediate`] retries at once, for tests. At most 64 KiB of a receiver's
//!   reply is read; only its status counts.
//! - **The record**: [`FakeLinq::deliveries`] lists every attempt ([`DeliveryAttempt`]: the
//!   organization, subscription id, URL, event id and type, attempt number, outcome, the exact
//!   body and signature sent), and [`FakeLinq::wait_for_deliveries`] waits, up to a bound, until
//!   a number of attempts have ended — a test never needs to sleep:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use linq_fake::{DeliveryOutcome, DeliveryPolicy, FakeLinq};
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let fake = FakeLinq::builder().delivery_policy(DeliveryPolicy::immediate()).start().await;
//! // … subscribe a receiver on 127.0.0.1, create a contact through the API …
//! let attempts = fake
//!     .wait_for_deliveries(1, Duration::from_secs(10))
//!     .await
//!     .map_err(|seen| format!("only {} attempts", seen.len()))?;
//! assert_eq!(attempts[0].event_type, "contact.created");
//! assert_eq!(attempts[0].outcome, DeliveryOutcome::Delivered(200));
//! # Ok(())
//! # }
//! ```
//!
//! Linq's V2 documentation says nothing of retries, ordering or `https`-only URLs; these are
//! the fake's choices.
//!
//! # Faults
//!
//! - [`FakeLinq::script`] queues [`Reply`]s for an operation: the next requests of that
//!   operation get a canned status (with headers, body and delay), a dropped connection, or
//!   the normal answer delayed; after the queue is used up the fake behaves normally again.
//! - [`Reply::applied_then`] carries the operation out and then loses its reply
//!   ([`LostReply`]: no answer at all, a dropped connection, a 5xx, a body cut off halfway):
//!   the ambiguous failures after which a client cannot tell whether a create took effect.
//! - [`FakeLinq::set_latency`] and [`FakeLinq::set_operation_latency`] slow every answer down.
//! - [`FakeLinq::requests`] is the log of every request that arrived (method, path, query,
//!   headers with the token redacted, body, operation), to assert e.g. that exactly one POST
//!   was sent after a timeout.
//!
//! Scripted replies take effect before authentication: a scripted 503 is answered even to a
//! request with a wrong token, as a proxy in front of Linq would.
//!
//! # The binary
//!
//! `cargo run -p linq-fake -- --port 4010` (or `linq-fake` after `cargo install`) serves the
//! same fake as a process of its own, for the tests of services in other languages: it prints
//! `LINQ_BASE_URL=…` and `LINQ_INTEGRATION_TOKEN=…` lines on standard output, serves until
//! Ctrl-C or SIGTERM, and keeps neither a request log nor a delivery log (its memory would
//! grow with each request); it delivers webhooks all the same. `linq-fake --help` lists the flags. It needs the default `server` feature.
//!
//! # Lifecycle
//!
//! Dropping the [`FakeLinq`] signals shutdown and aborts the server task, which closes the
//! listener and every connection (requests in flight fail). [`FakeLinq::shutdown`] instead
//! stops accepting, lets requests in flight finish (up to 2 s) and then returns.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod delivery;
mod log;
mod operation;
mod organization;
mod rate_limit;
mod reply;
mod server;
mod state;
mod store;
mod subscriptions;
mod webhook;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use linq_api::types::{Contact, ContactFields};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use log::{RecordedRequest, TokenCheck};
pub use operation::Operation;
pub use organization::{Duplicates, Organization};
pub use rate_limit::RateLimit;
pub use reply::{LostReply, Reply};
pub use webhook::{signature, DeliveryAttempt, DeliveryOutcome, DeliveryPolicy, SIGNATURE_HEADER};

use state::{Mutable, Shared};
use store::{Ids, Store};
use subscriptions::{SubscriptionIds, Subscriptions};

/// The name of the header that carries the integration token (the spec's, from
/// [`linq_api::spec::TOKEN_HEADER`]).
pub const TOKEN_HEADER: &str = linq_api::spec::TOKEN_HEADER;

/// How long [`FakeLinq::shutdown`] lets requests in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A user of the fake's organization, who can own contacts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OrganizationUser {
    /// The user's id (`contact_owner.id`): positive, as the spec says of every Linq id.
    pub id: NonZeroU64,
    /// The user's email, which `user_email` refers to.
    pub email: String,
    /// The user's first name.
    pub first_name: String,
    /// The user's last name.
    pub last_name: String,
    /// Whether the user is an admin; the first admin owns contacts created without
    /// `user_email`.
    pub admin: bool,
}

impl OrganizationUser {
    /// An admin user.
    pub fn admin(
        id: NonZeroU64,
        email: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> OrganizationUser {
        OrganizationUser {
            id,
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            admin: true,
        }
    }

    /// A user who is not an admin.
    pub fn member(
        id: NonZeroU64,
        email: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        Self {
            admin: false,
            ..Self::admin(id, email, first_name, last_name)
        }
    }

    /// The organization's only user unless configured otherwise: the owner of Linq's
    /// examples, admin `456`, `owner@company.com`, Jane Owner.
    pub fn default_admin() -> OrganizationUser {
        OrganizationUser::admin(
            NonZeroU64::MIN.saturating_add(455),
            "owner@company.com",
            "Jane",
            "Owner",
        )
    }

    /// First and last name joined by a space (`contact_owner.name`).
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name.trim(), self.last_name.trim())
            .trim()
            .to_owned()
    }
}

/// Configures a [`FakeLinq`] before it starts; from [`FakeLinq::builder`].
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct FakeLinqBuilder {
    token: Option<String>,
    users: Option<Vec<OrganizationUser>>,
    latency: Duration,
    operation_latency: HashMap<Operation, Duration>,
    contacts: Vec<ContactFields>,
    port: u16,
    unlogged: bool,
    organizations: Vec<Organization>,
    rate_limit: Option<RateLimit>,
    duplicates: Duplicates,
    delivery_policy: DeliveryPolicy,
}

impl fmt::Debug for FakeLinqBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLinqBuilder")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("users", &self.users)
            .field("latency", &self.latency)
            .field("operation_latency", &self.operation_latency)
            .field("contacts", &self.contacts.len())
            .field("port", &self.port)
            .field("record_requests", &!self.unlogged)
            .field("organizations", &self.organizations)
            .field("rate_limit", &self.rate_limit)
            .field("duplicates", &self.duplicates)
            .field("delivery_policy", &self.delivery_policy)
            .finish()
    }
}

impl FakeLinqBuilder {
    /// The integration token the fake accepts. Default: a random one, so that a test can only
    /// pass if the client really sends [`FakeLinq::token`].
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The users of the organization, in order; the first admin among them owns contacts
    /// created without `user_email`. Default: [`OrganizationUser::default_admin`] alone. With
    /// no admin, such contacts have no owner (`contact_owner: null`).
    pub fn organization_users(mut self, users: impl IntoIterator<Item = OrganizationUser>) -> Self {
        self.users = Some(users.into_iter().collect());
        self
    }

    /// Latency added to every answer (see [`FakeLinq::set_latency`]).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Latency added to the answers of one operation, on top of the global latency.
    pub fn operation_latency(mut self, operation: Operation, latency: Duration) -> Self {
        self.operation_latency.insert(operation, latency);
        self
    }

    /// A contact that exists from the start (see [`FakeLinq::insert_contact`]); ids are given in
    /// the order of the calls, from 1.
    pub fn contact(mut self, fields: ContactFields) -> Self {
        self.contacts.push(fields);
        self
    }

    /// Another organization, with its own token, users and contacts (see [`Organization`]).
    /// The organization configured with [`token`](Self::token),
    /// [`organization_users`](Self::organization_users) and [`contact`](Self::contact) is the
    /// first; the others follow in the order of these calls. Tokens must differ.
    pub fn organization(mut self, organization: Organization) -> Self {
        self.organizations.push(organization);
        self
    }

    /// Limits the request rate of each organization (see [`RateLimit`]). Default: no limit.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// What create, PUT and PATCH do with an email or phone number that another contact of the
    /// organization already has (see [`Duplicates`]). Default: [`Duplicates::Allow`].
    pub fn duplicates(mut self, duplicates: Duplicates) -> Self {
        self.duplicates = duplicates;
        self
    }

    /// How failed webhook deliveries are retried (see [`DeliveryPolicy`]). Default:
    /// [`DeliveryPolicy::default`]; tests usually want [`DeliveryPolicy::immediate`].
    pub fn delivery_policy(mut self, policy: DeliveryPolicy) -> Self {
        self.delivery_policy = policy;
        self
    }

    /// The port to listen on, on `127.0.0.1`. Default: `0`, a free port chosen by the system
    /// (read it from [`FakeLinq::base_url`]); a fixed port suits a server shared with other
    /// processes, such as the `linq-fake` binary.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether to keep every request in the log of [`FakeLinq::requests`]. Default: `true`.
    /// A long-running server turns it off, so that its memory does not grow with each request.
    pub fn record_requests(mut self, record: bool) -> Self {
        self.unlogged = !record;
        self
    }

    /// Starts the fake on `127.0.0.1`, in the current Tokio runtime.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, or outside a Tokio runtime. Use
    /// [`try_start`](Self::try_start) to get the I/O error instead.
    pub async fn start(self) -> FakeLinq {
        match self.try_start().await {
            Ok(fake) => fake,
            Err(error) => panic!("the fake Linq could not listen on 127.0.0.1: {error}"),
        }
    }

    /// Starts the fake on `127.0.0.1`, in the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the loopback port cannot be bound (for a fixed [`port`](Self::port): it is in use),
    /// two organizations have the same token (`InvalidInput`), or the HTTP client that delivers
    /// webhooks cannot be built (`Other`).
    pub async fn try_start(self) -> std::io::Result<FakeLinq> {
        let users = self
            .users
            .unwrap_or_else(|| vec![OrganizationUser::default_admin()]);
        let first = Organization {
            token: self.token.unwrap_or_else(random_token),
            users: Some(users.clone()),
            contacts: self.contacts,
        };
        let organizations: Vec<Organization> =
            std::iter::once(first).chain(self.organizations).collect();
        let tokens: Vec<String> = organizations.iter().map(|o| o.token.clone()).collect();
        if (1..tokens.len()).any(|i| tokens[..i].contains(&tokens[i])) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "two organizations of the fake Linq have the same token",
            ));
        }
        let ids = Ids::new();
        let stores = organizations
            .into_iter()
            .enumerate()
            .map(|(index, mut organization)| {
                let mut store = Store::new(organization.users_at(index + 1), ids.clone());
                store.duplicates = self.duplicates;
                for fields in organization.contacts {
                    store.seed(store::fields_of(fields), store::now());
                }
                store
            })
            .collect();
        let subscription_ids = SubscriptionIds::new();
        let subscriptions = tokens
            .iter()
            .map(|_| Subscriptions::new(subscription_ids.clone()))
            .collect();
        // Webhooks go to loopback only: no proxy, and no redirect that could lead elsewhere.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("linq-fake/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        let (listener, addr) = server::bind(self.port).await?;
        let shared = Arc::new(Shared::new(
            tokens,
            Mutable {
                stores,
                rate_limit: self.rate_limit,
                buckets: HashMap::new(),
                scripts: HashMap::new(),
                latency: self.latency,
                operation_latency: self.operation_latency,
                log: Vec::new(),
                record_requests: !self.unlogged,
                subscriptions,
                delivery_policy: self.delivery_policy,
                queues: Default::default(),
                deliveries: Vec::new(),
            },
            http,
        ));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), shutdown_rx));
        Ok(FakeLinq {
            shared,
            users,
            addr,
            base_url: format!("http://{addr}"),
            shutdown,
            task: Some(task),
        })
    }
}

fn random_token() -> String {
    format!(
        "fake-linq-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

/// A running fake Linq; see the [module documentation](self).
///
/// All methods take `&self` and may be called while requests are in flight. Dropping it stops
/// the server.
pub struct FakeLinq {
    shared: Arc<Shared>,
    users: Vec<OrganizationUser>,
    addr: SocketAddr,
    base_url: String,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeLinq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLinq")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl FakeLinq {
    /// Starts a fake with the default configuration (a random token, one admin user, no
    /// contacts, no latency). Same as `FakeLinq::builder().start()`.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, or outside a Tokio runtime; see
    /// [`FakeLinqBuilder::try_start`].
    pub async fn start() -> FakeLinq {
        FakeLinq::builder().start().await
    }

    /// A builder to configure the fake before it starts.
    pub fn builder() -> FakeLinqBuilder {
        FakeLinqBuilder::default()
    }

    /// The base URL to give a client: `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The integration token the fake accepts in `X-LINQ-INTEGRATION-TOKEN`.
    pub fn token(&self) -> &str {
        &self.shared.tokens[0]
    }

    /// The tokens of every organization, the first one's ([`token`](Self::token)) first, then
    /// those of [`FakeLinqBuilder::organization`] in order. [`RecordedRequest::organization`]
    /// is an index into this list.
    pub fn tokens(&self) -> &[String] {
        &self.shared.tokens
    }

    /// The contacts of the organization with `token`, by id; `None` for an unknown token.
    pub fn contacts_of(&self, token: &str) -> Option<Vec<Contact>> {
        let index = self.shared.organization(token)?;
        Some(self.shared.lock().stores[index].all())
    }

    /// Adds a contact directly to the organization with `token`, as
    /// [`insert_contact`](Self::insert_contact) does to the first; `None` for an unknown token.
    pub fn insert_contact_into(&self, token: &str, fields: ContactFields) -> Option<Contact> {
        let index = self.shared.organization(token)?;
        Some(self.shared.lock().stores[index].seed(store::fields_of(fields), store::now()))
    }

    /// Limits the request rate of each organization from now on (`None`: no limit); every
    /// organization starts again with a full bucket.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut state = self.shared.lock();
        state.rate_limit = limit;
        state.buckets.clear();
    }

    /// What create, PUT and PATCH do with a duplicate email or phone number from now on, in
    /// every organization.
    pub fn set_duplicates(&self, duplicates: Duplicates) {
        for store in &mut self.shared.lock().stores {
            store.duplicates = duplicates;
        }
    }

    /// The users of the fake's first organization.
    pub fn organization_users(&self) -> &[OrganizationUser] {
        &self.users
    }

    /// The raw generated client, pointed at the fake: a `reqwest` client that sends the token
    /// as a default header marked sensitive, follows no redirects and uses no proxy.
    ///
    /// # Errors
    ///
    /// When `reqwest` cannot build a client, or the token is not a valid header value.
    pub fn raw_client(&self) -> Result<linq_api::Client, Box<dyn std::error::Error + Send + Sync>> {
        let mut token = reqwest::header::HeaderValue::from_str(self.token())?;
        token.set_sensitive(true);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(TOKEN_HEADER, token);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        Ok(linq_api::Client::new_with_client(self.base_url(), http))
    }

    /// Queues replies for the next requests of `operation`, after any already queued. Each
    /// request of that operation takes one; once the queue is empty the fake behaves normally.
    ///
    /// ```
    /// # use linq_fake::{FakeLinq, Operation, Reply};
    /// # async fn run(fake: &FakeLinq) {
    /// fake.script(Operation::CreateContact, [Reply::status(503), Reply::status(503)]);
    /// # }
    /// ```
    pub fn script(&self, operation: Operation, replies: impl IntoIterator<Item = Reply>) {
        self.shared
            .lock()
            .scripts
            .entry(operation)
            .or_default()
            .extend(replies);
    }

    /// How many scripted replies of `operation` are still queued.
    pub fn pending_replies(&self, operation: Operation) -> usize {
        self.shared
            .lock()
            .scripts
            .get(&operation)
            .map_or(0, |queue| queue.len())
    }

    /// Forgets every queued reply of every operation.
    pub fn clear_scripts(&self) {
        self.shared.lock().scripts.clear();
    }

    /// Latency added to every answer from now on (default none). The operation is carried out
    /// first and the answer waits, as with a slow server: a client that times out still
    /// leaves its change made.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Latency added to the answers of one operation from now on, on top of the global one.
    pub fn set_operation_latency(&self, operation: Operation, latency: Duration) {
        self.shared
            .lock()
            .operation_latency
            .insert(operation, latency);
    }

    /// Every request that has arrived, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests that were routed to `operation`, in order.
    pub fn requests_for(&self, operation: Operation) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|request| request.operation == Some(operation))
            .cloned()
            .collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Every contact of the first organization, by id, exactly as a client decodes it from the
    /// fake (see [`contacts_of`](Self::contacts_of) for the others).
    pub fn contacts(&self) -> Vec<Contact> {
        self.shared.lock().stores[0].all()
    }

    /// One contact by id, of any organization, exactly as a client decodes it from the fake
    /// (`None` for 0, which no contact has).
    pub fn contact(&self, id: u64) -> Option<Contact> {
        let id = NonZeroU64::new(id)?;
        let state = self.shared.lock();
        state.stores.iter().find_map(|store| store.one(id))
    }

    /// Adds a contact directly, without HTTP and without validation, owned by the default
    /// owner; the phone number is normalised to E.164 when it can be. Returns it as a client
    /// would decode it.
    pub fn insert_contact(&self, fields: ContactFields) -> Contact {
        self.shared.lock().stores[0].seed(store::fields_of(fields), store::now())
    }

    /// Adds a contact to the first organization as it was read from a fake (from
    /// [`contacts`](Self::contacts), saved and loaded again): with its id, its fields as they
    /// are (no validation, no normalisation), its `created_at` and `updated_at` (now when
    /// missing) and its owner (the [organization user](FakeLinqBuilder::organization_users)
    /// with the owner's email, else the default owner; none when it had none). The ids given
    /// afterwards count up from past it, so a restored set keeps its ids and its gaps.
    /// Returns the contact as a client would decode it; `None` when this fake already gave the
    /// id (ids are never reused: restore contacts in id order).
    pub fn restore_contact(&self, contact: Contact) -> Option<Contact> {
        self.shared.lock().stores[0].restore(contact)
    }

    /// How failed webhook deliveries are retried from now on (attempts already waiting keep
    /// the wait they started).
    pub fn set_delivery_policy(&self, policy: DeliveryPolicy) {
        self.shared.lock().delivery_policy = policy;
    }

    /// Every webhook delivery attempt that has ended, in the order they ended: one entry per
    /// attempt (a retry is another entry with the same `event_id` and the next `attempt`).
    /// Empty when the fake does not [record requests](FakeLinqBuilder::record_requests).
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.shared.lock().deliveries.clone()
    }

    /// Empties the log of delivery attempts (what [`wait_for_deliveries`] counts is not reset:
    /// it counts from the fake's start).
    ///
    /// [`wait_for_deliveries`]: Self::wait_for_deliveries
    pub fn clear_deliveries(&self) {
        self.shared.lock().deliveries.clear();
    }

    /// Waits until at least `count` delivery attempts have ended since the fake started (the
    /// same count as [`deliveries`](Self::deliveries) when nothing was cleared), for at most
    /// `timeout`, and returns [`deliveries`](Self::deliveries). Deliveries run in the
    /// background, after the API has answered: this is how a test waits for them, without
    /// sleeping.
    ///
    /// # Errors
    ///
    /// When `timeout` passes first: the error holds the attempts that did end, so that the
    /// test can say what was missing.
    pub async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<DeliveryAttempt>, Vec<DeliveryAttempt>> {
        let mut ended = self.shared.delivered.subscribe();
        let reached = tokio::time::timeout(timeout, ended.wait_for(|&n| n >= count)).await;
        match reached {
            Ok(Ok(_)) => Ok(self.deliveries()),
            // The sender lives as long as `self`: it cannot be dropped while we wait.
            _ => Err(self.deliveries()),
        }
    }

    /// Stops accepting connections, lets requests in flight finish (up to 2 s, then they are
    /// cut), and returns once the server has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for FakeLinq {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
