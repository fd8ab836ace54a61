//! Linq's error bodies: the two V2 formats (`render_standard_error`, `render_error`), the V3
//! shape, and anything else (an HTML page from a proxy, an empty body), read into [`ApiError`].

use std::{fmt, time::Duration};

use linq_api::types::ErrorBody;
use reqwest::{header::HeaderMap, StatusCode};
use serde::Deserialize;

use crate::http::{request_id_in, retry_after_from_headers, snippet, LogSafe};

/// What went wrong with a response body whose status had arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyFailure {
    /// It arrived whole but is not what the operation answers.
    Undecodable,
    /// It broke off: the connection closed or failed before its end.
    Cut,
    /// It stalled: the attempt's timeout or the total deadline ran out while it was read.
    TimedOut,
    /// It grew beyond the client's limit on a response body
    /// ([`LinqClientBuilder::max_response_body`](crate::LinqClientBuilder::max_response_body)),
    /// and was not read further.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl fmt::Display for BodyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyFailure::Undecodable => f.write_str("the body does not decode"),
            BodyFailure::Cut => f.write_str("the body broke off"),
            BodyFailure::TimedOut => f.write_str("the body timed out"),
            BodyFailure::TooLarge { limit } => {
                write!(f, "the body is larger than the limit of {limit} bytes")
            }
        }
    }
}

impl BodyFailure {
    /// What a failed body read was.
    pub(crate) fn of(source: &reqwest::Error, limit: usize) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source);
        while let Some(error) = cause {
            if error.is::<http_body_util::LengthLimitError>() {
                return BodyFailure::TooLarge { limit };
            }
            cause = error.source();
        }
        if source.is_timeout() {
            BodyFailure::TimedOut
        } else {
            BodyFailure::Cut
        }
    }

    /// Whether reading the same answer again may work (a connection or server hiccup).
    pub(crate) fn is_transient(self) -> bool {
        matches!(self, BodyFailure::Cut | BodyFailure::TimedOut)
    }
}

/// What the message of a failed create adds: when the create may have taken effect (the only
/// operation that is not idempotent; an error whose operation is unknown counts as one), how to
/// find out, since it is never re-sent; when a look-up afterwards showed that it did not, that.
pub(crate) fn effect_note(create_may_have_taken_effect: bool, not_applied: bool) -> &'static str {
    if not_applied {
        "; a look-up afterwards found no such contact: it was not created"
    } else if create_may_have_taken_effect {
        "; the contact may have been created: look it up with contacts().find() before \
         creating it again, or create through contacts().find_or_create(), which does that itself"
    } else {
        ""
    }
}

/// Which of the known formats an error body was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorFormat {
    /// Linq V2's `render_standard_error` (`{"status":"error","error_code":…}`), used by Contacts.
    Standard,
    /// Linq V2's `render_error` (`{"errors":[{"status":404,"code":…}]}`).
    RenderError,
    /// Linq V3's shape (`{"success":false,"error":{…}}`).
    V3,
    /// Anything else: other JSON, an HTML page, an empty body. See [`ApiError::body_snippet`].
    Unrecognized,
}

/// The details of an HTTP error response from Linq.
#[derive(Clone)]
pub struct ApiError(pub(super) Box<Details>);

/// What [`ApiError`] holds, boxed so that [`Error`] stays small.
#[derive(Clone)]
pub(super) struct Details {
    pub(super) status: StatusCode,
    pub(super) format: ErrorFormat,
    pub(super) error_code: Option<String>,
    pub(super) message: Option<String>,
    pub(super) details: Vec<String>,
    /// The wait a V3 body asked for (the headers' hint is read from `headers` when asked).
    pub(super) body_retry_after: Option<Duration>,
    pub(super) body_snippet: Option<String>,
    /// How the body failed to arrive whole, if it did.
    pub(super) body_failure: Option<BodyFailure>,
    pub(super) headers: HeaderMap,
    pub(super) attempts: u32,
    /// Whether the operation is idempotent (false when unknown).
    pub(super) idempotent: bool,
    /// Whether the operation only reads (false when unknown).
    pub(super) read: bool,
    /// Whether a look-up after the failure showed that the request did not take effect.
    pub(super) not_applied: bool,
    /// Whether the total deadline left no time for another attempt after this reply.
    pub(super) stopped_by_deadline: bool,
}

impl ApiError {
    /// Whether this reply leaves the request's effect open: a 5xx or a 408 to an operation that
    /// writes, unless a look-up afterwards showed it was not applied
    /// ([`Error::may_have_taken_effect`](super::Error::may_have_taken_effect) for an API error).
    pub(crate) fn may_have_taken_effect(&self) -> bool {
        !self.0.read
            && !self.0.not_applied
            && (self.0.status.is_server_error() || self.0.status == StatusCode::REQUEST_TIMEOUT)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The error format the body was in.
    pub fn format(&self) -> ErrorFormat {
        self.0.format
    }

    /// Linq's error code: `error_code` of the standard format, `code` of the first
    /// render_error item, or the V3 numeric code as text.
    pub fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }

    /// Linq's message (or the render_error `title`).
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The detail strings (`errors` of the standard format, `detail` of each render_error item).
    pub fn details(&self) -> &[String] {
        &self.0.details
    }

    /// The request id from the response headers, if any.
    pub fn request_id(&self) -> Option<&str> {
        // Looked up when asked: most errors are handled without it.
        request_id_in(&self.0.headers)
    }

    /// How long the server asked to wait (`retry-after-ms`, `Retry-After` in seconds or as an
    /// HTTP date — then the time left until it — or the V3 body's `retry_after`).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after_from_headers(&self.0.headers).or(self.0.body_retry_after)
    }

    /// For a body in no known format: its start, at most 512 bytes.
    pub fn body_snippet(&self) -> Option<&str> {
        self.0.body_snippet.as_deref()
    }

    /// How the body failed to arrive whole (it broke off, stalled or was too large), if it
    /// did. The status and headers arrived all the same.
    pub fn body_failure(&self) -> Option<BodyFailure> {
        self.0.body_failure
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// How many attempts the call made.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// From a body the generated client decoded.
    pub(crate) fn from_body(status: StatusCode, headers: HeaderMap, body: ErrorBody) -> Self {
        let mut error = Self::bare(status, headers);
        match body {
            ErrorBody::StandardError(e) => {
                error.0.format = ErrorFormat::Standard;
                error.0.error_code = Some(e.error_code);
                error.0.message = e.message;
                error.0.details = e.errors;
            }
            ErrorBody::Error(e) => {
                error.0.format = ErrorFormat::RenderError;
                error.0.error_code = e.errors.iter().find_map(|i| i.code.clone());
                error.0.message = e.errors.iter().find_map(|i| i.title.clone());
                error.0.details = e.errors.into_iter().filter_map(|i| i.detail).collect();
            }
            // The hook of the generated client wraps bodies that are not JSON as text.
            ErrorBody::UnrecognizedError(serde_json::Value::String(text)) => {
                let json = serde_json::from_str(&text).ok();
                error.read_unrecognized(json.as_ref(), text.as_bytes())
            }
            // Other JSON in neither V2 format (Linq's V3 shape, say).
            ErrorBody::UnrecognizedError(other) => {
                error.read_unrecognized(Some(&other), other.to_string().as_bytes())
            }
        }
        error
    }

    /// From a raw body (an undeclared status).
    pub(crate) fn from_raw(status: StatusCode, headers: HeaderMap, body: &[u8]) -> Self {
        let unrecognized = match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody::UnrecognizedError(json)) => Some(json),
            Err(_) => None,
            Ok(decoded) => return Self::from_body(status, headers, decoded),
        };
        // A body in neither V2 format is read once; a snippet of it is kept as it arrived, not
        // re-serialised.
        let mut error = Self::bare(status, headers);
        error.read_unrecognized(unrecognized.as_ref(), body);
        error
    }

    pub(super) fn bare(status: StatusCode, headers: HeaderMap) -> Self {
        Self(Box::new(Details {
            status,
            format: ErrorFormat::Unrecognized,
            error_code: None,
            message: None,
            details: Vec::new(),
            body_retry_after: None,
            body_snippet: None,
            body_failure: None,
            headers,
            attempts: 1,
            idempotent: false,
            read: false,
            not_applied: false,
            stopped_by_deadline: false,
        }))
    }

    /// Recognises Linq's V3 shape in `json` (the body, if it is JSON); keeps anything else as
    /// a snippet of `raw` (the body as it arrived).
    fn read_unrecognized(&mut self, json: Option<&serde_json::Value>, raw: &[u8]) {
        #[derive(Deserialize)]
        struct V3 {
            error: V3Error,
        }
        #[derive(Deserialize)]
        struct V3Error {
            code: Option<serde_json::Value>,
            message: Option<String>,
            retry_after: Option<f64>,
        }
        match json.map(V3::deserialize) {
            Some(Ok(V3 { error })) => {
                self.0.format = ErrorFormat::V3;
                self.0.error_code = error.code.map(|c| match c {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                });
                self.0.message = error.message;
                self.0.body_retry_after = error
                    .retry_after
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok());
            }
            Some(Err(_)) | None => {
                let text = snippet(raw);
                self.0.body_snippet = (!text.trim().is_empty()).then_some(text);
            }
        }
    }
}

/// One line: status, code, message, details, how the body failed, request id, attempts, and
/// whether the deadline ended the call. Text from the server has its control characters
/// escaped.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.0.status)?;
        if let Some(code) = &self.0.error_code {
            write!(f, " {}", LogSafe(code))?;
        }
        if let Some(message) = &self.0.message {
            write!(f, ": {}", LogSafe(message))?;
        }
        if !self.0.details.is_empty() {
            write!(f, " ({})", LogSafe(&self.0.details.join("; ")))?;
        }
        if let Some(text) = &self.0.body_snippet {
            let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = line.chars().take(120).collect();
            write!(f, ": {}", LogSafe(&short))?;
            if short.len() < line.len() {
                f.write_str("…")?;
            }
        }
        if let Some(failure) = &self.0.body_failure {
            write!(f, " ({failure})")?;
        }
        if let Some(id) = self.request_id() {
            write!(f, " [request id {}]", LogSafe(id))?;
        }
        if self.0.attempts > 1 {
            write!(f, " after {} attempts", self.0.attempts)?;
        }
        if self.0.stopped_by_deadline {
            f.write_str(" (total deadline reached)")?;
        }
        f.write_str(effect_note(
            !self.0.idempotent && self.may_have_taken_effect(),
            self.0.not_applied,
        ))
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Response headers are left out: they are long, and a misbehaving server could echo
        // request headers into them.
        f.debug_struct("ApiError")
            .field("status", &self.0.status)
            .field("format", &self.0.format)
            .field("error_code", &self.0.error_code)
            .field("message", &self.0.message)
            .field("details", &self.0.details)
            .field("request_id", &self.request_id())
            .field("retry_after", &self.retry_after())
            .field("body_snippet", &self.0.body_snippet)
            .field("body_failure", &self.0.body_failure)
            .field("attempts", &self.0.attempts)
            .field("stopped_by_deadline", &self.0.stopped_by_deadline)
            .finish_non_exhaustive()
    }
}
