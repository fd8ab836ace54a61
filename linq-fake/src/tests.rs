//! Tests of the fake, mostly through the raw generated client so that every answer the fake
//! gives is proven to decode with the types generated from the spec.

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use linq_api::types::{
    Contact, ContactFields, ContactInput, ContactOwner, ErrorBody, FindContactMiss,
    FindContactResult,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;

/// The path of list and create, from the spec's table.
const CONTACTS: &str = linq_api::spec::LIST_CONTACTS.path;

type ApiError = linq_api::Error<ErrorBody>;

fn nz(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).expect("test ids are not zero")
}

fn fields(first: &str, last: &str, email: &str, phone: &str) -> ContactFields {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ContactFields {
        first_name: some(first),
        last_name: some(last),
        email: some(email),
        phone_number: some(phone),
        ..Default::default()
    }
}

fn input(fields: ContactFields) -> ContactInput {
    ContactInput {
        contact: fields,
        user_email: None,
    }
}

fn client(fake: &FakeLinq) -> linq_api::Client {
    fake.raw_client().expect("a client for the fake")
}

/// A plain HTTP call, for what the generated client cannot send (bad bodies, no token, …).
async fn call(
    fake: &FakeLinq,
    method: Method,
    path_and_query: &str,
    body: Option<&[u8]>,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    let mut request = http.request(method, format!("{}{path_and_query}", fake.base_url()));
    if let Some(token) = token {
        request = request.header(TOKEN_HEADER, token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_vec());
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

/// A plain HTTP call with the right token, answered with JSON.
async fn call_json(
    fake: &FakeLinq,
    method: Method,
    path_and_query: &str,
    body: Option<&[u8]>,
) -> (StatusCode, Value) {
    let (status, headers, body) =
        call(fake, method, path_and_query, body, Some(fake.token())).await;
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    (status, serde_json::from_slice(&body).expect("a JSON body"))
}

/// The status and typed body of a declared error.
fn declared_error(error: ApiError) -> (StatusCode, ErrorBody) {
    match error {
        linq_api::Error::ErrorResponse(response) => (response.status(), response.into_inner()),
        other => panic!("expected a declared error response, got {other:?}"),
    }
}

fn standard_error(body: ErrorBody) -> linq_api::types::StandardError {
    match body {
        ErrorBody::StandardError(error) => error,
        other => panic!("expected the StandardError format, got {other:?}"),
    }
}

fn documented_not_found() -> Value {
    json!({
        "status": "error",
        "error_code": "CONTACT_NOT_FOUND",
        "message": "Contact not found",
        "errors": ["The requested contact does not exist or is not accessible to your organization"],
    })
}

fn documented_validation_error() -> Value {
    json!({
        "status": "error",
        "error_code": "VALIDATION_ERROR",
        "message": "Contact validation failed",
        "errors": ["At least one of the name, email, or phone number fields must be filled out for the contact"],
    })
}

fn default_owner() -> ContactOwner {
    ContactOwner {
        id: Some(nz(456)),
        email: Some("owner@company.com".to_owned()),
        first_name: Some("Jane".to_owned()),
        last_name: Some("Owner".to_owned()),
        name: Some("Jane Owner".to_owned()),
    }
}

#[tokio::test]
async fn the_generated_client_walks_all_seven_operations() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);

    // List, empty.
    let page = linq.list_contacts(None, None).await.expect("list");
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.into_inner();
    assert!(page.contacts.is_empty());
    assert_eq!(
        (
            page.pagination.current_page,
            page.pagination.per_page,
            page.pagination.total_pages,
            page.pagination.total_count
        ),
        (1, 25, 0, 0)
    );

    // Create: 201 {data}.
    let mut body = input(ContactFields {
        company: Some("Acme Corp".to_owned()),
        title: Some("CEO".to_owned()),
        location: Some("San Francisco, CA".to_owned()),
        ..fields("John", "Doe", "john@example.com", "(555) 123-4567")
    });
    let created = linq.create_contact(&body).await.expect("create");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = created.into_inner().data;
    assert_eq!(created.id, nz(1));
    assert_eq!(created.full_name.as_deref(), Some("John Doe"));
    assert_eq!(created.phone_number.as_deref(), Some("+15551234567"));
    assert_eq!(created.company.as_deref(), Some("Acme Corp"));
    assert_eq!(created.image_url, None);
    assert_eq!(created.contact_owner, Some(default_owner()));
    assert!(created.created_at.is_some());
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(fake.contact(1).as_ref(), Some(&created));

    // Find: a bare contact on a hit, {"contact": null} on a miss.
    let found = linq
        .find_contact(None, Some("555-123-4567"))
        .await
        .expect("find");
    assert_eq!(found.status(), StatusCode::OK);
    assert_eq!(
        found.into_inner(),
        FindContactResult::Contact(created.clone())
    );
    let miss = linq
        .find_contact(Some("nobody@example.com"), None)
        .await
        .expect("find miss");
    assert_eq!(
        miss.into_inner(),
        FindContactResult::FindContactMiss(FindContactMiss { contact: None })
    );

    // Get: 200 {data}.
    let got = linq.get_contact(nz(1)).await.expect("get");
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.into_inner().data, created);

    // PUT changes only the fields sent.
    body = input(fields("", "", "newemail@example.com", ""));
    let updated = linq.update_contact(nz(1), &body).await.expect("put");
    assert_eq!(updated.status(), StatusCode::OK);
    let updated = updated.into_inner().data;
    assert_eq!(updated.email.as_deref(), Some("newemail@example.com"));
    assert_eq!(updated.first_name.as_deref(), Some("John"));
    assert_eq!(updated.company.as_deref(), Some("Acme Corp"));
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);

    // PATCH, the same.
    body = input(ContactFields {
        company: Some("Linq".to_owned()),
        ..fields("", "Dough", "", "")
    });
    let patched = linq.patch_contact(nz(1), &body).await.expect("patch");
    assert_eq!(patched.status(), StatusCode::OK);
    let patched = patched.into_inner().data;
    assert_eq!(patched.full_name.as_deref(), Some("John Dough"));
    assert_eq!(patched.company.as_deref(), Some("Linq"));
    assert_eq!(patched.email.as_deref(), Some("newemail@example.com"));
    assert_eq!(patched.title.as_deref(), Some("CEO"));

    let page = linq
        .list_contacts(None, None)
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.contacts, vec![patched.clone()]);
    assert_eq!(page.pagination.total_count, 1);
    assert_eq!(page.pagination.total_pages, 1);

    // Delete: 204, then the contact is gone.
    let deleted = linq.delete_contact(nz(1)).await.expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, body) = declared_error(linq.get_contact(nz(1)).await.expect_err("gone"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(standard_error(body).error_code, "CONTACT_NOT_FOUND");
    assert!(fake.contacts().is_empty());

    // Ids are never reused.
    let again = linq
        .create_contact(&input(fields("Ada", "", "", "")))
        .await
        .expect("create");
    assert_eq!(again.into_inner().data.id, nz(2));

    let operations: Vec<_> = fake.requests().iter().filter_map(|r| r.operation).collect();
    // The Webhook Subscriptions operations have their own tests (tests/fake/webhooks.rs).
    for operation in &Operation::ALL[..7] {
        assert!(operations.contains(operation), "{operation} was exercised");
    }
}

#[test]
fn every_operation_has_the_spec_s_id_method_and_path() {
    // The path templates and methods of the spec, read from the spec itself.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/linq-v2-contacts.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the spec");
    let spec: Value = serde_norway::from_str(&text).expect("YAML");
    for operation in Operation::ALL {
        let method = operation.method().as_str().to_lowercase();
        let pointer = format!(
            "/paths/{}/{method}/operationId",
            operation
                .path_template()
                .replace('~', "~0")
                .replace('/', "~1")
        );
        assert_eq!(
            spec.pointer(&pointer).and_then(Value::as_str),
            Some(operation.operation_id()),
            "{pointer}"
        );
    }
}

#[tokio::test]
async fn contacts_are_sent_with_every_field_and_documented_timestamps() {
    let fake = FakeLinq::start().await;
    let created = fake.insert_contact(fields("", "Solo", "", ""));
    let (status, body) = call_json(
        &fake,
        Method::GET,
        &format!("{CONTACTS}/{}", created.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let wire = body["data"].as_object().expect("data is an object").clone();

    // The same keys as the generated Contact (hence the spec) has, all present, nulls included.
    let full = Contact {
        company: Some(String::new()),
        contact_owner: Some(default_owner()),
        created_at: created.created_at,
        email: Some(String::new()),
        first_name: Some(String::new()),
        full_name: Some(String::new()),
        id: nz(1),
        image_url: Some(String::new()),
        last_name: Some(String::new()),
        location: Some(String::new()),
        phone_number: Some(String::new()),
        title: Some(String::new()),
        updated_at: created.updated_at,
    };
    let spec_keys: Vec<String> = serde_json::to_value(full)
        .expect("serialise")
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    let wire_keys: Vec<String> = wire.keys().cloned().collect();
    assert_eq!(wire_keys, spec_keys);
    assert_eq!(wire["first_name"], Value::Null);
    assert_eq!(wire["image_url"], Value::Null);
    assert_eq!(wire["full_name"], "Solo");
    let owner_keys: Vec<&String> = wire["contact_owner"]
        .as_object()
        .expect("an owner")
        .keys()
        .collect();
    assert_eq!(
        owner_keys,
        ["email", "first_name", "id", "last_name", "name"]
    );

    // 2025-07-30T10:00:00.000-05:00: milliseconds and a numeric offset.
    let at = wire["created_at"].as_str().expect("a string");
    let parsed = chrono::DateTime::parse_from_rfc3339(at).expect("RFC 3339");
    assert_eq!(at.len(), "2025-07-30T10:00:00.000-05:00".len(), "{at}");
    assert!(at.ends_with("+00:00"), "{at}");
    assert_eq!(at.as_bytes()[19], b'.', "{at}");
    assert_eq!(Some(parsed), created.created_at);

    // No names at all: full_name is null.
    let nameless = fake.insert_contact(fields("", "", "x@example.com", ""));
    assert_eq!(nameless.full_name, None);
}

#[tokio::test]
async fn pagination_pages_by_id_and_refuses_out_of_bounds_values() {
    let fake = FakeLinq::start().await;
    for n in 1..=30 {
        fake.insert_contact(fields(&format!("Contact {n}"), "", "", ""));
    }
    let linq = client(&fake);
    let ids = |contacts: &[Contact]| contacts.iter().map(|c| c.id.get()).collect::<Vec<_>>();

    let first = linq
        .list_contacts(None, None)
        .await
        .expect("page 1")
        .into_inner();
    assert_eq!(ids(&first.contacts), (1..=25).collect::<Vec<_>>());
    let p = &first.pagination;
    assert_eq!(
        (p.current_page, p.per_page, p.total_pages, p.total_count),
        (1, 25, 2, 30)
    );

    let second = linq
        .list_contacts(Some(nz(2)), None)
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(ids(&second.contacts), (26..=30).collect::<Vec<_>>());
    assert_eq!(second.pagination.current_page, 2);

    let sevens = linq
        .list_contacts(Some(nz(5)), Some(nz(7)))
        .await
        .expect("p5")
        .into_inner();
    assert_eq!(ids(&sevens.contacts), vec![29, 30]);
    assert_eq!(sevens.pagination.total_pages, 5);
    assert_eq!(sevens.pagination.per_page, 7);

    let all = linq
        .list_contacts(None, Some(nz(100)))
        .await
        .expect("all")
        .into_inner();
    assert_eq!(all.contacts.len(), 30);
    assert_eq!(all.pagination.total_pages, 1);

    let past = linq
        .list_contacts(Some(nz(3)), None)
        .await
        .expect("past")
        .into_inner();
    assert!(past.contacts.is_empty());
    assert_eq!(past.pagination.current_page, 3);
    assert_eq!(past.pagination.total_count, 30);

    // per_page above the maximum is a 422, not clamped.
    let (status, body) = declared_error(
        linq.list_contacts(None, Some(nz(101)))
            .await
            .expect_err("101"),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(standard_error(body).error_code, "VALIDATION_ERROR");

    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=0",
        "per_page=1.5",
        "per_page=101",
    ] {
        let (status, body) =
            call_json(&fake, Method::GET, &format!("{CONTACTS}?{query}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(body["error_code"], "VALIDATION_ERROR", "{query}");
        assert_eq!(body["status"], "error", "{query}");
    }
    // Blank values are the defaults.
    let (status, body) = call_json(
        &fake,
        Method::GET,
        &format!("{CONTACTS}?page=&per_page="),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["pagination"]["per_page"], 25);
}

#[tokio::test]
async fn find_normalises_phones_ignores_email_case_and_matches_either() {
    let fake = FakeLinq::start().await;
    let ada = fake.insert_contact(fields("Ada", "", "Ada@Example.com", "+1 (555) 123-4567"));
    let bob = fake.insert_contact(fields("Bob", "", "bob@example.com", "555 987 6543"));
    assert_eq!(ada.phone_number.as_deref(), Some("+15551234567"));
    assert_eq!(bob.phone_number.as_deref(), Some("+15559876543"));
    let linq = client(&fake);
    let find = |email: Option<&'static str>, phone: Option<&'static str>| {
        let linq = linq.clone();
        async move {
            match linq
                .find_contact(email, phone)
                .await
                .expect("find")
                .into_inner()
            {
                FindContactResult::Contact(contact) => Some(contact.id),
                FindContactResult::FindContactMiss(FindContactMiss { contact }) => {
                    assert_eq!(contact, None);
                    None
                }
            }
        }
    };

    for phone in [
        "(555) 123-4567",
        "555-123-4567",
        "+15551234567",
        "5551234567",
        "1-555-123-4567",
    ] {
        assert_eq!(find(None, Some(phone)).await, Some(ada.id), "{phone}");
    }
    assert_eq!(find(Some("ada@example.COM"), None).await, Some(ada.id));
    assert_eq!(find(Some(" bob@example.com "), None).await, Some(bob.id));
    // Both given: OR, the lowest id first.
    assert_eq!(
        find(Some("bob@example.com"), Some("(555) 123-4567")).await,
        Some(ada.id)
    );
    assert_eq!(
        find(Some("nobody@example.com"), Some("555.987.6543")).await,
        Some(bob.id)
    );
    assert_eq!(
        find(Some("bob@example.com"), Some("555-000-0000")).await,
        Some(bob.id)
    );
    assert_eq!(
        find(Some("nobody@example.com"), Some("555-000-0000")).await,
        None
    );

    // The miss body is exactly the documented one.
    let (status, body) = call_json(
        &fake,
        Method::GET,
        &format!("{CONTACTS}/find?email=nobody%40example.com"),
        None,
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"contact": null})));
    // An unencoded `+` in a query is a space; the number still matches.
    let (_, body) = call_json(
        &fake,
        Method::GET,
        &format!("{CONTACTS}/find?phone_number=+15551234567"),
        None,
    )
    .await;
    assert_eq!(body["id"], ada.id.get());

    // Neither parameter (or only blanks): 400 in the StandardError format.
    for args in [(None, None), (Some(""), Some("  "))] {
        let (status, body) =
            declared_error(linq.find_contact(args.0, args.1).await.expect_err("400"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body = standard_error(body);
        assert_eq!(body.status.as_deref(), Some("error"));
        assert!(!body.errors.is_empty());
    }
    // Malformed values: 422.
    for args in [(Some("not-an-email"), None), (None, Some("call me"))] {
        let (status, body) =
            declared_error(linq.find_contact(args.0, args.1).await.expect_err("422"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(standard_error(body).error_code, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn create_put_and_patch_need_an_identity_field() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let company_only = input(ContactFields {
        company: Some("Acme".to_owned()),
        ..Default::default()
    });
    let blank_names = input(fields(" ", "", "", ""));

    for body in [&company_only, &blank_names] {
        let (status, error) = declared_error(linq.create_contact(body).await.expect_err("422"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            serde_json::to_value(error).expect("json"),
            documented_validation_error()
        );
    }
    assert!(fake.contacts().is_empty());

    let existing = fake.insert_contact(fields("Ada", "", "", ""));
    let id = existing.id;
    let (status, error) = declared_error(
        linq.update_contact(id, &company_only)
            .await
            .expect_err("put"),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::to_value(error).expect("json"),
        documented_validation_error()
    );
    let (status, error) = declared_error(
        linq.patch_contact(id, &company_only)
            .await
            .expect_err("patch"),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        serde_json::to_value(error).expect("json"),
        documented_validation_error()
    );
    assert_eq!(fake.contact(existing.id.get()), Some(existing));

    // Malformed email or phone: 422 too; the raw body is exactly what the fake sent.
    let (status, body) = call_json(
        &fake,
        Method::POST,
        CONTACTS,
        Some(br#"{"contact":{"email":"nope","phone_number":"12"}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"status": "error", "error_code": "VALIDATION_ERROR", "message": "Contact validation failed",
               "errors": ["Email is invalid", "Phone number is invalid"]})
    );
}

#[tokio::test]
async fn owners_come_from_the_organization_users() {
    let fake = FakeLinq::builder()
        .organization_users([
            OrganizationUser::member(nz(1), "member@company.com", "Mel", "Member"),
            OrganizationUser::admin(nz(2), "first-admin@company.com", "Fay", "First"),
            OrganizationUser::admin(nz(3), "second-admin@company.com", "Sam", "Second"),
        ])
        .start()
        .await;
    let linq = client(&fake);
    let owner_id = |contact: &Contact| contact.contact_owner.as_ref().and_then(|o| o.id);

    let default = linq
        .create_contact(&input(fields("A", "", "", "")))
        .await
        .expect("create");
    assert_eq!(owner_id(&default.into_inner().data), Some(nz(2)));

    let mut chosen = input(fields("B", "", "", ""));
    chosen.user_email = Some("MEMBER@company.com".to_owned());
    let created = linq
        .create_contact(&chosen)
        .await
        .expect("create")
        .into_inner()
        .data;
    let owner = created.contact_owner.clone().expect("an owner");
    assert_eq!(owner.id, Some(nz(1)));
    assert_eq!(owner.name.as_deref(), Some("Mel Member"));

    // PUT keeps the owner unless user_email is sent.
    let kept = linq
        .update_contact(created.id, &input(fields("Bea", "", "", "")))
        .await
        .expect("put")
        .into_inner()
        .data;
    assert_eq!(owner_id(&kept), Some(nz(1)));
    let mut moved = input(fields("Bea", "", "", ""));
    moved.user_email = Some("second-admin@company.com".to_owned());
    let moved = linq
        .patch_contact(created.id, &moved)
        .await
        .expect("patch")
        .into_inner()
        .data;
    assert_eq!(owner_id(&moved), Some(nz(3)));

    let mut unknown = input(fields("C", "", "", ""));
    unknown.user_email = Some("stranger@elsewhere.com".to_owned());
    let (status, error) = declared_error(linq.create_contact(&unknown).await.expect_err("422"));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = standard_error(error);
    assert_eq!(error.error_code, "VALIDATION_ERROR");
    assert_eq!(error.message.as_deref(), Some("User not found"));
    assert!(
        !format!("{:?} {:?}", error.message, error.errors).contains("stranger"),
        "the refusal quotes the email: {error:?}"
    );
    assert_eq!(fake.contacts().len(), 2);

    // An organization without an admin: contacts created without user_email have no owner.
    let adminless = FakeLinq::builder()
        .organization_users([OrganizationUser::member(nz(9), "m@company.com", "M", "M")])
        .start()
        .await;
    let orphan = client(&adminless)
        .create_contact(&input(fields("D", "", "", "")))
        .await
        .expect("create")
        .into_inner()
        .data;
    assert_eq!(orphan.contact_owner, None);
}

#[tokio::test]
async fn unknown_contacts_are_a_documented_404() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let body = input(fields("Ada", "", "", ""));
    let results = [
        linq.get_contact(nz(7)).await.map(|_| ()),
        linq.update_contact(nz(7), &body).await.map(|_| ()),
        linq.patch_contact(nz(7), &body).await.map(|_| ()),
        linq.delete_contact(nz(7)).await.map(|_| ()),
        // 404 comes before validation.
        linq.update_contact(nz(7), &input(ContactFields::default()))
            .await
            .map(|_| ()),
    ];
    for result in results {
        let (status, error) = declared_error(result.expect_err("404"));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            serde_json::to_value(error).expect("json"),
            documented_not_found()
        );
    }
    // Ids that are not positive integers, and PUT on the find path, are not found either.
    for (method, path) in [
        (Method::GET, &format!("{CONTACTS}/abc")),
        (Method::GET, &format!("{CONTACTS}/0")),
        (Method::DELETE, &format!("{CONTACTS}/-1")),
        (Method::GET, &format!("{CONTACTS}/99999999999999999999999")),
        (Method::DELETE, &format!("{CONTACTS}/find")),
    ] {
        let (status, body) = call_json(&fake, method.clone(), path, None).await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, documented_not_found()),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_a_401_in_the_render_error_format() {
    let fake = FakeLinq::builder().token("right-token").start().await;
    assert_eq!(fake.token(), "right-token");

    let (status, _, body) = call(&fake, Method::GET, CONTACTS, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        body,
        json!({"errors": [{"status": 401, "code": "unauthorized", "title": "Unauthorized", "detail": "Missing integration token"}]})
    );

    // Through the generated client: a typed render_error body.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(TOKEN_HEADER, "wrong-token".parse().expect("a header value"));
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .no_proxy()
        .build()
        .expect("client");
    let wrong = linq_api::Client::new_with_client(fake.base_url(), http);
    for result in [
        wrong.get_contact(nz(1)).await.map(|_| ()),
        wrong.delete_contact(nz(1)).await.map(|_| ()),
        wrong
            .create_contact(&input(fields("A", "", "", "")))
            .await
            .map(|_| ()),
    ] {
        let (status, body) = declared_error(result.expect_err("401"));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let ErrorBody::Error(error) = body else {
            panic!("expected render_error, got {body:?}");
        };
        assert_eq!(error.errors.len(), 1);
        assert_eq!(error.errors[0].status, Some(401));
        assert_eq!(error.errors[0].code.as_deref(), Some("unauthorized"));
        assert_eq!(
            error.errors[0].detail.as_deref(),
            Some("Invalid integration token")
        );
    }
    assert!(fake.contacts().is_empty());

    let tokens: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    assert_eq!(
        tokens,
        [
            TokenCheck::Missing,
            TokenCheck::Invalid,
            TokenCheck::Invalid,
            TokenCheck::Invalid
        ]
    );
}

#[tokio::test]
async fn malformed_requests_get_error_responses_not_panics() {
    let fake = FakeLinq::start().await;
    let post = |body: &'static [u8]| call_json(&fake, Method::POST, CONTACTS, Some(body));

    for body in [
        &b"{"[..],
        b"",
        b"[]",
        b"null",
        b"\xff\xfe",
        br#"{"contact": "Ada"}"#,
        br#"{"user_email": "owner@company.com"}"#,
    ] {
        let (status, json) = post(body).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(json["status"], "error");
        assert_eq!(json["error_code"], "BAD_REQUEST");
    }
    for body in [
        &br#"{"contact": {"first_name": 5}}"#[..],
        br#"{"contact": {"first_name": "Ada", "email": ["a@b.c"]}}"#,
        br#"{"contact": {"first_name": "Ada"}, "user_email": 7}"#,
        br#"{"contact": {"first_name": "Ada"}, "user_email": null}"#,
        br#"{"contact": {"first_name": "Ada", "last_name": null}}"#,
    ] {
        let (status, json) = post(body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(json["error_code"], "VALIDATION_ERROR");
    }
    // Unknown fields are ignored; a blank phone number clears the field on update, a null
    // (outside the spec) is refused.
    let (status, json) = post(
        br#"{"contact": {"first_name": "Ada", "phone_number": "555-123-4567", "shoe_size": 9}, "extra": true}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = json["data"]["id"].as_u64().expect("an id");
    let path = format!("{CONTACTS}/{id}");
    let (status, json) = call_json(
        &fake,
        Method::PATCH,
        &path,
        Some(br#"{"contact": {"last_name": "Lovelace", "phone_number": " "}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["phone_number"], Value::Null);
    assert_eq!(json["data"]["full_name"], "Ada Lovelace");
    let (status, json) = call_json(
        &fake,
        Method::PATCH,
        &path,
        Some(br#"{"contact": {"first_name": null}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json["errors"][0], "first_name must be a string");
    assert_eq!(
        fake.contact(id).and_then(|c| c.first_name).as_deref(),
        Some("Ada")
    );

    // A body over 1 MiB: 413.
    let huge = vec![b' '; server::MAX_BODY_BYTES + 1];
    let (status, _, _) = call(
        &fake,
        Method::POST,
        CONTACTS,
        Some(&huge),
        Some(fake.token()),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Unknown paths and methods: render_error 404 and 405, recorded without an operation.
    let (status, json) = call_json(
        &fake,
        Method::GET,
        &CONTACTS.replace("contacts", "chats"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["errors"][0]["code"], "not_found");
    let (status, json) = call_json(&fake, Method::POST, &format!("{CONTACTS}/1"), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json["errors"][0]["code"], "method_not_allowed");
    let last = fake.requests().pop().expect("logged");
    assert_eq!((last.operation, last.method), (None, Method::POST));

    // The fake still serves normally afterwards.
    assert_eq!(fake.contacts().len(), 1);
    client(&fake)
        .list_contacts(None, None)
        .await
        .expect("still up");
}

#[tokio::test]
async fn scripted_replies_are_answered_in_order_then_normal_behaviour_resumes() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let ada = input(fields("Ada", "", "", ""));
    fake.script(
        Operation::CreateContact,
        [Reply::status(503), Reply::status(503)],
    );
    assert_eq!(fake.pending_replies(Operation::CreateContact), 2);

    for _ in 0..2 {
        match linq.create_contact(&ada).await {
            Err(linq_api::Error::UnexpectedResponse(response)) => {
                assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
                assert!(response.headers().get("x-request-id").is_none());
            }
            other => panic!("expected a 503, got {other:?}"),
        }
    }
    assert!(
        fake.contacts().is_empty(),
        "scripted replies do not carry the operation out"
    );
    let created = linq.create_contact(&ada).await.expect("normal again");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(fake.pending_replies(Operation::CreateContact), 0);
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 3);
    assert_eq!(fake.contacts().len(), 1);

    // Headers and a JSON body; other operations are not affected.
    fake.script(
        Operation::GetContact,
        [Reply::status(429)
            .header("retry-after", "7")
            .json(json!({"errors": [{"status": 429, "code": "rate_limited", "title": "Too Many Requests"}]}))],
    );
    linq.list_contacts(None, None)
        .await
        .expect("list is not scripted");
    let error = linq.get_contact(nz(1)).await.expect_err("429");
    let linq_api::Error::ErrorResponse(response) = error else {
        panic!("expected a declared 429, got {error:?}");
    };
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert!(matches!(response.into_inner(), ErrorBody::Error(_)));
    linq.get_contact(nz(1)).await.expect("normal again");

    // A raw body that is no JSON at all, and a normal reply with an extra header.
    fake.script(
        Operation::ListContacts,
        [
            Reply::status(502).body("<html>Bad Gateway</html>"),
            Reply::normal().header("x-extra", "yes"),
        ],
    );
    let (status, _, body) = call(&fake, Method::GET, CONTACTS, None, None).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::BAD_GATEWAY, &b"<html>Bad Gateway</html>"[..])
    );
    let normal = linq.list_contacts(None, None).await.expect("normal reply");
    assert_eq!(normal.headers()["x-extra"], "yes");
    assert!(normal.headers().contains_key("x-request-id"));

    // Mistakes in a script are reported as a 500, not a panic.
    fake.script(
        Operation::ListContacts,
        [
            Reply::status(1000),
            Reply::status(200).header("bad header", "x"),
        ],
    );
    for _ in 0..2 {
        let (status, _, body) = call(&fake, Method::GET, CONTACTS, None, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(String::from_utf8_lossy(&body).starts_with("fake linq:"));
    }

    fake.script(Operation::FindContact, [Reply::status(500)]);
    fake.clear_scripts();
    assert_eq!(fake.pending_replies(Operation::FindContact), 0);
}

#[tokio::test]
async fn a_dropped_connection_gets_no_response_and_the_next_request_works() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let ada = fake.insert_contact(fields("Ada", "", "", ""));

    fake.script(Operation::GetContact, [Reply::drop_connection()]);
    match linq.get_contact(nz(1)).await {
        Err(linq_api::Error::CommunicationError(error)) => {
            assert!(!error.is_timeout(), "{error:?}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(
        linq.get_contact(nz(1))
            .await
            .expect("next")
            .into_inner()
            .data,
        ada
    );
    assert_eq!(fake.requests_for(Operation::GetContact).len(), 2);

    // The operation is not carried out by drop_connection …
    fake.script(Operation::CreateContact, [Reply::drop_connection()]);
    let body = input(fields("Grace", "", "", ""));
    assert!(linq.create_contact(&body).await.is_err());
    assert_eq!(fake.contacts().len(), 1);
    // … but it is by normal_then_drop: the answer is lost, the contact exists.
    fake.script(Operation::CreateContact, [Reply::normal_then_drop()]);
    assert!(matches!(
        linq.create_contact(&body).await,
        Err(linq_api::Error::CommunicationError(_))
    ));
    assert_eq!(fake.contacts().len(), 2);
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 2);
}

#[tokio::test]
async fn latency_delays_answers_after_the_work_is_done() {
    let latency = Duration::from_millis(200);
    let fake = FakeLinq::builder()
        .operation_latency(Operation::GetContact, latency)
        .start()
        .await;
    let linq = client(&fake);
    fake.insert_contact(fields("Ada", "", "", ""));

    let started = Instant::now();
    linq.get_contact(nz(1)).await.expect("slow get");
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());

    fake.set_latency(latency);
    fake.set_operation_latency(Operation::GetContact, Duration::ZERO);
    let started = Instant::now();
    linq.list_contacts(None, None).await.expect("slow list");
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
    fake.set_latency(Duration::ZERO);

    let started = Instant::now();
    fake.script(Operation::FindContact, [Reply::status(503).delay(latency)]);
    assert!(linq.find_contact(Some("a@b.c"), None).await.is_err());
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());

    // A client that gives up before the answer: the contact was created all the same, by the
    // one POST that arrived.
    fake.set_operation_latency(Operation::CreateContact, Duration::from_secs(30));
    let http = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::HeaderName::try_from(TOKEN_HEADER).expect("a header name"),
                fake.token().parse().expect("a header value"),
            )]
            .into_iter()
            .collect(),
        )
        .timeout(Duration::from_millis(100))
        .no_proxy()
        .build()
        .expect("client");
    let impatient = linq_api::Client::new_with_client(fake.base_url(), http);
    match impatient
        .create_contact(&input(fields("Grace", "", "", "")))
        .await
    {
        Err(linq_api::Error::CommunicationError(error)) => assert!(error.is_timeout(), "{error:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1);
    assert_eq!(fake.contacts().len(), 2);
}

#[tokio::test]
async fn the_request_log_records_what_arrived_without_the_token() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let body = input(fields("Ada", "Lovelace", "ada@example.com", ""));
    let created = linq.create_contact(&body).await.expect("create");
    let request_id = created.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    linq.list_contacts(Some(nz(2)), Some(nz(10)))
        .await
        .expect("list");

    let log = fake.requests();
    assert_eq!(log.len(), 2);
    let posts = fake.requests_for(Operation::CreateContact);
    assert_eq!(posts.len(), 1, "exactly one POST arrived");
    let post = &posts[0];
    assert_eq!(post.method, Method::POST);
    assert_eq!(post.path, CONTACTS);
    assert_eq!(post.query, None);
    assert_eq!(
        post.json(),
        Some(serde_json::to_value(&body).expect("json"))
    );
    assert_eq!(post.token, TokenCheck::Valid);
    assert_eq!(post.header(TOKEN_HEADER), Some("[redacted]"));
    assert_eq!(
        post.header("api-version"),
        Some(<linq_api::Client as linq_api::ClientInfo<()>>::api_version())
    );
    assert_eq!(post.request_id.as_deref(), Some(request_id.as_str()));

    let list = &log[1];
    assert_eq!(list.operation, Some(Operation::ListContacts));
    assert_eq!(list.method, Method::GET);
    assert_eq!(list.query_param("page").as_deref(), Some("2"));
    assert_eq!(list.query_param("per_page").as_deref(), Some("10"));
    assert!(list.body.is_empty());
    assert_eq!(list.json(), None);

    let printed = format!("{log:?} {fake:?}");
    assert!(
        !printed.contains(fake.token()),
        "the token leaked: {printed}"
    );

    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn concurrent_creates_get_distinct_increasing_ids() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20 {
        let linq = linq.clone();
        tasks.spawn(async move {
            let body = input(fields(&format!("C{n}"), "", "", ""));
            linq.create_contact(&body)
                .await
                .map(|r| r.into_inner().data.id.get())
        });
    }
    let mut ids = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        ids.push(joined.expect("task").expect("create"));
    }
    ids.sort_unstable();
    assert_eq!(ids, (1..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let fake = FakeLinq::start().await;
    let addr = fake.addr();
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));
    client(&fake).list_contacts(None, None).await.expect("up");
    fake.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "refused after shutdown"
    );

    let fake = FakeLinq::start().await;
    let addr = fake.addr();
    drop(fake);
    // The aborted task releases the port when the runtime next runs it: wait for that (bounded).
    let mut refused = false;
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the listener was closed after drop");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let fake = FakeLinq::builder()
        .latency(Duration::from_millis(200))
        .start()
        .await;
    let linq = client(&fake);
    let in_flight = tokio::spawn(async move { linq.list_contacts(None, None).await.map(|_| ()) });
    // Wait (bounded) until the request has reached the fake, then shut down under it.
    for _ in 0..500 {
        if !fake.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(fake.requests().len(), 1);
    fake.shutdown().await;
    in_flight
        .await
        .expect("the task")
        .expect("the request in flight was answered");
}

#[tokio::test]
async fn applied_then_lost_replies_leave_the_change_made() {
    let fake = FakeLinq::start().await;
    let linq = client(&fake);
    let body = |n: usize| input(fields(&format!("Ada{n}"), "", "", ""));

    // A 5xx with the scripted headers and body instead of the 201.
    fake.script(
        Operation::CreateContact,
        [Reply::applied_then(LostReply::Status(502)).body("<html>bad gateway</html>")],
    );
    match linq.create_contact(&body(1)).await {
        Err(linq_api::Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
            assert!(response.headers().get("x-request-id").is_none());
        }
        other => panic!("expected the 502, got {other:?}"),
    }
    assert_eq!(fake.contacts().len(), 1);

    // The 201's head and half its body, then the connection closes.
    fake.script(
        Operation::CreateContact,
        [Reply::applied_then(LostReply::TruncatedBody)],
    );
    let cut = linq.create_contact(&body(2)).await;
    assert!(
        matches!(cut, Err(linq_api::Error::ResponseBodyError(_))),
        "{cut:?}"
    );
    assert_eq!(fake.contacts().len(), 2);
    let logged = fake.requests_for(Operation::CreateContact);
    assert!(
        logged[1].request_id.is_some(),
        "a truncated answer has its head"
    );

    // A delete's 204 has no body to cut: the connection is dropped instead.
    fake.script(
        Operation::DeleteContact,
        [Reply::applied_then(LostReply::TruncatedBody)],
    );
    assert!(linq.delete_contact(nz(1)).await.is_err());
    assert!(fake.contact(1).is_none());

    // No answer at all: the client's timeout fires, the contact exists.
    fake.script(
        Operation::CreateContact,
        [Reply::applied_then(LostReply::Timeout)],
    );
    let waited =
        tokio::time::timeout(Duration::from_millis(300), linq.create_contact(&body(3))).await;
    assert!(waited.is_err(), "no answer ever comes");
    assert_eq!(fake.contacts().len(), 2); // Ada1 was deleted, Ada3 created
    assert!(fake
        .contacts()
        .iter()
        .any(|c| c.first_name.as_deref() == Some("Ada3")));

    // The connection closed after the work was done.
    fake.script(
        Operation::UpdateContact,
        [Reply::applied_then(LostReply::DroppedConnection)],
    );
    assert!(linq
        .update_contact(nz(2), &input(fields("Grace", "", "", "")))
        .await
        .is_err());
    assert_eq!(
        fake.contact(2).unwrap().first_name.as_deref(),
        Some("Grace")
    );
}
