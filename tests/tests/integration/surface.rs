//! Nothing the spec adds stops short of services: every property of the spec's response types
//! reaches `linq-api-ext`'s public types and the fake's JSON. A field Linq adds to the spec
//! fails this test, naming where it is missing, until both carry it (see the README's "When
//! Linq changes the API": `cargo xtask affected` lists this test then).

use std::collections::BTreeSet;

use linq_api_ext::WebhookSubscription;
use schemars::JsonSchema;

use crate::support::{fake_and_client, http_client_with_token};

/// The JSON the fake answers a GET of `path` with, as it arrives.
async fn raw_json(fake: &linq_fake::FakeLinq, path: &str) -> serde_json::Value {
    http_client_with_token(fake.token())
        .get(format!("{}{path}", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The properties the spec gives a generated type.
fn spec_properties<T: JsonSchema>() -> BTreeSet<String> {
    let schema = schemars::schema_for!(T);
    schema
        .schema
        .object
        .as_ref()
        .map(|o| o.properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// The keys of a JSON object.
fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// What `spec` has that `carried` lacks, as a readable message.
fn assert_carries(what: &str, spec: &BTreeSet<String>, carried: &BTreeSet<String>) {
    let missing: Vec<_> = spec.difference(carried).collect();
    assert!(
        missing.is_empty(),
        "{what} does not carry the spec's {missing:?}: add them (a Linq field that only \
         linq-api has never reaches services)"
    );
}

#[tokio::test]
async fn every_field_of_the_spec_reaches_ext_and_the_fake() {
    let (fake, linq) = fake_and_client().await;
    let contact =
        linq.contacts().create().first_name("Ada").email("ada@example.com").await.unwrap();

    let spec = spec_properties::<linq_api::types::Contact>();
    assert!(spec.contains("email"), "{spec:?}");
    // ext's public Contact, as it serialises every field it has.
    let ours = keys(&serde_json::to_value(&contact).unwrap());
    assert_carries("linq-api-ext's Contact", &spec, &ours);
    // The fake's JSON, as it answers a get.
    let path = linq_api::spec::GET_CONTACT.path.replace("{id}", &contact.id.to_string());
    let wire = raw_json(&fake, &path).await;
    assert_carries("the fake's contact JSON", &spec, &keys(&wire["data"]));
    let owner = spec_properties::<linq_api::types::ContactOwner>();
    assert_carries(
        "linq-api-ext's ContactOwner",
        &owner,
        &keys(&serde_json::to_value(contact.contact_owner.as_ref().unwrap()).unwrap()),
    );

    let subscription = linq
        .webhook_subscriptions()
        .create()
        .webhook_url("https://hooks.example.com/linq")
        .events(["contact.created"])
        .await
        .unwrap();
    let spec = spec_properties::<linq_api::types::WebhookSubscription>();
    let ours = keys(&serde_json::to_value::<&WebhookSubscription>(&subscription).unwrap());
    assert_carries("linq-api-ext's WebhookSubscription", &spec, &ours);
    let wire = raw_json(&fake, linq_api::spec::LIST_WEBHOOK_SUBSCRIPTIONS.path).await;
    assert_carries(
        "the fake's webhook subscription JSON",
        &spec,
        &keys(&wire["webhook_subscriptions"][0]),
    );
}
