//! The Webhook Subscriptions builders against httpmock: the body sent, the secret never shown,
//! and the retry rules (a create is never re-sent after a failure that may have reached Linq;
//! update and delete are retried).

use httpmock::MockServer;
use linq_api::mock::MockServerExt;
use linq_api_ext::{Error, EventType, WebhookSubscriptionId};
use serde_json::json;

use super::SECRET;
use crate::{ext::client, support::catch_all};

fn subscription(id: u64) -> serde_json::Value {
    json!({
        "id": id, "webhook_url": "https://crm.example.com/hook", "version": 2,
        "events": ["contact.created", "brand.new"], "active": true, "secret_configured": true,
        "last_delivered_at": null, "delivery_attempts": 0,
        "created_at": "2025-07-30T10:00:00Z", "updated_at": "2025-07-30T10:00:00Z"
    })
}

fn seven() -> WebhookSubscriptionId {
    WebhookSubscriptionId::new(7).expect("positive")
}

/// Subscription 7 as Linq answers with it.
fn seven_json() -> serde_json::Value {
    json!({"webhook_subscription": subscription(7)})
}

#[tokio::test]
async fn create_sends_the_wrapped_body_with_version_2_and_decodes_the_reply() {
    let server = MockServer::start_async().await;
    let created = server.create_webhook_subscription(|when, then| {
        when.into_inner().json_body(json!({
            "webhook_subscription": {
                "webhook_url": "https://crm.example.com/hook",
                "events": ["contact.created", "contact.deleted"],
                "version": 2, "secret": SECRET, "active": true
            }
        }));
        then.into_inner().status(201).json_body(seven_json());
    });
    let got = client(&server)
        .webhook_subscriptions()
        .create()
        .webhook_url("https://crm.example.com/hook")
        .events([EventType::ContactCreated, EventType::ContactDeleted])
        .secret(SECRET)
        .active(true)
        .await
        .unwrap();
    created.assert_async().await;
    assert_eq!(got.id, 7);
    assert_eq!(
        got.events,
        [
            EventType::ContactCreated,
            EventType::Other("brand.new".into())
        ]
    );
    assert_eq!(got.secret_configured, Some(true));
}

#[tokio::test]
async fn a_create_that_may_have_reached_linq_is_not_re_sent_and_says_so() {
    let server = MockServer::start_async().await;
    let failing = server.create_webhook_subscription(|_, then| {
        then.into_inner().status(503);
    });
    let err = client(&server)
        .webhook_subscriptions()
        .create()
        .webhook_url("https://crm.example.com/hook")
        .event("contact.created")
        .secret(SECRET)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert!(err.may_have_taken_effect() && !err.is_retryable());
    failing.assert_calls_async(1).await;
    assert!(!format!("{err} {err:?}").contains(SECRET));
}

#[tokio::test]
async fn update_and_list_are_retried_through_a_503() {
    let server = MockServer::start_async().await;
    let failing = server.update_webhook_subscription(|when, then| {
        when.webhook_subscription_id(seven().into());
        then.into_inner().status(503).up_to_n_times(1);
    });
    let updated = server.update_webhook_subscription(|when, then| {
        when.webhook_subscription_id(seven().into());
        then.into_inner().status(200).json_body(seven_json());
    });
    let listed = server.list_webhook_subscriptions(|_, then| {
        let both = json!({"webhook_subscriptions": [subscription(7), subscription(8)]});
        then.into_inner().status(200).json_body(both);
    });
    let linq = client(&server);
    let got = linq
        .webhook_subscriptions()
        .update(seven())
        .webhook_url("https://crm.example.com/hook")
        .event(EventType::ContactUpdated)
        .active(false)
        .await
        .unwrap();
    assert_eq!(got.id, 7);
    failing.assert_calls_async(1).await;
    updated.assert_calls_async(1).await;
    let all = linq.webhook_subscriptions().list().await.unwrap();
    assert_eq!(all.iter().map(|s| s.id.get()).collect::<Vec<_>>(), [7, 8]);
    listed.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_delete_retried_into_linqs_404_succeeded() {
    let server = MockServer::start_async().await;
    let failing = server.delete_webhook_subscription(|when, then| {
        when.webhook_subscription_id(seven().into());
        then.into_inner().status(503).up_to_n_times(1);
    });
    let gone = server.delete_webhook_subscription(|when, then| {
        when.webhook_subscription_id(seven().into());
        then.into_inner().status(404).json_body(json!({
            "status": "error", "error_code": "WEBHOOK_SUBSCRIPTION_NOT_FOUND",
            "message": "Webhook subscription not found", "errors": []
        }));
    });
    let linq = client(&server);
    linq.webhook_subscriptions().delete(seven()).await.unwrap();
    failing.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    // Without an attempt that may have deleted it, the 404 is an error.
    let err = linq.webhook_subscriptions().delete(seven()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server);
    let linq = client(&server);
    for (field, call) in [
        (
            "webhook_url",
            linq.webhook_subscriptions()
                .create()
                .webhook_url("http://crm.example.com/hook")
                .event("contact.created"),
        ),
        (
            "events",
            linq.webhook_subscriptions().create().webhook_url("https://crm.example.com/hook"),
        ),
        (
            "secret",
            linq.webhook_subscriptions()
                .create()
                .webhook_url("https://crm.example.com/hook")
                .event("contact.created")
                .secret(""),
        ),
    ] {
        let err = call.await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
    any.assert_calls_async(0).await;
}
