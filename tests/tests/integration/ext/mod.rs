//! `linq-api-ext` as a service uses it, against httpmock servers on 127.0.0.1.

mod broken_transport;
mod builders;
mod client;
mod hostile_replies;
mod metadata;
mod reconcile;
mod retries;
mod spawned;
mod with_fake;

use std::time::Duration;

use httpmock::MockServer;
use linq_api_ext::{ContactId, LinqClient, LinqClientBuilder, RetryPolicy};
use serde_json::{json, Value};

/// The token every test client uses.
pub const TOKEN: &str = "tok-SECRET-0123456789";

/// A builder aimed at `server`, with fast deterministic retries.
pub fn builder(server: &MockServer) -> LinqClientBuilder {
    builder_at(server.base_url())
}

/// A builder aimed at `base_url` (a hand-written server, a closed port), with fast
/// deterministic retries.
pub fn builder_at(base_url: impl Into<String>) -> LinqClientBuilder {
    LinqClient::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .jitter(false),
        )
}

/// A contact id from a literal.
pub fn id(n: u64) -> ContactId {
    ContactId::new(n).expect("a positive id")
}

/// A client aimed at `server`.
pub fn client(server: &MockServer) -> LinqClient {
    builder(server).build().expect("client builds")
}

/// The documented contact, with another id.
pub fn contact(id: i64) -> Value {
    json!({
        "id": id, "first_name": "John", "last_name": "Doe", "full_name": "John Doe",
        "email": "john@example.com", "phone_number": "+15551234567", "company": "Acme Corp",
        "title": "CEO", "location": "San Francisco, CA", "image_url": null,
        "created_at": "2025-07-30T10:00:00.000-05:00", "updated_at": "2025-07-30T10:00:00.000-05:00",
        "contact_owner": {"id": 456, "email": "owner@company.com", "first_name": "Jane",
                          "last_name": "Owner", "name": "Jane Owner"}
    })
}

/// The documented 404 body.
pub fn not_found() -> Value {
    json!({"status": "error", "error_code": "CONTACT_NOT_FOUND", "message": "Contact not found",
           "errors": ["The requested contact does not exist or is not accessible to your organization"]})
}
