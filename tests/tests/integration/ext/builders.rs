//! Builders: what each operation sends, validation before sending, find's `Option`, listing
//! and streaming every page.

use futures_util::{StreamExt, TryStreamExt};
use httpmock::MockServer;
use linq_api::{mock::MockServerExt, types::FindContactResult};
use linq_api_ext::{ContactId, Error};
use serde_json::json;

use super::{client, contact, id};
use crate::support::{self, catch_all, contact_not_found, envelope_of, john_as, page_json};

#[tokio::test]
async fn create_sends_the_fields_set_and_the_owner() {
    let server = MockServer::start_async().await;
    let mock = server.create_contact(|when, then| {
        when.into_inner().json_body(json!({
            "contact": {"first_name": "Ada", "email": "ada@example.com", "company": "Analytical"},
            "user_email": "owner@company.com"
        }));
        then.created(&envelope_of(77));
    });
    let got = client(&server)
        .contacts()
        .create()
        .first_name("Ada")
        .email(String::from("ada@example.com"))
        .company("Analytical")
        .user_email("owner@company.com")
        .await
        .unwrap();
    assert_eq!(got.id, 77);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server);
    let linq = client(&server);
    let c = linq.contacts();

    let cases: Vec<(Error, &str, &str)> = vec![
        (
            c.create().company("Acme").first_name("  ").await.unwrap_err(),
            "contact",
            "at least one of first_name, last_name, email or phone_number",
        ),
        (
            c.create().first_name("A").user_email("not-an-email").await.unwrap_err(),
            "user_email",
            "must match the pattern",
        ),
        (
            c.update(id(5)).title("CTO").await.unwrap_err(),
            "contact",
            "at least one of",
        ),
        // An id below 1 cannot even be made (a `ContactId` is positive by construction).
        (
            ContactId::try_from(0_i64).unwrap_err(),
            "id",
            "positive integer",
        ),
        (
            ContactId::try_from(-1_i64).unwrap_err(),
            "id",
            "positive integer",
        ),
        (
            "0".parse::<ContactId>().unwrap_err(),
            "id",
            "positive integer",
        ),
        (
            c.find().await.unwrap_err(),
            "email",
            "or phone_number is required",
        ),
        (
            c.find().email("").phone_number(" ").await.unwrap_err(),
            "email",
            "or phone_number is required",
        ),
        (
            c.find().email("nope").await.unwrap_err(),
            "email",
            "must match the pattern",
        ),
        (
            c.find().phone_number("call me").await.unwrap_err(),
            "phone_number",
            "must match the pattern",
        ),
        (
            c.list().per_page(101).await.unwrap_err(),
            "per_page",
            "between 1 and 100",
        ),
        (
            c.list().per_page(0).await.unwrap_err(),
            "per_page",
            "between 1 and 100",
        ),
        (c.list().page(0).await.unwrap_err(), "page", "at least 1"),
    ];
    for (err, field, rule) in cases {
        match &err {
            Error::InvalidInput { field: f, rule: r } => {
                assert_eq!(*f, field, "{err}");
                assert!(r.contains(rule), "{err}");
                assert!(err.to_string().contains(field), "{err}");
                assert_eq!(err.attempts(), 0);
            }
            other => panic!("expected invalid input for {field}, got {other:?}"),
        }
    }
    let streamed: Vec<_> = c.list().per_page(500).stream().collect().await;
    assert!(matches!(
        streamed.as_slice(),
        [Err(Error::InvalidInput {
            field: "per_page",
            ..
        })]
    ));
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn validate_refuses_what_send_refuses_and_sends_nothing() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server);
    let linq = client(&server);
    let c = linq.contacts();
    let field = |r: linq_api_ext::Result<()>| match r {
        Err(Error::InvalidInput { field, .. }) => Some(field),
        Err(other) => panic!("expected invalid input, got {other:?}"),
        Ok(()) => None,
    };
    assert_eq!(
        field(c.create().company("Acme").validate()),
        Some("contact")
    );
    assert_eq!(
        field(c.create().first_name("A").user_email("x").validate()),
        Some("user_email")
    );
    assert_eq!(field(c.create().email("a@b.co").validate()), None);
    assert_eq!(
        field(c.update(id(5)).title("CTO").validate()),
        Some("contact")
    );
    assert_eq!(field(c.update(id(5)).last_name("L").validate()), None);
    assert_eq!(field(c.find().validate()), Some("email"));
    assert_eq!(
        field(c.find().phone_number("call me").validate()),
        Some("phone_number")
    );
    assert_eq!(field(c.find().email("a@b.co").validate()), None);
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn update_uses_put_and_patch_uses_patch() {
    let server = MockServer::start_async().await;
    let put = server.update_contact(|when, then| {
        let body = json!({"contact": {"email": "newemail@example.com"}});
        when.id(id(5).into()).into_inner().json_body(body);
        then.ok(&envelope_of(5));
    });
    let patch = server.patch_contact(|when, then| {
        let body = json!({"contact": {"last_name": "Lovelace"}});
        when.id(id(5).into()).into_inner().json_body(body);
        then.ok(&envelope_of(5));
    });
    let linq = client(&server);
    linq.contacts().update(id(5)).email("newemail@example.com").await.unwrap();
    linq.contacts().patch(id(5)).last_name("Lovelace").await.unwrap();
    put.assert_calls_async(1).await;
    patch.assert_calls_async(1).await;
}

#[tokio::test]
async fn find_returns_some_on_a_match_and_none_on_a_miss_or_404() {
    let server = MockServer::start_async().await;
    let by_phone = server.find_contact(|when, then| {
        when.phone_number("(555) 123-4567").email(None);
        then.ok(&FindContactResult::Contact(john_as(123)));
    });
    let by_both = server.find_contact(|when, then| {
        when.email("nobody@example.com").phone_number("+15550000000");
        let miss = json!({"contact": null, "message": "No contact found"});
        then.into_inner().status(200).json_body(miss);
    });
    let gone = server.find_contact(|when, then| {
        when.email("gone@example.com");
        then.not_found(&contact_not_found());
    });
    let wrong_route = server.find_contact(|when, then| {
        when.email("proxy@example.com");
        then.into_inner().status(404).body("<html>Not Found</html>");
    });
    let linq = client(&server);
    // A 404 that is not Linq's (a proxy, a wrong base URL) is an error, not a miss.
    let err = linq.contacts().find().email("proxy@example.com").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    wrong_route.assert_calls_async(1).await;
    let hit = linq.contacts().find().phone_number("(555) 123-4567").await.unwrap();
    assert_eq!(hit.map(|c| c.id.get()), Some(123));
    let find = linq.contacts().find().email("nobody@example.com");
    let miss = find.phone_number("+15550000000").await.unwrap();
    assert_eq!(miss, None);
    assert_eq!(
        linq.contacts().find().email("gone@example.com").await.unwrap(),
        None
    );
    by_phone.assert_calls_async(1).await;
    by_both.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
}

#[tokio::test]
async fn delete_accepts_204_and_200() {
    let server = MockServer::start_async().await;
    let no_content = server.delete_contact(|when, then| {
        when.id(id(1).into());
        then.no_content();
    });
    let ok = server.delete_contact(|when, then| {
        when.id(id(2).into());
        then.into_inner().status(200).json_body(json!({"deleted": true}));
    });
    let linq = client(&server);
    linq.contacts().delete(id(1)).await.unwrap();
    linq.contacts().delete(id(2)).await.unwrap();
    no_content.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

/// Serves `pages` pages of `per_page` contacts, numbered from 1, and returns the mocks.
fn serve_pages(
    server: &MockServer,
    per_page: u64,
    total_pages: u64,
    served_pages: u64,
) -> Vec<httpmock::Mock<'_>> {
    let serve = |page: u64| {
        let contacts: Vec<_> =
            (0..per_page).map(|i| contact(((page - 1) * per_page + i + 1) as i64)).collect();
        server.list_contacts(|when, then| {
            when.page(support::id(page)).per_page(support::id(per_page));
            let body = page_json(contacts, page, per_page, total_pages);
            then.into_inner().status(200).json_body(body);
        })
    };
    (1..=served_pages).map(serve).collect()
}

#[tokio::test]
async fn one_page_with_its_pagination() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 2, 3, 3);
    let page = client(&server).contacts().list().page(2).per_page(2).await.unwrap();
    let ids: Vec<_> = page.contacts.iter().map(|c| c.id).collect();
    assert_eq!(ids, [3, 4]);
    assert_eq!(page.pagination.total_pages, 3);
    assert!(page.has_next());
    mocks[1].assert_calls_async(1).await;
}

#[tokio::test]
async fn the_stream_stops_cleanly_at_an_empty_page() {
    let server = MockServer::start_async().await;
    // Linq claims 4 pages but the second is already empty (contacts were deleted meanwhile).
    let first = serve_pages(&server, 2, 4, 1);
    let empty = server.list_contacts(|when, then| {
        when.page(support::id(2));
        then.into_inner().status(200).json_body(json!({"contacts": [],
            "pagination": {"current_page": 2, "per_page": 2, "total_pages": 4, "total_count": 2}}));
    });
    let third = server.list_contacts(|when, then| {
        when.page(support::id(3));
        then.into_inner().status(500);
    });
    let stream = client(&server).contacts().list().per_page(2).stream();
    let ids: Vec<u64> = stream.map_ok(|c| c.id.get()).try_collect().await.unwrap();
    assert_eq!(ids, [1, 2]);
    first[0].assert_calls_async(1).await;
    empty.assert_calls_async(1).await;
    third.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_stream_ends_with_the_first_error() {
    let server = MockServer::start_async().await;
    let _pages = serve_pages(&server, 2, 3, 1);
    server.list_contacts(|when, then| {
        when.page(support::id(2));
        let forbidden = json!({"status": "error", "error_code": "FORBIDDEN", "message": "No"});
        then.into_inner().status(403).json_body(forbidden);
    });
    let items: Vec<_> = client(&server).contacts().list().per_page(2).stream().collect().await;
    assert_eq!(items.len(), 3);
    assert!(items[..2].iter().all(Result::is_ok));
    assert!(
        matches!(&items[2], Err(Error::Forbidden(_))),
        "{:?}",
        items[2]
    );
}

#[tokio::test]
async fn a_page_that_is_not_the_one_asked_for_ends_the_stream() {
    // A cache in front of Linq that ignores the query string: every request gets page 1.
    let server = MockServer::start_async().await;
    let cached = server.list_contacts(|_, then| {
        let first = page_json(vec![contact(1)], 1, 1, 3);
        then.into_inner().status(200).json_body(first);
    });
    let items: Vec<_> = client(&server).contacts().list().per_page(1).stream().collect().await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id, 1);
    assert!(
        matches!(
            items[1],
            Err(Error::WrongPage {
                requested: 2,
                received: 1
            })
        ),
        "{items:?}"
    );
    cached.assert_calls_async(2).await;

    // One page asked for by number is checked too.
    let err = client(&server).contacts().list().page(3).send().await.unwrap_err();
    assert!(
        matches!(err, Error::WrongPage { requested: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_field_refuses_control_characters_and_overlong_values_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server);
    let linq = client(&server);
    let nasty = ["line\r\nbreak", "nul\0", "esc\u{1b}[31m"];
    for value in nasty {
        let c = linq.contacts();
        let refusals = [
            c.clone().create().first_name(value).send().await,
            c.clone().create().first_name("A").last_name(value).send().await,
            c.clone().create().first_name("A").company(value).send().await,
            c.clone().create().first_name("A").title(value).send().await,
            c.clone().create().first_name("A").location(value).send().await,
            c.clone().update(id(5)).first_name("A").email(value).send().await,
            c.clone().update(id(5)).phone_number(value).send().await,
        ];
        for refused in refusals {
            let err = refused.unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput { .. }),
                "{value:?}: {err:?}"
            );
            assert!(!err.to_string().contains(value), "{err}");
        }
    }
    let err =
        linq.contacts().create().title("t".repeat(256)).first_name("A").send().await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { field: "title", .. }),
        "{err:?}"
    );
    // A 100 KB email in find's query is refused before a request is even built.
    let err = linq
        .contacts()
        .find()
        .email(format!("{}@example.com", "a".repeat(100_000)))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { field: "email", .. }),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 0);
    // Create and update apply find's rules for email and phone number.
    for refused in [
        linq.contacts().create().email("not-an-email").send().await,
        linq.contacts().update(id(5)).phone_number("call me").send().await,
    ] {
        assert!(
            matches!(refused, Err(Error::InvalidInput { .. })),
            "{refused:?}"
        );
    }
    any.assert_calls_async(0).await;
}
