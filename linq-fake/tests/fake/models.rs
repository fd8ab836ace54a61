//! What the fake models beyond the seven operations: rate limits, several organizations and
//! duplicate emails or phone numbers, through plain HTTP as any client sees them.

use std::num::NonZeroU64;
use std::time::Duration;

use linq_api::types::ContactFields;
use linq_fake::{
    Duplicates, FakeLinq, Operation, Organization, OrganizationUser, RateLimit, Reply, TokenCheck,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CONTACTS: &str = linq_api::spec::LIST_CONTACTS.path;

/// One request with `token`; the status, the `Retry-After` header and the JSON body.
async fn call(
    fake: &FakeLinq,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Option<String>, Value) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    let mut request = http
        .request(method, format!("{}{path}", fake.base_url()))
        .header(linq_fake::TOKEN_HEADER, token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("an ASCII header").to_owned());
    let bytes = response.bytes().await.expect("a body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, retry_after, json)
}

fn email(email: &str) -> ContactFields {
    ContactFields {
        email: Some(email.to_owned()),
        ..Default::default()
    }
}

#[tokio::test]
async fn past_the_rate_limit_a_429_says_when_to_retry() {
    let fake = FakeLinq::builder()
        .rate_limit(RateLimit::new(2, Duration::from_secs(60)))
        .start()
        .await;
    let token = fake.token().to_owned();
    for _ in 0..2 {
        let (status, retry_after, _) = call(&fake, &token, Method::GET, CONTACTS, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(retry_after, None);
    }
    let (status, retry_after, body) = call(&fake, &token, Method::GET, CONTACTS, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // One request every 30 s refills the bucket: the wait is at most that.
    let seconds: u64 = retry_after
        .expect("a Retry-After header")
        .parse()
        .expect("whole seconds");
    assert!((1..=30).contains(&seconds), "Retry-After: {seconds}");
    assert_eq!(body["status"], "error");
    assert_eq!(body["error_code"], "RATE_LIMITED");
    // A refused create created nothing.
    let (status, _, _) = call(
        &fake,
        &token,
        Method::POST,
        CONTACTS,
        Some(json!({"contact": {"first_name": "Ada"}})),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(fake.contacts().is_empty());
    // Requests without a valid token do not count, and get their 401.
    let (status, _, _) = call(&fake, "wrong", Method::GET, CONTACTS, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Lifting the limit serves again at once.
    fake.set_rate_limit(None);
    let (status, _, _) = call(&fake, &token, Method::GET, CONTACTS, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn each_organization_has_its_own_rate_limit_bucket() {
    let fake = FakeLinq::builder()
        .token("first")
        .organization(Organization::new("second"))
        .rate_limit(RateLimit::new(1, Duration::from_secs(60)))
        .start()
        .await;
    assert_eq!(
        call(&fake, "first", Method::GET, CONTACTS, None).await.0,
        200
    );
    assert_eq!(
        call(&fake, "first", Method::GET, CONTACTS, None).await.0,
        429
    );
    assert_eq!(
        call(&fake, "second", Method::GET, CONTACTS, None).await.0,
        200
    );
    // A scripted reply is answered before the limit is consulted (a proxy in front of Linq).
    fake.script(Operation::ListContacts, [Reply::status(503)]);
    assert_eq!(
        call(&fake, "first", Method::GET, CONTACTS, None).await.0,
        503
    );
}

#[tokio::test]
async fn tokens_see_only_their_own_organizations_contacts() {
    let fake = FakeLinq::builder()
        .token("acme")
        .contact(email("ada@acme.example"))
        .organization(Organization::new("globex").contact(email("hank@globex.example")))
        .start()
        .await;
    assert_eq!(fake.tokens(), ["acme", "globex"]);
    let ada = fake.contacts()[0].id;
    let hank = fake.contacts_of("globex").expect("globex exists")[0].id;
    assert_ne!(ada, hank, "ids are unique across organizations");

    let (_, _, page) = call(&fake, "globex", Method::GET, CONTACTS, None).await;
    assert_eq!(page["pagination"]["total_count"], 1);
    assert_eq!(page["contacts"][0]["email"], "hank@globex.example");

    // Another organization's contact does not exist for this token: get, update, delete, find.
    let other = format!("{CONTACTS}/{ada}");
    assert_eq!(
        call(&fake, "globex", Method::GET, &other, None).await.0,
        404
    );
    let patch = json!({"contact": {"first_name": "Mallory"}});
    assert_eq!(
        call(&fake, "globex", Method::PATCH, &other, Some(patch))
            .await
            .0,
        404
    );
    assert_eq!(
        call(&fake, "globex", Method::DELETE, &other, None).await.0,
        404
    );
    let find = format!("{CONTACTS}/find?email=ada@acme.example");
    let (_, _, miss) = call(&fake, "globex", Method::GET, &find, None).await;
    assert_eq!(miss, json!({"contact": null}));
    let (_, _, hit) = call(&fake, "acme", Method::GET, &find, None).await;
    assert_eq!(hit["id"], ada.get());
    assert_eq!(fake.contact(ada.get()).and_then(|c| c.first_name), None);

    // A create lands in the caller's organization only.
    let (status, _, created) = call(
        &fake,
        "globex",
        Method::POST,
        CONTACTS,
        Some(json!({"contact": {"email": "ada@acme.example"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fake.contacts().len(), 1);
    assert_eq!(fake.contacts_of("globex").map(|c| c.len()), Some(2));
    assert!(created["data"]["id"].as_u64() > Some(hank.get()));
    assert!(fake.contacts_of("initech").is_none());
    assert!(fake
        .insert_contact_into("globex", email("peggy@globex.example"))
        .is_some());

    // The log says whose request it was.
    let log = fake.requests();
    assert_eq!(log[0].organization, Some(1));
    assert_eq!(log[0].token, TokenCheck::Valid);
}

#[tokio::test]
async fn each_organization_has_its_own_users() {
    let fake = FakeLinq::builder()
        .token("acme")
        .organization(Organization::new("globex"))
        .organization(Organization::new("initech").users([OrganizationUser::admin(
            NonZeroU64::new(7).expect("not zero"),
            "bill@initech.example",
            "Bill",
            "Lumbergh",
        )]))
        .start()
        .await;
    let create = |token: &'static str, owner: Option<&'static str>| {
        let mut body = json!({"contact": {"first_name": "Ada"}});
        if let Some(owner) = owner {
            body["user_email"] = json!(owner);
        }
        let fake = &fake;
        async move { call(fake, token, Method::POST, CONTACTS, Some(body)).await }
    };
    let owner_of = |(status, _, body): (StatusCode, Option<String>, Value)| {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["contact_owner"]["email"].clone()
    };
    assert_eq!(owner_of(create("acme", None).await), "owner@company.com");
    assert_eq!(
        owner_of(create("globex", None).await),
        "owner@organization2.example"
    );
    assert_eq!(
        owner_of(create("initech", None).await),
        "bill@initech.example"
    );
    // One organization's user is unknown to another, as between two Linq accounts.
    let (status, _, body) = create("globex", Some("owner@company.com")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "User not found");
    let (status, _, _) = create("acme", Some("owner@organization2.example")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn restored_contacts_keep_their_ids_times_and_owners() {
    let users = [
        OrganizationUser::admin(NonZeroU64::MIN, "boss@acme.example", "B", "Oss"),
        OrganizationUser::member(
            NonZeroU64::MIN.saturating_add(1),
            "sales@acme.example",
            "S",
            "Ales",
        ),
    ];
    let original = FakeLinq::builder()
        .organization_users(users.clone())
        .start()
        .await;
    let token = original.token().to_owned();
    for (email, owner) in [
        ("a@example.com", None),
        ("b@example.com", Some("sales@acme.example")),
        ("c@example.com", None),
    ] {
        let mut body = json!({"contact": {"email": email, "company": "Acme"}});
        if let Some(owner) = owner {
            body["user_email"] = json!(owner);
        }
        let (status, _, _) = call(&original, &token, Method::POST, CONTACTS, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _, _) = call(
        &original,
        &token,
        Method::DELETE,
        &format!("{CONTACTS}/2"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let saved = original.contacts();
    assert_eq!(saved.iter().map(|c| c.id.get()).collect::<Vec<_>>(), [1, 3]);

    tokio::time::sleep(Duration::from_millis(5)).await;
    let restored = FakeLinq::builder().organization_users(users).start().await;
    for contact in saved.clone() {
        assert!(restored.restore_contact(contact).is_some());
    }
    assert_eq!(restored.contacts(), saved, "ids, fields, times and owners");
    // Ids are never reused: not those restored, nor those below them.
    assert!(restored.restore_contact(saved[0].clone()).is_none());
    let mut gap = saved[0].clone();
    gap.id = NonZeroU64::new(2).expect("not zero");
    assert!(restored.restore_contact(gap).is_none());
    let (status, _, created) = call(
        &restored,
        restored.token(),
        Method::POST,
        CONTACTS,
        Some(json!({"contact": {"email": "d@example.com"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["data"]["id"], 4);
}

#[tokio::test]
async fn two_organizations_with_one_token_are_refused_at_start() {
    let error = FakeLinq::builder()
        .token("tok-4f1e")
        .organization(Organization::new("tok-4f1e"))
        .try_start()
        .await
        .expect_err("duplicate tokens are a configuration error");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        !error.to_string().contains("tok-4f1e"),
        "the token is not shown"
    );
}

#[tokio::test]
async fn duplicates_are_allowed_by_default_and_find_returns_the_first() {
    let fake = FakeLinq::start().await;
    let token = fake.token().to_owned();
    for _ in 0..2 {
        let body = json!({"contact": {"email": "Ada@Example.com", "phone_number": "555-123-4567"}});
        let (status, _, _) = call(&fake, &token, Method::POST, CONTACTS, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let contacts = fake.contacts();
    assert_eq!(contacts.len(), 2);
    let find = format!("{CONTACTS}/find?email=ada@example.com");
    let (_, _, hit) = call(&fake, &token, Method::GET, &find, None).await;
    assert_eq!(hit["id"], contacts[0].id.get());
}

#[tokio::test]
async fn rejected_duplicates_are_a_422_naming_the_field_not_the_value() {
    let fake = FakeLinq::builder()
        .duplicates(Duplicates::Reject)
        .contact(ContactFields {
            email: Some("ada@example.com".to_owned()),
            phone_number: Some("(555) 123-4567".to_owned()),
            ..Default::default()
        })
        .organization(Organization::new("other"))
        .start()
        .await;
    let token = fake.token().to_owned();
    let (status, _, body) = call(
        &fake,
        &token,
        Method::POST,
        CONTACTS,
        Some(json!({"contact": {"email": "ADA@example.com", "phone_number": "+1 555 123 4567"}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error_code"], "VALIDATION_ERROR");
    assert_eq!(
        body["errors"],
        json!([
            "Email has already been taken",
            "Phone number has already been taken"
        ])
    );
    assert!(!body.to_string().contains("ada@"), "{body}");
    assert_eq!(fake.contacts().len(), 1);

    // Updating a contact to another's email is refused too; keeping its own is not.
    let (_, _, grace) = call(
        &fake,
        &token,
        Method::POST,
        CONTACTS,
        Some(json!({"contact": {"email": "grace@example.com"}})),
    )
    .await;
    let grace = format!("{CONTACTS}/{}", grace["data"]["id"]);
    let steal = json!({"contact": {"email": "ada@example.com"}});
    let (status, _, _) = call(&fake, &token, Method::PATCH, &grace, Some(steal)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let keep = json!({"contact": {"email": "grace@example.com", "first_name": "Grace"}});
    let (status, _, _) = call(&fake, &token, Method::PUT, &grace, Some(keep)).await;
    assert_eq!(status, StatusCode::OK);

    // Another organization may hold the same email.
    let again = json!({"contact": {"email": "ada@example.com"}});
    let (status, _, _) = call(&fake, "other", Method::POST, CONTACTS, Some(again)).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn conflicting_duplicates_are_a_409_and_the_policy_can_change_at_run_time() {
    let fake = FakeLinq::builder()
        .duplicates(Duplicates::Conflict)
        .contact(email("ada@example.com"))
        .start()
        .await;
    let token = fake.token().to_owned();
    let body = json!({"contact": {"email": "ada@example.com"}});
    let (status, _, error) = call(&fake, &token, Method::POST, CONTACTS, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error_code"], "DUPLICATE_CONTACT");
    assert_eq!(error["errors"], json!(["Email has already been taken"]));

    fake.set_duplicates(Duplicates::Allow);
    let (status, _, _) = call(&fake, &token, Method::POST, CONTACTS, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fake.contacts().len(), 2);
}

#[tokio::test]
async fn routing_errors_never_repeat_the_path() {
    // A caller's bug can put personal data into a path; the answer names the method only.
    let fake = FakeLinq::builder().token("acme").start().await;
    let (status, _, body) = call(
        &fake,
        "acme",
        Method::GET,
        &CONTACTS.replace("/contacts", "/people/ada@acme.example"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["code"], "not_found");
    assert_eq!(
        body["errors"][0]["detail"],
        "No route matches GET on this path"
    );
    assert!(!body.to_string().contains("ada@"), "{body}");

    let (status, _, body) = call(&fake, "acme", Method::PUT, CONTACTS, None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body["errors"][0]["detail"],
        "PUT is not allowed on this path"
    );
}

/// Find and the duplicate rule follow every write: an updated email or phone number is found
/// under its new value and no longer under its old one, and a deleted contact is found no more.
#[tokio::test]
async fn find_follows_updates_and_deletes() {
    let fake = FakeLinq::builder()
        .duplicates(Duplicates::Reject)
        .start()
        .await;
    let token = fake.token().to_owned();
    let body = json!({"contact": {"email": "ada@example.com", "phone_number": "555-123-4567"}});
    let (status, _, created) = call(&fake, &token, Method::POST, CONTACTS, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["data"]["id"].as_u64().unwrap();
    let path = format!("{CONTACTS}/{id}");
    let change =
        json!({"contact": {"email": "lovelace@example.com", "phone_number": "555-765-4321"}});
    let (status, _, _) = call(&fake, &token, Method::PUT, &path, Some(change)).await;
    assert_eq!(status, StatusCode::OK);
    let find = |query: &str| format!("{CONTACTS}/find?{query}");
    for (query, found) in [
        ("email=ada@example.com", false),
        ("phone_number=555-123-4567", false),
        ("email=LOVELACE@example.com", true),
        ("phone_number=%2B15557654321", true),
    ] {
        let (_, _, hit) = call(&fake, &token, Method::GET, &find(query), None).await;
        assert_eq!(hit["id"].as_u64() == Some(id), found, "{query}: {hit}");
    }
    // The old values are free again under the duplicate rule; the new ones are taken.
    let old = json!({"contact": {"email": "ada@example.com", "phone_number": "555-123-4567"}});
    let (status, _, _) = call(&fake, &token, Method::POST, CONTACTS, Some(old)).await;
    assert_eq!(status, StatusCode::CREATED);
    let new = json!({"contact": {"email": "lovelace@example.com"}});
    let (status, _, _) = call(&fake, &token, Method::POST, CONTACTS, Some(new)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = call(&fake, &token, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, hit) = call(
        &fake,
        &token,
        Method::GET,
        &find("email=lovelace@example.com"),
        None,
    )
    .await;
    assert_eq!(hit, json!({"contact": null}));
}
