//! The fake's webhook subscriptions and the rules of the four Webhook Subscriptions operations.
//!
//! Like `store.rs`, everything here is synchronous: the server module decides which operation
//! runs, this module decides what it answers, and `delivery.rs` reads the subscriptions to
//! deliver events.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::StatusCode;
use linq_api::types::KnownWebhookEventType;
use serde_json::{json, Map, Value};

use super::store::{parse_id, timestamp, Answer};

/// The only `version` Linq documents for V2 payloads.
const VERSION: i64 = 2;

/// The documented detail of a 404, worded as for contacts.
const NOT_FOUND_DETAIL: &str =
    "The requested webhook subscription does not exist or is not accessible to your organization";

/// The subscription ids of a fake, shared by its organizations (as contact ids are).
#[derive(Debug, Clone)]
pub(super) struct SubscriptionIds(Arc<AtomicI64>);

impl SubscriptionIds {
    pub(super) fn new() -> SubscriptionIds {
        SubscriptionIds(Arc::new(AtomicI64::new(1)))
    }

    fn next(&self) -> i64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// One subscription as the fake keeps it (the secret included, which is never sent back).
#[derive(Clone)]
pub(super) struct Subscription {
    pub(super) id: i64,
    pub(super) webhook_url: String,
    pub(super) version: i64,
    pub(super) secret: Option<String>,
    pub(super) active: bool,
    /// The event names as sent, known or not.
    pub(super) events: Vec<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) last_delivered_at: Option<DateTime<Utc>>,
    pub(super) delivery_attempts: i64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("webhook_url", &self.webhook_url)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("active", &self.active)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The subscription as the fake sends it: every documented field, the secret never.
    fn wire(&self) -> Value {
        json!({
            "id": self.id,
            "webhook_url": self.webhook_url,
            "version": self.version,
            "events": self.events,
            "active": self.active,
            "secret_configured": self.secret.is_some(),
            "last_delivered_at": self.last_delivered_at.map(timestamp),
            "delivery_attempts": self.delivery_attempts,
            "created_at": timestamp(self.created_at),
            "updated_at": timestamp(self.updated_at),
        })
    }

    /// Whether events named `event_type` are delivered to this subscription.
    pub(super) fn wants(&self, event_type: &str) -> bool {
        self.active && self.events.iter().any(|e| e == event_type)
    }
}

/// A validated `WebhookSubscriptionInput`.
struct Input {
    webhook_url: String,
    secret: Option<String>,
    active: Option<bool>,
    events: Vec<String>,
}

/// One organization's webhook subscriptions.
#[derive(Debug)]
pub(super) struct Subscriptions {
    by_id: BTreeMap<i64, Subscription>,
    ids: SubscriptionIds,
}

impl Subscriptions {
    pub(super) fn new(ids: SubscriptionIds) -> Subscriptions {
        Subscriptions {
            by_id: BTreeMap::new(),
            ids,
        }
    }

    /// Every subscription, by id.
    pub(super) fn all(&self) -> impl Iterator<Item = &Subscription> {
        self.by_id.values()
    }

    pub(super) fn get(&self, id: i64) -> Option<&Subscription> {
        self.by_id.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: i64) -> Option<&mut Subscription> {
        self.by_id.get_mut(&id)
    }

    /// `GET /webhook_subscriptions`.
    pub(super) fn list(&self) -> Answer {
        let all: Vec<Value> = self.by_id.values().map(Subscription::wire).collect();
        Answer::ok(StatusCode::OK, json!({ "webhook_subscriptions": all }))
    }

    /// `POST /webhook_subscriptions`.
    pub(super) fn create(&mut self, body: &[u8], now: DateTime<Utc>) -> Answer {
        let input = match parse_input(body) {
            Ok(input) => input,
            Err(answer) => return answer,
        };
        let id = self.ids.next();
        let subscription = Subscription {
            id,
            webhook_url: input.webhook_url,
            version: VERSION,
            secret: input.secret,
            active: input.active.unwrap_or(true),
            events: input.events,
            created_at: now,
            updated_at: now,
            last_delivered_at: None,
            delivery_attempts: 0,
        };
        let wire = subscription.wire();
        self.by_id.insert(id, subscription);
        Answer::ok(StatusCode::CREATED, json!({ "webhook_subscription": wire }))
    }

    /// `PUT /webhook_subscriptions/{id}`: `webhook_url`, `events` and `version` are replaced;
    /// `secret` and `active` only when sent.
    pub(super) fn update(&mut self, id: &str, body: &[u8], now: DateTime<Utc>) -> Answer {
        // As for contacts: a body that is not JSON first, then an unknown id, then the rules.
        if let Err(answer) = parse_object(body) {
            return answer;
        }
        let Some(subscription) = parse_id(id).and_then(|id| self.by_id.get_mut(&id)) else {
            return not_found();
        };
        let input = match parse_input(body) {
            Ok(input) => input,
            Err(answer) => return answer,
        };
        subscription.webhook_url = input.webhook_url;
        subscription.events = input.events;
        if let Some(secret) = input.secret {
            subscription.secret = Some(secret);
        }
        if let Some(active) = input.active {
            subscription.active = active;
        }
        subscription.updated_at = now.max(subscription.created_at);
        Answer::ok(
            StatusCode::OK,
            json!({ "webhook_subscription": subscription.wire() }),
        )
    }

    /// `DELETE /webhook_subscriptions/{id}`.
    pub(super) fn delete(&mut self, id: &str) -> Answer {
        match parse_id(id).and_then(|id| self.by_id.remove(&id)) {
            Some(_) => Answer::empty(StatusCode::NO_CONTENT),
            None => not_found(),
        }
    }
}

fn not_found() -> Answer {
    Answer::standard_error(
        StatusCode::NOT_FOUND,
        "WEBHOOK_SUBSCRIPTION_NOT_FOUND",
        "Webhook subscription not found",
        vec![NOT_FOUND_DETAIL.to_owned()],
    )
}

fn invalid(errors: Vec<String>) -> Answer {
    Answer::standard_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
        "Webhook subscription validation failed",
        errors,
    )
}

fn bad_request(error: &str) -> Answer {
    Answer::standard_error(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "Invalid request body",
        vec![error.to_owned()],
    )
}

/// A body that must be a JSON object.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Answer> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => Ok(top),
        Ok(_) => Err(bad_request("The request body must be a JSON object")),
        Err(_) => Err(bad_request("The request body is not valid JSON")),
    }
}

/// Parses and validates a `WebhookSubscriptionRequest` body. The errors name the field and the
/// rule, never the value (a URL or a secret).
fn parse_input(body: &[u8]) -> Result<Input, Answer> {
    let top = parse_object(body)?;
    let Some(Value::Object(input)) = top.get("webhook_subscription") else {
        return Err(bad_request(
            "param is missing or the value is empty: webhook_subscription",
        ));
    };
    let mut errors = Vec::new();

    let webhook_url = match input.get("webhook_url") {
        Some(Value::String(url)) => {
            if !meets_rule("webhook_url", url) || !is_http_url(url) {
                errors.push(
                    "webhook_url must be an http or https URL of at most 2048 characters, \
                     without spaces"
                        .to_owned(),
                );
            }
            url.clone()
        }
        None => {
            errors.push("webhook_url is required".to_owned());
            String::new()
        }
        Some(_) => {
            errors.push("webhook_url must be a string".to_owned());
            String::new()
        }
    };
    match input.get("version") {
        Some(version) if version.as_i64() == Some(VERSION) => {}
        None => errors.push("version is required".to_owned()),
        Some(_) => errors.push(format!("version must be {VERSION}")),
    }
    let secret = match input.get("secret") {
        None => None,
        Some(Value::String(secret)) if meets_rule("secret", secret) => Some(secret.clone()),
        Some(Value::String(_)) => {
            errors.push("secret must be 1 to 255 characters without control characters".to_owned());
            None
        }
        Some(_) => {
            errors.push("secret must be a string".to_owned());
            None
        }
    };
    let active = match input.get("active") {
        None => None,
        Some(Value::Bool(active)) => Some(*active),
        Some(_) => {
            errors.push("active must be a boolean".to_owned());
            None
        }
    };
    let events = match input.get("events") {
        Some(Value::Array(events)) if events.is_empty() => {
            errors.push("events must list at least one event".to_owned());
            Vec::new()
        }
        Some(Value::Array(events)) => {
            let mut names = Vec::new();
            for event in events {
                match event.as_str() {
                    Some(name) if is_known_event(name) => names.push(name.to_owned()),
                    Some(_) => errors.push("events must be documented event types".to_owned()),
                    None => errors.push("events must be strings".to_owned()),
                }
            }
            names
        }
        None => {
            errors.push("events is required".to_owned());
            Vec::new()
        }
        Some(_) => {
            errors.push("events must be a list".to_owned());
            Vec::new()
        }
    };
    if !errors.is_empty() {
        errors.dedup();
        return Err(invalid(errors));
    }
    Ok(Input {
        webhook_url,
        secret,
        active,
        events,
    })
}

/// Whether `name` is an event type of the spec's `KnownWebhookEventType`.
fn is_known_event(name: &str) -> bool {
    serde_json::from_value::<KnownWebhookEventType>(Value::String(name.to_owned())).is_ok()
}

/// Whether `url` is an absolute `http` or `https` URL with a host.
fn is_http_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The spec's rule (`maxLength`, `pattern`) for a field of `WebhookSubscriptionInput`.
fn meets_rule(field: &str, value: &str) -> bool {
    linq_api::rules::rule("WebhookSubscriptionInput", field)
        .is_none_or(|rule| rule.check(value).is_ok())
}
