//! find-or-create and upsert against the fake: every create that may have reached Linq ends
//! in a definite answer, and no identity ever gets a second contact.

use std::{collections::HashMap, time::Duration};

use crate::support::fake_and_client;
use linq_api_ext::{Contacts, Error, Outcome};
use linq_fake::{FakeLinq, LostReply, Operation, Reply};

/// Sends a `find_or_create()` or, if `$upsert`, an `upsert()` of `$contacts`, given the fields
/// `$fields` sets on builder `$b`: the two helpers take the same fields and answer alike, so
/// one table can check both.
macro_rules! ensure {
    ($contacts:expr, $upsert:expr, |$b:ident| $fields:expr) => {
        if $upsert {
            let $b = $contacts.upsert();
            $fields.await
        } else {
            let $b = $contacts.find_or_create();
            $fields.await
        }
    };
}

/// The attempt timeout of calls whose answer never comes (a slow find is simply retried).
fn attempt_timeout(fault: LostReply) -> Duration {
    match fault {
        LostReply::Timeout => Duration::from_millis(250),
        _ => Duration::from_secs(60),
    }
}

/// Every way a create can take effect while its reply is lost.
const AMBIGUOUS: [LostReply; 5] = [
    LostReply::Timeout,
    LostReply::DroppedConnection,
    LostReply::Status(500),
    LostReply::Status(503),
    LostReply::TruncatedBody,
];

fn email(n: usize) -> String {
    format!("person{n}@example.com")
}

/// The fake holds exactly one contact per email of `0..n`, and got exactly one POST for each.
fn assert_one_contact_and_one_post_per_identity(fake: &FakeLinq, n: usize, fault: LostReply) {
    let mut contacts: HashMap<String, usize> = HashMap::new();
    for contact in fake.contacts() {
        *contacts.entry(contact.email.unwrap_or_default()).or_default() += 1;
    }
    let mut posts: HashMap<String, usize> = HashMap::new();
    for request in fake.requests_for(Operation::CreateContact) {
        let body = request.json().expect("a JSON create");
        let email = body["contact"]["email"].as_str().unwrap_or_default().to_owned();
        *posts.entry(email).or_default() += 1;
    }
    for i in 0..n {
        assert_eq!(
            contacts.get(&email(i)),
            Some(&1),
            "{fault:?}: contacts of {i}"
        );
        // The first POST was applied: a second one would have been a duplicate.
        assert_eq!(posts.get(&email(i)), Some(&1), "{fault:?}: POSTs of {i}");
    }
    assert_eq!(contacts.len(), n, "{fault:?}");
}

/// Ensures 20 people (`person{i}@example.com`) on a fresh fake whose every create is applied
/// and its reply then lost by `fault`: each is created once, and said to be reconciled.
async fn ensure_twenty_through(fault: LostReply, upsert: bool) -> (FakeLinq, Contacts) {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    for i in 0..20 {
        fake.script(Operation::CreateContact, [Reply::applied_then(fault)]);
        let ensured = ensure!(contacts, upsert, |b| b
            .email(email(i))
            .first_name(format!("Person {i}"))
            .title("Engineer")
            .timeout(attempt_timeout(fault)))
        .unwrap_or_else(|e| panic!("{fault:?}, upsert {upsert}, person {i}: {e}"));
        assert_eq!(ensured.outcome, Outcome::Created, "{fault:?}");
        assert!(ensured.reconciled, "{fault:?}: the reply was lost");
        assert_eq!(ensured.contact.email.as_deref(), Some(email(i).as_str()));
        assert_eq!(ensured.contact.title.as_deref(), Some("Engineer"));
    }
    assert_one_contact_and_one_post_per_identity(&fake, 20, fault);
    (fake, contacts)
}

#[tokio::test]
async fn find_or_create_survives_every_applied_then_lost_reply() {
    for fault in AMBIGUOUS {
        ensure_twenty_through(fault, false).await;
    }
}

#[tokio::test]
async fn upsert_survives_every_applied_then_lost_reply() {
    for fault in AMBIGUOUS {
        let (fake, contacts) = ensure_twenty_through(fault, true).await;
        // The same identities again: found and updated, nothing created.
        for i in 0..20 {
            let upsert = contacts.upsert().email(email(i));
            let ensured = upsert.title("Manager").await.unwrap();
            assert_eq!(ensured.outcome, Outcome::Updated);
            assert_eq!(ensured.contact.title.as_deref(), Some("Manager"));
        }
        assert_one_contact_and_one_post_per_identity(&fake, 20, fault);
    }
}

#[tokio::test]
async fn a_create_that_did_not_take_effect_is_sent_again() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    // Failures before the work is done: the follow-up find misses, so a second POST is safe.
    for (i, fault) in [Reply::status(503), Reply::drop_connection()].into_iter().enumerate() {
        fake.script(Operation::CreateContact, [fault]);
        let ensured = contacts.find_or_create().email(email(i)).await.unwrap();
        assert_eq!(ensured.outcome, Outcome::Created);
        assert!(!ensured.reconciled, "the second POST's own answer said so");
    }
    assert_eq!(fake.contacts().len(), 2);
    // Per identity: find, POST (failed), find (miss), POST.
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 4);
    assert_eq!(fake.requests_for(Operation::FindContact).len(), 4);
}

#[tokio::test]
async fn re_sending_stays_within_the_retry_policy() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    fake.script(
        Operation::CreateContact,
        std::iter::repeat_n(Reply::status(503), 5),
    );
    let err = contacts.find_or_create().email("ada@example.com").max_retries(2).await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 3);
    assert!(fake.contacts().is_empty());

    // And within the deadline: every create answers slowly with a 503; no new POST starts
    // once the deadline has passed.
    fake.clear_scripts();
    fake.clear_requests();
    fake.script(
        Operation::CreateContact,
        std::iter::repeat_n(Reply::status(503).delay(Duration::from_millis(150)), 20),
    );
    let err = contacts
        .find_or_create()
        .email("grace@example.com")
        .max_retries(20)
        .total_deadline(Duration::from_millis(400))
        .await
        .unwrap_err();
    assert!(
        err.status().is_some() || matches!(err, Error::Timeout { .. }),
        "{err:?}"
    );
    assert!(fake.requests_for(Operation::CreateContact).len() <= 3);
    assert!(fake.contacts().is_empty());
}

#[tokio::test]
async fn the_happy_path_costs_two_round_trips_and_says_what_happened() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();

    let call = contacts.find_or_create().email("ada@example.com").first_name("Ada");
    let (created, meta) = call.send_with_meta().await.unwrap();
    assert_eq!(created.outcome, Outcome::Created);
    assert!(!created.reconciled);
    assert_eq!(meta.attempts(), 2, "find, then create");
    assert_eq!(meta.status().as_u16(), 201);
    assert_eq!(
        meta.request_id(),
        fake.requests_for(Operation::CreateContact)[0].request_id.as_deref()
    );

    // Found by phone or email (OR): nothing written.
    let call = contacts.find_or_create().email("ADA@example.com").first_name("Someone else");
    let (found, meta) = call.send_with_meta().await.unwrap();
    assert_eq!(found.outcome, Outcome::Found);
    assert_eq!(found.contact, created.contact);
    assert_eq!(meta.attempts(), 1);

    let call = contacts.upsert().email("ada@example.com").last_name("Lovelace");
    let (updated, meta) = call.send_with_meta().await.unwrap();
    assert_eq!(updated.outcome, Outcome::Updated);
    assert_eq!(updated.contact.id, created.contact.id);
    assert_eq!(updated.contact.full_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(meta.attempts(), 2, "find, then update");
    assert_eq!(fake.requests_for(Operation::CreateContact).len(), 1);
    assert_eq!(fake.contacts().len(), 1);
}

#[tokio::test]
async fn helpers_need_an_identity_and_send_nothing_without_one() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    for err in [
        contacts.find_or_create().first_name("Ada").await.unwrap_err(),
        contacts.upsert().company("Acme").await.unwrap_err(),
        contacts.upsert().email("not-an-email").await.unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::InvalidInput { field, .. } if field == "email"),
            "{err:?}"
        );
    }
    assert!(fake.requests().is_empty());
    // validate() applies the same rules without sending.
    assert!(contacts.upsert().company("Acme").validate().is_err());
    assert!(contacts.find_or_create().phone_number("(555) 123-4567").validate().is_ok());
}

#[tokio::test]
async fn a_plain_create_is_not_reconciled_and_its_error_says_how() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    let faults = [
        LostReply::Status(503),
        LostReply::Timeout,
        LostReply::DroppedConnection,
        LostReply::TruncatedBody,
    ];
    for (i, fault) in faults.into_iter().enumerate() {
        fake.script(Operation::CreateContact, [Reply::applied_then(fault)]);
        let err =
            contacts.create().email(email(i)).timeout(attempt_timeout(fault)).await.unwrap_err();
        assert!(err.may_have_taken_effect(), "{fault:?}: {err:?}");
        assert_eq!(
            fake.requests_for(Operation::CreateContact).len(),
            i + 1,
            "never re-sent"
        );
        assert_eq!(fake.contacts().len(), i + 1, "{fault:?} did take effect");
        let shown = err.to_string();
        assert!(shown.contains("contacts().find()"), "{fault:?}: {shown}");
        assert!(shown.contains("find_or_create"), "{fault:?}: {shown}");
        assert!(!shown.contains(&email(i)), "no personal data: {shown}");
    }

    // Errors of calls that cannot have created anything say nothing of the kind.
    fake.script(
        Operation::GetContact,
        std::iter::repeat_n(Reply::status(503), 3),
    );
    let err = contacts.get(linq_api_ext::ContactId::new(1).unwrap()).await.unwrap_err();
    assert!(!err.to_string().contains("find_or_create"), "{err}");
    fake.script(Operation::CreateContact, [Reply::status(422)]);
    let err = contacts.create().email("x@example.com").await.unwrap_err();
    assert!(!err.to_string().contains("find_or_create"), "{err}");
}

/// Ada, Bob and Cara work at Acme and share its switchboard (Cara's written another way).
const SWITCHBOARD: [(&str, &str, &str); 3] = [
    ("Ada", "ada@acme.example", "+1 555 000 1111"),
    ("Bob", "bob@acme.example", "+1 555 000 1111"),
    ("Cara", "cara@acme.example", "(555) 000-1111"),
];

/// The fake holds exactly Ada, Bob and Cara, each with their own email and first name.
fn assert_three_people(fake: &FakeLinq) {
    let mut held: Vec<(String, String)> = fake
        .contacts()
        .into_iter()
        .map(|c| {
            (
                c.first_name.unwrap_or_default(),
                c.email.unwrap_or_default(),
            )
        })
        .collect();
    held.sort();
    let expected: Vec<(String, String)> =
        SWITCHBOARD.iter().map(|(name, email, _)| (name.to_string(), email.to_string())).collect();
    assert_eq!(held, expected);
}

#[tokio::test]
async fn a_shared_phone_number_never_merges_two_people() {
    for upsert in [false, true] {
        let (fake, linq) = fake_and_client().await;
        let contacts = linq.contacts();
        let mut ids = Vec::new();
        for (n, (name, email, phone)) in SWITCHBOARD.into_iter().enumerate() {
            let ensured = ensure!(contacts, upsert, |b| b
                .first_name(name)
                .email(email)
                .phone_number(phone)
                .company("Acme"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ensured.outcome, Outcome::Created, "upsert {upsert}: {name}");
            assert_eq!(ensured.contact.email.as_deref(), Some(email));
            // Bob and Cara were created although an earlier colleague holds the number.
            match n {
                0 => assert_eq!(ensured.shared_phone_with, None),
                _ => assert!(
                    ids.contains(&ensured.shared_phone_with.expect("a shared number")),
                    "upsert {upsert}: {name} shares the number with an earlier colleague"
                ),
            }
            ids.push(ensured.contact.id);
        }
        assert_three_people(&fake);
        assert!(fake.requests_for(Operation::UpdateContact).is_empty());

        // Again: each finds their own contact, whichever contact the phone number finds.
        for (n, (name, email, phone)) in SWITCHBOARD.into_iter().enumerate() {
            let ensured = if upsert {
                let call = contacts.upsert().first_name(name).email(email);
                call.phone_number(phone).title("Engineer").await
            } else {
                let call = contacts.find_or_create().email(email);
                call.phone_number(phone).first_name("Someone else").await
            }
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let expected = if upsert {
                Outcome::Updated
            } else {
                Outcome::Found
            };
            assert_eq!(ensured.outcome, expected, "{name}");
            assert_eq!(ensured.contact.id, ids[n], "{name} is still {name}");
        }
        assert_three_people(&fake);
    }
}

#[tokio::test]
async fn a_phone_number_alone_never_takes_someone_else() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    let ada = contacts
        .create()
        .first_name("Ada")
        .last_name("Lovelace")
        .email("ada@acme.example")
        .phone_number("+1 555 000 1111")
        .await
        .unwrap();
    fake.clear_requests();
    // Dan has only the switchboard: he is not taken for Ada, and nothing is written.
    for upsert in [false, true] {
        let dan = ensure!(contacts, upsert, |b| b
            .first_name("Dan")
            .phone_number("(555) 000-1111"));
        let err = dan.unwrap_err();
        match &err {
            Error::IdentityConflict { existing, .. } => assert_eq!(existing.get(), ada.id.get()),
            other => panic!("upsert {upsert}: {other:?}"),
        }
        assert!(!err.may_have_taken_effect());
        assert_eq!(err.attempts(), 1, "one find");
        let shown = err.to_string();
        assert!(shown.contains(&format!("#{}", ada.id)), "{shown}");
        assert!(!shown.contains("555"), "no personal data: {shown}");
    }
    assert_eq!(fake.requests().len(), 2, "two finds, no write");
    let kept = contacts.get(ada.id).await.unwrap();
    assert_eq!(kept.first_name.as_deref(), Some("Ada"));

    // Nothing contradicts Ada (her own name, or none): the number is hers.
    let found =
        contacts.find_or_create().first_name("ADA").phone_number("(555) 000-1111").await.unwrap();
    assert_eq!((found.outcome, found.contact.id), (Outcome::Found, ada.id));
    let updated = contacts.upsert().phone_number("555 000 1111").title("Countess").await.unwrap();
    assert_eq!(
        (updated.outcome, updated.contact.id),
        (Outcome::Updated, ada.id)
    );
    assert_eq!(updated.contact.title.as_deref(), Some("Countess"));
    // Another last name is someone else.
    let err = contacts
        .upsert()
        .first_name("Ada")
        .last_name("Byron")
        .phone_number("555 000 1111")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdentityConflict { .. }), "{err:?}");

    // A contact without an email is the number's person.
    let reception =
        contacts.create().first_name("Reception").phone_number("+1 555 000 2222").await.unwrap();
    let found = contacts.upsert().phone_number("(555) 000-2222").company("Acme").await.unwrap();
    assert_eq!(found.outcome, Outcome::Updated);
    assert_eq!(found.contact.id, reception.id);
    assert_eq!(found.contact.company.as_deref(), Some("Acme"));
}

#[tokio::test]
async fn an_email_never_takes_a_contact_that_only_holds_the_phone_number() {
    let (_fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    // A contact with the number and no email: maybe the same person, maybe the switchboard.
    let reception =
        contacts.create().first_name("Reception").phone_number("+1 555 000 1111").await.unwrap();
    let call = contacts
        .upsert()
        .first_name("Ada")
        .email("ada@acme.example")
        .phone_number("+1 555 000 1111");
    let (ada, meta) = call.send_with_meta().await.unwrap();
    assert_eq!(ada.outcome, Outcome::Created);
    assert_eq!(ada.shared_phone_with, Some(reception.id));
    assert_ne!(ada.contact.id, reception.id);
    assert_eq!(
        meta.attempts(),
        3,
        "find (by either), find (by email), create"
    );
    let kept = contacts.get(reception.id).await.unwrap();
    assert_eq!(kept.first_name.as_deref(), Some("Reception"));
    assert_eq!(kept.email, None);
}

#[tokio::test]
async fn a_failed_look_up_is_not_a_write() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    for (fault, name) in [
        (Reply::status(503), "503"),
        (Reply::drop_connection(), "dropped connection"),
    ] {
        fake.clear_scripts();
        fake.clear_requests();
        fake.script(Operation::FindContact, std::iter::repeat_n(fault, 3));
        for upsert in [false, true] {
            let call = ensure!(contacts, upsert, |b| b
                .email("ada@example.com")
                .max_retries(0));
            let err = call.unwrap_err();
            assert!(!err.may_have_taken_effect(), "{name}: {err:?}");
            assert!(
                !err.to_string().contains("may have been created"),
                "{name}: {err}"
            );
        }
        assert!(fake.requests_for(Operation::CreateContact).is_empty());
        // Reads never take effect, whatever happened to them.
        let err = contacts.find().email("ada@example.com").max_retries(0).await;
        assert!(!err.unwrap_err().may_have_taken_effect(), "{name}: find");
    }
    fake.script(Operation::GetContact, [Reply::status(500)]);
    let id = linq_api_ext::ContactId::new(1).unwrap();
    let err = contacts.get(id).max_retries(0).await.unwrap_err();
    assert!(!err.may_have_taken_effect(), "get: {err:?}");
    fake.script(Operation::ListContacts, [Reply::status(500)]);
    let err = contacts.list().max_retries(0).await.unwrap_err();
    assert!(!err.may_have_taken_effect(), "list: {err:?}");
}

#[tokio::test]
async fn a_create_known_not_to_have_taken_effect_says_so() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    // Every create fails before its work is done; each look-up after one finds nothing.
    for fault in [Reply::status(503), Reply::drop_connection()] {
        fake.clear_scripts();
        fake.script(Operation::CreateContact, std::iter::repeat_n(fault, 3));
        let err =
            contacts.find_or_create().email("ada@example.com").max_retries(2).await.unwrap_err();
        assert!(!err.may_have_taken_effect(), "{err:?}");
        assert!(err.is_retryable() || err.status().is_none(), "{err:?}");
        let shown = err.to_string();
        assert!(shown.contains("it was not created"), "{shown}");
        assert!(!shown.contains("may have been created"), "{shown}");
    }
    assert!(fake.contacts().is_empty());
}

#[tokio::test]
async fn an_unreadable_get_changed_nothing() {
    let (fake, linq) = fake_and_client().await;
    let contacts = linq.contacts();
    let ada = contacts.create().email("ada@example.com").await.unwrap();
    fake.script(
        Operation::GetContact,
        [Reply::status(200).body("{not json")],
    );
    let err = contacts.get(ada.id).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(!err.may_have_taken_effect(), "{err:?}");
    assert!(!err.to_string().contains("took effect"), "{err}");
    // A write's unreadable success did take effect, and says so.
    fake.script(
        Operation::UpdateContact,
        [Reply::status(200).body("{not json")],
    );
    let err = contacts.update(ada.id).last_name("Lovelace").await.unwrap_err();
    assert!(err.may_have_taken_effect(), "{err:?}");
    assert!(err.to_string().contains("took effect"), "{err}");
}

#[tokio::test]
async fn a_plan_says_what_a_send_would_do_and_writes_nothing() {
    let (fake, linq) = fake_and_client().await;
    let ada = linq
        .contacts()
        .create()
        .first_name("Ada")
        .email("ada@acme.example")
        .phone_number("+1 555 000 1111")
        .await
        .unwrap();
    fake.clear_requests();
    let existing =
        linq.contacts().upsert().email("ADA@acme.example").title("CEO").plan().await.unwrap();
    assert_eq!(
        existing,
        linq_api_ext::Plan::Existing(Box::new(ada.clone()))
    );
    let create = linq
        .contacts()
        .find_or_create()
        .email("bob@acme.example")
        .phone_number("(555) 000-1111")
        .plan()
        .await
        .unwrap();
    assert_eq!(
        create,
        linq_api_ext::Plan::Create {
            shared_phone_with: Some(ada.id)
        }
    );
    let err = linq
        .contacts()
        .upsert()
        .first_name("Dan")
        .phone_number("555 000 1111")
        .plan()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdentityConflict { existing, attempts: 1, .. } if existing.get() == ada.id.get()),
        "{err:?}"
    );
    // Reads only.
    let requests = fake.requests();
    assert!(requests.iter().all(|r| r.operation == Some(Operation::FindContact)));
    assert_eq!(requests.len(), 1 + 2 + 1);
    assert_eq!(fake.contacts().len(), 1);
}
