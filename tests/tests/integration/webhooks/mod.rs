//! Webhooks as a receiver sees them: the axum extractor on a real server, and deliveries from
//! the fake Linq, all on 127.0.0.1.

mod extractor;
mod subscriptions;
mod with_fake;

/// The webhook secret of these tests; distinctive enough to grep for in any output.
pub const SECRET: &str = "whsec-test-3b9f-do-not-log";

/// A `contact.deleted` delivery's body for contact `id`, shaped as Linq documents it.
pub fn deleted_body(id: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "api_version": "v2",
        "created_at": "2025-07-30T10:00:00-06:00",
        "data": {"id": id},
        "event_id": format!("wh_evt_contact_deleted_{id}"),
        "event_type": "contact.deleted"
    }))
    .expect("JSON")
}
