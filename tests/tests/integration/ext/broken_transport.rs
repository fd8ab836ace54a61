//! Servers that misbehave below HTTP: a body that stalls, breaks off or never ends, a connection
//! that cannot be established, a stream consumer slower than the pages. A deliberately broken
//! server has to be written by hand: no well-behaved server crate sends half a body and stops.
//!
//! Nothing here depends on the machine being fast: a stall lasts until the client gives up, and
//! the tests that wait for something wait for it to happen, not for a time to pass.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use futures_util::TryStreamExt;
use httpmock::MockServer;
use linq_api::mock::MockServerExt;
use linq_api_ext::{BodyFailure, Error, RetryPolicy};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use super::{builder, builder_at, contact, id};
use crate::support::{self, page_json};

/// A guard against a hang: the call must come back well within this.
const GUARD: Duration = Duration::from_secs(60);

/// Waits for `call` at most [`GUARD`]: a hang fails the test instead of stalling it.
async fn guarded<T>(call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, call).await.expect("the call came back")
}

/// A GET of contact 1, in a single attempt of at most 300 ms, from a server that sends `head`
/// and then stalls.
async fn stalled_get(head: &'static str) -> Error {
    let (base, _) = broken_server(vec![Answer::Stall(head)]).await;
    let linq = one_attempt(base, Duration::from_millis(300), usize::MAX);
    guarded(linq.contacts().get(id(1)).send()).await.unwrap_err()
}

/// A client of `base` making a single attempt of at most `timeout`, with bodies bounded to
/// `max_body` bytes.
fn one_attempt(base: String, timeout: Duration, max_body: usize) -> linq_api_ext::LinqClient {
    builder_at(base)
        .timeout(timeout)
        .max_response_body(max_body)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// What the hand-written server does with one request.
#[derive(Clone, Copy)]
enum Answer {
    /// Sends this (a status line, headers and the start of a body), then holds the connection
    /// open, silent, until the client gives up.
    Stall(&'static str),
    /// Sends this, then closes the connection.
    Close(&'static str),
    /// Sends this head of a chunked response, then chunks of 64 KiB until the client stops
    /// reading or `CAP` bytes were sent.
    Endless(&'static str),
}

/// How much an [`Answer::Endless`] body sends at most.
const CAP: usize = 256 * 1024 * 1024;

/// A server on 127.0.0.1 that answers the n-th request with `answers[n]` (the last one
/// repeated). Returns its base URL and the count of body bytes its endless answers sent.
async fn broken_server(answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        let mut served = 0usize;
        while let Ok((socket, _)) = listener.accept().await {
            let answer = answers[served.min(answers.len() - 1)];
            served += 1;
            tokio::spawn(serve(socket, answer, counter.clone()));
        }
    });
    (format!("http://{addr}"), sent)
}

async fn serve(mut socket: TcpStream, answer: Answer, sent: Arc<AtomicUsize>) {
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    match answer {
        Answer::Stall(text) => {
            let _ = socket.write_all(text.as_bytes()).await;
            let _ = socket.read(&mut buf).await;
        }
        Answer::Close(text) => {
            let _ = socket.write_all(text.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
        Answer::Endless(head) => {
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
            while sent.load(Ordering::Relaxed) < CAP {
                if socket.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                sent.fetch_add(0x10000, Ordering::Relaxed);
            }
        }
    }
}

#[tokio::test]
async fn an_error_body_that_stalls_keeps_its_status_and_is_bounded_by_the_timeout() {
    let err = stalled_get(
        "HTTP/1.1 503 Service Unavailable\r\nx-request-id: req-stall\r\nContent-Length: 100\r\n\r\nabc",
    )
    .await;
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.request_id(), Some("req-stall"));
    let api = err.api_error().unwrap();
    assert_eq!(api.body_failure(), Some(BodyFailure::TimedOut));
    assert_eq!(api.body_snippet(), Some("abc"), "what arrived is kept");
}

#[tokio::test]
async fn a_429_whose_body_stalls_keeps_its_retry_after_which_drives_the_retry() {
    let (base, _) = broken_server(vec![
        Answer::Stall(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"st",
        ),
        Answer::Close(concat!(
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n",
            "{\"data\":{\"id\":7}}"
        )),
    ])
    .await;
    // A create: a 429 was not processed, so even a create is retried after it. (The timeout
    // ends the stall; the second attempt has all of it, however slow the machine.)
    let linq = builder_at(base)
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::default().max_retries(1))
        .build()
        .unwrap();
    let created = guarded(linq.contacts().create().first_name("Ada").send()).await.unwrap();
    assert_eq!(created.id, 7);

    // Without retries the 429 itself comes back, with its hint.
    let err = stalled_get(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nx-request-id: req-429\r\nContent-Length: 100\r\n\r\n{\"st",
    )
    .await;
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.request_id(), Some("req-429"));
    assert_eq!(
        err.api_error().unwrap().body_failure(),
        Some(BodyFailure::TimedOut)
    );
}

/// A 200 that promises more body than it sends, then closes.
const TRUNCATED_200: &str = "HTTP/1.1 200 OK\r\nx-request-id: req-cut\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\":{\"id\":";

#[tokio::test]
async fn a_truncated_success_keeps_its_status_headers_and_request_id() {
    let (base, _) = broken_server(vec![Answer::Close(TRUNCATED_200)]).await;
    let linq = builder_at(base).build().unwrap();

    // A create: the contact probably exists, and it is not sent again.
    let err = guarded(linq.contacts().create().first_name("Ada").send()).await.unwrap_err();
    match &err {
        Error::Decode {
            status,
            failure,
            headers,
            attempts,
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(*failure, BodyFailure::Cut);
            assert_eq!(headers["x-request-id"], "req-cut");
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(err.request_id(), Some("req-cut"));
    assert!(err.may_have_taken_effect());
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("broke off") && shown.contains("took effect") && shown.contains("req-cut"),
        "{shown}"
    );

    // A read is retried through it (and here meets the same cut each time).
    let err = linq.contacts().get(id(1)).send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn a_huge_declared_error_body_is_not_buffered() {
    // A fast server sends a 403 (declared) with an endless body. The client stops reading at
    // its limit: the server can only push what the socket buffers hold beyond it.
    let (base, sent) = broken_server(vec![Answer::Endless(
        "HTTP/1.1 403 Forbidden\r\nx-request-id: req-huge\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
    )])
    .await;
    let limit = 1024 * 1024;
    let linq = one_attempt(base, GUARD, limit);
    let err = guarded(linq.contacts().get(id(1)).send()).await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert_eq!(err.request_id(), Some("req-huge"));
    assert_eq!(
        err.api_error().unwrap().body_failure(),
        Some(BodyFailure::TooLarge { limit })
    );
    // Give the server the chance to push whatever it still can, then look: far less than the
    // whole body went out, so far less was held in memory.
    tokio::task::yield_now().await;
    let pushed = sent.load(Ordering::Relaxed);
    assert!(
        pushed < 64 * 1024 * 1024,
        "the server pushed {pushed} bytes: the client kept reading"
    );

    // A success over the limit is a decode error that keeps its head.
    let (base, _) = broken_server(vec![Answer::Endless(
        "HTTP/1.1 200 OK\r\nx-request-id: req-big-200\r\nTransfer-Encoding: chunked\r\n\r\n",
    )])
    .await;
    // Even with retries allowed.
    let linq = builder_at(base).max_response_body(limit).build().unwrap();
    let err = guarded(linq.contacts().get(id(1)).send()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                failure: BodyFailure::TooLarge { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("req-big-200"));
    assert_eq!(
        err.attempts(),
        1,
        "a body over the limit is not fetched again"
    );
}

/// A resolver that never answers: connecting never completes, without any network.
struct Unresolvable;

impl reqwest::dns::Resolve for Unresolvable {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_connect_timeout_means_the_create_never_left_and_is_retried() {
    let linq = builder_at("http://localhost:9")
        .reqwest(|b| b.dns_resolver(Unresolvable))
        .connect_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let err = guarded(linq.contacts().create().email("a@b.co").send()).await.unwrap_err();
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
    assert!(!err.may_have_taken_effect());
}

#[tokio::test]
async fn pages_fetched_ahead_keep_coming_while_the_caller_is_busy() {
    let server = MockServer::start_async().await;
    // Page 3 fails once: its retry has to happen while the caller is busy with page 1.
    let flaky = server.list_contacts(|when, then| {
        when.page(support::id(3));
        then.into_inner().status(503).up_to_n_times(1);
    });
    let serve = |n: u64| {
        server.list_contacts(|when, then| {
            when.page(support::id(n));
            let page = page_json(vec![contact(n as i64)], n, 1, 3);
            then.into_inner().status(200).json_body(page);
        })
    };
    let pages: Vec<_> = (1..=3).map(serve).collect();
    let linq = builder(&server).build().unwrap();
    let mut stream = linq.contacts().list().per_page(1).concurrency(2).stream();
    let first = guarded(stream.try_next()).await.unwrap();
    assert_eq!(first.map(|c| u64::from(c.id)), Some(1));
    // Asking for contact 2 starts pages 2 and 3 (two at once). Then the caller is busy and does
    // not poll the stream: page 3 must still come, through its retry, on its own task.
    let second = guarded(stream.try_next()).await.unwrap();
    assert_eq!(second.map(|c| u64::from(c.id)), Some(2));
    tokio::time::timeout(GUARD, async {
        while pages[2].calls_async().await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("page 3 was fetched, retry included, while the caller did not poll");
    flaky.assert_calls_async(1).await;
    let rest: Vec<u64> = stream.map_ok(|c| u64::from(c.id)).try_collect().await.unwrap();
    assert_eq!(rest, [3]);
}
