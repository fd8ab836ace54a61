//! Retries as a service sees them: what is retried, what never is, deadlines, and a DELETE
//! that may already have succeeded.

use std::time::Duration;

use httpmock::MockServer;
use linq_api::mock::MockServerExt;
use linq_api_ext::{Error, RetryPolicy};

use super::{builder, client, id};
use crate::support::{catch_all, contact_not_found, envelope_of, CONTACTS};

#[tokio::test]
async fn two_503s_then_200_succeeds_on_the_third_attempt() {
    let server = MockServer::start_async().await;
    let failing = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner().status(503).up_to_n_times(2);
    });
    let healthy = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5));
    });
    let got = client(&server).contacts().get(id(5)).send().await.unwrap();
    assert_eq!(got.id, 5);
    failing.assert_calls_async(2).await;
    healthy.assert_calls_async(1).await;
}

#[tokio::test]
async fn retries_stop_after_the_policy_and_report_the_attempts() {
    let server = MockServer::start_async().await;
    let failing = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner().status(500);
    });
    let linq = builder(&server)
        .retry_policy(
            RetryPolicy::default()
                .max_retries(3)
                .initial_backoff(Duration::ZERO),
        )
        .build()
        .unwrap();
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 4);
    assert!(err.to_string().ends_with("after 4 attempts"), "{err}");
    failing.assert_calls_async(4).await;

    // A per-call override wins over the client's policy.
    let err = linq
        .contacts()
        .get(id(5))
        .max_retries(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    failing.assert_calls_async(5).await;
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_even_for_a_create() {
    let server = MockServer::start_async().await;
    let limited = server.create_contact(|_, then| {
        then.into_inner()
            .status(429)
            .header("retry-after", "0")
            .up_to_n_times(1);
    });
    let created = server.create_contact(|_, then| {
        then.created(&envelope_of(9));
    });
    let got = client(&server)
        .contacts()
        .create()
        .first_name("John")
        .send()
        .await
        .unwrap();
    assert_eq!(got.id, 9);
    limited.assert_calls_async(1).await;
    created.assert_calls_async(1).await;
}

/// A bulk job waits out a rate limit with its own budget of 429 retries, while other failures
/// keep the ordinary budget.
#[tokio::test]
async fn rate_limit_retries_are_counted_apart() {
    let server = MockServer::start_async().await;
    let limited = server.create_contact(|_, then| {
        then.into_inner()
            .status(429)
            .header("retry-after-ms", "1")
            .up_to_n_times(5);
    });
    let created = server.create_contact(|_, then| {
        then.created(&envelope_of(9));
    });
    let policy = RetryPolicy::none().rate_limit_retries(5);
    let linq = builder(&server).retry_policy(policy).build().unwrap();
    let (got, meta) = linq
        .contacts()
        .create()
        .first_name("John")
        .send_with_meta()
        .await
        .unwrap();
    assert_eq!((got.id.get(), meta.attempts()), (9, 6));
    limited.assert_calls_async(5).await;
    created.assert_calls_async(1).await;

    // Without the separate budget, the same five 429s use up the ordinary one.
    let server = MockServer::start_async().await;
    server.create_contact(|_, then| {
        then.into_inner().status(429).header("retry-after-ms", "1");
    });
    let linq = builder(&server)
        .retry_policy(RetryPolicy::default().max_retries(2))
        .build()
        .unwrap();
    let err = linq
        .contacts()
        .create()
        .first_name("John")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.attempts(), 3);

    // The separate budget leaves other failures to the ordinary one: a 503 of a GET is retried
    // max_retries times, not rate_limit_retries times.
    let server = MockServer::start_async().await;
    let failing = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner().status(503);
    });
    let policy = RetryPolicy::default()
        .max_retries(1)
        .rate_limit_retries(10)
        .initial_backoff(Duration::from_millis(1));
    let linq = builder(&server).retry_policy(policy).build().unwrap();
    let err = linq.contacts().get(id(5)).await.unwrap_err();
    assert_eq!(err.attempts(), 2, "{err:?}");
    failing.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_ends_the_retries_with_the_hint() {
    let server = MockServer::start_async().await;
    let limited =
        server.get_contact(|when, then| {
            when.id(id(5).into());
            then.into_inner().status(429).header("retry-after", "120").json_body(
                serde_json::json!({"status": "error", "error_code": "RATE_LIMITED", "message": "Slow down"}),
            );
        });
    let err = client(&server)
        .contacts()
        .get(id(5))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(err.error_code(), Some("RATE_LIMITED"));
    assert_eq!(err.attempts(), 1);
    limited.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_that_gets_a_5xx_is_not_sent_again() {
    let server = MockServer::start_async().await;
    let failing = server.create_contact(|_, then| {
        then.into_inner().status(503);
    });
    let err = client(&server)
        .contacts()
        .create()
        .first_name("Ada")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.attempts(), 1);
    failing.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_whose_connection_cannot_be_established_is_retried() {
    let (_held, addr) = crate::support::refusing_port();
    let err = super::builder_at(format!("http://{addr}"))
        .build()
        .unwrap()
        .contacts()
        .create()
        .first_name("Ada")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connection {
                before_send: true,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains(super::TOKEN));
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let server = MockServer::start_async().await;
    let slow = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5))
            .into_inner()
            // Far beyond the attempt's timeout, so it times out however slow the machine.
            .delay(Duration::from_secs(600))
            .up_to_n_times(1);
    });
    let fast = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5));
    });
    let got = client(&server)
        .contacts()
        .get(id(5))
        // Long enough for the fast second answer on a loaded machine.
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    assert_eq!(got.id, 5);
    slow.assert_calls_async(1).await;
    fast.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_per_call_timeout_longer_than_the_clients_wins() {
    // The client's attempt timeout is its HTTP client's; a call's own timeout replaces it for
    // that call, in both directions.
    let server = MockServer::start_async().await;
    server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5))
            .into_inner()
            .delay(Duration::from_secs(1));
    });
    let linq = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = linq.contacts().get(id(5)).send().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                deadline: false,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let got = linq
        .contacts()
        .get(id(5))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(got.id, 5);
}

#[tokio::test]
async fn a_deadline_shorter_than_the_backoff_ends_the_call_without_waiting() {
    let server = MockServer::start_async().await;
    let failing = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner().status(503);
    });
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
    server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5))
            .into_inner()
            .delay(Duration::from_secs(3));
    });
    let err = client(&server)
        .contacts()
        .get(id(5))
        .total_deadline(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                deadline: true,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_retried_delete_that_may_have_succeeded_does_not_report_not_found() {
    let server = MockServer::start_async().await;
    let lost = server.delete_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner().status(502).up_to_n_times(1);
    });
    let gone = server.delete_contact(|when, then| {
        when.id(id(5).into());
        then.not_found(&contact_not_found());
    });
    client(&server)
        .contacts()
        .delete(id(5))
        .send()
        .await
        .unwrap();
    lost.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;

    // A first-attempt 404 is a real "not found".
    let err = client(&server)
        .contacts()
        .delete(id(5))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    gone.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_404_after_a_429_is_still_not_found() {
    // A 429 was not processed, so the contact really is missing.
    let server = MockServer::start_async().await;
    server.delete_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner()
            .status(429)
            .header("retry-after", "0")
            .up_to_n_times(1);
    });
    server.delete_contact(|when, then| {
        when.id(id(5).into());
        then.not_found(&contact_not_found());
    });
    let err = client(&server)
        .contacts()
        .delete(id(5))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn nonsense_retry_hints_never_panic() {
    let server = MockServer::start_async().await;
    let limited = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner()
            .status(429)
            .header("retry-after", "18446744073709551615")
            .header("retry-after-ms", "1e300");
    });
    // A deadline too far to represent, and a hint beyond the policy's 60 s: refused at once.
    let linq = builder(&server)
        .total_deadline(Duration::MAX)
        .build()
        .unwrap();
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
    let failing = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.into_inner()
            .status(503)
            .header("retry-after-ms", "2500")
            .header("x-request-id", "req-last")
            .up_to_n_times(1);
    });
    let slow = server.get_contact(|when, then| {
        when.id(id(5).into());
        then.ok(&envelope_of(5))
            .into_inner()
            .delay(Duration::from_secs(60));
    });
    let err = client(&server)
        .contacts()
        .get(id(5))
        .total_deadline(Duration::from_secs(3))
        .send()
        .await
        .unwrap_err();
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
    server
        .mock_async(|when, then| {
            when.path_prefix(CONTACTS);
            then.status(503);
        })
        .await;
    let linq = builder(&server)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // A create that got a 5xx may have created the contact: retrying it could duplicate it.
    let create = linq
        .contacts()
        .create()
        .first_name("Ada")
        .send()
        .await
        .unwrap_err();
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
    let err = linq
        .contacts()
        .create()
        .first_name("Ada")
        .timeout(Duration::ZERO)
        .send()
        .await
        .unwrap_err();
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
    let err = linq
        .contacts()
        .get(id(1))
        .total_deadline(Duration::ZERO)
        .send()
        .await
        .unwrap_err();
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
