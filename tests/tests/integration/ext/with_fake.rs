//! The stateful scenarios, against the fake Linq: what the server ends up holding matters as
//! much as what the client returns.

use std::time::Duration;

use super::id;
use crate::support::{builder_of, client_of, fake_and_client};
use futures_util::TryStreamExt;
use linq_api::types::ContactFields;
use linq_api_ext::Error;
use linq_fake::{FakeLinq, Operation, Reply};

fn named(n: usize) -> ContactFields {
    ContactFields {
        first_name: Some(format!("Contact {n}")),
        ..Default::default()
    }
}

/// A fake holding contacts 1 to `count` (named "Contact N", ids in that order), and a client.
async fn fake_of_named(count: usize) -> (FakeLinq, linq_api_ext::LinqClient) {
    let mut builder = FakeLinq::builder();
    for n in 1..=count {
        builder = builder.contact(named(n));
    }
    let fake = builder.start().await;
    let linq = client_of(&fake);
    (fake, linq)
}

#[tokio::test]
async fn the_stream_walks_every_page_in_order_with_any_concurrency() {
    let (fake, linq) = fake_of_named(14).await;
    let contacts = linq.contacts();
    for concurrency in [1, 2, 8] {
        fake.clear_requests();
        let ids: Vec<u64> = contacts
            .list()
            .per_page(3)
            .concurrency(concurrency)
            .stream()
            .map_ok(|c| c.id.get())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            ids,
            (1..=14).collect::<Vec<_>>(),
            "concurrency {concurrency}"
        );
        let mut pages: Vec<String> = fake
            .requests_for(Operation::ListContacts)
            .iter()
            .map(|r| {
                assert_eq!(r.query_param("per_page").as_deref(), Some("3"));
                r.query_param("page").unwrap()
            })
            .collect();
        pages.sort();
        // Five pages of at most 3, each asked once, none past the last.
        assert_eq!(
            pages,
            ["1", "2", "3", "4", "5"],
            "concurrency {concurrency}"
        );
    }
}

/// The pages the fake was asked for, sorted (pages asked at once may arrive in any order).
fn pages_asked(fake: &FakeLinq) -> Vec<u64> {
    let asked = fake.requests_for(Operation::ListContacts);
    let mut pages: Vec<u64> =
        asked.iter().filter_map(|r| r.query_param("page")?.parse().ok()).collect();
    pages.sort_unstable();
    pages
}

#[tokio::test]
async fn fetching_ahead_goes_on_while_the_caller_waits_but_holds_at_most_twice_the_concurrency() {
    let (fake, linq) = fake_of_named(9).await;
    let mut stream = linq.contacts().list().per_page(1).concurrency(2).stream();
    let first = stream.try_next().await.unwrap().map(|c| c.id.get());
    assert_eq!(first, Some(1));
    // The caller holds contact 1 and does not poll. Each answered page starts the next
    // request, two at a time, until four pages (twice the concurrency) wait for the caller.
    tokio::time::timeout(Duration::from_secs(60), async {
        while pages_asked(&fake).len() < 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("pages 2 to 5 were fetched while the caller did not poll");
    // Nothing more comes until the caller takes a page, however long it waits.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pages_asked(&fake), [1, 2, 3, 4, 5]);
    let rest: Vec<u64> = stream.map_ok(|c| c.id.get()).try_collect().await.unwrap();
    assert_eq!(rest, (2..=9).collect::<Vec<_>>());
    assert_eq!(
        pages_asked(&fake),
        (1..=9).collect::<Vec<_>>(),
        "each page asked once"
    );

    // One after the other (the default): nothing is fetched before the caller asks for it.
    fake.clear_requests();
    let mut stream = linq.contacts().list().per_page(1).stream();
    assert_eq!(
        stream.try_next().await.unwrap().map(|c| c.id.get()),
        Some(1)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pages_asked(&fake), [1]);
}

#[tokio::test]
async fn a_create_that_times_out_is_not_sent_again_though_it_went_through() {
    let fake = FakeLinq::start().await;
    // The fake creates the contact as soon as the request arrives, then holds the answer far
    // longer than the client waits: the timeout is certain, however slow the machine.
    fake.set_operation_latency(Operation::CreateContact, Duration::from_secs(600));
    let linq = builder_of(&fake).timeout(Duration::from_secs(2)).build().unwrap();
    let err = linq.contacts().create().email("ada@example.com").send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { attempts: 1, .. }), "{err:?}");
    // Linq saw exactly one POST — and created the contact: re-sending would have made two.
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1);
    assert_eq!(fake.contacts().len(), 1);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_not_sent_again() {
    let fake = FakeLinq::start().await;
    fake.script(Operation::CreateContact, [Reply::normal_then_drop()]);
    let err = client_of(&fake).contacts().create().first_name("Ada").send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connection {
                before_send: false,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1);
    assert_eq!(fake.contacts().len(), 1);
}

#[tokio::test]
async fn an_update_whose_answer_was_lost_is_sent_again() {
    let fake = FakeLinq::builder().contact(named(1)).start().await;
    fake.script(Operation::UpdateContact, [Reply::normal_then_drop()]);
    let updated = client_of(&fake)
        .contacts()
        .update(id(1))
        .title("CTO")
        .first_name("Ada")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.title.as_deref(), Some("CTO"));
    assert_eq!(fake.requests_for(Operation::UpdateContact).len(), 2);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_succeeds_on_retry() {
    let fake = FakeLinq::builder().contact(named(1)).start().await;
    fake.script(Operation::DeleteContact, [Reply::normal_then_drop()]);
    // The first attempt deletes the contact but its answer is lost; the retry finds nothing.
    client_of(&fake).contacts().delete(id(1)).send().await.unwrap();
    assert_eq!(fake.requests_for(Operation::DeleteContact).len(), 2);
    assert!(fake.contacts().is_empty());
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_not_retried() {
    let fake = FakeLinq::start().await;
    let linq = builder_of(&fake).token("not-the-token").build().unwrap();
    let err = linq.contacts().get(id(1)).send().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(err.error_code(), Some("unauthorized"));
    assert_eq!(err.attempts(), 1);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn an_unknown_owner_is_a_validation_error_that_creates_nothing() {
    let fake = FakeLinq::start().await;
    let err = client_of(&fake)
        .contacts()
        .create()
        .first_name("Ada")
        .user_email("nobody@company.com")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(err.error_code(), Some("VALIDATION_ERROR"));
    assert!(fake.contacts().is_empty());
}

#[tokio::test]
async fn the_client_and_the_fake_agree_on_the_input_rules() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    // What the client accepts, the fake accepts: a number of unknown country included.
    let created =
        contacts.create().first_name("Grete").phone_number("030/1234567").send().await.unwrap();
    let found = contacts.find().phone_number("030/1234567").send().await.unwrap();
    assert_eq!(found.map(|c| c.id), Some(created.id));

    // What the client refuses, the fake refuses too (sent raw, past the client's checks).
    let raw = fake.raw_client().unwrap();
    for (field, value) in [
        ("email", "not-an-email".to_owned()),
        ("phone_number", "call me".to_owned()),
        ("first_name", "Ada\u{1b}[2J".to_owned()),
        ("company", "x".repeat(256)),
    ] {
        let mut fields = ContactFields {
            last_name: Some("Lovelace".into()),
            ..Default::default()
        };
        match field {
            "email" => fields.email = Some(value.clone()),
            "phone_number" => fields.phone_number = Some(value.clone()),
            "first_name" => fields.first_name = Some(value.clone()),
            _ => fields.company = Some(value.clone()),
        }
        let by_client = contacts
            .create()
            .last_name("Lovelace")
            .email(fields.email.clone().unwrap_or_else(|| "a@b.co".into()))
            .phone_number(fields.phone_number.clone().unwrap_or_else(|| "+15551234567".into()))
            .first_name(fields.first_name.clone().unwrap_or_else(|| "Ada".into()))
            .company(fields.company.clone().unwrap_or_else(|| "Acme".into()))
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&by_client, Error::InvalidInput { field: f, .. } if *f == field),
            "{field}: {by_client:?}"
        );
        let body = linq_api::types::ContactInput {
            contact: fields,
            user_email: None,
        };
        let by_fake = raw.create_contact(&body).await.unwrap_err();
        assert_eq!(
            by_fake.status().map(|s| s.as_u16()),
            Some(422),
            "{field}: {by_fake:?}"
        );
    }
    assert_eq!(fake.contacts().len(), 1);
}
