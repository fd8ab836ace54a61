//! The values a service reads: owned by this crate, not re-exported from [`linq_api`].
//!
//! The generated types change whenever the spec does, and theirs is a breaking change even when
//! Linq only *adds* a response field: they are plain structs with public fields, so a struct
//! literal in a service's code (a test fixture, a mock) stops compiling. The types here are
//! `#[non_exhaustive]` structs with public fields: reading `contact.email` is as easy as
//! before, but nobody outside this crate can write a literal or an exhaustive pattern, so a
//! field added here is a minor release. Each is built from its generated counterpart by a
//! conversion that names the fields it copies: a field Linq adds is simply not copied until we
//! add it here, deliberately, in a minor release. [`Contact::new`] (or deserializing JSON) is
//! how a test builds one.
//!
//! Ids are a [`ContactId`]: positive by construction, so a call with an impossible id cannot be
//! written, rather than being refused when it is sent.

use std::{fmt, num::NonZeroU64, str::FromStr};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use std::sync::OnceLock;

use crate::error::Error;

/// The id of a contact: a positive integer, as Linq assigns them.
///
/// Every contact Linq returns carries one; build one from your own records with
/// [`ContactId::new`], [`TryFrom<i64>`](#impl-TryFrom<i64>-for-ContactId) or
/// [`parse`](str::parse). It serializes as the bare number.
///
/// ```
/// use linq_api_ext::ContactId;
///
/// let id: ContactId = "42".parse()?;
/// assert_eq!(id.get(), 42);
/// assert_eq!(ContactId::try_from(42_i64)?, id);
/// assert!(ContactId::new(0).is_none());
/// assert!(ContactId::try_from(-3_i64).is_err()); // an InvalidInput error naming `id`
/// assert_eq!(serde_json::to_string(&id).unwrap(), "42");
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(NonZeroU64);

/// The methods and conversions of a positive integer id (`ContactId`, `WebhookSubscriptionId`):
/// one definition, so the two never drift apart.
macro_rules! positive_id {
    ($id:ident) => {
        impl $id {
            /// The id `id`, or `None` for 0.
            pub const fn new(id: u64) -> Option<Self> {
                match NonZeroU64::new(id) {
                    Some(id) => Some(Self(id)),
                    None => None,
                }
            }

            /// The number.
            pub const fn get(self) -> u64 {
                self.0.get()
            }

            /// The id as the generated client's path parameter takes it.
            pub(crate) const fn as_path(self) -> NonZeroU64 {
                self.0
            }
        }

        impl From<NonZeroU64> for $id {
            fn from(id: NonZeroU64) -> Self {
                Self(id)
            }
        }

        impl From<$id> for NonZeroU64 {
            fn from(id: $id) -> Self {
                id.0
            }
        }

        impl From<$id> for u64 {
            fn from(id: $id) -> Self {
                id.get()
            }
        }

        impl TryFrom<i64> for $id {
            type Error = Error;

            /// # Errors
            /// [`Error::InvalidInput`] naming `id` for 0 or a negative number.
            fn try_from(id: i64) -> Result<Self, Error> {
                u64::try_from(id)
                    .ok()
                    .and_then(Self::new)
                    .ok_or_else(|| invalid_id(id))
            }
        }

        impl TryFrom<u64> for $id {
            type Error = Error;

            /// # Errors
            /// [`Error::InvalidInput`] naming `id` for 0.
            fn try_from(id: u64) -> Result<Self, Error> {
                Self::new(id).ok_or_else(|| invalid_id(id))
            }
        }

        impl FromStr for $id {
            type Err = Error;

            /// Parses a decimal id (surrounding whitespace allowed).
            ///
            /// # Errors
            /// [`Error::InvalidInput`] naming `id` for anything but a positive integer; the
            /// input is not repeated.
            fn from_str(s: &str) -> Result<Self, Error> {
                s.trim()
                    .parse::<u64>()
                    .ok()
                    .and_then(Self::new)
                    .ok_or_else(|| invalid_id("something else"))
            }
        }

        /// Compares with a plain number: `contact.id == 42`.
        impl PartialEq<u64> for $id {
            fn eq(&self, other: &u64) -> bool {
                self.get() == *other
            }
        }

        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

fn invalid_id(shown: impl fmt::Display) -> Error {
    Error::invalid("id", format!("must be a positive integer, got {shown}"))
}

positive_id!(ContactId);

/// A contact, as Linq returns it.
///
/// Every field but the id is optional: Linq sends `null` for what is unset.
/// `#[non_exhaustive]`: read the fields, build one with [`Contact::new`].
///
/// ```
/// use linq_api_ext::{Contact, ContactId};
///
/// let mut ada = Contact::new(ContactId::new(7).unwrap());
/// ada.email = Some("ada@example.com".into());
/// assert_eq!(ada.id.get(), 7);
/// assert_eq!(ada.full_name, None);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// First and last name, joined by Linq.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The phone number, in E.164 form (`+15551234567`).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The company.
    #[serde(default)]
    pub company: Option<String>,
    /// The job title.
    #[serde(default)]
    pub title: Option<String>,
    /// The location.
    #[serde(default)]
    pub location: Option<String>,
    /// The URL of the contact's picture.
    #[serde(default)]
    pub image_url: Option<String>,
    /// The user of your organization who owns the contact.
    #[serde(default)]
    pub contact_owner: Option<ContactOwner>,
    /// When the contact was created.
    #[serde(default)]
    pub created_at: Option<DateTime<FixedOffset>>,
    /// When the contact was last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<FixedOffset>>,
}

impl Contact {
    /// A contact with this id and nothing else set, for tests and fixtures.
    pub fn new(id: ContactId) -> Self {
        Self {
            id,
            first_name: None,
            last_name: None,
            full_name: None,
            email: None,
            phone_number: None,
            company: None,
            title: None,
            location: None,
            image_url: None,
            contact_owner: None,
            created_at: None,
            updated_at: None,
        }
    }
}

impl TryFrom<linq_api::types::Contact> for Contact {
    type Error = Error;

    /// Converts the generated client's contact (what [`LinqClient::raw`](crate::LinqClient::raw)
    /// calls return).
    ///
    /// # Errors
    /// None today: the spec says ids are positive (`minimum: 1`), so the generated contact's
    /// id is a `NonZeroU64` already. The conversion stays fallible so that a rule the
    /// generated type cannot carry can be checked here without breaking callers.
    fn try_from(c: linq_api::types::Contact) -> Result<Self, Error> {
        Ok(Self::from_generated(c))
    }
}

impl Contact {
    /// The generated client's contact as ours: every value the generated type holds is one of
    /// ours, so inside the crate the conversion cannot fail.
    pub(crate) fn from_generated(c: linq_api::types::Contact) -> Self {
        Self {
            id: ContactId::from(c.id),
            first_name: c.first_name,
            last_name: c.last_name,
            full_name: c.full_name,
            email: c.email,
            phone_number: c.phone_number,
            company: c.company,
            title: c.title,
            location: c.location,
            image_url: c.image_url,
            contact_owner: c.contact_owner.map(ContactOwner::from),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The user of your organization who owns a contact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactOwner {
    /// The user's id (a user id, not a contact id).
    #[serde(default)]
    pub id: Option<i64>,
    /// The user's email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The user's last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The user's full name.
    #[serde(default)]
    pub name: Option<String>,
}

impl From<linq_api::types::ContactOwner> for ContactOwner {
    /// Converts the generated client's owner. Its id is positive (the spec's `minimum: 1`) and
    /// an `int64` (the spec's `format`); an id beyond `i64::MAX`, which the spec excludes,
    /// reads as `None`.
    fn from(o: linq_api::types::ContactOwner) -> Self {
        Self {
            id: o.id.and_then(|id| i64::try_from(id.get()).ok()),
            email: o.email,
            first_name: o.first_name,
            last_name: o.last_name,
            name: o.name,
        }
    }
}

/// Where a page stands in the whole list.
///
/// Counts Linq reports as negative (no real reply does) read as 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pagination {
    /// This page's number, from 1.
    pub current_page: u64,
    /// The page size asked for.
    pub per_page: u64,
    /// Pages in the whole list.
    pub total_pages: u64,
    /// Contacts in the whole list.
    pub total_count: u64,
}

impl From<linq_api::types::Pagination> for Pagination {
    fn from(p: linq_api::types::Pagination) -> Self {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Self {
            current_page: count(p.current_page),
            per_page: count(p.per_page),
            total_pages: count(p.total_pages),
            total_count: count(p.total_count),
        }
    }
}

/// The id of a webhook subscription: a positive integer, as Linq assigns them. Serializes as
/// the bare number.
///
/// ```
/// use linq_api_ext::WebhookSubscriptionId;
///
/// let id: WebhookSubscriptionId = "123".parse()?;
/// assert_eq!(id.get(), 123);
/// assert!(WebhookSubscriptionId::new(0).is_none());
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookSubscriptionId(NonZeroU64);

positive_id!(WebhookSubscriptionId);

/// A webhook subscription, as Linq returns it. Linq never returns the secret, only whether
/// one is set.
///
/// Linq's list example leaves out `created_at` and `updated_at`, so every field but the id,
/// the URL and the events is optional here, as in the spec. `#[non_exhaustive]`: read the
/// fields; tests build one from JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookSubscription {
    /// The subscription's id.
    pub id: WebhookSubscriptionId,
    /// The URL Linq delivers to.
    pub webhook_url: String,
    /// The event types delivered; names this crate does not type are kept as sent.
    pub events: Vec<EventType>,
    /// Whether Linq delivers to it.
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether deliveries are signed (a secret is set).
    #[serde(default)]
    pub secret_configured: Option<bool>,
    /// The webhook API version of the deliveries (2).
    #[serde(default)]
    pub version: Option<i64>,
    /// When Linq last delivered to it; `None` before the first delivery.
    #[serde(default)]
    pub last_delivered_at: Option<DateTime<FixedOffset>>,
    /// How many deliveries Linq has attempted.
    #[serde(default)]
    pub delivery_attempts: Option<u64>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<DateTime<FixedOffset>>,
    /// When it was last changed.
    #[serde(default)]
    pub updated_at: Option<DateTime<FixedOffset>>,
}

impl TryFrom<linq_api::types::WebhookSubscription> for WebhookSubscription {
    type Error = Error;

    /// Converts the generated client's subscription.
    ///
    /// # Errors
    /// None today: the spec says ids are positive (`minimum: 1`), so the generated
    /// subscription's id is a `NonZeroU64` already (see [`Contact`]'s conversion).
    fn try_from(s: linq_api::types::WebhookSubscription) -> Result<Self, Error> {
        Ok(Self::from_generated(s))
    }
}

impl WebhookSubscription {
    /// The generated client's subscription as ours (see [`Contact::from_generated`]).
    pub(crate) fn from_generated(s: linq_api::types::WebhookSubscription) -> Self {
        Self {
            id: WebhookSubscriptionId::from(s.id),
            webhook_url: s.webhook_url,
            events: s.events.into_iter().map(EventType::from).collect(),
            active: s.active,
            secret_configured: s.secret_configured,
            version: s.version,
            last_delivered_at: s.last_delivered_at,
            // A negative count (no real reply has one) reads as 0.
            delivery_attempts: s.delivery_attempts.map(|n| u64::try_from(n).unwrap_or(0)),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The name of an event type, as a subscription lists it and a delivery carries it.
///
/// The types this crate decodes have a variant; every other name — an event outside the
/// Contacts API (`message.sent`), or one Linq adds — is [`EventType::Other`] with the name as
/// sent, so a subscription listing it always decodes. Build one from a name with
/// `EventType::from(name)` or [`parse`](str::parse), which give the typed variant for a name
/// it knows; two values are equal when their names are.
///
/// ```
/// use linq_api_ext::webhooks::EventType;
///
/// assert_eq!(EventType::from("contact.created"), EventType::ContactCreated);
/// let sent: EventType = "message.sent".parse().unwrap();
/// assert_eq!(sent.as_str(), "message.sent");
/// assert!(matches!(sent, EventType::Other(_)));
/// assert_eq!(EventType::Other("contact.deleted".into()), EventType::ContactDeleted);
/// assert_eq!(serde_json::to_string(&EventType::ContactUpdated).unwrap(), r#""contact.updated""#);
/// ```
#[derive(Clone, Debug, Eq)]
#[non_exhaustive]
pub enum EventType {
    /// `contact.created`.
    ContactCreated,
    /// `contact.updated`.
    ContactUpdated,
    /// `contact.deleted`.
    ContactDeleted,
    /// Any other name, as sent.
    Other(String),
}

impl EventType {
    /// The name, as Linq writes it.
    pub fn as_str(&self) -> &str {
        let known = match self {
            EventType::ContactCreated => Known::ContactCreated,
            EventType::ContactUpdated => Known::ContactUpdated,
            EventType::ContactDeleted => Known::ContactDeleted,
            EventType::Other(name) => return name,
        };
        name_of(known)
    }

    /// The generated client's value of this name.
    pub(crate) fn to_generated(&self) -> Option<linq_api::types::WebhookEventType> {
        match self.as_str().parse::<Known>() {
            Ok(known) => Some(known.into()),
            Err(_) => linq_api::types::OtherWebhookEventType::try_from(self.as_str().to_owned())
                .ok()
                .map(Into::into),
        }
    }
}

/// The spec's names of the event types, as the generated client writes them.
type Known = linq_api::types::KnownWebhookEventType;

/// The name of a typed event type: the generated client's, taken once (it only writes them
/// to a formatter).
fn name_of(known: Known) -> &'static str {
    static NAMES: OnceLock<[String; 3]> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        [
            Known::ContactCreated.to_string(),
            Known::ContactUpdated.to_string(),
            Known::ContactDeleted.to_string(),
        ]
    });
    match known {
        Known::ContactCreated => &names[0],
        Known::ContactUpdated => &names[1],
        _ => &names[2],
    }
}

impl From<&str> for EventType {
    fn from(name: &str) -> Self {
        match name.parse::<Known>() {
            Ok(Known::ContactCreated) => EventType::ContactCreated,
            Ok(Known::ContactUpdated) => EventType::ContactUpdated,
            Ok(Known::ContactDeleted) => EventType::ContactDeleted,
            _ => EventType::Other(name.to_owned()),
        }
    }
}

/// From the generated client's value (a subscription's `events`).
impl From<linq_api::types::WebhookEventType> for EventType {
    fn from(name: linq_api::types::WebhookEventType) -> Self {
        use linq_api::types::WebhookEventType as W;
        match name {
            W::KnownWebhookEventType(known) => EventType::from(known.to_string()),
            W::OtherWebhookEventType(other) => EventType::from(String::from(other)),
        }
    }
}

impl From<String> for EventType {
    fn from(name: String) -> Self {
        match EventType::from(name.as_str()) {
            EventType::Other(_) => EventType::Other(name),
            known => known,
        }
    }
}

impl std::str::FromStr for EventType {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(EventType::from(name))
    }
}

impl PartialEq for EventType {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::hash::Hash for EventType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(EventType::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive() {
        assert_eq!(ContactId::try_from(1_i64).unwrap().get(), 1);
        for bad in [0, -5, i64::MIN] {
            let err = ContactId::try_from(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { field: "id", .. }));
        }
        assert!(ContactId::try_from(0_u64).is_err());
        for bad in ["", "0", "-1", "abc", "1.5", "99999999999999999999"] {
            let err = bad.parse::<ContactId>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput { field: "id", .. }),
                "{bad}"
            );
        }
        assert_eq!(" 12 ".parse::<ContactId>().unwrap().get(), 12);
        assert!(serde_json::from_str::<ContactId>("0").is_err());
        assert!(serde_json::from_str::<ContactId>("-4").is_err());
    }

    #[test]
    fn a_generated_contact_converts_field_by_field() {
        let generated: linq_api::types::Contact = serde_json::from_value(serde_json::json!({
            "id": 9, "first_name": "Ada", "email": "ada@example.com",
            "contact_owner": {"id": 3, "email": "boss@example.com"},
            "created_at": "2025-07-30T15:00:00.000+00:00",
        }))
        .unwrap();
        let ours = Contact::try_from(generated).unwrap();
        assert_eq!(ours.id.get(), 9);
        assert_eq!(ours.first_name.as_deref(), Some("Ada"));
        assert_eq!(ours.email.as_deref(), Some("ada@example.com"));
        assert_eq!(ours.contact_owner.unwrap().id, Some(3));
        assert!(ours.created_at.is_some());

        // The spec's `minimum: 1`: an id that is not positive is not a contact at all, so the
        // generated type refuses it (a reply carrying one is Error::Decode).
        for id in [0, -1] {
            let json = serde_json::json!({"id": id});
            assert!(serde_json::from_value::<linq_api::types::Contact>(json).is_err());
            let owner = serde_json::json!({"id": 1, "contact_owner": {"id": id}});
            assert!(serde_json::from_value::<linq_api::types::Contact>(owner).is_err());
        }
        // An owner id beyond int64 (the spec's format excludes it) reads as no id.
        let huge: linq_api::types::Contact =
            serde_json::from_value(serde_json::json!({"id": 1, "contact_owner": {"id": u64::MAX}}))
                .unwrap();
        let owner = Contact::try_from(huge).unwrap().contact_owner.unwrap();
        assert_eq!(owner.id, None);
    }

    #[test]
    fn a_generated_subscription_converts_and_keeps_unknown_event_names() {
        // Linq's list example (no created_at/updated_at, a `Z` timestamp), with two more names.
        let generated: linq_api::types::WebhookSubscription =
            serde_json::from_value(serde_json::json!({
                "id": 123, "webhook_url": "https://webhook.example.com/linq", "version": 2,
                "events": ["message.sent", "contact.created", "brand.new"],
                "active": true, "secret_configured": true,
                "last_delivered_at": "2024-01-15T10:30:00Z", "delivery_attempts": 42
            }))
            .unwrap();
        let ours = WebhookSubscription::try_from(generated).unwrap();
        assert_eq!(ours.id, 123);
        assert_eq!(
            ours.events,
            [
                EventType::Other("message.sent".into()),
                EventType::ContactCreated,
                EventType::Other("brand.new".into())
            ]
        );
        assert!(matches!(ours.events[2], EventType::Other(ref n) if n == "brand.new"));
        assert_eq!(
            (ours.active, ours.secret_configured, ours.delivery_attempts),
            (Some(true), Some(true), Some(42))
        );
        assert!(ours.last_delivered_at.is_some() && ours.created_at.is_none());

        let zero = serde_json::json!({"id": 0, "webhook_url": "https://x.example", "events": []});
        assert!(serde_json::from_value::<linq_api::types::WebhookSubscription>(zero).is_err());
    }

    #[test]
    fn negative_counts_read_as_zero() {
        let p = Pagination::from(linq_api::types::Pagination {
            current_page: 2,
            per_page: 25,
            total_count: -1,
            total_pages: -3,
        });
        assert_eq!((p.current_page, p.total_pages, p.total_count), (2, 0, 0));
    }

    #[test]
    fn event_type_names_are_the_specs_and_round_trip_through_the_generated_client() {
        for (ours, theirs) in [
            (EventType::ContactCreated, Known::ContactCreated),
            (EventType::ContactUpdated, Known::ContactUpdated),
            (EventType::ContactDeleted, Known::ContactDeleted),
        ] {
            assert_eq!(ours.as_str(), theirs.to_string());
            assert_eq!(EventType::from(ours.as_str()), ours);
            assert!(matches!(EventType::from(ours.as_str().to_owned()), ref t if *t == ours));
            let generated = ours.to_generated().unwrap();
            assert_eq!(EventType::from(generated), ours);
        }
        // A name the spec knows but this crate does not type, and one nobody knows yet.
        for name in ["chat.created", "brand.new"] {
            let t = EventType::from(name);
            assert!(matches!(&t, EventType::Other(n) if n == name));
            assert_eq!(EventType::from(t.to_generated().unwrap()), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<EventType>(&json).unwrap(), t);
        }
    }
}
