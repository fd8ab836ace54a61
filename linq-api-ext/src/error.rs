//! The one error type of the crate, and the mapping of every failure onto it.
//!
//! Whatever went wrong — input refused before sending, an HTTP error in either of Linq's V2
//! error formats (or Linq's V3 shape, or an HTML page from a proxy), a timeout, a dropped
//! connection — a caller gets an [`Error`] it can `match` on without reading status numbers or
//! JSON. API failures carry an [`ApiError`] with the HTTP status, Linq's `error_code`, message
//! and details, the request id when the response has one, and the retry-after hint.

use std::{fmt, time::Duration};

use linq_api::types::ErrorBody;
use reqwest::{
    header::{HeaderMap, HeaderName},
    StatusCode,
};
use serde::Deserialize;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Response headers that carry a request id, in order of preference. Linq documents none; these
/// are the ones its infrastructure or a gateway in front of it may send.
/// (Built at compile time: looked up on every error response.)
static REQUEST_ID_HEADERS: [HeaderName; 5] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("request-id"),
    HeaderName::from_static("x-amzn-requestid"),
    HeaderName::from_static("x-correlation-id"),
    HeaderName::from_static("cf-ray"),
];

/// The request id a response carries, from the first of [`REQUEST_ID_HEADERS`] present.
pub(crate) fn request_id_in(headers: &HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    })
}

/// How much of an undeclared response's body is read, in bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// How much of a non-JSON error body is kept, in bytes.
const SNIPPET_LIMIT: usize = 512;

/// Everything that can go wrong when calling Linq.
///
/// Match on the variant to learn what happened; use the helpers ([`Error::status`],
/// [`Error::error_code`], [`Error::is_retryable`], [`Error::retry_after`],
/// [`Error::request_id`], [`Error::attempts`]) for the details.
///
/// ```
/// use linq_api_ext::Error;
///
/// fn explain(error: &Error) -> String {
///     match error {
///         Error::InvalidInput { field, rule } => format!("fix `{field}`: {rule}"),
///         Error::NotFound(_) => "no such contact".to_owned(),
///         Error::RateLimited(api) => format!("slow down for {:?}", api.retry_after()),
///         other => other.to_string(),
///     }
/// }
/// # let e = Error::InvalidInput { field: "per_page", rule: "must be between 1 and 100".into() };
/// # assert_eq!(explain(&e), "fix `per_page`: must be between 1 and 100");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: `field` broke `rule`.
    #[error("invalid input: `{field}` {rule}")]
    InvalidInput {
        /// The offending field, as named in the API (`email`, `per_page`, `id`, …).
        field: &'static str,
        /// The rule it broke, in words.
        rule: String,
    },
    /// The client could not be configured (missing token, malformed base URL, …).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// 400: Linq refused the request as malformed.
    #[error("bad request: {0}")]
    BadRequest(ApiError),
    /// 401: the integration token is missing, wrong or revoked.
    #[error("unauthorized: {0}")]
    Unauthorized(ApiError),
    /// 403: the token may not do this.
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// 404: the contact does not exist or is not accessible to the organization.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// 409: the request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(ApiError),
    /// 422: Linq's validation failed (for instance an unknown `user_email`).
    #[error("validation failed: {0}")]
    Validation(ApiError),
    /// 429: rate limited; [`ApiError::retry_after`] says how long to wait, when Linq said so.
    #[error("rate limited: {0}")]
    RateLimited(ApiError),
    /// 5xx: Linq (or a gateway in front of it) failed.
    #[error("server error: {0}")]
    Server(ApiError),
    /// Any other status the API does not document (a redirect, 405, 408, …).
    #[error("unexpected response: {0}")]
    UnexpectedStatus(ApiError),
    /// No response in time: an attempt exceeded its timeout or the call its total deadline.
    #[error("timed out after {elapsed:?} and {attempts} attempt(s){}", if *.deadline { " (total deadline reached)" } else { "" })]
    Timeout {
        /// Attempts made, the timed-out one included.
        attempts: u32,
        /// Time spent on the whole call.
        elapsed: Duration,
        /// Whether the total deadline (rather than one attempt's timeout) ran out.
        deadline: bool,
    },
    /// The connection failed (refused, reset, DNS, TLS, …).
    #[error("connection failed after {attempts} attempt(s): {source}")]
    Connection {
        /// The transport error.
        #[source]
        source: reqwest::Error,
        /// Whether the request provably never left: the connection could not be established.
        before_send: bool,
        /// Attempts made.
        attempts: u32,
    },
    /// A *success* response arrived but its body could not be decoded (an error body in no
    /// known format is an API error variant instead): the operation took effect — a create did
    /// create the contact — but its answer is unreadable. Such a call is never retried. `status`
    /// is the success status; it is `None` only for a generated-client error converted with
    /// `From` or [`Error::from_generated`], since progenitor does not keep it.
    #[error("undecodable response{}: {message}", .status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Decode {
        /// The HTTP status, when it is known.
        status: Option<StatusCode>,
        /// What failed to decode.
        message: String,
        /// The start of the body, at most 512 bytes.
        snippet: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl Error {
    /// Refuses `field` for breaking `rule`; nothing is sent.
    pub(crate) fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            rule: rule.into(),
        }
    }

    /// The API error, for the variants that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Validation(e)
            | Error::RateLimited(e)
            | Error::Server(e)
            | Error::UnexpectedStatus(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the response, if one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { status, .. } => *status,
            other => other.api_error().map(ApiError::status),
        }
    }

    /// Linq's `error_code` (`CONTACT_NOT_FOUND`, `VALIDATION_ERROR`, `not_found`, …), if any.
    pub fn error_code(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::error_code)
    }

    /// The request id the response carried, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::request_id)
    }

    /// How long the server asked to wait before retrying, if it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(ApiError::retry_after)
    }

    /// How many attempts the call made (0 when it was refused before sending).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::InvalidInput { .. } | Error::Config(_) => 0,
            Error::Timeout { attempts, .. }
            | Error::Connection { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts,
            other => other.api_error().map_or(0, ApiError::attempts),
        }
    }

    /// Whether trying the same request again later may succeed: timeouts, connection failures,
    /// 408, 429 and 5xx. Whether it is *safe* to retry also depends on the operation; see
    /// [`RetryPolicy`](crate::RetryPolicy).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Connection { .. } => true,
            other => other
                .status()
                .is_some_and(crate::retry::is_retryable_status),
        }
    }

    /// Maps an error of the generated client, reading the body of an undeclared response
    /// (a 5xx, a redirect, …) so that its text is kept. Prefer this over the `From` conversion,
    /// which cannot read bodies.
    pub async fn from_generated(error: linq_api::Error<ErrorBody>) -> Self {
        match error {
            linq_api::Error::UnexpectedResponse(response) => {
                let headers = response.headers().clone();
                unexpected_response(response, headers).await
            }
            other => Error::from(other),
        }
    }

    /// Maps the error of a call run in a [`linq_api::CallContext`]. Its head holds the
    /// response's headers (the generated client's values then have none) and gives the status
    /// of a body that did not decode: a declared error status in no known format (the body
    /// arrives as sent), or a success whose answer is unreadable.
    pub(crate) async fn from_call(
        error: linq_api::Error<ErrorBody>,
        head: Option<linq_api::ResponseHead>,
    ) -> Self {
        use linq_api::Error as E;
        let Some(head) = head else {
            return Self::from_generated(error).await;
        };
        match error {
            E::ErrorResponse(value) => {
                ApiError::from_body(head.status, head.headers, value.into_inner()).into_error()
            }
            E::UnexpectedResponse(response) => unexpected_response(response, head.headers).await,
            E::InvalidResponsePayload(body, source) if head.status.is_success() => {
                undecodable_success(Some(head.status), &body, &source)
            }
            E::InvalidResponsePayload(body, _) => {
                ApiError::from_raw(head.status, head.headers, &body).into_error()
            }
            other => Error::from(other),
        }
    }

    /// A 404 that Linq itself sent about a contact (`CONTACT_NOT_FOUND`, or `not_found` in the
    /// render_error format), rather than, say, a proxy's page for a wrong base URL.
    pub(crate) fn is_linq_not_found(&self) -> bool {
        matches!(self, Error::NotFound(e) if matches!(
            (e.format(), e.error_code()),
            (ErrorFormat::Standard, Some("CONTACT_NOT_FOUND"))
                | (ErrorFormat::RenderError, Some("not_found"))
        ))
    }

    /// Sets the number of attempts made.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Error::Timeout { attempts, .. }
            | Error::Connection { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts = n,
            Error::BadRequest(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Validation(e)
            | Error::RateLimited(e)
            | Error::Server(e)
            | Error::UnexpectedStatus(e) => e.0.attempts = n,
            Error::InvalidInput { .. } | Error::Config(_) => {}
        }
        self
    }
}

/// Converts without reading bodies: an undeclared response keeps its status and headers, not
/// its text. Use [`Error::from_generated`] to keep the text too.
impl From<linq_api::Error<ErrorBody>> for Error {
    fn from(error: linq_api::Error<ErrorBody>) -> Self {
        use linq_api::Error as E;
        match error {
            E::ErrorResponse(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                ApiError::from_body(status, headers, value.into_inner()).into_error()
            }
            E::UnexpectedResponse(response) => {
                ApiError::from_raw(response.status(), response.headers().clone(), b"").into_error()
            }
            E::CommunicationError(source) | E::InvalidUpgrade(source) => from_transport(source),
            // The body was cut off, or ran out of time.
            E::ResponseBodyError(source) => from_transport(source),
            // The generated client decodes only declared statuses, and its hook makes every
            // declared error body decodable: this was a success whose body is unreadable.
            E::InvalidResponsePayload(body, source) => undecodable_success(None, &body, &source),
            E::InvalidRequest(message) => Error::invalid("request", message),
            E::Custom(message) => Error::Config(message),
        }
    }
}

/// Maps a status the operation does not declare (a 5xx, a redirect, …), reading at most
/// [`BODY_LIMIT`] bytes of its body: enough for any error body, and a huge page cannot exhaust
/// memory. A body that fails midway keeps what arrived.
async fn unexpected_response(mut response: reqwest::Response, headers: HeaderMap) -> Error {
    let status = response.status();
    let mut body = Vec::new();
    while body.len() < BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            // A body that stalls past the attempt's timeout is a timeout.
            Err(e) if e.is_timeout() => return from_transport(e),
            Ok(None) | Err(_) => break,
        }
    }
    ApiError::from_raw(status, headers, &body).into_error()
}

/// A success (the operation took effect) whose body does not decode.
fn undecodable_success(
    status: Option<StatusCode>,
    body: &[u8],
    source: &serde_json::Error,
) -> Error {
    Error::Decode {
        status,
        message: format!(
            "a success response (the operation took effect) with a body that does not decode: \
             {source}"
        ),
        snippet: snippet(body),
        attempts: 1,
    }
}

/// Maps a transport error: a timeout, or a connection failure that may or may not have let
/// the request out.
pub(crate) fn from_transport(source: reqwest::Error) -> Error {
    // A connect timeout is both `is_connect` and `is_timeout`: the request never left, which
    // is what matters for retrying a create.
    if source.is_timeout() && !source.is_connect() {
        Error::Timeout {
            attempts: 1,
            elapsed: Duration::ZERO,
            deadline: false,
        }
    } else {
        Error::Connection {
            before_send: source.is_connect(),
            source,
            attempts: 1,
        }
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
pub struct ApiError(Box<Details>);

/// What [`ApiError`] holds, boxed so that [`Error`] stays small.
#[derive(Clone)]
struct Details {
    status: StatusCode,
    format: ErrorFormat,
    error_code: Option<String>,
    message: Option<String>,
    details: Vec<String>,
    /// The wait a V3 body asked for (the headers' hint is read from `headers` when asked).
    body_retry_after: Option<Duration>,
    body_snippet: Option<String>,
    headers: HeaderMap,
    attempts: u32,
}

impl ApiError {
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
        crate::retry::retry_after_from_headers(&self.0.headers).or(self.0.body_retry_after)
    }

    /// For a body in no known format: its start, at most 512 bytes.
    pub fn body_snippet(&self) -> Option<&str> {
        self.0.body_snippet.as_deref()
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
                error.read_unrecognized(text.as_bytes())
            }
            // Other JSON in neither V2 format (Linq's V3 shape, say).
            ErrorBody::UnrecognizedError(other) => {
                error.read_unrecognized(other.to_string().as_bytes())
            }
        }
        error
    }

    /// From a raw body (an undeclared status).
    pub(crate) fn from_raw(status: StatusCode, headers: HeaderMap, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            // A body in neither V2 format is read as it arrived, not re-serialised.
            Ok(ErrorBody::UnrecognizedError(_)) | Err(_) => {
                let mut error = Self::bare(status, headers);
                error.read_unrecognized(body);
                error
            }
            Ok(decoded) => Self::from_body(status, headers, decoded),
        }
    }

    fn bare(status: StatusCode, headers: HeaderMap) -> Self {
        Self(Box::new(Details {
            status,
            format: ErrorFormat::Unrecognized,
            error_code: None,
            message: None,
            details: Vec::new(),
            body_retry_after: None,
            body_snippet: None,
            headers,
            attempts: 1,
        }))
    }

    /// Recognises Linq's V3 shape; keeps anything else as a snippet.
    fn read_unrecognized(&mut self, body: &[u8]) {
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
        match serde_json::from_slice::<V3>(body) {
            Ok(V3 { error }) => {
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
            Err(_) => {
                let text = snippet(body);
                self.0.body_snippet = (!text.trim().is_empty()).then_some(text);
            }
        }
    }

    /// The variant for this status.
    pub(crate) fn into_error(self) -> Error {
        match self.0.status.as_u16() {
            400 => Error::BadRequest(self),
            401 => Error::Unauthorized(self),
            403 => Error::Forbidden(self),
            404 => Error::NotFound(self),
            409 => Error::Conflict(self),
            422 => Error::Validation(self),
            429 => Error::RateLimited(self),
            500..=599 => Error::Server(self),
            _ => Error::UnexpectedStatus(self),
        }
    }
}

/// One line: status, code, message, details, request id, attempts.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.0.status)?;
        if let Some(code) = &self.0.error_code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.0.message {
            write!(f, ": {message}")?;
        }
        if !self.0.details.is_empty() {
            write!(f, " ({})", self.0.details.join("; "))?;
        }
        if let Some(text) = &self.0.body_snippet {
            let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = line.chars().take(120).collect();
            write!(f, ": {short}")?;
            if short.len() < line.len() {
                f.write_str("…")?;
            }
        }
        if let Some(id) = self.request_id() {
            write!(f, " [request id {id}]")?;
        }
        if self.0.attempts > 1 {
            write!(f, " after {} attempts", self.0.attempts)?;
        }
        Ok(())
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
            .field("attempts", &self.0.attempts)
            .finish_non_exhaustive()
    }
}

/// The start of a body as text, at most [`SNIPPET_LIMIT`] bytes, cut on a character boundary.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET_LIMIT)]);
    text.trim_end_matches('\u{FFFD}').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn raw(status: u16, body: &str) -> ApiError {
        ApiError::from_raw(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn standard_error_is_read() {
        let e = raw(
            404,
            r#"{"status":"error","error_code":"CONTACT_NOT_FOUND","message":"Contact not found","errors":["gone"]}"#,
        );
        assert_eq!(e.format(), ErrorFormat::Standard);
        assert_eq!(e.error_code(), Some("CONTACT_NOT_FOUND"));
        assert_eq!(e.message(), Some("Contact not found"));
        assert_eq!(e.details(), ["gone"]);
        assert!(matches!(e.into_error(), Error::NotFound(_)));
    }

    #[test]
    fn render_error_is_read() {
        let e = raw(
            401,
            r#"{"errors":[{"status":401,"code":"unauthorized","title":"Unauthorized","detail":"Invalid token"}]}"#,
        );
        assert_eq!(e.format(), ErrorFormat::RenderError);
        assert_eq!(e.error_code(), Some("unauthorized"));
        assert_eq!(e.message(), Some("Unauthorized"));
        assert_eq!(e.details(), ["Invalid token"]);
    }

    #[test]
    fn v3_shape_is_recognised_with_its_retry_hint() {
        let e = raw(
            429,
            r#"{"success":false,"error":{"status":429,"code":1007,"message":"Rate limited.","retry_after":45},"trace_id":"t"}"#,
        );
        assert_eq!(e.format(), ErrorFormat::V3);
        assert_eq!(e.error_code(), Some("1007"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(45)));
    }

    #[test]
    fn html_keeps_a_bounded_snippet_and_one_line_display() {
        let page = format!(
            "<html>\n<body>Bad gateway</body>{}</html>",
            "x".repeat(2000)
        );
        let e = raw(502, &page);
        assert_eq!(e.format(), ErrorFormat::Unrecognized);
        let snip = e.body_snippet().unwrap();
        assert!(snip.starts_with("<html>") && snip.len() <= SNIPPET_LIMIT);
        let shown = e.clone().into_error().to_string();
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.starts_with("server error: HTTP 502 Bad Gateway: <html> <body>Bad gateway"));
    }

    #[test]
    fn empty_body_has_no_snippet_but_keeps_status_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("req-1"));
        let e = ApiError::from_raw(StatusCode::SERVICE_UNAVAILABLE, headers, b"");
        assert_eq!(e.body_snippet(), None);
        assert_eq!(e.request_id(), Some("req-1"));
        assert_eq!(
            e.to_string(),
            "HTTP 503 Service Unavailable [request id req-1]"
        );
    }

    #[test]
    fn snippet_cuts_on_a_character_boundary() {
        let body = "é".repeat(SNIPPET_LIMIT);
        let s = snippet(body.as_bytes());
        assert!(s.len() <= SNIPPET_LIMIT);
        assert!(s.chars().all(|c| c == 'é'));
    }
}
