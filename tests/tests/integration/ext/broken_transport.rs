//! Servers that misbehave below HTTP: a body that stalls, a listener that never accepts, a
//! stream consumer slower than the deadline. A deliberately broken server has to be written
//! by hand: no well-behaved server crate sends half a body and stops.

use std::time::Duration;

use futures_util::TryStreamExt;
use httpmock::{Method::GET, MockServer};
use linq_api_ext::{Error, RetryPolicy};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpSocket, TcpStream},
};

use super::{builder, builder_at, contact, id};

/// A guard against a hang: the call must come back well within this.
const GUARD: Duration = Duration::from_secs(20);

/// Answers every request with `head_and_start` (a status line, headers and the start of a
/// body) and then keeps the connection open, sending nothing more.
async fn stalling_server(head_and_start: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(head_and_start.as_bytes()).await;
                // Hold the connection, silent, until the client gives up.
                let _ = socket.read(&mut buf).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_error_body_that_stalls_is_bounded_by_the_attempt_timeout() {
    let base =
        stalling_server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\nabc").await;
    let linq = builder_at(base)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = tokio::time::timeout(GUARD, linq.contacts().get(id(1)).send())
        .await
        .expect("the call came back")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                attempts: 1,
                deadline: false,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_connect_timeout_means_the_create_never_left_and_is_retried() {
    // A listener whose accept queue is full and never drained: new connections are not
    // established, so the client's connect timeout fires.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
        {
            fillers.push(s);
        }
    }
    let linq = builder_at(format!("http://{addr}"))
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = tokio::time::timeout(GUARD, linq.contacts().create().email("a@b.co").send())
        .await
        .expect("the call came back")
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
    drop((listener, fillers));
}

#[tokio::test]
async fn pages_fetched_ahead_keep_coming_while_the_caller_is_busy() {
    let server = MockServer::start_async().await;
    let page = |n: i64| {
        json!({"contacts": [contact(n)],
               "pagination": {"current_page": n, "per_page": 1, "total_pages": 3, "total_count": 3}})
    };
    // Page 3 fails once: its retry has to happen while the caller is busy with page 2.
    let flaky = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/partner/v2/contacts")
                .query_param("page", "3");
            then.status(503).up_to_n_times(1);
        })
        .await;
    for n in 1..=3 {
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/api/partner/v2/contacts")
                    .query_param("page", n.to_string());
                then.status(200).json_body(page(n));
            })
            .await;
    }
    let linq = builder(&server)
        .total_deadline(Duration::from_millis(400))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(50))
                .jitter(false),
        )
        .build()
        .unwrap();
    let mut stream = linq.contacts().list().per_page(1).concurrency(2).stream();
    let mut ids = Vec::new();
    while let Some(contact) = tokio::time::timeout(GUARD, stream.try_next())
        .await
        .expect("the stream came back")
        .unwrap()
    {
        ids.push(contact.id);
        // A caller slower than each page's deadline: pages fetched ahead must not be charged
        // for the time the caller spends here.
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(ids, [1, 2, 3]);
    flaky.assert_calls_async(1).await;
}
