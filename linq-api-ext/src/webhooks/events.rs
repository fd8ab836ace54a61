//! The events Linq delivers, as this crate's own types.

use chrono::{DateTime, FixedOffset};

use super::error::VerifyError;
use crate::model::{Contact, ContactId, EventType};

/// One delivery: Linq's envelope (`api_version`, `created_at`, `event_id`, `event_type`) and
/// its event ([`data`](Self::data)).
///
/// `#[non_exhaustive]`: a field Linq adds to the envelope is a minor release.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// The event's id, unique per event: a redelivery has the same. Drop duplicates by it
    /// (see [`SeenEvents`](super::SeenEvents)).
    pub event_id: String,
    /// When the event happened.
    pub created_at: DateTime<FixedOffset>,
    /// The API version the event is shaped by (`v2`).
    pub api_version: String,
    /// The event.
    pub data: EventData,
}

impl WebhookEvent {
    /// The event type, as Linq names it (`contact.created`).
    pub fn event_type(&self) -> &str {
        self.data.event_type()
    }
}

/// What happened. Events this crate does not type — those Linq adds, and those outside the
/// Contacts API (`message.sent`, …) — arrive as [`EventData::Other`], with their name and
/// data as sent; they never fail to decode.
///
/// `#[non_exhaustive]`: a new variant for an event Linq adds is a minor release, so keep a
/// wildcard arm. An event that gets its own variant then stops arriving as `Other`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EventData {
    /// `contact.created`: a contact was created through the API.
    ContactCreated(Contact),
    /// `contact.updated`: a contact was updated through the API.
    ContactUpdated(Contact),
    /// `contact.deleted`: the contact with this id was deleted.
    ContactDeleted(ContactId),
    /// Any other event type, with its data as sent (`Null` when it has none). Its envelope
    /// still needs `event_id`, `created_at` and `api_version`.
    Other {
        /// The event type, as sent.
        event_type: String,
        /// The event's data, as sent.
        data: serde_json::Value,
    },
}

impl EventData {
    /// The event type, as Linq names it (`contact.created`).
    pub fn event_type(&self) -> &str {
        match self {
            EventData::ContactCreated(_) => EventType::ContactCreated.as_str(),
            EventData::ContactUpdated(_) => EventType::ContactUpdated.as_str(),
            EventData::ContactDeleted(_) => EventType::ContactDeleted.as_str(),
            EventData::Other { event_type, .. } => event_type,
        }
    }
}

impl WebhookEvent {
    /// Decodes a verified body: the generated client's types decide which event it is (an
    /// event type the spec does not type becomes `Other`), then each converts to ours.
    pub(crate) fn decode(body: &[u8]) -> Result<Self, VerifyError> {
        use linq_api::types::WebhookEvent as W;
        let event: W = serde_json::from_slice(body).map_err(|e| undecodable("the event", &e))?;
        let (event_id, created_at, api_version, data) = match event {
            W::ContactCreatedEvent(e) => (
                e.event_id,
                e.created_at,
                e.api_version,
                EventData::ContactCreated(Contact::from_generated(e.data)),
            ),
            W::ContactUpdatedEvent(e) => (
                e.event_id,
                e.created_at,
                e.api_version,
                EventData::ContactUpdated(Contact::from_generated(e.data)),
            ),
            W::ContactDeletedEvent(e) => {
                // Positive already: the spec's `minimum: 1` makes it a `NonZeroU64`.
                let id = ContactId::from(e.data.id);
                (
                    e.event_id,
                    e.created_at,
                    e.api_version,
                    EventData::ContactDeleted(id),
                )
            }
            W::OtherWebhookEvent(e) => {
                let missing = |field| VerifyError::Undecodable {
                    message: format!("the event has no `{field}`"),
                };
                (
                    e.event_id.ok_or_else(|| missing("event_id"))?,
                    e.created_at.ok_or_else(|| missing("created_at"))?,
                    e.api_version.ok_or_else(|| missing("api_version"))?,
                    EventData::Other {
                        event_type: e.event_type.into(),
                        data: e.data.unwrap_or(serde_json::Value::Null),
                    },
                )
            }
        };
        Ok(Self {
            event_id,
            created_at,
            api_version,
            data,
        })
    }
}

/// An [`VerifyError::Undecodable`] that says what did not decode and where, never the values
/// (serde's own message quotes them, and they are personal data).
fn undecodable(what: &str, e: &serde_json::Error) -> VerifyError {
    use serde_json::error::Category;
    let why = match e.classify() {
        Category::Io | Category::Syntax => "is not valid JSON",
        Category::Eof => "ends early",
        Category::Data => "is not the shape Linq documents",
    };
    let at = if e.line() > 0 {
        format!(" (line {}, column {})", e.line(), e.column())
    } else {
        String::new()
    };
    VerifyError::Undecodable {
        message: format!("{what} {why}{at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Linq's documented contact.created example, verbatim.
    fn created() -> serde_json::Value {
        json!({
          "api_version": "v2",
          "created_at": "2025-07-30T10:00:00-06:00",
          "data": {
            "id": 123, "first_name": "John", "last_name": "Doe", "full_name": "John Doe",
            "email": "john@example.com", "phone_number": "+15551234567", "company": "Acme Corp",
            "title": "CEO", "location": "San Francisco, CA", "image_url": null,
            "created_at": "2025-07-30T10:00:00-06:00", "updated_at": "2025-07-30T10:00:00-06:00",
            "contact_owner": {"id": 456, "email": "owner@company.com", "first_name": "Jane",
                              "last_name": "Owner", "name": "Jane Owner"}
          },
          "event_id": "wh_evt_contact_123",
          "event_type": "contact.created"
        })
    }

    fn decode(value: &serde_json::Value) -> Result<WebhookEvent, VerifyError> {
        WebhookEvent::decode(&serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn the_documented_contact_events_decode() {
        let event = decode(&created()).unwrap();
        assert_eq!(event.event_id, "wh_evt_contact_123");
        assert_eq!(event.api_version, "v2");
        assert_eq!(event.created_at.to_rfc3339(), "2025-07-30T10:00:00-06:00");
        assert_eq!(event.event_type(), "contact.created");
        let EventData::ContactCreated(contact) = &event.data else {
            panic!("{:?}", event.data)
        };
        assert_eq!(contact.id, 123);
        assert_eq!(contact.email.as_deref(), Some("john@example.com"));
        assert_eq!(contact.contact_owner.as_ref().and_then(|o| o.id), Some(456));

        let mut updated = created();
        updated["event_type"] = json!("contact.updated");
        let event = decode(&updated).unwrap();
        assert!(matches!(&event.data, EventData::ContactUpdated(c) if c.id == 123));
        assert_eq!(event.event_type(), "contact.updated");

        let deleted = json!({
          "api_version": "v2", "created_at": "2025-07-30T10:00:00-06:00", "data": {"id": 123},
          "event_id": "wh_evt_contact_deleted_123", "event_type": "contact.deleted"
        });
        let event = decode(&deleted).unwrap();
        assert_eq!(
            event.data,
            EventData::ContactDeleted(ContactId::new(123).unwrap())
        );
        assert_eq!(event.event_type(), "contact.deleted");
    }

    #[test]
    fn an_unknown_event_type_keeps_its_name_and_data() {
        let mut event = created();
        event["event_type"] = json!("contact.merged");
        event["data"] = json!({"into": 5, "from": [6, 7]});
        let decoded = decode(&event).unwrap();
        assert_eq!(decoded.event_type(), "contact.merged");
        assert_eq!(
            decoded.data,
            EventData::Other {
                event_type: "contact.merged".into(),
                data: json!({"into": 5, "from": [6, 7]}),
            }
        );
    }

    #[test]
    fn undecodable_bodies_say_what_without_the_values() {
        let mut bad_contact = created();
        bad_contact["data"]["email"] = json!(["john@example.com"]);
        let mut no_id = created();
        no_id["event_type"] = json!("contact.deleted");
        no_id["data"] = json!({"email": "john@example.com"});
        let mut zero_id = no_id.clone();
        zero_id["data"] = json!({"id": 0});
        let mut no_envelope = created();
        no_envelope.as_object_mut().unwrap().remove("event_id");
        let mut other_without_id = no_envelope.clone();
        other_without_id["event_type"] = json!("message.sent");
        for (body, what) in [
            (
                serde_json::to_vec(&bad_contact).unwrap(),
                "the event is not the shape",
            ),
            (
                serde_json::to_vec(&no_id).unwrap(),
                "the event is not the shape",
            ),
            // The spec's `minimum: 1`: an id of 0 does not fit the deleted event's shape.
            (
                serde_json::to_vec(&zero_id).unwrap(),
                "the event is not the shape",
            ),
            (
                serde_json::to_vec(&no_envelope).unwrap(),
                "the event is not the shape",
            ),
            (
                serde_json::to_vec(&other_without_id).unwrap(),
                "no `event_id`",
            ),
            (
                b"{\"event_id\": \"john@example.com".to_vec(),
                "the event ends early",
            ),
            (b"not json".to_vec(), "the event is not valid JSON"),
            (Vec::new(), "the event ends early"),
        ] {
            let e = WebhookEvent::decode(&body).unwrap_err();
            let shown = e.to_string();
            assert!(shown.contains(what), "{shown}");
            assert!(!shown.contains("john@"), "{shown}");
            assert_eq!(e.status(), 400);
        }
    }
}
