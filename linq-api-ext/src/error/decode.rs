//! The one mapping of the generated client's failures onto [`Error`] ([`map`]): a declared
//! error body, an undeclared status (its body read, bounded), a success that does not decode, a
//! body that broke off, a transport failure. The engine's calls, [`Error::from_generated`] and
//! the `From` conversion all go through it; they differ only in what they know of the response
//! (a recorded head or none) and in whether they may read an undeclared response's body.

use std::time::Duration;

use linq_api::{types::ErrorBody, ResponseHead};
use reqwest::{header::HeaderMap, StatusCode};

use super::{api::ApiError, BodyFailure, Error};
use crate::http::snippet;

/// How much of an undeclared response's body is read, in bytes.
const BODY_LIMIT: usize = 64 * 1024;

impl Error {
    /// Maps an error of the generated client, reading the body of an undeclared response
    /// (a 5xx, a redirect, …) so that its text is kept. Prefer this over the `From` conversion,
    /// which cannot read bodies.
    pub async fn from_generated(error: linq_api::Error<ErrorBody>) -> Self {
        Self::from_call(error, None, usize::MAX).await
    }

    /// Maps the error of a call run in a [`linq_api::CallContext`] whose bodies were bounded to
    /// `max_body` bytes. Its head holds the response's headers (the generated client's values
    /// then have none) and gives the status of a body that did not decode or could not be read
    /// whole: a declared error status in no known format (the body arrives as sent), or a
    /// success whose answer is unreadable.
    pub(crate) async fn from_call(
        error: linq_api::Error<ErrorBody>,
        head: Option<ResponseHead>,
        max_body: usize,
    ) -> Self {
        map(error, head, max_body).read_body().await
    }
}

/// Converts without reading bodies: an undeclared response keeps its status and headers, not
/// its text. Use [`Error::from_generated`] to keep the text too.
impl From<linq_api::Error<ErrorBody>> for Error {
    fn from(error: linq_api::Error<ErrorBody>) -> Self {
        match map(error, None, usize::MAX) {
            Mapped::Done(error) => error,
            Mapped::Undeclared(response, headers) => {
                ApiError::from_raw(response.status(), headers, b"").into_error()
            }
        }
    }
}

/// What [`map`] made of an error: the error, or an undeclared response whose body is still to
/// be read (with the headers it came with).
enum Mapped {
    Done(Error),
    Undeclared(reqwest::Response, HeaderMap),
}

impl Mapped {
    /// The error, reading an undeclared response's body (bounded) to keep its text.
    async fn read_body(self) -> Error {
        match self {
            Mapped::Done(error) => error,
            Mapped::Undeclared(response, headers) => unexpected_response(response, headers).await,
        }
    }
}

/// The one mapping. `head` is the response's status and headers when a [`linq_api::CallContext`]
/// recorded them (the generated client's values then carry no headers, and a body that did not
/// decode or broke off keeps its status only there); without one, what the error itself holds
/// is used. `max_body` is the bound the body was read under.
fn map(error: linq_api::Error<ErrorBody>, head: Option<ResponseHead>, max_body: usize) -> Mapped {
    use linq_api::Error as E;
    let error = match (error, head) {
        (E::ErrorResponse(value), head) => {
            let (status, headers) = match head {
                Some(head) => (head.status, head.headers),
                None => (value.status(), value.headers().clone()),
            };
            ApiError::from_body(status, headers, value.into_inner()).into_error()
        }
        (E::UnexpectedResponse(response), head) => {
            let headers = match head {
                Some(head) => head.headers,
                None => response.headers().clone(),
            };
            return Mapped::Undeclared(response, headers);
        }
        // A declared error status in neither of Linq's formats (in a call context, the hook
        // leaves its body as sent).
        (E::InvalidResponsePayload(body, _), Some(head)) if !head.status.is_success() => {
            ApiError::from_raw(head.status, head.headers, &body).into_error()
        }
        // Outside a call context the hook makes every declared error body decodable: this was a
        // success whose body is unreadable.
        (E::InvalidResponsePayload(body, source), head) => {
            let (status, headers) = head.map_or((None, HeaderMap::new()), |head| {
                (Some(head.status), head.headers)
            });
            undecodable_success(status, headers, &body, &source)
        }
        // The status arrived, then the body failed: the status says what happened.
        (E::ResponseBodyError(source), Some(head)) => {
            let failure = BodyFailure::of(&source, max_body);
            if head.status.is_success() {
                Error::Decode {
                    status: Some(head.status),
                    failure,
                    message: "no part of it is kept".to_owned(),
                    snippet: String::new(),
                    headers: Box::new(head.headers),
                    attempts: 1,
                    idempotent: false,
                    read: false,
                }
            } else {
                let mut error = ApiError::bare(head.status, head.headers);
                error.0.body_failure = Some(failure);
                error.into_error()
            }
        }
        // The body was cut off, or ran out of time, with no status on record.
        (E::ResponseBodyError(source), None)
        | (E::CommunicationError(source) | E::InvalidUpgrade(source), _) => from_transport(source),
        (E::InvalidRequest(message), _) => Error::invalid("request", message),
        (E::Custom(message), _) => Error::Config(message),
    };
    Mapped::Done(error)
}

/// Maps a status the operation does not declare (a 5xx, a redirect, …), reading at most
/// [`BODY_LIMIT`] bytes of its body: enough for any error body, and a huge page cannot exhaust
/// memory. A body that fails midway keeps what arrived, and says how it failed.
async fn unexpected_response(mut response: reqwest::Response, headers: HeaderMap) -> Error {
    let status = response.status();
    let mut body = Vec::new();
    let mut failure = None;
    while body.len() < BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                failure = Some(BodyFailure::of(&e, usize::MAX));
                break;
            }
        }
    }
    let mut error = ApiError::from_raw(status, headers, &body);
    error.0.body_failure = failure;
    error.into_error()
}

/// A success (the operation took effect) whose body does not decode.
fn undecodable_success(
    status: Option<StatusCode>,
    headers: HeaderMap,
    body: &[u8],
    source: &serde_json::Error,
) -> Error {
    use serde_json::error::Category;
    // serde_json's own message quotes the values it choked on: only the kind and place are
    // shown.
    let what = match source.classify() {
        Category::Io | Category::Syntax => "it is not valid JSON",
        Category::Data => "its JSON is not the shape the operation answers",
        Category::Eof => "its JSON ends early",
    };
    Error::Decode {
        status,
        failure: BodyFailure::Undecodable,
        message: format!(
            "{what} (line {}, column {})",
            source.line(),
            source.column()
        ),
        snippet: snippet(body),
        headers: Box::new(headers),
        attempts: 1,
        idempotent: false,
        read: false,
    }
}

/// Maps a transport error: a request that could not be built, a timeout, or a connection
/// failure that may or may not have let the request out. The request's URL is dropped: a
/// find's carries an email or phone number.
fn from_transport(source: reqwest::Error) -> Error {
    if source.is_builder() {
        return Error::invalid("request", "cannot be built into an HTTP request");
    }
    let source = source.without_url();
    // A connect timeout is both `is_connect` and `is_timeout`: the request never left, which
    // is what matters for retrying a create.
    if source.is_timeout() && !source.is_connect() {
        Error::Timeout {
            attempts: 1,
            elapsed: Duration::ZERO,
            deadline: false,
            idempotent: false,
            read: false,
            not_applied: false,
        }
    } else {
        Error::Connection {
            before_send: source.is_connect(),
            source,
            attempts: 1,
            idempotent: false,
            read: false,
            not_applied: false,
        }
    }
}
