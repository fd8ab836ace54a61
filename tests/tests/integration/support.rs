//! Helpers shared by the integration test modules.
//!
//! Everything here is generic: a way to build the generated client against a local server the
//! way a service would (token in a sensitive default header), and the documented examples of
//! Linq's Contacts reference (the same values as the examples in `openapi/linq-v2-contacts.yaml`)
//! as JSON fixtures, so that
//! every module talks about the same John Doe.
//!
//! Mocks are set up with the typed helpers generated from the spec
//! (`linq_api::mock::MockServerExt`), which know each operation's method and path. The few
//! hand-built mocks that remain (for a request no single operation describes) take their paths
//! from here, and this file takes them from `linq_api::spec`: no test file spells a path.

use std::{fmt::Display, num::NonZeroU64, time::Duration};

use httpmock::MockServer;
use linq_api::{spec, types};
use linq_api_ext::{LinqClient, LinqClientBuilder, RetryPolicy};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

/// The path of the contacts collection (list and create), and the prefix of every contact path.
pub const CONTACTS: &str = spec::LIST_CONTACTS.path;

/// `op`'s path with `id` in place of its one path parameter: `path_of(&spec::GET_CONTACT, 7)`.
pub fn path_of(op: &spec::Operation, id: impl Display) -> String {
    let (head, rest) = op.path.split_once('{').expect("a path with a parameter");
    let (_, tail) = rest.split_once('}').expect("a closed parameter");
    format!("{head}{id}{tail}")
}

/// A path id of the generated client and its typed mocks.
pub fn id(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).expect("test ids are non-zero")
}

/// A port on 127.0.0.1 that is bound but not listening: connections to it are refused, and no
/// other test can bind it while the returned socket lives (a port that was merely free a
/// moment ago could be taken by another test binding port 0).
pub fn refusing_port() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("a free port");
    let addr = socket.local_addr().expect("a bound socket has an address");
    (socket, addr)
}

/// The header Linq reads the integration token from.
pub use linq_api::spec::TOKEN_HEADER;

/// A made-up integration token; distinctive enough to grep for in `Debug` output.
pub const TOKEN: &str = "test-token-7f3a9c1e-do-not-log";

/// A `linq-api-ext` client builder aimed at `base_url` (an httpmock server, a hand-written
/// server, a closed port) with [`TOKEN`] and fast deterministic retries.
pub fn builder_at(base_url: impl Into<String>) -> LinqClientBuilder {
    LinqClient::builder().token(TOKEN).base_url(base_url).retry_policy(
        RetryPolicy::default().initial_backoff(Duration::from_millis(5)).jitter(false),
    )
}

/// A `linq-api-ext` client builder aimed at `fake` (its base URL and token) with the fast
/// deterministic retries of [`builder_at`].
pub fn builder_of(fake: &linq_fake::FakeLinq) -> LinqClientBuilder {
    builder_at(fake.base_url()).token(fake.token())
}

/// A `linq-api-ext` client of `fake`, as [`builder_of`] configures it.
pub fn client_of(fake: &linq_fake::FakeLinq) -> LinqClient {
    builder_of(fake).build().expect("a client of the fake builds")
}

/// A fresh, empty fake Linq and a client of it ([`client_of`]).
pub async fn fake_and_client() -> (linq_fake::FakeLinq, LinqClient) {
    let fake = linq_fake::FakeLinq::start().await;
    let linq = client_of(&fake);
    (fake, linq)
}

/// A `reqwest::Client` that sends `token` in [`TOKEN_HEADER`] on every request, with the header
/// value marked sensitive (as `linq-api`'s crate docs show).
pub fn http_client_with_token(token: &str) -> reqwest::Client {
    let mut value = HeaderValue::from_str(token).expect("a token is a valid header value");
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(TOKEN_HEADER, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a plain reqwest client builds")
}

/// The generated client pointed at `base_url` (e.g. an httpmock server's `base_url()`), sending
/// [`TOKEN`].
pub fn generated_client(base_url: &str) -> linq_api::Client {
    linq_api::Client::new_with_client(base_url, http_client_with_token(TOKEN))
}

/// A mock on `server` that answers every request with a 500: a test of what is refused before
/// sending asserts that it was never called.
pub fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(500);
    })
}

/// A page of the contact list as Linq sends it: `contacts` and the pagination that says where
/// they stand.
pub fn page_json(
    contacts: Vec<Value>,
    current_page: u64,
    per_page: u64,
    total_pages: u64,
) -> Value {
    json!({
        "contacts": contacts,
        "pagination": {"current_page": current_page, "per_page": per_page,
                       "total_pages": total_pages, "total_count": total_pages * per_page}
    })
}

/// A fresh httpmock server and the generated client aimed at it.
pub async fn server_and_client() -> (MockServer, linq_api::Client) {
    let server = MockServer::start_async().await;
    let client = generated_client(&server.base_url());
    (server, client)
}

/// The documented contact John Doe (id 123), as Linq sends it (inside `data`, inside
/// `contacts[]`, and bare from Find).
pub fn john_doe_json() -> Value {
    json!({
        "id": 123,
        "first_name": "John",
        "last_name": "Doe",
        "full_name": "John Doe",
        "email": "john@example.com",
        "phone_number": "+15551234567",
        "company": "Acme Corp",
        "title": "CEO",
        "location": "San Francisco, CA",
        "image_url": null,
        "created_at": "2025-07-30T10:00:00.000-05:00",
        "updated_at": "2025-07-30T10:00:00.000-05:00",
        "contact_owner": owner_json()
    })
}

/// John Doe with another id, as the generated type (decoded from [`john_doe_json`]).
pub fn john_as(id: i64) -> types::Contact {
    let mut contact = john_doe_json();
    contact["id"] = json!(id);
    serde_json::from_value(contact).expect("John Doe decodes")
}

/// [`john_as`] inside `data`, as get, create, update and patch answer.
pub fn envelope_of(id: i64) -> types::ContactEnvelope {
    types::ContactEnvelope { data: john_as(id) }
}

/// The documented second list item, Jane Smith (id 124).
pub fn jane_smith_json() -> Value {
    json!({
        "id": 124,
        "first_name": "Jane",
        "last_name": "Smith",
        "full_name": "Jane Smith",
        "email": "jane@example.com",
        "phone_number": "+15559876543",
        "company": "Tech Corp",
        "title": "CTO",
        "location": "New York, NY",
        "image_url": null,
        "created_at": "2025-07-29T10:00:00.000-05:00",
        "updated_at": "2025-07-29T10:00:00.000-05:00",
        "contact_owner": owner_json()
    })
}

/// The documented contact owner (id 456) of both example contacts.
pub fn owner_json() -> Value {
    json!({
        "id": 456,
        "email": "owner@company.com",
        "first_name": "Jane",
        "last_name": "Owner",
        "name": "Jane Owner"
    })
}

/// The documented Create request (default owner).
pub fn create_request_json() -> Value {
    json!({
        "contact": {
            "first_name": "John",
            "last_name": "Doe",
            "email": "john@example.com",
            "phone_number": "+15551234567",
            "company": "Acme Corp",
            "title": "CEO",
            "location": "San Francisco, CA"
        }
    })
}

/// The documented Update request ("update email only").
pub fn update_email_only_json() -> Value {
    json!({ "contact": { "email": "newemail@example.com" } })
}

/// The documented 404 of get/put/patch/delete (StandardError format).
pub fn contact_not_found_json() -> Value {
    json!({
        "status": "error",
        "error_code": "CONTACT_NOT_FOUND",
        "message": "Contact not found",
        "errors": [
            "The requested contact does not exist or is not accessible to your organization"
        ]
    })
}

/// [`contact_not_found_json`] as the generated type.
pub fn contact_not_found() -> types::ErrorBody {
    serde_json::from_value(contact_not_found_json()).expect("the documented 404 decodes")
}

/// The documented 422 of create (StandardError format).
pub fn validation_error_json() -> Value {
    json!({
        "status": "error",
        "error_code": "VALIDATION_ERROR",
        "message": "Contact validation failed",
        "errors": [
            "At least one of the name, email, or phone number fields must be filled out for the contact"
        ]
    })
}

/// A 401 in Linq's render_error format (as documented for List Chats).
pub fn unauthorized_render_error_json() -> Value {
    json!({
        "errors": [{
            "status": 401,
            "code": "unauthorized",
            "title": "Unauthorized",
            "detail": "Invalid integration token"
        }]
    })
}

/// Linq's V3 error shape (not a V2 format), as a gateway could put it in front of V2.
pub fn v3_rate_limited_json() -> Value {
    json!({
        "success": false,
        "error": {
            "status": 429,
            "code": 1007,
            "message": "Rate limited. Try again in 45 seconds.",
            "retry_after": 45
        },
        "trace_id": "trace-abc-123"
    })
}
