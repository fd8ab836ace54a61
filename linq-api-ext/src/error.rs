//! The one error type of the crate, and the mapping of every failure onto it.
//!
//! Whatever went wrong — input refused before sending, an HTTP error in either of Linq's V2
//! error formats (or Linq's V3 shape, or an HTML page from a proxy), a timeout, a dropped
//! connection — a caller gets an [`Error`] it can `match` on without reading status numbers or
//! JSON. API failures carry an [`ApiError`] with the HTTP status, Linq's `error_code`, message
//! and details, the request id when the response has one, and the retry-after hint.

use std::{fmt, num::NonZeroU64, time::Duration};

use linq_api::types::ErrorBody;
use reqwest::{
    header::{HeaderMap, HeaderName, RETRY_AFTER},
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
    fn of(source: &reqwest::Error, limit: usize) -> Self {
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
    fn is_transient(self) -> bool {
        matches!(self, BodyFailure::Cut | BodyFailure::TimedOut)
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

/// What the message of a failed create adds: when the create may have taken effect (the only
/// operation that is not idempotent; an error whose operation is unknown counts as one), how to
/// find out, since it is never re-sent; when a look-up afterwards showed that it did not, that.
fn effect_note(create_may_have_taken_effect: bool, not_applied: bool) -> &'static str {
    if not_applied {
        "; a look-up afterwards found no such contact: it was not created"
    } else if create_may_have_taken_effect {
        "; the contact may have been created: look it up with contacts().find() before \
         creating it again, or create through contacts().find_or_create(), which does that itself"
    } else {
        ""
    }
}

/// Text from the server, shown on one line with control characters escaped.
struct LogSafe<'a>(&'a str);

impl fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// Whether a status is worth retrying at all: 408, 429 and 5xx.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429) || status.is_server_error()
}

/// The server's requested wait: `retry-after-ms`, then `Retry-After` in seconds or as an HTTP
/// date.
pub(crate) fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    // Built at compile time: looked up on every error response.
    static RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
    let text = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text(&RETRY_AFTER_MS).and_then(|v| v.parse::<f64>().ok()) {
        // Negative, NaN or absurdly large values are ignored rather than trusted.
        if let Ok(wait) = Duration::try_from_secs_f64(ms / 1000.0) {
            return Some(wait);
        }
    }
    let value = text(&RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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

    fn api_error_mut(&mut self) -> Option<&mut ApiError> {
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
            Error::IdentityConflict { attempts, .. } => *attempts,
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
            | Error::IdentityConflict { .. } => false,
            Error::Connection { before_send, .. } => !before_send,
            Error::Timeout { .. } | Error::Decode { .. } => true,
            other => other
                .status()
                .is_some_and(|s| s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT),
        }
    }

    /// Whether sending the same request again may succeed **and** cannot duplicate an effect:
    /// a transient failure (a timeout, a connection failure, 408, 429, 5xx, a body that broke
    /// off) of an idempotent operation, or of any operation when the request provably was not
    /// processed (a connection never established, a 429). So a create that timed out or got a
    /// 5xx is not retryable — [`may_have_taken_effect`](Self::may_have_taken_effect) says why.
    ///
    /// The client's own retries follow exactly this answer (see
    /// [`RetryPolicy`](crate::RetryPolicy)); an error converted from the generated client
    /// without knowing its operation is treated as a create's.
    pub fn is_retryable(&self) -> bool {
        let transient = match self {
            Error::Timeout { .. } | Error::Connection { .. } => true,
            Error::Decode { failure, .. } => failure.is_transient(),
            other => other.status().is_some_and(is_retryable_status),
        };
        transient && (self.is_idempotent() || !self.may_have_taken_effect())
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
    fn is_idempotent(&self) -> bool {
        match self {
            Error::Timeout { idempotent, .. }
            | Error::Connection { idempotent, .. }
            | Error::Decode { idempotent, .. } => *idempotent,
            other => other.api_error().is_some_and(|e| e.0.idempotent),
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

    /// Maps the error of a call run in a [`linq_api::CallContext`] whose bodies were bounded to
    /// `max_body` bytes. Its head holds the response's headers (the generated client's values
    /// then have none) and gives the status of a body that did not decode or could not be read
    /// whole: a declared error status in no known format (the body arrives as sent), or a
    /// success whose answer is unreadable.
    pub(crate) async fn from_call(
        error: linq_api::Error<ErrorBody>,
        head: Option<linq_api::ResponseHead>,
        max_body: usize,
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
                undecodable_success(Some(head.status), head.headers, &body, &source)
            }
            E::InvalidResponsePayload(body, _) => {
                ApiError::from_raw(head.status, head.headers, &body).into_error()
            }
            // The status arrived, then the body failed: the status says what happened.
            E::ResponseBodyError(source) => {
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
            other => Error::from(other),
        }
    }

    /// A 404 that Linq itself sent about the resource (`CONTACT_NOT_FOUND`,
    /// `WEBHOOK_SUBSCRIPTION_NOT_FOUND`, or `not_found` in the render_error format), rather
    /// than, say, a proxy's page for a wrong base URL.
    pub(crate) fn is_linq_not_found(&self) -> bool {
        matches!(self, Error::NotFound(e) if matches!(
            (e.format(), e.error_code()),
            (ErrorFormat::Standard, Some("CONTACT_NOT_FOUND" | "WEBHOOK_SUBSCRIPTION_NOT_FOUND"))
                | (ErrorFormat::RenderError, Some("not_found"))
        ))
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
            | Error::IdentityConflict { .. } => {}
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
            E::InvalidResponsePayload(body, source) => {
                undecodable_success(None, HeaderMap::new(), &body, &source)
            }
            E::InvalidRequest(message) => Error::invalid("request", message),
            E::Custom(message) => Error::Config(message),
        }
    }
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
pub(crate) fn from_transport(source: reqwest::Error) -> Error {
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
    /// How the body failed to arrive whole, if it did.
    body_failure: Option<BodyFailure>,
    headers: HeaderMap,
    attempts: u32,
    /// Whether the operation is idempotent (false when unknown).
    idempotent: bool,
    /// Whether the operation only reads (false when unknown).
    read: bool,
    /// Whether a look-up after the failure showed that the request did not take effect.
    not_applied: bool,
    /// Whether the total deadline left no time for another attempt after this reply.
    stopped_by_deadline: bool,
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

    fn bare(status: StatusCode, headers: HeaderMap) -> Self {
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
        let may_have_taken_effect = !self.0.read
            && (self.0.status.is_server_error() || self.0.status == StatusCode::REQUEST_TIMEOUT);
        f.write_str(effect_note(
            !self.0.idempotent && may_have_taken_effect,
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

    #[test]
    fn retry_after_forms_are_read() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after_from_headers(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(
            retry_after_from_headers(&h),
            Some(Duration::from_millis(250))
        );
        let mut h = HeaderMap::new();
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        h.insert(
            "retry-after",
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let wait = retry_after_from_headers(&h).unwrap();
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after_from_headers(&h), None);
        // Nonsense never panics: it is ignored, or kept as a (long) hint the policy refuses.
        let mut h = HeaderMap::new();
        for junk in ["-5", "NaN", "inf", "1e300"] {
            h.insert("retry-after-ms", HeaderValue::from_static(junk));
            assert_eq!(retry_after_from_headers(&h), None, "{junk}");
        }
        h.insert(
            "retry-after",
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(
            retry_after_from_headers(&h),
            Some(Duration::from_secs(u64::MAX))
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
