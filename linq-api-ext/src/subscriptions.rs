//! The Webhook Subscriptions endpoints: one builder per operation, validation before sending.
//!
//! Sent like the contact builders (`.send()`, `.send_with_meta()` or `.await`), with the same
//! per-call overrides, error type, retries and tracing. A create is not idempotent and is
//! never re-sent after a failure that may have reached Linq; update (PUT) and delete are.

use crate::{
    call::{self, meta::ResponseMeta, request_builder, CallOptions},
    client::LinqClient,
    error::{Error, Result},
    model::{EventType, WebhookSubscription, WebhookSubscriptionId},
    rules,
    webhooks::WebhookSecret,
};

use linq_api::spec::{
    CREATE_WEBHOOK_SUBSCRIPTION as CREATE, DELETE_WEBHOOK_SUBSCRIPTION as DELETE,
    LIST_WEBHOOK_SUBSCRIPTIONS as LIST, UPDATE_WEBHOOK_SUBSCRIPTION as UPDATE,
};

impl LinqClient {
    /// The Webhook Subscriptions endpoints.
    pub fn webhook_subscriptions(&self) -> WebhookSubscriptions {
        WebhookSubscriptions::new(self.clone())
    }
}

/// The webhook API version this crate subscribes with and decodes: the spec's.
const VERSION: i64 = linq_api::spec::API_VERSION;

/// The Webhook Subscriptions endpoints of a [`LinqClient`]; get it with
/// [`LinqClient::webhook_subscriptions`].
///
/// ```no_run
/// use linq_api_ext::webhooks::EventType;
/// # async fn run(linq: linq_api_ext::LinqClient) -> Result<(), linq_api_ext::Error> {
/// let subscription = linq
///     .webhook_subscriptions()
///     .create()
///     .webhook_url("https://crm.example.com/webhooks/linq")
///     .events([EventType::ContactCreated, EventType::ContactUpdated, EventType::ContactDeleted])
///     .secret(std::env::var("LINQ_WEBHOOK_SECRET").unwrap_or_default())
///     .await?;
/// assert_eq!(subscription.secret_configured, Some(true));
/// for s in linq.webhook_subscriptions().list().await? {
///     println!("{} → {} ({:?} deliveries)", s.id, s.webhook_url, s.delivery_attempts);
/// }
/// linq.webhook_subscriptions().delete(subscription.id).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WebhookSubscriptions {
    client: LinqClient,
}

impl WebhookSubscriptions {
    pub(crate) fn new(client: LinqClient) -> Self {
        Self { client }
    }

    /// Lists every webhook subscription (Linq does not paginate them).
    pub fn list(&self) -> ListWebhookSubscriptions {
        ListWebhookSubscriptions {
            client: self.client.clone(),
            options: CallOptions::default(),
        }
    }

    /// Creates a subscription: a URL (`https`, or `http` on loopback) and at least one event
    /// are required; a secret is strongly advised (without one, deliveries are not signed).
    ///
    /// A create is never re-sent after a failure that may have reached Linq: subscribing the
    /// same URL twice makes Linq deliver every event twice. After such a failure,
    /// [`list`](Self::list) tells whether it was created.
    pub fn create(&self) -> CreateWebhookSubscription {
        CreateWebhookSubscription {
            client: self.client.clone(),
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Replaces a subscription's settings (PUT): the URL and the events are required again,
    /// as Linq requires them. A secret or `active` left unset is not sent; Linq does not
    /// document whether that keeps or clears the current value, so set both when it matters.
    pub fn update(&self, id: WebhookSubscriptionId) -> UpdateWebhookSubscription {
        UpdateWebhookSubscription {
            client: self.client.clone(),
            id,
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Deletes a subscription.
    pub fn delete(&self, id: WebhookSubscriptionId) -> DeleteWebhookSubscription {
        DeleteWebhookSubscription {
            client: self.client.clone(),
            id,
            options: CallOptions::default(),
        }
    }
}

/// What a create or update sends; the secret is redacted in `Debug`.
#[derive(Clone, Debug, Default)]
struct Draft {
    webhook_url: Option<String>,
    events: Vec<EventType>,
    secret: Option<WebhookSecret>,
    active: Option<bool>,
}

impl Draft {
    /// The body, after the rules: a URL that is `https` (or `http` on loopback), at least one
    /// event, no blank event name, no blank secret.
    fn into_request(self) -> Result<linq_api::types::WebhookSubscriptionRequest> {
        let url = self
            .webhook_url
            .map(|u| u.trim().to_owned())
            .ok_or_else(|| Error::invalid("webhook_url", "is required"))?;
        rules::check_webhook_url(&url)?;
        if self.events.is_empty() {
            return Err(Error::invalid("events", "needs at least one event"));
        }
        if self.events.iter().any(|e| e.as_str().trim().is_empty()) {
            return Err(Error::invalid("events", "must not contain an empty name"));
        }
        if self.secret.as_ref().is_some_and(WebhookSecret::is_blank) {
            return Err(Error::invalid(
                "secret",
                "must not be empty or only whitespace when given",
            ));
        }
        let events = self
            .events
            .iter()
            .map(EventType::to_generated)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::invalid("events", "holds a name the client cannot send"))?;
        Ok(linq_api::types::WebhookSubscriptionRequest {
            webhook_subscription: linq_api::types::WebhookSubscriptionInput {
                webhook_url: url,
                events,
                version: linq_api::types::WebhookSubscriptionInputVersion::try_from(VERSION)
                    .map_err(|_| {
                        Error::invalid("version", "is not a version the spec lets a client send")
                    })?,
                secret: self.secret.map(|s| s.expose().to_owned()),
                active: self.active,
            },
        })
    }
}

/// Setters of the subscription fields, shared by create and update.
macro_rules! subscription_fields {
    () => {
        /// The URL Linq delivers to: `https`, or `http` on a loopback host (for tests).
        pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
            self.draft.webhook_url = Some(url.into());
            self
        }

        /// Adds one event type to subscribe to.
        pub fn event(mut self, event: impl Into<EventType>) -> Self {
            self.draft.events.push(event.into());
            self
        }

        /// Adds event types to subscribe to.
        pub fn events<E: Into<EventType>>(mut self, events: impl IntoIterator<Item = E>) -> Self {
            self.draft.events.extend(events.into_iter().map(Into::into));
            self
        }

        /// The secret Linq signs deliveries with (not empty). Never printed, never logged;
        /// Linq never returns it (only [`WebhookSubscription::secret_configured`]).
        pub fn secret(mut self, secret: impl Into<WebhookSecret>) -> Self {
            self.draft.secret = Some(secret.into());
            self
        }

        /// Whether Linq delivers to the subscription (Linq's default when unset: active).
        pub fn active(mut self, active: bool) -> Self {
            self.draft.active = Some(active);
            self
        }

        /// Checks the request as `send` would, without sending anything.
        ///
        /// # Errors
        /// [`Error::InvalidInput`], exactly when `send` would refuse the request before
        /// sending.
        pub fn validate(&self) -> Result<()> {
            self.draft.clone().into_request().map(drop)
        }
    };
}

/// Lists webhook subscriptions; see [`WebhookSubscriptions::list`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListWebhookSubscriptions {
    client: LinqClient,
    options: CallOptions,
}

impl ListWebhookSubscriptions {
    /// Sends the request and returns every subscription, with the call's metadata.
    ///
    /// # Errors
    /// Any transport or API error.
    pub async fn send_with_meta(self) -> Result<(Vec<WebhookSubscription>, ResponseMeta)> {
        let raw = self.client.raw();
        let (list, meta) = call::run(self.client.settings(), LIST, &self.options, None, || {
            raw.list_webhook_subscriptions()
        })
        .await?;
        let subscriptions = list
            .webhook_subscriptions
            .into_iter()
            .map(WebhookSubscription::from_generated)
            .collect();
        Ok((subscriptions, meta))
    }
}
request_builder!(ListWebhookSubscriptions => Vec<WebhookSubscription>);

/// Creates a webhook subscription; see [`WebhookSubscriptions::create`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateWebhookSubscription {
    client: LinqClient,
    draft: Draft,
    options: CallOptions,
}

impl CreateWebhookSubscription {
    subscription_fields!();

    /// Sends the request and returns the created subscription, with the call's metadata.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when a rule is broken; [`Error::Validation`]
    /// when Linq refuses it; any transport or API error. A timeout, a connection dropped after
    /// sending or a 5xx may have created the subscription, and is not retried.
    pub async fn send_with_meta(self) -> Result<(WebhookSubscription, ResponseMeta)> {
        let body = self.draft.into_request()?;
        let raw = self.client.raw();
        let (envelope, meta) =
            call::run(self.client.settings(), CREATE, &self.options, None, || {
                raw.create_webhook_subscription(&body)
            })
            .await?;
        Ok((
            WebhookSubscription::from_generated(envelope.webhook_subscription),
            meta,
        ))
    }
}
request_builder!(CreateWebhookSubscription => WebhookSubscription);

/// Updates a webhook subscription; see [`WebhookSubscriptions::update`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateWebhookSubscription {
    client: LinqClient,
    id: WebhookSubscriptionId,
    draft: Draft,
    options: CallOptions,
}

impl UpdateWebhookSubscription {
    subscription_fields!();

    /// Sends the request and returns the updated subscription, with the call's metadata.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when a rule is broken; [`Error::NotFound`] when
    /// there is no such subscription; any transport or API error.
    pub async fn send_with_meta(self) -> Result<(WebhookSubscription, ResponseMeta)> {
        let body = self.draft.into_request()?;
        let raw = self.client.raw();
        let id = self.id.as_path();
        let (envelope, meta) =
            call::run(self.client.settings(), UPDATE, &self.options, None, || {
                raw.update_webhook_subscription(id, &body)
            })
            .await?;
        Ok((
            WebhookSubscription::from_generated(envelope.webhook_subscription),
            meta,
        ))
    }
}
request_builder!(UpdateWebhookSubscription => WebhookSubscription);

/// Deletes a webhook subscription; see [`WebhookSubscriptions::delete`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteWebhookSubscription {
    client: LinqClient,
    id: WebhookSubscriptionId,
    options: CallOptions,
}

impl DeleteWebhookSubscription {
    /// Sends the request, and returns the call's metadata.
    ///
    /// If an attempt may have deleted the subscription (it timed out or got a 5xx) and a
    /// retry then gets Linq's 404, the delete succeeded: `Ok(())`, not [`Error::NotFound`].
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such subscription; any transport or API error.
    pub async fn send_with_meta(self) -> Result<((), ResponseMeta)> {
        let raw = self.client.raw();
        let id = self.id.as_path();
        call::run(
            self.client.settings(),
            DELETE,
            &self.options,
            Some(|| ()),
            || raw.delete_webhook_subscription(id),
        )
        .await
    }
}
request_builder!(DeleteWebhookSubscription => ());

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriptions() -> WebhookSubscriptions {
        LinqClient::builder()
            .token("t")
            .build()
            .expect("a client")
            .webhook_subscriptions()
    }

    fn refused_field(result: Result<()>) -> &'static str {
        match result {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn create_and_update_check_url_events_and_secret_before_sending() {
        let ok = || {
            subscriptions()
                .create()
                .webhook_url("https://crm.example.com/hook")
                .event(EventType::ContactCreated)
        };
        assert!(ok().validate().is_ok());
        assert!(ok().secret("s3cret").active(false).validate().is_ok());
        assert!(subscriptions()
            .create()
            .webhook_url(" http://127.0.0.1:9/hook ")
            .events(["contact.deleted", "message.sent"])
            .validate()
            .is_ok());
        let no_url = subscriptions().create().event(EventType::ContactCreated);
        assert_eq!(refused_field(no_url.validate()), "webhook_url");
        let plain_http = ok().webhook_url("http://crm.example.com/hook");
        assert_eq!(refused_field(plain_http.validate()), "webhook_url");
        let no_event = subscriptions().create().webhook_url("https://x.example/h");
        assert_eq!(refused_field(no_event.validate()), "events");
        assert_eq!(refused_field(ok().event(" ").validate()), "events");
        assert_eq!(refused_field(ok().secret("").validate()), "secret");
        assert_eq!(refused_field(ok().secret(" \n").validate()), "secret");

        let id = WebhookSubscriptionId::new(3).unwrap();
        let update = subscriptions().update(id).event("contact.updated");
        assert_eq!(refused_field(update.validate()), "webhook_url");
        let update = subscriptions()
            .update(id)
            .webhook_url("https://x.example/h");
        assert_eq!(refused_field(update.validate()), "events");
    }

    #[test]
    fn the_body_has_version_2_and_the_events_by_name() {
        let draft = Draft {
            webhook_url: Some("https://x.example/h".into()),
            events: vec![
                EventType::ContactDeleted,
                "chat.created".into(),
                "x.new".into(),
            ],
            secret: Some("s3cret".into()),
            active: None,
        };
        let body = serde_json::to_value(draft.into_request().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"webhook_subscription": {
                "webhook_url": "https://x.example/h",
                "events": ["contact.deleted", "chat.created", "x.new"],
                "version": 2,
                "secret": "s3cret"
            }})
        );
    }

    #[test]
    fn the_secret_never_shows_in_a_builder_or_an_error() {
        let secret = "whsec-hunter2";
        let create = subscriptions()
            .create()
            .webhook_url("http://remote.example/h")
            .event(EventType::ContactCreated)
            .secret(secret);
        assert!(!format!("{create:?}").contains("hunter2"));
        let update = subscriptions()
            .update(WebhookSubscriptionId::new(1).unwrap())
            .secret(secret);
        assert!(!format!("{update:?}").contains("hunter2"));
        let e = create.validate().unwrap_err();
        assert!(!format!("{e} {e:?}").contains("hunter2"));
    }
}
