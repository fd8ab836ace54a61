//! Every builder owns a handle of the client: builders and their futures are `Send + 'static`,
//! so a service can `tokio::spawn` a call. This file is also the compile test: it does not
//! build if any builder or future borrows the client.

use std::future::IntoFuture;

use futures_util::TryStreamExt;

use crate::support::fake_and_client;

/// Compiles only for values a task can own.
fn spawnable<T: Send + 'static>(value: T) -> T {
    value
}

#[tokio::test]
async fn every_builder_and_its_future_is_send_and_static() {
    let (fake, linq) = fake_and_client().await;
    let contacts = spawnable(linq.contacts());

    let created = tokio::spawn(
        spawnable(contacts.create().first_name("Ada").email("ada@example.com")).into_future(),
    );
    let ada = created.await.unwrap().unwrap();
    let id = ada.id;

    // The builder outlives the client it came from: it holds its own handle.
    let get = spawnable(linq.contacts().get(id));
    drop(linq);
    let got = tokio::spawn(spawnable(get.send())).await.unwrap().unwrap();
    assert_eq!(got.id, id);

    let (renamed, meta) = tokio::spawn(spawnable(
        contacts.update(id).last_name("Lovelace").send_with_meta(),
    ))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(renamed.full_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(meta.status().as_u16(), 200);

    let patched = tokio::spawn(spawnable(
        contacts.patch(id).first_name("Ada").title("Countess").send(),
    ));
    assert_eq!(
        patched.await.unwrap().unwrap().title.as_deref(),
        Some("Countess")
    );

    let found = tokio::spawn(spawnable(contacts.find().email("ada@example.com").send()));
    assert_eq!(found.await.unwrap().unwrap().map(|c| c.id), Some(id));

    let page = tokio::spawn(spawnable(contacts.list().per_page(10).send()));
    assert_eq!(page.await.unwrap().unwrap().contacts.len(), 1);

    let stream = spawnable(contacts.list().stream());
    let all: Vec<_> = tokio::spawn(stream.try_collect::<Vec<_>>()).await.unwrap().unwrap();
    assert_eq!(all.len(), 1);

    let pages = spawnable(contacts.list().pages());
    let pages: Vec<_> = tokio::spawn(pages.try_collect::<Vec<_>>()).await.unwrap().unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].0.contacts[0].id, id);

    tokio::spawn(spawnable(contacts.delete(id).into_future())).await.unwrap().unwrap();
    assert!(fake.contacts().is_empty());
}
