//! Nothing panics on any server reply: every operation against every kind of status and body
//! a broken server, proxy or gateway could send returns an `Ok` or a typed `Err`.

use std::time::Duration;

use super::id;
use crate::support::builder_of;
use linq_api_ext::{Error, EventType, LinqClient, RetryPolicy, WebhookSubscriptionId};
use linq_fake::{FakeLinq, Operation, Reply};

const STATUSES: [u16; 15] = [
    200, 201, 202, 204, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 503,
];

const BODIES: [&[u8]; 12] = [
    b"",
    b"<html><body>502 Bad Gateway</body></html>",
    b"{",
    b"null",
    b"[]",
    b"\"just a string\"",
    b"{\"data\":{\"id\":\"not a number\"}}",
    b"{\"data\":{\"id\":1e400}}",
    b"{\"contacts\":null,\"pagination\":{}}",
    b"{\"error_code\":5,\"errors\":[{\"status\":\"x\"}]}",
    b"{\"success\":false,\"error\":{\"retry_after\":-1e300,\"code\":[]}}",
    b"\xff\xfe\x00garbage",
];

async fn call(linq: &LinqClient, op: Operation) -> Result<(), Error> {
    let c = linq.contacts();
    let w = linq.webhook_subscriptions();
    let subscription = WebhookSubscriptionId::new(1).expect("1 is an id");
    let url = "https://example.com/webhooks/linq";
    match op {
        Operation::ListContacts => c.list().send().await.map(drop),
        Operation::CreateContact => c.create().first_name("Ada").send().await.map(drop),
        Operation::FindContact => c.find().email("a@b.co").send().await.map(drop),
        Operation::GetContact => c.get(id(1)).send().await.map(drop),
        Operation::UpdateContact => c.update(id(1)).first_name("Ada").send().await.map(drop),
        Operation::PatchContact => c.patch(id(1)).first_name("Ada").send().await.map(drop),
        Operation::DeleteContact => c.delete(id(1)).send().await.map(drop),
        Operation::ListWebhookSubscriptions => w.list().send().await.map(drop),
        Operation::CreateWebhookSubscription => {
            w.create().webhook_url(url).event(EventType::ContactCreated).send().await.map(drop)
        }
        Operation::UpdateWebhookSubscription => w
            .update(subscription)
            .webhook_url(url)
            .event(EventType::ContactCreated)
            .send()
            .await
            .map(drop),
        Operation::DeleteWebhookSubscription => w.delete(subscription).send().await.map(drop),
        other => panic!("an operation this test does not know: {other:?}"),
    }
}

#[tokio::test]
async fn every_operation_survives_every_hostile_reply() {
    let fake = FakeLinq::builder()
        .contact(linq_api::types::ContactFields {
            first_name: Some("Ada".into()),
            ..Default::default()
        })
        .start()
        .await;
    let linq = builder_of(&fake)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for op in Operation::ALL {
        for status in STATUSES {
            for body in BODIES {
                fake.script(
                    op,
                    [Reply::status(status)
                        .body(body.to_vec())
                        .header("retry-after", "Wed, 99 Foo 9999 99:99:99 GMT")
                        .header("retry-after-ms", "-Infinity")],
                );
                let outcome = call(&linq, op).await;
                // Whatever came back, it says something about the reply that was sent, on one
                // line that is safe to log: no raw control character from the body gets in.
                if let Err(e) = &outcome {
                    let shown = e.to_string();
                    assert!(
                        !shown.chars().any(char::is_control),
                        "{op} {status}: {shown:?}"
                    );
                    if let Some(s) = e.status() {
                        assert_eq!(s.as_u16(), status, "{op} {status} {e}");
                    }
                    assert!(e.attempts() == 1, "{op} {status} {e}");
                } else {
                    assert!(
                        (200..300).contains(&status),
                        "{op}: {status} {:?} was taken for success",
                        String::from_utf8_lossy(body)
                    );
                }
            }
        }
    }
    assert_eq!(fake.pending_replies(Operation::GetContact), 0);
}
