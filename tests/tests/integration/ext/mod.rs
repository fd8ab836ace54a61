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

use httpmock::MockServer;
use linq_api_ext::{ContactId, LinqClient, LinqClientBuilder};
use serde_json::{json, Value};

use crate::support::john_doe_json;
pub use crate::support::{builder_at, TOKEN};

/// A builder aimed at `server`, with fast deterministic retries.
pub fn builder(server: &MockServer) -> LinqClientBuilder {
    builder_at(server.base_url())
}

/// A contact id from a literal.
pub fn id(n: u64) -> ContactId {
    ContactId::new(n).expect("a positive id")
}

/// A client aimed at `server`.
pub fn client(server: &MockServer) -> LinqClient {
    builder(server).build().expect("client builds")
}

/// The documented contact (John Doe), with another id.
pub fn contact(id: i64) -> Value {
    let mut contact = john_doe_json();
    contact["id"] = json!(id);
    contact
}
