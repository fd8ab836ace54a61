//! Retries as a service sees them: what is retried, what never is, deadlines, and a DELETE
//! that may already have succeeded.

use std::time::Duration;

use httpmock::MockServer;
use linq_api_ext::{Error, RetryPolicy};
use serde_json::json;

use super::{
    builder, client, connection_failure, found, id, on_create, on_delete, on_get, timeout,
};
use crate::support::{catch_all, contact_not_found_json, CONTACTS};

/// A 201 of contact `n`, as a create answers.
fn created(then: httpmock::Then, n: i64) -> httpmock::Then {
    then.status(201).json_body(json!({ "data": super::contact(n) }))
}

/// A client of `server` with `policy`.
fn with_policy(server: &MockServer, policy: RetryPolicy) -> linq_api_ext::LinqClient {
    builder(server).retry_policy(policy).build().unwrap()
}

#[tokio::test]
async fn two_503s_then_200_succeeds_on_the_third_attempt() {
    let server = MockServer::start_async().await;
    let failing = on_get(&server, 5, |then| then.status(503).up_to_n_times(2));
    let healthy = on_get(&server, 5, |then| found(then, 5));
    let got = client(&server).contacts().get(id(5)).send().await.unwrap();
    assert_eq!(got.id, 5);
    failing.assert_calls_async(2).await;
    healthy.assert_calls_async(1).await;
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_report_the_attempts() {
    let server = MockServer::start_async().await;
    let failing = on_get(&server, 5, |then| then.status(500));
    let policy = RetryPolicy::default().max_retries(3);
    let linq = with_policy(&server, policy.initial_backoff(Duration::ZERO));
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 4);
    assert!(err.to_string().ends_with("after 4 attempts"), "{err}");
    failing.assert_calls_async(4).await;

    // A per-call override wins over the client's policy.
    let err = linq.contacts().get(id(5)).max_retries(0).send().await;
    assert_eq!(err.unwrap_err().attempts(), 1);
    failing.assert_calls_async(5).await;
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_even_for_a_create() {
    let server = MockServer::start_async().await;
    let limited = on_create(&server, |then| {
        then.status(429).header("retry-after", "0").up_to_n_times(1)
    });
    let created = on_create(&server, |then| created(then, 9));
    let create = client(&server).contacts().create().first_name("John");
    let got = create.send().await.unwrap();
    assert_eq!(got.id, 9);
    limited.assert_calls_async(1).await;
    created.assert_calls_async(1).await;
}

/// A bulk job waits out a rate limit with its own budget of 429 retries, while other failures
/// keep the ordinary budget.
#[tokio::test]
async fn rate_limit_retries_are_counted_apart() {
    let server = MockServer::start_async().await;
    let limited = on_create(&server, |then| {
        then.status(429).header("retry-after-ms", "1").up_to_n_times(5)
    });
    let created = on_create(&server, |then| created(then, 9));
    let linq = with_policy(&server, RetryPolicy::none().rate_limit_retries(5));
    let create = linq.contacts().create().first_name("John");
    let (got, meta) = create.send_with_meta().await.unwrap();
    assert_eq!((got.id.get(), meta.attempts()), (9, 6));
    limited.assert_calls_async(5).await;
    created.assert_calls_async(1).await;

    // Without the separate budget, the same five 429s use up the ordinary one.
    let server = MockServer::start_async().await;
    on_create(&server, |then| {
        then.status(429).header("retry-after-ms", "1")
    });
    let linq = with_policy(&server, RetryPolicy::default().max_retries(2));
    let err = linq.contacts().create().first_name("John").await.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.attempts(), 3);

    // The separate budget leaves other failures to the ordinary one: a 503 of a GET is retried
    // max_retries times, not rate_limit_retries times.
    let server = MockServer::start_async().await;
    let failing = on_get(&server, 5, |then| then.status(503));
    let policy = RetryPolicy::default()
        .max_retries(1)
        .rate_limit_retries(10)
        .initial_backoff(Duration::from_millis(1));
    let linq = with_policy(&server, policy);
    let err = linq.contacts().get(id(5)).await.unwrap_err();
    assert_eq!(err.attempts(), 2, "{err:?}");
    failing.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_ends_the_retries_with_the_hint() {
    let server = MockServer::start_async().await;
    let limited = on_get(&server, 5, |then| {
        let body = json!({"status": "error", "error_code": "RATE_LIMITED", "message": "Slow down"});
        then.status(429).header("retry-after", "120").json_body(body)
    });
    let err = client(&server).contacts().get(id(5)).send().await;
    let err = err.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.error_code(), Some("RATE_LIMITED"));
    assert_eq!(err.attempts(), 1);
    limited.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_that_gets_a_5xx_is_not_sent_again() {
    let server = MockServer::start_async().await;
    let failing = on_create(&server, |then| then.status(503));
    let create = client(&server).contacts().create().first_name("Ada");
    let err = create.send().await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 1);
    failing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_whose_connection_cannot_be_established_is_retried() {
    let (_held, addr) = crate::support::refusing_port();
    let linq = super::builder_at(format!("http://{addr}")).build().unwrap();
    let err = linq.contacts().create().first_name("Ada").send().await;
    let err = err.unwrap_err();
    assert_eq!(connection_failure(&err), Some(true), "{err:?}");
    assert_eq!(err.attempts(), 3);
    assert!(!err.to_string().contains(super::TOKEN));
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let server = MockServer::start_async().await;
    // Far beyond the attempt's timeout, so it times out however slow the machine.
    let slow = on_get(&server, 5, |then| {
        found(then, 5).delay(Duration::from_secs(600)).up_to_n_times(1)
    });
    let fast = on_get(&server, 5, |then| found(then, 5));
    // Long enough for the fast second answer on a loaded machine.
    let get = client(&server).contacts().get(id(5));
    let got = get.timeout(Duration::from_secs(2)).send().await.unwrap();
    assert_eq!(got.id, 5);
    slow.assert_calls_async(1).await;
    fast.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_per_call_timeout_longer_than_the_clients_wins() {
    // The client's attempt timeout is its HTTP client's; a call's own timeout replaces it for
    // that call, in both directions.
    let server = MockServer::start_async().await;
    on_get(&server, 5, |then| {
        found(then, 5).delay(Duration::from_secs(1))
    });
    let linq = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert_eq!(timeout(&err), Some(false), "{err:?}");
    assert_eq!(err.attempts(), 1);
    let get = linq.contacts().get(id(5));
    let got = get.timeout(Duration::from_secs(30)).send().await.unwrap();
    assert_eq!(got.id, 5);
}

#[tokio::test]
async fn a_deadline_shorter_than_the_backoff_ends_the_call_without_waiting() {
    let server = MockServer::start_async().await;
    let failing = on_get(&server, 5, |then| then.status(503));
    let linq = builder(&server)
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_secs(3600)))
        .total_deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    // Without the deadline this call would sleep for an hour before its second attempt.
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 1);
    failing.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_total_deadline_cuts_a_slow_attempt() {
    let server = MockServer::start_async().await;
    on_get(&server, 5, |then| {
        found(then, 5).delay(Duration::from_secs(3))
    });
    let get = client(&server).contacts().get(id(5));
    let err = get.total_deadline(Duration::from_millis(150)).send().await;
    let err = err.unwrap_err();
    assert_eq!(timeout(&err), Some(true), "{err:?}");
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn a_retried_delete_that_may_have_succeeded_does_not_report_not_found() {
    let server = MockServer::start_async().await;
    let lost = on_delete(&server, 5, |then| then.status(502).up_to_n_times(1));
    let gone = on_delete(&server, 5, |then| {
        then.status(404).json_body(contact_not_found_json())
    });
    let linq = client(&server);
    linq.contacts().delete(id(5)).send().await.unwrap();
    lost.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;

    // A first-attempt 404 is a real "not found".
    let err = linq.contacts().delete(id(5)).send().await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    gone.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_404_after_a_429_is_still_not_found() {
    // A 429 was not processed, so the contact really is missing.
    let server = MockServer::start_async().await;
    on_delete(&server, 5, |then| {
        then.status(429).header("retry-after", "0").up_to_n_times(1)
    });
    on_delete(&server, 5, |then| {
        then.status(404).json_body(contact_not_found_json())
    });
    let err = client(&server).contacts().delete(id(5)).send().await;
    let err = err.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn nonsense_retry_hints_never_panic() {
    let server = MockServer::start_async().await;
    let limited = on_get(&server, 5, |then| {
        then.status(429)
            .header("retry-after", "18446744073709551615")
            .header("retry-after-ms", "1e300")
    });
    // A deadline too far to represent, and a hint beyond the policy's 60 s: refused at once.
    let linq = builder(&server).total_deadline(Duration::MAX).build().unwrap();
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(u64::MAX)));
    assert_eq!(err.attempts(), 1);
    limited.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_retry_without_a_useful_share_of_the_deadline_left_does_not_start() {
    // The 503 asks for 2.5 s; the deadline is 3 s: after the wait, less than a useful attempt
    // (1 s) would be left, whatever the machine's speed. The caller gets the 503, marked, not
    // the bare timeout of a last attempt cut short (the second answer would take 60 s).
    let server = MockServer::start_async().await;
    let failing = on_get(&server, 5, |then| {
        then.status(503)
            .header("retry-after-ms", "2500")
            .header("x-request-id", "req-last")
            .up_to_n_times(1)
    });
    let slow = on_get(&server, 5, |then| {
        found(then, 5).delay(Duration::from_secs(60))
    });
    let get = client(&server).contacts().get(id(5));
    let err = get.total_deadline(Duration::from_secs(3)).send().await;
    let err = err.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.request_id(), Some("req-last"));
    assert_eq!(err.retry_after(), Some(Duration::from_millis(2500)));
    assert!(err.stopped_by_deadline());
    assert!(
        err.to_string().ends_with("(total deadline reached)"),
        "{err}"
    );
    failing.assert_calls_async(1).await;
    slow.assert_calls_async(0).await;
}

#[tokio::test]
async fn is_retryable_knows_the_operation() {
    let server = MockServer::start_async().await;
    // Every contact operation fails alike (a hand-built mock: no one operation describes it).
    server.mock(|when, then| {
        when.path_prefix(CONTACTS);
        then.status(503);
    });
    let linq = with_policy(&server, RetryPolicy::none());
    // A create that got a 5xx may have created the contact: retrying it could duplicate it.
    let create = linq.contacts().create().first_name("Ada").send().await;
    let create = create.unwrap_err();
    assert!(create.may_have_taken_effect());
    assert!(!create.is_retryable());
    // The same failure of an idempotent read is retryable, and a read never takes effect.
    let get = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(!get.may_have_taken_effect());
    assert!(get.is_retryable());
    // An idempotent write may have taken effect, and is retryable all the same.
    let put = linq.contacts().update(id(5)).last_name("L").send().await;
    let put = put.unwrap_err();
    assert!(put.may_have_taken_effect());
    assert!(put.is_retryable());
}

#[tokio::test]
async fn zero_durations_are_refused_per_call_before_sending() {
    let server = MockServer::start_async().await;
    let any = catch_all(&server);
    let linq = client(&server);
    let create = linq.contacts().create().first_name("Ada");
    let err = create.timeout(Duration::ZERO).send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "timeout",
                ..
            }
        ),
        "{err:?}"
    );
    let get = linq.contacts().get(id(1));
    let err = get.total_deadline(Duration::ZERO).send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "total_deadline",
                ..
            }
        ),
        "{err:?}"
    );
    any.assert_calls_async(0).await;
}
