//! Success metadata: every operation's `send_with_meta` gives the typed value beside the
//! status, headers, request id, attempts and elapsed time of the call.

use std::time::Duration;

use crate::support::fake_and_client;
use linq_api_ext::ResponseMeta;
use linq_fake::{FakeLinq, Operation, Reply};

/// The metadata is that of the last request the fake logged for `op`.
fn assert_meta(fake: &FakeLinq, op: Operation, meta: &ResponseMeta, status: u16) {
    assert_eq!(meta.status().as_u16(), status, "{op}");
    let logged = fake.requests_for(op);
    let last = logged.last().expect("the request was logged");
    let sent = last.request_id.as_deref().expect("a normal answer has one");
    assert_eq!(meta.request_id(), Some(sent), "{op}");
    assert_eq!(
        meta.headers().get("x-request-id").map(|v| v.to_str().unwrap()),
        Some(sent),
        "{op}"
    );
    assert_eq!(meta.attempts(), 1, "{op}");
}

#[tokio::test]
async fn every_operation_reports_status_headers_request_id_and_attempts() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();

    let call = contacts.create().first_name("Ada").email("ada@example.com");
    let (ada, meta) = call.send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::CreateContact, &meta, 201);
    assert_eq!(ada.email.as_deref(), Some("ada@example.com"));

    let (got, meta) = contacts.get(ada.id).send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::GetContact, &meta, 200);
    assert_eq!(got.id, ada.id);

    let call = contacts.find().email("ada@example.com");
    let (found, meta) = call.send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::FindContact, &meta, 200);
    assert_eq!(found.map(|c| c.id), Some(ada.id));

    let call = contacts.find().email("nobody@example.com");
    let (missing, meta) = call.send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::FindContact, &meta, 200);
    assert!(missing.is_none());

    let call = contacts.update(ada.id).last_name("Lovelace");
    let (renamed, meta) = call.send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::UpdateContact, &meta, 200);
    assert_eq!(renamed.full_name.as_deref(), Some("Ada Lovelace"));

    let call = contacts.patch(ada.id).first_name("Augusta");
    let (patched, meta) = call.send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::PatchContact, &meta, 200);
    assert_eq!(patched.first_name.as_deref(), Some("Augusta"));

    let (page, meta) = contacts.list().per_page(5).send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::ListContacts, &meta, 200);
    assert_eq!(page.pagination.total_count, 1);

    let ((), meta) = contacts.delete(ada.id).send_with_meta().await.unwrap();
    assert_meta(&fake, Operation::DeleteContact, &meta, 204);
}

#[tokio::test]
async fn attempts_and_elapsed_cover_the_retries() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    let ada = contacts.create().email("ada@example.com").await.unwrap();

    // Two 503s, then the normal answer, slowed down: three attempts, and the call took at
    // least the delay of the last one.
    let delay = Duration::from_millis(30);
    fake.script(
        Operation::GetContact,
        [
            Reply::status(503),
            Reply::status(503),
            Reply::normal().delay(delay),
        ],
    );
    let (got, meta) = contacts.get(ada.id).send_with_meta().await.unwrap();
    assert_eq!(got.id, ada.id);
    assert_eq!(meta.attempts(), 3);
    assert_eq!(fake.requests_for(Operation::GetContact).len(), 3);
    assert!(meta.elapsed() >= delay, "{:?}", meta.elapsed());
    assert_eq!(
        meta.request_id(),
        fake.requests_for(Operation::GetContact)[2].request_id.as_deref()
    );

    // Plain `send` and `.await` give the same value.
    assert_eq!(contacts.get(ada.id).send().await.unwrap(), got);
}

#[tokio::test]
async fn a_miss_answered_with_linqs_404_still_has_metadata() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    fake.script(
        Operation::FindContact,
        [Reply::status(404).header("x-request-id", "req-404").json(
            serde_json::json!({"status": "error", "error_code": "CONTACT_NOT_FOUND",
                                     "message": "Contact not found", "errors": []}),
        )],
    );
    let call = contacts.find().phone_number("+15551234567");
    let (found, meta) = call.send_with_meta().await.unwrap();
    assert!(found.is_none());
    assert_eq!(meta.status().as_u16(), 404);
    assert_eq!(meta.request_id(), Some("req-404"));
    assert_eq!(meta.attempts(), 1);
}

#[tokio::test]
async fn every_page_of_a_walk_comes_with_its_own_metadata() {
    use futures_util::TryStreamExt;

    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    for n in 0..7 {
        contacts.create().email(format!("c{n}@example.com")).await.unwrap();
    }
    // The second page needs a retry (pages one after the other, so the script's second
    // reply is page 2's first answer): its metadata says so, and no other page's does.
    fake.script(
        Operation::ListContacts,
        [Reply::normal(), Reply::status(503)],
    );
    let pages: Vec<_> = contacts.list().per_page(3).pages().try_collect().await.unwrap();
    assert_eq!(
        pages.iter().map(|(p, _)| p.pagination.current_page).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        pages.iter().map(|(_, m)| m.attempts()).collect::<Vec<_>>(),
        [1, 2, 1]
    );
    let logged = fake.requests_for(Operation::ListContacts);
    for (page, meta) in &pages {
        assert_eq!(meta.status().as_u16(), 200);
        // The request id of the answer that gave this very page.
        let answered = logged
            .iter()
            .rfind(|r| r.query_param("page") == Some(page.pagination.current_page.to_string()))
            .and_then(|r| r.request_id.clone());
        assert!(answered.is_some());
        assert_eq!(meta.request_id(), answered.as_deref());
    }
    // The pages hold exactly what `stream` yields.
    let from_pages: Vec<u64> =
        pages.iter().flat_map(|(p, _)| p.contacts.iter().map(|c| c.id.get())).collect();
    let stream = contacts.list().per_page(3).concurrency(2).stream();
    let streamed: Vec<u64> = stream.map_ok(|c| c.id.get()).try_collect().await.unwrap();
    assert_eq!(from_pages.len(), 7);
    assert_eq!(from_pages, streamed);
}

#[tokio::test]
async fn an_empty_list_is_one_empty_page_and_bad_settings_are_refused_before_sending() {
    use futures_util::TryStreamExt;

    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    let pages: Vec<_> = contacts.list().pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].0.contacts.is_empty());
    assert_eq!(pages[0].1.status().as_u16(), 200);

    let refused = contacts.list().per_page(0).pages().try_next().await;
    assert!(
        matches!(
            refused,
            Err(linq_api_ext::Error::InvalidInput {
                field: "per_page",
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(fake.requests_for(Operation::ListContacts).len(), 1);
}
