//! `linq-api-ext` as a service uses it, against httpmock servers on 127.0.0.1.

mod broken_transport;
mod builders;
mod client;
mod hostile_replies;
mod metadata;
mod plugins;
mod reconcile;
mod retries;
mod spawned;
mod with_fake;

use httpmock::{Mock, MockServer, Then};
use linq_api::mock::MockServerExt;
use linq_api_ext::{ContactId, Error, LinqClient, LinqClientBuilder};
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

/// Contact `n` as get, update and patch answer: a raw 200 of the documented JSON.
pub fn found(then: Then, n: i64) -> Then {
    then.status(200).json_body(json!({ "data": contact(n) }))
}

/// A mock of `GET` contact `n` (matched by the typed helper) answering as `reply` writes it:
/// raw, since what these tests send is mostly statuses and headers no spec declares.
pub fn on_get(server: &MockServer, n: u64, reply: impl FnOnce(Then) -> Then) -> Mock<'_> {
    server.get_contact(|when, then| {
        when.id(id(n).into());
        reply(then.into_inner());
    })
}

/// A mock of `DELETE` contact `n` answering as `reply` writes it.
pub fn on_delete(server: &MockServer, n: u64, reply: impl FnOnce(Then) -> Then) -> Mock<'_> {
    server.delete_contact(|when, then| {
        when.id(id(n).into());
        reply(then.into_inner());
    })
}

/// A mock of every create answering as `reply` writes it.
pub fn on_create(server: &MockServer, reply: impl FnOnce(Then) -> Then) -> Mock<'_> {
    server.create_contact(|_, then| {
        reply(then.into_inner());
    })
}

/// `Some(before_send)` if `err` is a connection failure: whether the request provably never
/// left.
pub fn connection_failure(err: &Error) -> Option<bool> {
    match err {
        Error::Connection { before_send, .. } => Some(*before_send),
        _ => None,
    }
}

/// `Some(deadline)` if `err` is a timeout: whether the total deadline (not one attempt's
/// timeout) ran out.
pub fn timeout(err: &Error) -> Option<bool> {
    match err {
        Error::Timeout { deadline, .. } => Some(*deadline),
        _ => None,
    }
}
