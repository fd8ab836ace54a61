//! The typed httpmock helpers generated from the spec (`linq_api::mock`, feature `httpmock`):
//! for every operation, a mock set up through them answers the generated client's call, and a
//! call that differs in what the mock names (a parameter, the body, the id) is not answered by it.

use linq_api::{mock::MockServerExt, types, Error};

use crate::support::{envelope_of, id, john_as, server_and_client};

fn john() -> types::Contact {
    john_as(123)
}

fn envelope() -> types::ContactEnvelope {
    envelope_of(123)
}

fn input(email: &str) -> types::ContactInput {
    types::ContactInput {
        contact: types::ContactFields {
            first_name: Some("Ada".into()),
            email: Some(email.into()),
            ..Default::default()
        },
        user_email: None,
    }
}

/// A call no mock answered: httpmock's own 404, which the client reports as an error.
fn unanswered<T: std::fmt::Debug>(result: Result<T, Error<types::ErrorBody>>) {
    let status = match &result {
        Err(Error::ErrorResponse(r)) => r.status(),
        Err(Error::UnexpectedResponse(r)) => r.status(),
        other => panic!("expected httpmock's 404, got {other:?}"),
    };
    assert_eq!(status.as_u16(), 404);
}

#[tokio::test]
async fn list_contacts_matches_its_query_and_serves_a_typed_page() {
    let (server, client) = server_and_client().await;
    let page = types::ContactList {
        contacts: vec![john()],
        pagination: serde_json::from_value(serde_json::json!({
            "current_page": 2, "per_page": 50, "total_pages": 2, "total_count": 51
        }))
        .expect("a pagination"),
    };
    let mock = server.list_contacts(|when, then| {
        when.page(id(2)).per_page(id(50));
        then.ok(&page);
    });
    let got = client.list_contacts(Some(id(2)), Some(id(50))).await.expect("the mock answers");
    assert_eq!(got.into_inner(), page);
    unanswered(client.list_contacts(Some(id(3)), Some(id(50))).await);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_contacts_can_require_a_parameter_to_be_absent() {
    let (server, client) = server_and_client().await;
    let empty = types::ContactList {
        contacts: vec![],
        pagination: serde_json::from_value(serde_json::json!({
            "current_page": 1, "per_page": 25, "total_pages": 0, "total_count": 0
        }))
        .expect("a pagination"),
    };
    let mock = server.list_contacts(|when, then| {
        when.page(None).per_page(None);
        then.ok(&empty);
    });
    assert!(client.list_contacts(None, None).await.is_ok());
    unanswered(client.list_contacts(Some(id(1)), None).await);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_contact_matches_the_body_and_serves_created_or_a_typed_422() {
    let (server, client) = server_and_client().await;
    let created = server.create_contact(|when, then| {
        when.body(&input("ada@example.com"));
        then.created(&envelope());
    });
    let refusal = types::ErrorBody::StandardError(types::StandardError {
        error_code: "VALIDATION_ERROR".into(),
        errors: vec!["Email is invalid".into()],
        message: Some("Validation failed".into()),
        status: Some("error".into()),
    });
    let refused = server.create_contact(|when, then| {
        when.body(&input("grace@example.com"));
        then.unprocessable_entity(&refusal);
    });

    let ok =
        client.create_contact(&input("ada@example.com")).await.expect("the first mock answers");
    assert_eq!(ok.status().as_u16(), 201);
    assert_eq!(ok.into_inner(), envelope());
    match client.create_contact(&input("grace@example.com")).await {
        Err(Error::ErrorResponse(r)) => {
            assert_eq!(r.status().as_u16(), 422);
            assert_eq!(r.into_inner(), refusal);
        }
        other => panic!("expected the typed 422, got {other:?}"),
    }
    unanswered(client.create_contact(&input("someone@example.com")).await);
    created.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
}

#[tokio::test]
async fn find_contact_matches_values_with_regex_characters_literally() {
    let (server, client) = server_and_client().await;
    // `+`, `.`, `(`, `)` and spaces: percent-encoded on the wire, matched as written.
    let (email, phone) = ("ada.lovelace+crm@example.org", "+1 (555) 123-4567");
    let hit = types::FindContactResult::Contact(john());
    let mock = server.find_contact(|when, then| {
        when.email(email).phone_number(phone);
        then.ok(&hit);
    });
    let got = client.find_contact(Some(email), Some(phone)).await.expect("the mock answers");
    assert_eq!(got.into_inner(), hit);
    // Were the values patterns, `.` and `+` would let these near misses through.
    unanswered(client.find_contact(Some("adaXlovelace+crm@exampleYorg"), Some(phone)).await);
    unanswered(client.find_contact(Some(email), Some("11 (555) 123-4567")).await);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn get_contact_matches_its_id_exactly_and_leaves_find_alone() {
    let (server, client) = server_and_client().await;
    let get = server.get_contact(|when, then| {
        when.id(id(123));
        then.ok(&envelope());
    });
    let miss = types::FindContactResult::FindContactMiss(
        serde_json::from_value(serde_json::json!({ "contact": null })).expect("a miss"),
    );
    let find = server.find_contact(|when, then| {
        when.email("nobody@example.com");
        then.ok(&miss);
    });
    let got = client.get_contact(id(123)).await.expect("the mock answers");
    assert_eq!(got.into_inner(), envelope());
    unanswered(client.get_contact(id(1234)).await);
    unanswered(client.get_contact(id(12)).await);
    let found = client
        .find_contact(Some("nobody@example.com"), None)
        .await
        .expect("the find mock answers");
    assert_eq!(found.into_inner(), miss);
    get.assert_calls_async(1).await;
    find.assert_calls_async(1).await;
}

#[tokio::test]
async fn update_and_patch_contact_match_the_id_and_the_body() {
    for put in [true, false] {
        let (server, client) = server_and_client().await;
        let mock = if put {
            server.update_contact(|when, then| {
                when.id(id(123)).body(&input("ada@example.com"));
                then.ok(&envelope());
            })
        } else {
            server.patch_contact(|when, then| {
                when.id(id(123)).body(&input("ada@example.com"));
                then.ok(&envelope());
            })
        };
        let send = |n: u64, email: &str| {
            let (client, body) = (&client, input(email));
            async move {
                match put {
                    true => client.update_contact(id(n), &body).await,
                    false => client.patch_contact(id(n), &body).await,
                }
            }
        };
        let answered = send(123, "ada@example.com").await;
        assert_eq!(answered.expect("the mock answers").into_inner(), envelope());
        // Another id, or another body: not this mock's request.
        unanswered(send(124, "ada@example.com").await);
        unanswered(send(123, "grace@example.com").await);
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn delete_contact_serves_no_content_or_a_typed_404() {
    let (server, client) = server_and_client().await;
    let deleted = server.delete_contact(|when, then| {
        when.id(id(123));
        then.no_content();
    });
    let gone = types::ErrorBody::StandardError(types::StandardError {
        error_code: "NOT_FOUND".into(),
        errors: vec![],
        message: Some("Contact not found".into()),
        status: Some("error".into()),
    });
    let missing = server.delete_contact(|when, then| {
        when.id(id(124));
        then.not_found(&gone);
    });
    let ok = client.delete_contact(id(123)).await.expect("the mock answers");
    assert_eq!(ok.status().as_u16(), 204);
    match client.delete_contact(id(124)).await {
        Err(Error::ErrorResponse(r)) => {
            assert_eq!(r.status().as_u16(), 404);
            assert_eq!(r.into_inner(), gone);
        }
        other => panic!("expected the typed 404, got {other:?}"),
    }
    deleted.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
}

fn subscription(id: i64) -> types::WebhookSubscription {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "webhook_url": "https://example.com/webhooks/linq",
        "version": 2,
        "events": ["contact.created", "contact.deleted"],
        "active": true,
        "secret_configured": true,
        "last_delivered_at": null,
        "delivery_attempts": 0
    }))
    .expect("a subscription")
}

fn subscription_request(url: &str) -> types::WebhookSubscriptionRequest {
    serde_json::from_value(serde_json::json!({
        "webhook_subscription": {
            "webhook_url": url,
            "version": 2,
            "events": ["contact.created"],
            "secret": "a-webhook-secret",
            "active": true
        }
    }))
    .expect("a subscription request")
}

#[tokio::test]
async fn list_webhook_subscriptions_serves_a_typed_list() {
    let (server, client) = server_and_client().await;
    let list: types::WebhookSubscriptionList = serde_json::from_value(serde_json::json!({
        "webhook_subscriptions": [serde_json::to_value(subscription(123)).expect("serialises")]
    }))
    .expect("a list");
    let mock = server.list_webhook_subscriptions(|_, then| {
        then.ok(&list);
    });
    let got = client.list_webhook_subscriptions().await.expect("the mock answers");
    assert_eq!(got.into_inner(), list);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_webhook_subscription_matches_the_body() {
    let (server, client) = server_and_client().await;
    let created = types::WebhookSubscriptionEnvelope {
        webhook_subscription: subscription(124),
    };
    let mock = server.create_webhook_subscription(|when, then| {
        when.body(&subscription_request("https://example.com/webhooks/linq"));
        then.created(&created);
    });
    let got = client
        .create_webhook_subscription(&subscription_request("https://example.com/webhooks/linq"))
        .await
        .expect("the mock answers");
    assert_eq!(got.status().as_u16(), 201);
    assert_eq!(got.into_inner(), created);
    unanswered(
        client
            .create_webhook_subscription(&subscription_request("https://example.org/other"))
            .await,
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn update_webhook_subscription_matches_the_id_and_the_body() {
    let (server, client) = server_and_client().await;
    let updated = types::WebhookSubscriptionEnvelope {
        webhook_subscription: subscription(125),
    };
    let mock = server.update_webhook_subscription(|when, then| {
        when.webhook_subscription_id(id(125))
            .body(&subscription_request("https://example.com/webhooks/linq"));
        then.ok(&updated);
    });
    let got = client
        .update_webhook_subscription(
            id(125),
            &subscription_request("https://example.com/webhooks/linq"),
        )
        .await
        .expect("the mock answers");
    assert_eq!(got.into_inner(), updated);
    unanswered(
        client
            .update_webhook_subscription(
                id(1250),
                &subscription_request("https://example.com/webhooks/linq"),
            )
            .await,
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn delete_webhook_subscription_serves_no_content() {
    let (server, client) = server_and_client().await;
    let mock = server.delete_webhook_subscription(|when, then| {
        when.webhook_subscription_id(id(126));
        then.no_content();
    });
    let got = client.delete_webhook_subscription(id(126)).await.expect("the mock answers");
    assert_eq!(got.status().as_u16(), 204);
    unanswered(client.delete_webhook_subscription(id(127)).await);
    mock.assert_calls_async(1).await;
}
