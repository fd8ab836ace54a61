//! Interceptors: what a service plugs in around **each attempt** of every call (see
//! [`Interceptor`] and the crate docs' example).

use std::{borrow::Cow, time::Duration};

use futures_util::future::BoxFuture;
use reqwest::{header::HeaderMap, StatusCode};

use crate::error::Error;

/// The error an interceptor returns to stop a call: it becomes [`Error::Interceptor`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Called around each attempt of every call of a client, retries included, in the order they
/// were added ([`LinqClientBuilder::interceptor`](crate::LinqClientBuilder::interceptor)): to
/// add a header (a token the service refreshes, a tenant id), to run async code first, or to
/// observe how the attempt ended (status, elapsed time, error type, attempt number). Both
/// methods do nothing by default. The crate docs have an example.
///
/// # What an interceptor sees
///
/// The operation (id, method, path template), the attempt number, and the headers it adds. It
/// does **not** see the integration token: the client adds it after the interceptors, and only
/// if an interceptor did not set [`TOKEN_HEADER`](linq_api::spec::TOKEN_HEADER) itself (which
/// is how a service sends a token it refreshes). Nor does it see the URL's query: a find's
/// carries an email or a phone number. Whatever it logs is its own business — keep personal
/// data out of it.
pub trait Interceptor: Send + Sync + 'static {
    /// Before the attempt is sent (after the rate limiter let it go): may add or change
    /// headers and run async code. An error stops the call before this attempt, with
    /// [`Error::Interceptor`]; nothing more is sent.
    fn before_attempt<'a>(
        &'a self,
        request: &'a mut AttemptRequest<'_>,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        let _ = request;
        Box::pin(std::future::ready(Ok(())))
    }

    /// After the attempt, however it ended.
    fn after_attempt(&self, outcome: &AttemptOutcome<'_>) {
        let _ = outcome;
    }
}

/// One attempt about to be sent, as an [`Interceptor`] sees it.
#[derive(Debug)]
pub struct AttemptRequest<'a> {
    pub(crate) operation: linq_api::spec::Operation,
    pub(crate) attempt: u32,
    pub(crate) headers: &'a mut HeaderMap,
}

impl AttemptRequest<'_> {
    /// The spec's `operationId` (`get_contact`, …).
    pub fn operation_id(&self) -> &'static str {
        self.operation.id
    }

    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        self.operation.method
    }

    /// The path template (`/api/partner/v2/contacts/{id}`), never the values in it.
    pub fn url_template(&self) -> &'static str {
        self.operation.path
    }

    /// The attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The headers this attempt adds to the client's own (empty until an interceptor adds
    /// one). A header set here wins over the client's default of the same name.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The headers to add, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.headers
    }
}

/// How one attempt ended, as an [`Interceptor`] sees it.
#[derive(Debug)]
pub struct AttemptOutcome<'a> {
    pub(crate) operation: linq_api::spec::Operation,
    pub(crate) attempt: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) elapsed: Duration,
    pub(crate) error: Option<&'a Error>,
}

impl AttemptOutcome<'_> {
    /// The spec's `operationId`.
    pub fn operation_id(&self) -> &'static str {
        self.operation.id
    }

    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        self.operation.method
    }

    /// The attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The response's status, when one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// How long the attempt took.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The attempt's error, when it failed (the call may still succeed on a retry).
    pub fn error(&self) -> Option<&Error> {
        self.error
    }

    /// What kind of failure it was, as OpenTelemetry's `error.type` names it: the status code
    /// of an error response (`"503"`), or `"timeout"`, `"connection"`, `"decode"`; `None` for a
    /// success.
    pub fn error_type(&self) -> Option<Cow<'static, str>> {
        error_type(self.status, self.error)
    }
}

/// The `error.type` of an attempt: its error status, or the kind of its transport failure.
pub(crate) fn error_type(
    status: Option<StatusCode>,
    error: Option<&Error>,
) -> Option<Cow<'static, str>> {
    if let Some(status) = status.filter(|s| s.is_client_error() || s.is_server_error()) {
        return Some(Cow::Owned(status.as_str().to_owned()));
    }
    Some(Cow::Borrowed(match error? {
        Error::Timeout { .. } => "timeout",
        Error::Connection { .. } => "connection",
        Error::Decode { .. } => "decode",
        Error::Interceptor { .. } => "interceptor",
        _ => "_OTHER",
    }))
}
