//! The generated `linq-api` client against a local httpmock server: for every operation, what
//! goes out on the wire (method, path, query, token header, JSON body) and what comes back
//! decoded (success bodies, both of Linq's V2 error formats, and bodies in neither format).
//!
//! Each test first asserts that its mock was hit (httpmock prints the closest mismatch when it
//! was not), then inspects the decoded result. The mocks match requests with the typed helpers
//! (`linq_api::mock`), which know each operation's method and path, and answer with raw bodies:
//! what is checked is how the client decodes Linq's documented JSON, not a round trip of its
//! own types.

use chrono::{DateTime, FixedOffset};
use linq_api::{mock::MockServerExt, spec, types, Error};
use serde_json::{json, Value};

use crate::support::{self, id, server_and_client, TOKEN, TOKEN_HEADER};

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test timestamps are RFC 3339")
}

fn owner() -> types::ContactOwner {
    types::ContactOwner {
        id: Some(id(456)),
        email: Some("owner@company.com".into()),
        first_name: Some("Jane".into()),
        last_name: Some("Owner".into()),
        name: Some("Jane Owner".into()),
    }
}

/// John Doe as the generated type must decode him from [`support::john_doe_json`].
fn john() -> types::Contact {
    types::Contact {
        id: id(123),
        first_name: Some("John".into()),
        last_name: Some("Doe".into()),
        full_name: Some("John Doe".into()),
        email: Some("john@example.com".into()),
        phone_number: Some("+15551234567".into()),
        company: Some("Acme Corp".into()),
        title: Some("CEO".into()),
        location: Some("San Francisco, CA".into()),
        image_url: None,
        created_at: Some(at("2025-07-30T10:00:00.000-05:00")),
        updated_at: Some(at("2025-07-30T10:00:00.000-05:00")),
        contact_owner: Some(owner()),
    }
}

/// Jane Smith as the generated type must decode her from [`support::jane_smith_json`].
fn jane() -> types::Contact {
    types::Contact {
        id: id(124),
        first_name: Some("Jane".into()),
        last_name: Some("Smith".into()),
        full_name: Some("Jane Smith".into()),
        email: Some("jane@example.com".into()),
        phone_number: Some("+15559876543".into()),
        company: Some("Tech Corp".into()),
        title: Some("CTO".into()),
        location: Some("New York, NY".into()),
        image_url: None,
        created_at: Some(at("2025-07-29T10:00:00.000-05:00")),
        updated_at: Some(at("2025-07-29T10:00:00.000-05:00")),
        contact_owner: Some(owner()),
    }
}

fn envelope(contact: Value) -> Value {
    json!({ "data": contact })
}

fn create_input() -> types::ContactInput {
    types::ContactInput {
        contact: types::ContactFields {
            first_name: Some("John".into()),
            last_name: Some("Doe".into()),
            email: Some("john@example.com".into()),
            phone_number: Some("+15551234567".into()),
            company: Some("Acme Corp".into()),
            title: Some("CEO".into()),
            location: Some("San Francisco, CA".into()),
        },
        user_email: None,
    }
}

fn email_only_input() -> types::ContactInput {
    types::ContactInput {
        contact: types::ContactFields {
            email: Some("newemail@example.com".into()),
            ..Default::default()
        },
        user_email: None,
    }
}

/// The status, headers and typed body of an `Error::ErrorResponse`; panics on any other error.
fn error_response(
    error: Error<types::ErrorBody>,
) -> (u16, reqwest::header::HeaderMap, types::ErrorBody) {
    match error {
        Error::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.into_inner())
        }
        other => panic!("expected Error::ErrorResponse, got {other:?}"),
    }
}

fn standard_error(body: types::ErrorBody) -> types::StandardError {
    match body {
        types::ErrorBody::StandardError(error) => error,
        other => panic!("expected ErrorBody::StandardError, got {other:?}"),
    }
}

/// A mock of John's GET (id 123) answering `status` with `headers` and the raw `body`: the
/// replies of proxies and gateways, in no format the spec declares.
fn john_answers<'a>(
    server: &'a httpmock::MockServer,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> httpmock::Mock<'a> {
    server.get_contact(|when, then| {
        when.id(id(123));
        let then = then.into_inner().status(status);
        let then = headers.iter().fold(then, |then, (k, v)| then.header(*k, *v));
        then.body(body);
    })
}

fn header<'h>(headers: &'h reqwest::header::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().expect("ASCII header"))
}

// ---------------------------------------------------------------------------------------------
// Requests and successful responses, one operation at a time.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_contacts_sends_paging_query_and_token_and_decodes_the_page() {
    let (server, client) = server_and_client().await;
    let mock = server.list_contacts(|when, then| {
        when.page(id(2))
            .per_page(id(50))
            .into_inner()
            .query_param_count(".*", ".*", 2)
            .header(TOKEN_HEADER, TOKEN)
            .header("accept", "application/json")
            .header("api-version", "2.0.0");
        then.into_inner().status(200).header("content-type", "application/json").json_body(json!({
            "contacts": [support::john_doe_json(), support::jane_smith_json()],
            "pagination": {"current_page": 2, "per_page": 50, "total_pages": 3, "total_count": 102}
        }));
    });

    let result = client.list_contacts(Some(id(2)), Some(id(50))).await;
    mock.assert_async().await;

    let response = result.expect("a 200 page decodes");
    assert_eq!(response.status().as_u16(), 200);
    let page = response.into_inner();
    assert_eq!(page.contacts, vec![john(), jane()]);
    assert_eq!(
        page.pagination,
        types::Pagination {
            current_page: 2,
            per_page: 50,
            total_pages: 3,
            total_count: 102
        }
    );
}

#[tokio::test]
async fn list_contacts_without_paging_sends_no_query_parameters() {
    let (server, client) = server_and_client().await;
    let mock = server.list_contacts(|when, then| {
        when.page(None).per_page(None).into_inner().header(TOKEN_HEADER, TOKEN);
        then.into_inner().status(200).json_body(json!({
            "contacts": [],
            "pagination": {"current_page": 1, "per_page": 25, "total_pages": 0, "total_count": 0}
        }));
    });

    let result = client.list_contacts(None, None).await;
    mock.assert_async().await;

    let page = result.expect("an empty page decodes").into_inner();
    assert!(page.contacts.is_empty());
    assert_eq!(page.pagination.per_page, 25);
    assert_eq!(page.pagination.total_count, 0);
}

#[tokio::test]
async fn create_contact_posts_the_documented_body_and_decodes_201_or_200() {
    for status in [201, 200] {
        let (server, client) = server_and_client().await;
        let mock = server.create_contact(|when, then| {
            when.into_inner()
                .header(TOKEN_HEADER, TOKEN)
                .header("content-type", "application/json")
                // Exact match: the documented body, and no `null`s for the fields not set.
                .json_body(support::create_request_json());
            then.into_inner()
                .status(status)
                .header("content-type", "application/json")
                .json_body(envelope(support::john_doe_json()));
        });

        let result = client.create_contact(&create_input()).await;
        mock.assert_async().await;

        let response = result.expect("a 201 or a 200 decodes");
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response.into_inner(),
            types::ContactEnvelope { data: john() }
        );
    }
}

#[tokio::test]
async fn create_contact_sends_user_email_beside_contact_not_inside_it() {
    let (server, client) = server_and_client().await;
    let mock = server.create_contact(|when, then| {
        when.into_inner().json_body(json!({
            "contact": {"first_name": "John", "email": "john@example.com"},
            "user_email": "owner@company.com"
        }));
        then.into_inner().status(201).json_body(envelope(support::john_doe_json()));
    });

    let input = types::ContactInput {
        contact: types::ContactFields {
            first_name: Some("John".into()),
            email: Some("john@example.com".into()),
            ..Default::default()
        },
        user_email: Some("owner@company.com".into()),
    };
    let result = client.create_contact(&input).await;
    mock.assert_async().await;

    let contact = result.expect("a 201 decodes").into_inner().data;
    assert_eq!(
        contact.contact_owner.and_then(|o| o.email).as_deref(),
        Some("owner@company.com")
    );
}

#[tokio::test]
async fn find_contact_sends_exactly_the_query_given_and_decodes_a_hit_or_a_miss() {
    let hit = || types::FindContactResult::Contact(john());
    let miss = types::FindContactResult::FindContactMiss(types::FindContactMiss { contact: None });
    let cases = [
        // A hit is the bare contact; a miss is `contact: null`.
        (
            Some("john@example.com"),
            None,
            support::john_doe_json(),
            hit(),
        ),
        (
            Some("nobody@example.com"),
            None,
            json!({ "contact": null }),
            miss,
        ),
        // `+` must be percent-encoded (a raw `+` in a query reads as a space); spaces and
        // parentheses must survive too. httpmock compares decoded values.
        (None, Some("+15551234567"), support::john_doe_json(), hit()),
        (
            None,
            Some("(555) 123-4567"),
            support::john_doe_json(),
            hit(),
        ),
        (None, Some("555-123-4567"), support::john_doe_json(), hit()),
        // Both at once.
        (
            Some("john@example.com"),
            Some("+15551234567"),
            support::john_doe_json(),
            hit(),
        ),
    ];
    for (email, phone, answer, expected) in cases {
        let (server, client) = server_and_client().await;
        // A parameter not given must be absent from the query.
        let mock = server.find_contact(|when, then| {
            when.email(email).phone_number(phone).into_inner().header(TOKEN_HEADER, TOKEN);
            then.into_inner().status(200).json_body(answer);
        });

        let result = client.find_contact(email, phone).await;
        mock.assert_async().await;

        let found = result.expect("a 200 decodes").into_inner();
        assert_eq!(found, expected, "email {email:?}, phone {phone:?}");
    }
}

#[tokio::test]
async fn get_contact_decodes_the_envelope() {
    let (server, client) = server_and_client().await;
    let mock = server.get_contact(|when, then| {
        when.id(id(123)).into_inner().header(TOKEN_HEADER, TOKEN).header("api-version", "2.0.0");
        then.into_inner().status(200).json_body(envelope(support::john_doe_json()));
    });

    let result = client.get_contact(id(123)).await;
    mock.assert_async().await;

    let envelope = result.expect("a 200 decodes").into_inner();
    // Linq's offset is kept, not converted to UTC.
    let created = envelope.data.created_at.expect("documented");
    assert_eq!(created.to_rfc3339(), "2025-07-30T10:00:00-05:00");
    assert_eq!(envelope, types::ContactEnvelope { data: john() });
}

#[tokio::test]
async fn update_and_patch_contact_send_the_documented_body_with_their_method() {
    let mut updated = support::john_doe_json();
    updated["email"] = json!("newemail@example.com");
    for op in [spec::UPDATE_CONTACT, spec::PATCH_CONTACT] {
        let (server, client) = server_and_client().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(op.method)
                    .path(support::path_of(&op, 123))
                    .header(TOKEN_HEADER, TOKEN)
                    .header("content-type", "application/json")
                    .json_body(support::update_email_only_json());
                then.status(200).json_body(envelope(updated.clone()));
            })
            .await;

        let result = match op.method {
            "PUT" => client.update_contact(id(123), &email_only_input()).await,
            _ => client.patch_contact(id(123), &email_only_input()).await,
        };
        mock.assert_async().await;

        let contact = result.expect("a 200 decodes").into_inner().data;
        let expected = types::Contact {
            email: Some("newemail@example.com".into()),
            ..john()
        };
        assert_eq!(contact, expected, "{}", op.method);
    }
}

#[tokio::test]
async fn delete_contact_succeeds_on_204_and_on_200_with_a_body() {
    for (status, body) in [
        (204, None),
        (200, Some(json!({"message": "Contact deleted"}))),
    ] {
        let (server, client) = server_and_client().await;
        let mock = server.delete_contact(|when, then| {
            when.id(id(123)).into_inner().header(TOKEN_HEADER, TOKEN);
            let then = then.into_inner().status(status);
            if let Some(body) = body {
                then.json_body(body);
            }
        });

        let result = client.delete_contact(id(123)).await;
        mock.assert_async().await;
        assert_eq!(result.expect("it succeeds").status().as_u16(), status);
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn contact_not_found_decodes_as_standard_error_on_every_id_operation() {
    let (server, client) = server_and_client().await;
    let expected = types::StandardError {
        status: Some("error".into()),
        error_code: "CONTACT_NOT_FOUND".into(),
        message: Some("Contact not found".into()),
        errors: vec![
            "The requested contact does not exist or is not accessible to your organization".into(),
        ],
    };

    let ops = [
        spec::GET_CONTACT,
        spec::UPDATE_CONTACT,
        spec::PATCH_CONTACT,
        spec::DELETE_CONTACT,
    ];
    for op in ops {
        let mock = server
            .mock_async(|when, then| {
                when.method(op.method).path(support::path_of(&op, 999));
                then.status(404)
                    .header("content-type", "application/json")
                    .json_body(support::contact_not_found_json());
            })
            .await;

        let result = match op.method {
            "GET" => client.get_contact(id(999)).await.map(|_| ()),
            "PUT" => client.update_contact(id(999), &email_only_input()).await.map(|_| ()),
            "PATCH" => client.patch_contact(id(999), &email_only_input()).await.map(|_| ()),
            "DELETE" => client.delete_contact(id(999)).await.map(|_| ()),
            _ => unreachable!(),
        };
        mock.assert_async().await;
        mock.delete_async().await;

        let error = result.expect_err("a 404 is an error");
        let (status, _, body) = error_response(error);
        assert_eq!(status, 404, "{}", op.method);
        assert_eq!(standard_error(body), expected, "{}", op.method);
    }
}

#[tokio::test]
async fn validation_error_on_create_decodes_as_standard_error() {
    let (server, client) = server_and_client().await;
    let mock = server.create_contact(|when, then| {
        when.into_inner().json_body(json!({"contact": {}}));
        then.into_inner().status(422).json_body(support::validation_error_json());
    });

    let empty = types::ContactInput {
        contact: types::ContactFields::default(),
        user_email: None,
    };
    let result = client.create_contact(&empty).await;
    mock.assert_async().await;

    let (status, _, body) = error_response(result.expect_err("a 422 is an error"));
    assert_eq!(status, 422);
    let error = standard_error(body);
    assert_eq!(error.error_code, "VALIDATION_ERROR");
    assert_eq!(error.status.as_deref(), Some("error"));
    assert_eq!(error.message.as_deref(), Some("Contact validation failed"));
    assert_eq!(
        error.errors,
        vec!["At least one of the name, email, or phone number fields must be filled out for the contact"]
    );
}

#[tokio::test]
async fn render_error_format_decodes_as_error_body_error() {
    let (server, client) = server_and_client().await;
    let mock = server.list_contacts(|_, then| {
        then.into_inner().status(401).json_body(support::unauthorized_render_error_json());
    });

    let result = client.list_contacts(None, None).await;
    mock.assert_async().await;

    let (status, _, body) = error_response(result.expect_err("a 401 is an error"));
    assert_eq!(status, 401);
    assert_eq!(
        body,
        types::ErrorBody::Error(types::Error {
            errors: vec![types::ErrorItem {
                status: Some(401),
                code: Some("unauthorized".into()),
                title: Some("Unauthorized".into()),
                detail: Some("Invalid integration token".into()),
            }]
        })
    );
}

#[tokio::test]
async fn unknown_json_error_shape_keeps_status_and_the_json_as_sent() {
    let (server, client) = server_and_client().await;
    let raw = support::v3_rate_limited_json().to_string();
    let mock = server.list_contacts(|_, then| {
        then.into_inner()
            .status(429)
            .header("content-type", "application/json")
            .header("retry-after", "45")
            .body(&raw);
    });

    let result = client.list_contacts(None, None).await;
    mock.assert_async().await;

    let (status, headers, body) = error_response(result.expect_err("a 429 is an error"));
    assert_eq!(status, 429);
    assert_eq!(header(&headers, "retry-after"), Some("45"));
    match body {
        types::ErrorBody::UnrecognizedError(json) => {
            assert_eq!(json, support::v3_rate_limited_json())
        }
        other => panic!("expected ErrorBody::UnrecognizedError, got {other:?}"),
    }
}

#[tokio::test]
async fn html_error_page_under_404_keeps_status_headers_and_text() {
    let (server, client) = server_and_client().await;
    let html = "<html><body><h1>404 Not Found</h1><p>nginx says \"no\"</p></body></html>";
    let mock = john_answers(
        &server,
        404,
        &[
            ("content-type", "text/html"),
            ("x-request-id", "req-html-404"),
        ],
        html,
    );

    let result = client.get_contact(id(123)).await;
    mock.assert_async().await;

    let (status, headers, body) = error_response(result.expect_err("a 404 is an error"));
    assert_eq!(status, 404);
    assert_eq!(header(&headers, "content-type"), Some("text/html"));
    assert_eq!(header(&headers, "x-request-id"), Some("req-html-404"));
    assert_eq!(
        body,
        types::ErrorBody::UnrecognizedError(Value::String(html.to_string()))
    );
}

#[tokio::test]
async fn empty_error_body_under_422_keeps_status_and_headers() {
    let (server, client) = server_and_client().await;
    let mock = server.patch_contact(|when, then| {
        when.id(id(123));
        then.into_inner().status(422).header("x-request-id", "req-empty-422");
    });

    let result = client.patch_contact(id(123), &email_only_input()).await;
    mock.assert_async().await;

    let (status, headers, body) = error_response(result.expect_err("a 422 is an error"));
    assert_eq!(status, 422);
    assert_eq!(header(&headers, "x-request-id"), Some("req-empty-422"));
    assert_eq!(
        body,
        types::ErrorBody::UnrecognizedError(Value::String(String::new()))
    );
}

#[tokio::test]
async fn a_call_context_leaves_error_bodies_as_sent_and_reports_their_status() {
    let (server, client) = server_and_client().await;
    let html = "<html><body><h1>404 Not Found</h1></body></html>";
    let mock = john_answers(&server, 404, &[("x-request-id", "req-head-404")], html);

    let (result, head) = linq_api::CallContext::new().run(client.get_contact(id(123))).await;
    match result.expect_err("a 404 is an error") {
        // Not re-wrapped: the body exactly as it arrived.
        Error::InvalidResponsePayload(body, _) => assert_eq!(&body[..], html.as_bytes()),
        other => panic!("expected Error::InvalidResponsePayload, got {other:?}"),
    }
    let head = head.expect("a response arrived");
    assert_eq!(head.status, 404);
    assert_eq!(header(&head.headers, "x-request-id"), Some("req-head-404"));

    // Outside it the same reply is re-wrapped again, and keeps its status that way.
    let (status, _, body) = error_response(client.get_contact(id(123)).await.unwrap_err());
    assert_eq!(status, 404);
    assert_eq!(
        body,
        types::ErrorBody::UnrecognizedError(Value::String(html.to_string()))
    );
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_call_context_gives_the_status_of_an_undecodable_success() {
    let (server, client) = server_and_client().await;
    let mock = john_answers(
        &server,
        200,
        &[("x-request-id", "req-head-200")],
        "<html>maintenance</html>",
    );

    let (result, head) = linq_api::CallContext::new().run(client.get_contact(id(123))).await;
    mock.assert_async().await;
    assert!(
        matches!(result, Err(Error::InvalidResponsePayload(..))),
        "{result:?}"
    );
    let head = head.expect("a response arrived");
    assert_eq!(head.status, 200);
    assert_eq!(header(&head.headers, "x-request-id"), Some("req-head-200"));

    // No response, no head.
    let (_held, addr) = support::refusing_port();
    let down = support::generated_client(&format!("http://{addr}"));
    let (result, head) = linq_api::CallContext::new().run(down.get_contact(id(123))).await;
    assert!(
        matches!(result, Err(Error::CommunicationError(_))),
        "{result:?}"
    );
    assert!(head.is_none());
}

#[tokio::test]
async fn a_call_context_timeout_bounds_the_request() {
    let (server, client) = server_and_client().await;
    server.get_contact(|when, then| {
        when.id(id(123));
        then.into_inner()
            .status(200)
            .header("x-request-id", "req-slow")
            .json_body(envelope(support::john_doe_json()))
            .delay(std::time::Duration::from_millis(500));
    });

    let (result, head) = linq_api::CallContext::new()
        .timeout(std::time::Duration::from_millis(50))
        .run(client.get_contact(id(123)))
        .await;
    match result {
        Err(Error::CommunicationError(e)) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(head.is_none());
    // Without it, the same call waits for the answer.
    let (result, head) = linq_api::CallContext::new().run(client.get_contact(id(123))).await;
    let value = result.expect("answered");
    // The headers are moved to the head rather than copied into the value.
    assert!(value.headers().is_empty());
    assert_eq!(value.into_inner().data, john());
    let head = head.expect("a response arrived");
    assert_eq!(head.status, 200);
    assert_eq!(header(&head.headers, "x-request-id"), Some("req-slow"));
}

#[tokio::test]
async fn html_502_is_an_unexpected_response_with_a_readable_body() {
    let (server, client) = server_and_client().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let mock = john_answers(
        &server,
        502,
        &[("content-type", "text/html"), ("x-request-id", "req-502")],
        html,
    );

    let result = client.get_contact(id(123)).await;
    mock.assert_async().await;

    let error = result.expect_err("a 502 is an error");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.is_retryable(), "a 502 is retryable");
    match error {
        Error::UnexpectedResponse(response) => {
            assert_eq!(response.status().as_u16(), 502);
            assert_eq!(header(response.headers(), "x-request-id"), Some("req-502"));
            assert_eq!(response.text().await.expect("the body is readable"), html);
        }
        other => panic!("expected Error::UnexpectedResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn undeclared_4xx_is_an_unexpected_response_that_keeps_its_status() {
    // List declares no 404; a proxy's 404 must still say 404, and its body arrives untouched:
    // linq-api's response hook only re-wraps bodies of the error statuses an operation declares.
    let (server, client) = server_and_client().await;
    let mock = server.list_contacts(|_, then| {
        then.into_inner()
            .status(404)
            .header("content-type", "text/html")
            .header("x-request-id", "req-undeclared")
            .body("<html>not here</html>");
    });

    let result = client.list_contacts(None, None).await;
    mock.assert_async().await;

    match result.expect_err("a 404 is an error") {
        Error::UnexpectedResponse(response) => {
            assert_eq!(response.status().as_u16(), 404);
            assert_eq!(
                header(response.headers(), "x-request-id"),
                Some("req-undeclared")
            );
            assert_eq!(response.text().await.unwrap(), "<html>not here</html>");
        }
        other => panic!("expected Error::UnexpectedResponse, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Response headers and the token.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn custom_response_headers_are_visible_on_success_and_on_error_response() {
    let (server, client) = server_and_client().await;
    let ok = server.get_contact(|when, then| {
        when.id(id(123));
        then.into_inner()
            .status(200)
            .header("x-request-id", "req-ok-1")
            .json_body(envelope(support::john_doe_json()));
    });
    let not_found = server.get_contact(|when, then| {
        when.id(id(999));
        then.into_inner()
            .status(404)
            .header("x-request-id", "req-404-2")
            .json_body(support::contact_not_found_json());
    });

    let success = client.get_contact(id(123)).await;
    let failure = client.get_contact(id(999)).await;
    ok.assert_async().await;
    not_found.assert_async().await;

    let success = success.expect("a 200 decodes");
    assert_eq!(header(success.headers(), "x-request-id"), Some("req-ok-1"));
    let (status, headers, body) = error_response(failure.expect_err("a 404 is an error"));
    assert_eq!(status, 404);
    assert_eq!(header(&headers, "x-request-id"), Some("req-404-2"));
    assert_eq!(standard_error(body).error_code, "CONTACT_NOT_FOUND");
}

#[tokio::test]
async fn the_token_is_never_printed_by_debug() {
    let (server, client) = server_and_client().await;
    let printed = format!("{client:?}");
    // The client is printed (with its default headers) but the token value is not.
    assert!(printed.contains(&server.base_url()), "{printed}");
    assert!(
        printed.to_ascii_lowercase().contains(&TOKEN_HEADER.to_ascii_lowercase()),
        "{printed}"
    );
    assert!(!printed.contains(TOKEN), "the token leaked: {printed}");
}

#[tokio::test]
async fn a_huge_declared_error_body_is_read_only_up_to_a_limit() {
    // A proxy streaming a 4 MiB page under a declared 404: the hook keeps the status and the
    // start of the text, and does not buffer the whole body.
    let (server, client) = server_and_client().await;
    let page = format!("<html>{}</html>", "x".repeat(4 * 1024 * 1024));
    john_answers(&server, 404, &[], &page);
    match client.get_contact(id(123)).await.expect_err("a 404") {
        Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 404);
            match response.into_inner() {
                types::ErrorBody::UnrecognizedError(Value::String(text)) => {
                    assert!(text.starts_with("<html>xxx"));
                    assert_eq!(text.len(), 64 * 1024);
                }
                other => panic!("expected the raw text, got {other:?}"),
            }
        }
        other => panic!("expected Error::ErrorResponse, got {other:?}"),
    }
}

// Webhook Subscriptions and webhook events.

fn known(name: types::KnownWebhookEventType) -> types::WebhookEventType {
    types::WebhookEventType::KnownWebhookEventType(name)
}

/// D's request example, as the generated type.
fn subscription_input() -> types::WebhookSubscriptionRequest {
    types::WebhookSubscriptionRequest {
        webhook_subscription: types::WebhookSubscriptionInput {
            webhook_url: "https://example.com/webhooks/linq".into(),
            version: types::WebhookSubscriptionInputVersion::try_from(2)
                .expect("2 is the spec's only version"),
            secret: Some("your-webhook-secret-key".into()),
            active: Some(true),
            events: vec![
                known(types::KnownWebhookEventType::MessageSent),
                known(types::KnownWebhookEventType::MessageReceived),
            ],
        },
    }
}

fn subscription_json() -> Value {
    json!({
        "id": 123,
        "webhook_url": "https://example.com/webhooks/linq",
        "version": 2,
        "events": ["message.sent", "message.received"],
        "active": true,
        "secret_configured": true,
        "last_delivered_at": null,
        "delivery_attempts": 0,
        "created_at": "2025-07-30T10:00:00.000-05:00",
        "updated_at": "2025-07-30T10:00:00.000-05:00"
    })
}

#[tokio::test]
async fn list_webhook_subscriptions_decodes_the_documented_list_with_its_z_timestamp() {
    let (server, client) = server_and_client().await;
    let mock = server.list_webhook_subscriptions(|when, then| {
        when.into_inner().header(TOKEN_HEADER, TOKEN);
        then.into_inner().status(200).header("content-type", "application/json").json_body(
            json!({"webhook_subscriptions": [{
                "id": 123,
                "webhook_url": "https://webhook.example.com/linq",
                "version": 2,
                "events": ["message.sent", "message.received", "call.completed"],
                "active": true,
                "secret_configured": true,
                "last_delivered_at": "2024-01-15T10:30:00Z",
                "delivery_attempts": 42
            }]}),
        );
    });

    let result = client.list_webhook_subscriptions().await;
    mock.assert_async().await;

    let list = result.expect("the documented list decodes").into_inner();
    assert_eq!(list.webhook_subscriptions.len(), 1);
    let subscription = &list.webhook_subscriptions[0];
    assert_eq!(subscription.id, id(123));
    assert_eq!(
        subscription.events,
        vec![
            known(types::KnownWebhookEventType::MessageSent),
            known(types::KnownWebhookEventType::MessageReceived),
            known(types::KnownWebhookEventType::CallCompleted),
        ]
    );
    assert_eq!(
        subscription.last_delivered_at,
        Some(at("2024-01-15T10:30:00+00:00"))
    );
    assert_eq!(subscription.delivery_attempts, Some(42));
    assert_eq!(subscription.created_at, None);
    assert_eq!(subscription.updated_at, None);
}

#[tokio::test]
async fn create_webhook_subscription_posts_the_wrapped_body_and_decodes_201() {
    let (server, client) = server_and_client().await;
    let mock = server.create_webhook_subscription(|when, then| {
        when.into_inner()
            .header(TOKEN_HEADER, TOKEN)
            .header("content-type", "application/json")
            // Exactly D's request example: wrapped in `webhook_subscription`.
            .json_body(json!({"webhook_subscription": {
                "webhook_url": "https://example.com/webhooks/linq",
                "version": 2,
                "secret": "your-webhook-secret-key",
                "active": true,
                "events": ["message.sent", "message.received"]
            }}));
        then.into_inner()
            .status(201)
            .header("content-type", "application/json")
            .json_body(json!({ "webhook_subscription": subscription_json() }));
    });

    let result = client.create_webhook_subscription(&subscription_input()).await;
    mock.assert_async().await;

    let response = result.expect("a 201 decodes");
    assert_eq!(response.status().as_u16(), 201);
    let created = response.into_inner().webhook_subscription;
    assert_eq!(created.id, id(123));
    assert_eq!(created.secret_configured, Some(true));
    assert_eq!(created.last_delivered_at, None);
}

#[tokio::test]
async fn update_webhook_subscription_puts_to_its_id_and_delete_succeeds_on_204() {
    let (server, client) = server_and_client().await;
    let put = server.update_webhook_subscription(|when, then| {
        when.webhook_subscription_id(id(123))
            .body(&subscription_input())
            .into_inner()
            .header(TOKEN_HEADER, TOKEN);
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(json!({ "webhook_subscription": subscription_json() }));
    });
    let delete = server.delete_webhook_subscription(|when, then| {
        when.webhook_subscription_id(id(123)).into_inner().header(TOKEN_HEADER, TOKEN);
        then.no_content();
    });

    let updated = client.update_webhook_subscription(id(123), &subscription_input()).await;
    put.assert_async().await;
    assert_eq!(
        updated.expect("a 200 decodes").into_inner().webhook_subscription.id,
        id(123)
    );
    let deleted = client.delete_webhook_subscription(id(123)).await;
    delete.assert_async().await;
    assert_eq!(deleted.expect("a 204 succeeds").status().as_u16(), 204);
}

#[tokio::test]
async fn an_unknown_subscription_is_a_typed_standard_error() {
    let (server, client) = server_and_client().await;
    let mock = server.delete_webhook_subscription(|when, then| {
        when.webhook_subscription_id(id(9));
        then.into_inner().status(404).header("content-type", "application/json").json_body(json!({
            "status": "error",
            "error_code": "WEBHOOK_SUBSCRIPTION_NOT_FOUND",
            "message": "Webhook subscription not found",
            "errors": ["gone"]
        }));
    });
    let error = client.delete_webhook_subscription(id(9)).await.expect_err("a 404");
    mock.assert_async().await;
    let (status, _, body) = error_response(error);
    assert_eq!(status, 404);
    assert_eq!(
        standard_error(body).error_code,
        "WEBHOOK_SUBSCRIPTION_NOT_FOUND"
    );
}

#[test]
fn an_unknown_subscription_event_name_decodes_and_keeps_its_name() {
    let mut subscription = subscription_json();
    subscription["events"] = json!(["contact.created", "contact.merged"]);
    let decoded: types::WebhookSubscription =
        serde_json::from_value(subscription.clone()).expect("an unknown event name decodes");
    assert_eq!(
        decoded.events[0],
        known(types::KnownWebhookEventType::ContactCreated)
    );
    match &decoded.events[1] {
        types::WebhookEventType::OtherWebhookEventType(other) => {
            assert_eq!(other.as_str(), "contact.merged")
        }
        known => panic!("contact.merged decoded as a known name: {known:?}"),
    }
    // Written back as it came.
    assert_eq!(
        serde_json::to_value(&decoded).expect("serialises")["events"],
        json!(["contact.created", "contact.merged"])
    );
    // A known name is never taken for an unknown one, in either direction.
    assert!(types::OtherWebhookEventType::try_from("contact.created".to_owned()).is_err());
    let chat: types::WebhookEventType =
        serde_json::from_value(json!("chat.created")).expect("decodes");
    assert_eq!(chat, known(types::KnownWebhookEventType::ChatCreated));
}

#[test]
fn contact_events_decode_into_their_typed_variants() {
    let created = json!({
        "api_version": "v2",
        "created_at": "2025-07-30T10:00:00-06:00",
        "data": support::john_doe_json(),
        "event_id": "wh_evt_contact_123",
        "event_type": "contact.created"
    });
    match serde_json::from_value::<types::WebhookEvent>(created).expect("decodes") {
        types::WebhookEvent::ContactCreatedEvent(event) => {
            assert_eq!(event.data, john());
            assert_eq!(event.event_id, "wh_evt_contact_123");
            assert_eq!(event.created_at, at("2025-07-30T10:00:00-06:00"));
        }
        other => panic!("not a contact.created: {other:?}"),
    }
    let deleted = json!({
        "api_version": "v2",
        "created_at": "2025-07-30T10:00:00-06:00",
        "data": {"id": 123},
        "event_id": "wh_evt_contact_deleted_123",
        "event_type": "contact.deleted"
    });
    match serde_json::from_value::<types::WebhookEvent>(deleted).expect("decodes") {
        types::WebhookEvent::ContactDeletedEvent(event) => assert_eq!(event.data.id, id(123)),
        other => panic!("not a contact.deleted: {other:?}"),
    }
}

#[test]
fn an_unknown_event_type_decodes_with_its_name_and_data() {
    let event = json!({
        "api_version": "v2",
        "created_at": "2025-07-30T10:00:00-06:00",
        "data": {"chat_id": 77, "nested": {"kept": [1, 2]}},
        "event_id": "wh_evt_77",
        "event_type": "chat.archived"
    });
    let decoded: types::WebhookEvent =
        serde_json::from_value(event.clone()).expect("an unknown event type decodes");
    match &decoded {
        types::WebhookEvent::OtherWebhookEvent(other) => {
            assert_eq!(other.event_type.as_str(), "chat.archived");
            assert_eq!(other.data, Some(event["data"].clone()));
            assert_eq!(other.event_id.as_deref(), Some("wh_evt_77"));
        }
        typed => panic!("decoded as a typed event: {typed:?}"),
    }
    assert_eq!(serde_json::to_value(&decoded).expect("serialises"), event);
}

#[test]
fn a_contact_event_whose_data_does_not_decode_is_an_error_not_an_other_event() {
    // The fallback excludes the typed names, so a broken contact.created cannot hide in it.
    let broken = json!({
        "api_version": "v2",
        "created_at": "2025-07-30T10:00:00-06:00",
        "data": {"first_name": "no id"},
        "event_id": "wh_evt_1",
        "event_type": "contact.created"
    });
    assert!(serde_json::from_value::<types::WebhookEvent>(broken).is_err());
}
