//! The one error type of the crate: [`Error`] and what it says about a failure.
//!
//! Linq's error bodies are read in [`api`] (both V2 formats, the V3 shape, anything else), and
//! the one mapping of the generated client's failures onto [`Error`] is [`decode`].
//!
//! Whatever went wrong — input refused before sending, an HTTP error in either of Linq's V2
//! error formats (or Linq's V3 shape, or an HTML page from a proxy), a timeout, a dropped
//! connection — a caller gets an [`Error`] it can `match` on without reading status numbers or
//! JSON. API failures carry an [`ApiError`] with the HTTP status, Linq's `error_code`, message
//! and details, the request id when the response has one, and the retry-after hint.

mod api;
mod decode;

use std::{fmt, num::NonZeroU64, time::Duration};

use reqwest::{header::HeaderMap, StatusCode};

pub use api::{ApiError, BodyFailure, ErrorFormat};

use api::effect_note;

use crate::http::{request_id_in, LogSafe};

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when calling Linq.
///
/// Match on the variant to learn what happened; use the helpers ([`Error::status`],
/// [`Error::error_code`], [`Error::is_retryable`], [`Error::may_have_taken_effect`],
/// [`Error::retry_after`], [`Error::request_id`], [`Error::attempts`]) for the details.
///
/// Every error is safe to log: its `Display` is one line in which bytes from the server are
/// shown with control characters escaped, and neither `Display` nor `Debug` shows the token,
/// the URL of a request (a find's carries an email or phone number) or a value that was
/// refused.
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
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent: `field` broke `rule`. The rule is
    /// named, never the value (it may be personal data).
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
    /// No response in time: an attempt exceeded its timeout or the call its total deadline,
    /// before a response's status arrived. (A body that stalls after its status is reported
    /// with that status: see [`BodyFailure::TimedOut`].)
    #[error("timed out after {} and {attempts} attempt(s){}{}", Millis(*.elapsed), if *.deadline { " (total deadline reached)" } else { "" }, effect_note(!*.idempotent, *.not_applied))]
    #[non_exhaustive]
    Timeout {
        /// Attempts made, the timed-out one included.
        attempts: u32,
        /// Time spent on the whole call.
        elapsed: Duration,
        /// Whether the total deadline (rather than one attempt's timeout) ran out.
        deadline: bool,
        /// Whether the operation is idempotent (sending it twice has the effect of once).
        idempotent: bool,
        /// Whether the operation only reads (get, find, list): it never takes effect.
        read: bool,
        /// Whether a look-up after the failure showed that the request did not take effect
        /// (see [`Error::may_have_taken_effect`]).
        not_applied: bool,
    },
    /// The connection failed (refused, reset, DNS, TLS, …) before a response's status arrived.
    #[error("connection failed after {attempts} attempt(s): {source}{}", effect_note(!*.before_send && !*.idempotent, *.not_applied))]
    #[non_exhaustive]
    Connection {
        /// The transport error (without the request's URL, which may carry personal data).
        #[source]
        source: reqwest::Error,
        /// Whether the request provably never left: the connection could not be established.
        before_send: bool,
        /// Attempts made.
        attempts: u32,
        /// Whether the operation is idempotent (sending it twice has the effect of once).
        idempotent: bool,
        /// Whether the operation only reads (get, find, list): it never takes effect.
        read: bool,
        /// Whether a look-up after the failure showed that the request did not take effect
        /// (see [`Error::may_have_taken_effect`]).
        not_applied: bool,
    },
    /// A *success* status arrived but its body could not be read whole or decoded (an error
    /// body in no known format is an API error variant instead): a write took effect — a
    /// create did create the contact — but its answer is lost (a read changed nothing). `status` is the success
    /// status; it is `None` only for a generated-client error converted with `From` or
    /// [`Error::from_generated`], since progenitor does not keep it.
    #[error("{}{}", DecodeLine(*.status, .failure, .message, .headers, *.attempts, *.read), effect_note(!*.idempotent && !*.read, false))]
    #[non_exhaustive]
    Decode {
        /// The HTTP status, when it is known.
        status: Option<StatusCode>,
        /// What went wrong with the body.
        failure: BodyFailure,
        /// What failed, in words (never the body's content).
        message: String,
        /// The start of the body, at most 512 bytes. It may hold personal data (a success
        /// body is contacts): neither `Display` nor `Debug` shows it.
        snippet: String,
        /// The response headers (the request id among them); empty when unknown. Boxed, so
        /// that [`Error`] stays small; [`Error::headers`] reads them too.
        headers: Box<HeaderMap>,
        /// Attempts made.
        attempts: u32,
        /// Whether the operation is idempotent (sending it twice has the effect of once).
        idempotent: bool,
        /// Whether the operation only reads (get, find, list): it changed nothing.
        read: bool,
    },
    /// [`find_or_create`](crate::Contacts::find_or_create) or
    /// [`upsert`](crate::Contacts::upsert) refused to take a contact for the input's: the
    /// input has a phone number and no email, and the contact that holds that phone number has
    /// an email and a name the input contradicts — it is identified by that email, and may be
    /// another person who shares the number (a company switchboard). Nothing was written. Give
    /// the email to match that contact; see [`reconcile`](crate::reconcile) for the identity
    /// rule.
    #[error("not matched: the phone number belongs to contact #{existing}, which has an email and another name (it may be another person); nothing was written: give the email to match it")]
    #[non_exhaustive]
    IdentityConflict {
        /// The id of the contact that holds the phone number (a
        /// [`ContactId`](crate::ContactId) converts from it).
        existing: NonZeroU64,
        /// Requests sent (the look-ups).
        attempts: u32,
    },
    /// An [`Interceptor`](crate::Interceptor) stopped the call before an attempt: that
    /// attempt was not sent (`attempts` were, before it).
    #[error("an interceptor stopped the call after {attempts} attempt(s): {source}")]
    #[non_exhaustive]
    Interceptor {
        /// What the interceptor said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Attempts sent before it stopped the call.
        attempts: u32,
    },
    /// A list call asked for one page and got another (a cache in front of Linq that ignores
    /// the query string, say). Its contacts are not used: a stream would otherwise yield the
    /// same page over and over.
    #[error("asked for page {requested} of the contacts, got page {received}")]
    WrongPage {
        /// The page asked for.
        requested: u64,
        /// The `current_page` of the page that came back.
        received: i64,
    },
}

impl fmt::Debug for Error {
    // Written out, so that no variant can print headers or a success body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, rule } => f
                .debug_struct("InvalidInput")
                .field("field", field)
                .field("rule", rule)
                .finish(),
            Error::Config(message) => f.debug_tuple("Config").field(message).finish(),
            Error::Interceptor { source, attempts } => f
                .debug_struct("Interceptor")
                .field("source", source)
                .field("attempts", attempts)
                .finish(),
            Error::IdentityConflict { existing, attempts } => f
                .debug_struct("IdentityConflict")
                .field("existing", existing)
                .field("attempts", attempts)
                .finish(),
            Error::WrongPage {
                requested,
                received,
            } => f
                .debug_struct("WrongPage")
                .field("requested", requested)
                .field("received", received)
                .finish(),
            Error::Timeout {
                attempts,
                elapsed,
                deadline,
                idempotent,
                read,
                not_applied,
            } => f
                .debug_struct("Timeout")
                .field("attempts", attempts)
                .field("elapsed", &Millis(*elapsed))
                .field("deadline", deadline)
                .field("idempotent", idempotent)
                .field("read", read)
                .field("not_applied", not_applied)
                .finish(),
            Error::Connection {
                source,
                before_send,
                attempts,
                idempotent,
                read,
                not_applied,
            } => f
                .debug_struct("Connection")
                .field("source", source)
                .field("before_send", before_send)
                .field("attempts", attempts)
                .field("idempotent", idempotent)
                .field("read", read)
                .field("not_applied", not_applied)
                .finish(),
            // The headers and the snippet are left out: a server could echo request headers,
            // and a success body is personal data.
            Error::Decode {
                status,
                failure,
                message,
                snippet,
                headers,
                attempts,
                idempotent,
                read,
            } => f
                .debug_struct("Decode")
                .field("status", status)
                .field("failure", failure)
                .field("message", message)
                .field("snippet_len", &snippet.len())
                .field("request_id", &request_id_in(headers))
                .field("attempts", attempts)
                .field("idempotent", idempotent)
                .field("read", read)
                .finish_non_exhaustive(),
            other => {
                let name = match other {
                    Error::BadRequest(_) => "BadRequest",
                    Error::Unauthorized(_) => "Unauthorized",
                    Error::Forbidden(_) => "Forbidden",
                    Error::NotFound(_) => "NotFound",
                    Error::Conflict(_) => "Conflict",
                    Error::Validation(_) => "Validation",
                    Error::RateLimited(_) => "RateLimited",
                    Error::Server(_) => "Server",
                    _ => "UnexpectedStatus",
                };
                let api = other
                    .api_error()
                    .expect("the remaining variants carry an ApiError");
                f.debug_tuple(name).field(api).finish()
            }
        }
    }
}

/// A duration shown rounded to milliseconds (`4.182s`, `150ms`).
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms >= 1000 {
            write!(f, "{}.{:03}s", ms / 1000, ms % 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl fmt::Debug for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The one line of [`Error::Decode`].
/// (status, failure, message, headers, attempts, read)
struct DecodeLine<'a>(
    Option<StatusCode>,
    &'a BodyFailure,
    &'a String,
    &'a HeaderMap,
    u32,
    bool,
);

impl fmt::Display for DecodeLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DecodeLine(status, failure, message, headers, attempts, read) = self;
        f.write_str("unreadable success response")?;
        if let Some(status) = status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {failure}; {message}")?;
        if !read {
            f.write_str(" (the operation took effect)")?;
        }
        if let Some(id) = request_id_in(headers) {
            write!(f, " [request id {}]", LogSafe(id))?;
        }
        if *attempts > 1 {
            write!(f, " after {attempts} attempts")?;
        }
        Ok(())
    }
}

/// The [`ApiError`] of an `&Error` or `&mut Error`, for the variants that carry one: the one
/// list of those variants.
macro_rules! api_error_of {
    ($error:expr) => {
        match $error {
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
    };
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
        api_error_of!(self)
    }

    pub(crate) fn api_error_mut(&mut self) -> Option<&mut ApiError> {
        api_error_of!(self)
    }

    /// The HTTP status of the response, if one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Decode { status, .. } => *status,
            other => other.api_error().map(ApiError::status),
        }
    }

    /// The headers of the response, if one arrived.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Decode { headers, .. } => Some(headers),
            other => other.api_error().map(ApiError::headers),
        }
    }

    /// Linq's `error_code` (`CONTACT_NOT_FOUND`, `VALIDATION_ERROR`, `not_found`, …), if any.
    pub fn error_code(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::error_code)
    }

    /// The request id the response carried, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.headers().and_then(request_id_in)
    }

    /// How long the server asked to wait before retrying, if it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(ApiError::retry_after)
    }

    /// How many attempts the call made (0 when it was refused before sending).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::InvalidInput { .. } | Error::Config(_) => 0,
            Error::WrongPage { .. } => 1,
            Error::IdentityConflict { attempts, .. } | Error::Interceptor { attempts, .. } => {
                *attempts
            }
            Error::Timeout { attempts, .. }
            | Error::Connection { attempts, .. }
            | Error::Decode { attempts, .. } => *attempts,
            other => other.api_error().map_or(0, ApiError::attempts),
        }
    }

    /// Whether the request may have changed something at Linq: a write that may have left and
    /// that no answer proves unprocessed (a timeout, a connection lost after sending, a 5xx or
    /// 408), or a write whose success arrived with an unreadable body. A create for which this
    /// is true may have created the contact: look it up (find) before creating it again.
    ///
    /// Never true for a read (get, find, list: they change nothing, whatever happened), nor
    /// for a create that [`find_or_create`](crate::Contacts::find_or_create) or
    /// [`upsert`](crate::Contacts::upsert) looked for afterwards and did not find.
    pub fn may_have_taken_effect(&self) -> bool {
        let (read, not_applied) = self.effect_known();
        if read || not_applied {
            return false;
        }
        match self {
            Error::InvalidInput { .. }
            | Error::Config(_)
            | Error::WrongPage { .. }
            | Error::IdentityConflict { .. }
            | Error::Interceptor { .. } => false,
            Error::Connection { before_send, .. } => !before_send,
            Error::Timeout { .. } | Error::Decode { .. } => true,
            other => other
                .api_error()
                .is_some_and(ApiError::may_have_taken_effect),
        }
    }

    /// Whether the total deadline ended the call: the last attempt ran out of it, or no time was
    /// left for another attempt after this reply (see [`RetryPolicy`](crate::RetryPolicy)).
    pub fn stopped_by_deadline(&self) -> bool {
        match self {
            Error::Timeout { deadline, .. } => *deadline,
            other => other.api_error().is_some_and(|e| e.0.stopped_by_deadline),
        }
    }

    /// Whether the operation only reads, and whether a look-up showed that it did not take
    /// effect (false and false when unknown).
    fn effect_known(&self) -> (bool, bool) {
        match self {
            Error::Timeout {
                read, not_applied, ..
            }
            | Error::Connection {
                read, not_applied, ..
            } => (*read, *not_applied),
            Error::Decode { read, .. } => (*read, false),
            other => other
                .api_error()
                .map_or((false, false), |e| (e.0.read, e.0.not_applied)),
        }
    }

    /// Marks the error of a create as one that did not take effect: a look-up afterwards
    /// found no such contact.
    pub(crate) fn not_applied(mut self) -> Self {
        match &mut self {
            Error::Timeout { not_applied, .. } | Error::Connection { not_applied, .. } => {
                *not_applied = true;
            }
            other => {
                if let Some(e) = other.api_error_mut() {
                    e.0.not_applied = true;
                }
            }
        }
        self
    }

    /// Whether the operation behind the error is idempotent (false when unknown).
    pub(crate) fn is_idempotent(&self) -> bool {
        match self {
            Error::Timeout { idempotent, .. }
            | Error::Connection { idempotent, .. }
            | Error::Decode { idempotent, .. } => *idempotent,
            other => other.api_error().is_some_and(|e| e.0.idempotent),
        }
    }

    /// A 404 that Linq itself sent about the resource (`CONTACT_NOT_FOUND`,
    /// `WEBHOOK_SUBSCRIPTION_NOT_FOUND`, or `not_found` in the render_error format), rather
    /// than, say, a proxy's page for a wrong base URL: that 404's [`ApiError`].
    pub(crate) fn linq_not_found(&self) -> Option<&ApiError> {
        match self {
            Error::NotFound(e)
                if matches!(
                    (e.format(), e.error_code()),
                    (
                        ErrorFormat::Standard,
                        Some("CONTACT_NOT_FOUND" | "WEBHOOK_SUBSCRIPTION_NOT_FOUND")
                    ) | (ErrorFormat::RenderError, Some("not_found"))
                ) =>
            {
                Some(e)
            }
            _ => None,
        }
    }

    /// Records what the retry loop knows: the attempts made, whether the operation is
    /// idempotent and whether it only reads.
    pub(crate) fn with_call(mut self, n: u32, op_idempotent: bool, op_read: bool) -> Self {
        match &mut self {
            Error::Timeout {
                attempts,
                idempotent,
                read,
                ..
            }
            | Error::Connection {
                attempts,
                idempotent,
                read,
                ..
            }
            | Error::Decode {
                attempts,
                idempotent,
                read,
                ..
            } => {
                *attempts = n;
                *idempotent = op_idempotent;
                *read = op_read;
            }
            Error::InvalidInput { .. }
            | Error::Config(_)
            | Error::WrongPage { .. }
            | Error::IdentityConflict { .. }
            | Error::Interceptor { .. } => {}
            other => {
                if let Some(e) = other.api_error_mut() {
                    e.0.attempts = n;
                    e.0.idempotent = op_idempotent;
                    e.0.read = op_read;
                }
            }
        }
        self
    }

    /// Marks the error as the last reply of a call that the total deadline ended.
    pub(crate) fn stopped_by_the_deadline(mut self) -> Self {
        match &mut self {
            Error::Timeout { deadline, .. } => *deadline = true,
            other => {
                if let Some(e) = other.api_error_mut() {
                    e.0.stopped_by_deadline = true;
                }
            }
        }
        self
    }
}

impl ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::SNIPPET_LIMIT;
    use reqwest::header::HeaderMap;
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
    fn other_json_is_kept_as_it_arrived() {
        // JSON in neither V2 format nor V3's: the snippet is the body's own text (spacing and
        // key order kept), not a re-serialisation of it.
        let body = r#"{ "message" : "Slow down",   "a": 1 }"#;
        let e = raw(429, body);
        assert_eq!(e.format(), ErrorFormat::Unrecognized);
        assert_eq!(e.body_snippet(), Some(body));
        assert_eq!(e.error_code(), None);
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
        // An error whose operation is unknown counts as a create's: it says how to reconcile.
        let shown = e.to_string();
        assert!(
            shown.starts_with("HTTP 503 Service Unavailable [request id req-1]; "),
            "{shown}"
        );
        assert!(shown.contains("find_or_create"), "{shown}");
    }
}
