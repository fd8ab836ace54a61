//! Configuration and transport: the token on the wire and nowhere else, the user agent, the
//! base URL, error mapping as a caller sees it.

use httpmock::MockServer;
use linq_api::{mock::MockServerExt, spec};
use linq_api_ext::{Error, ErrorFormat, LinqClient};
use serde_json::json;

use super::{builder, client, contact, id, TOKEN};
use crate::support::{
    contact_not_found, contact_not_found_json, envelope_of, path_of,
    unauthorized_render_error_json, TOKEN_HEADER,
};

#[tokio::test]
async fn sends_the_token_and_user_agent_to_the_base_url_with_a_trailing_slash() {
    let server = MockServer::start_async().await;
    let linq = builder(&server)
        .base_url(format!("{}/", server.base_url()))
        .user_agent_product("crm-sync/2.1")
        .build()
        .unwrap();
    let agent = linq.user_agent().to_owned();
    assert!(agent.starts_with("crm-sync/2.1 linq-api-rust/"), "{agent}");
    let mock = server.get_contact(|when, then| {
        when.id(id(123).into())
            .into_inner()
            .header(TOKEN_HEADER, TOKEN)
            .header("user-agent", agent.as_str())
            .header("accept", "application/json");
        then.ok(&envelope_of(123));
    });
    let got = linq.contacts().get(id(123)).send().await.unwrap();
    assert_eq!(got.id, 123);
    assert_eq!(got.full_name.as_deref(), Some("John Doe"));
    assert_eq!(
        got.contact_owner.as_ref().and_then(|o| o.name.as_deref()),
        Some("Jane Owner")
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_raw_generated_client_is_configured_too() {
    let server = MockServer::start_async().await;
    let mock = server.get_contact(|when, then| {
        when.id(id(123).into()).into_inner().header(TOKEN_HEADER, TOKEN);
        then.ok(&envelope_of(123));
    });
    let linq = client(&server);
    let id = std::num::NonZeroU64::new(123).unwrap();
    let got = linq.raw().get_contact(id).await.unwrap();
    assert_eq!(got.into_inner().data.id, id);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_token_never_follows_a_redirect_to_another_origin() {
    let linq_server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({"data": contact(123)}));
    });
    let location = elsewhere.url(path_of(&spec::GET_CONTACT, 123));
    linq_server.get_contact(|when, then| {
        when.id(id(123).into());
        then.into_inner().status(302).header("location", location.as_str());
    });
    let err = client(&linq_server).contacts().get(id(123)).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus(api) if api.status() == 302),
        "{err:?}"
    );
    stolen.assert_calls_async(0).await;
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_anything_is_sent() {
    let err =
        LinqClient::builder().token(TOKEN).base_url("http://api.linqapp.com").build().unwrap_err();
    assert!(
        matches!(&err, Error::Config(msg) if msg.contains("allow_http")),
        "{err}"
    );
}

#[tokio::test]
async fn the_token_is_in_no_debug_or_display() {
    let server = MockServer::start_async().await;
    server.get_contact(|when, then| {
        when.id(id(123).into());
        then.into_inner().status(503).header("x-request-id", "req-42");
    });
    server.get_contact(|when, then| {
        when.id(id(7).into());
        then.not_found(&contact_not_found());
    });
    let builder = builder(&server);
    let builder_debug = format!("{builder:?}");
    let linq = builder.build().unwrap();
    let server_error = linq.contacts().get(id(123)).send().await.unwrap_err();
    let missing = linq.contacts().get(id(7)).send().await.unwrap_err();
    assert_eq!(server_error.attempts(), 3);
    assert_eq!(server_error.request_id(), Some("req-42"));
    for shown in [
        builder_debug,
        format!("{linq:?}"),
        format!("{server_error:?}"),
        server_error.to_string(),
        format!("{missing:?}"),
        missing.to_string(),
    ] {
        assert!(!shown.contains(TOKEN), "token leaked in: {shown}");
        assert!(!shown.contains("SECRET"), "token leaked in: {shown}");
    }
}

#[tokio::test]
async fn errors_say_what_happened_in_either_format() {
    let server = MockServer::start_async().await;
    server.get_contact(|when, then| {
        when.id(id(1).into());
        let then = then.into_inner().status(404);
        then.header("x-request-id", "req-typed-404").json_body(contact_not_found_json());
    });
    server.get_contact(|when, then| {
        when.id(id(2).into());
        let then = then.into_inner().status(401);
        then.json_body(unauthorized_render_error_json());
    });
    server.get_contact(|when, then| {
        when.id(id(3).into());
        let then = then.into_inner().status(502);
        then.header("content-type", "text/html")
            .body("<html><body><h1>502 Bad Gateway</h1></body></html>");
    });
    server.get_contact(|when, then| {
        when.id(id(4).into());
        let then = then.into_inner().status(404);
        then.header("content-type", "text/html")
            .header("x-request-id", "req-html-404")
            .body("<html>no such route</html>");
    });
    let linq = builder(&server).retry_policy(linq_api_ext::RetryPolicy::none()).build().unwrap();
    let get = |n| {
        let linq = linq.clone();
        async move { linq.contacts().get(id(n)).send().await.unwrap_err() }
    };

    let e = get(1).await;
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(e.error_code(), Some("CONTACT_NOT_FOUND"));
    let api = e.api_error().unwrap();
    assert_eq!(api.format(), ErrorFormat::Standard);
    assert_eq!(api.message(), Some("Contact not found"));
    // The headers of a declared error come through, whichever way its body decoded.
    assert_eq!(e.request_id(), Some("req-typed-404"));
    assert_eq!(e.to_string(), "not found: HTTP 404 Not Found CONTACT_NOT_FOUND: Contact not found (The requested contact does not exist or is not accessible to your organization) [request id req-typed-404]");

    let e = get(2).await;
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert_eq!(e.error_code(), Some("unauthorized"));
    assert_eq!(e.api_error().unwrap().format(), ErrorFormat::RenderError);

    let e = get(3).await;
    assert!(matches!(e, Error::Server(_)), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    assert!(e.api_error().unwrap().body_snippet().unwrap().contains("502 Bad Gateway"));
    assert!(e.is_retryable());

    let e = get(4).await;
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert_eq!(e.error_code(), None);
    assert_eq!(e.request_id(), Some("req-html-404"));
    assert_eq!(
        e.api_error().unwrap().headers()["content-type"],
        "text/html"
    );
    assert_eq!(
        e.api_error().unwrap().body_snippet(),
        Some("<html>no such route</html>")
    );
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn an_undecodable_success_body_is_a_decode_error_with_a_snippet() {
    let server = MockServer::start_async().await;
    let mock = server.get_contact(|when, then| {
        when.id(id(123).into());
        then.into_inner().status(200).body("<html>maintenance</html>");
    });
    let err = client(&server).contacts().get(id(123)).send().await.unwrap_err();
    match &err {
        Error::Decode {
            status,
            snippet,
            attempts,
            ..
        } => {
            // progenitor drops the status of such a response; the client keeps it.
            assert_eq!(*status, Some(reqwest::StatusCode::OK));
            assert_eq!(snippet, "<html>maintenance</html>");
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "unreadable success response (HTTP 200 OK): the body does not decode; it is not valid \
         JSON (line 1, column 1)",
        "a get changed nothing: it never says it took effect"
    );
    assert!(!err.is_retryable());
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_huge_error_page_keeps_a_bounded_snippet() {
    let server = MockServer::start_async().await;
    let page = format!("<html>{}</html>", "x".repeat(4 * 1024 * 1024));
    server.get_contact(|when, then| {
        when.id(id(123).into());
        then.into_inner().status(500).body(page.as_str());
    });
    let err = builder(&server)
        .retry_policy(linq_api_ext::RetryPolicy::none())
        .build()
        .unwrap()
        .contacts()
        .get(id(123))
        .send()
        .await
        .unwrap_err();
    let snippet = err.api_error().unwrap().body_snippet().unwrap();
    assert!(
        snippet.starts_with("<html>xxx") && snippet.len() <= 512,
        "{}",
        snippet.len()
    );
}
