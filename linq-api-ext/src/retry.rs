//! The retry policy, and the one loop that runs every call: attempts, per-attempt timeouts,
//! backoff, `Retry-After`, the total deadline, and tracing.
//!
//! # Which failures are retried
//!
//! | failure | GET, PUT, PATCH, DELETE | POST (create) |
//! |---|---|---|
//! | connection could not be established (request never left) | retried | retried |
//! | 429 Too Many Requests (not processed) | retried | retried |
//! | connection dropped after sending, attempt timeout | retried | **not retried** |
//! | 408, 500–599 (whether or not their body arrived whole) | retried | **not retried** |
//! | a success whose body broke off or stalled | retried | **not retried** |
//! | a success body that does not decode or is over the size limit | not retried | not retried |
//! | any other status, invalid input | not retried | not retried |
//!
//! A create that may have reached Linq is never sent again: a second POST could create a second
//! contact. PUT, PATCH and DELETE are idempotent, so re-sending them is safe; a DELETE retried
//! after an attempt that may have gone through, which then finds no contact, succeeds instead of
//! reporting the contact as missing.
//!
//! Waits grow exponentially (`initial_backoff · 2ⁿ`, capped at `max_backoff`, with up to 25 %
//! jitter subtracted). A server's `retry-after-ms` or `Retry-After` (seconds or an HTTP date) is
//! honoured instead, up to `max_retry_after`; a longer one ends the retries and the caller gets
//! the error with its [`retry_after`](crate::Error::retry_after).
//!
//! # The total deadline
//!
//! The total deadline, when set, bounds the whole call — attempts and waits. An attempt is given
//! the rest of the deadline when that is shorter than its timeout. A retry starts only when,
//! after its wait, at least the smaller of the attempt's timeout and [`MIN_USEFUL_ATTEMPT`]
//! (1 s) of the deadline is left: a retry with a few milliseconds left would only turn the last
//! reply into a bare timeout. When the deadline ends the retries that way, the caller gets the
//! last reply's error — its status, headers, request id and `Retry-After` — with
//! [`Error::stopped_by_deadline`](crate::Error::stopped_by_deadline) true. An attempt cut short
//! by the deadline is an [`Error::Timeout`](crate::Error::Timeout) with `deadline: true`.
//!
//! [`Error::is_retryable`](crate::Error::is_retryable) gives the same answer as this table for
//! an error the client returns, so a caller's own retry loop cannot duplicate a create either;
//! [`Error::may_have_taken_effect`](crate::Error::may_have_taken_effect) says whether the
//! request may have been processed.

use std::{future::Future, time::Duration};

use futures_util::future::Either;

use linq_api::{types::ErrorBody, ResponseValue};
use reqwest::{header::HeaderMap, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::{
    config::Settings,
    error::{Error, Result},
    meta::ResponseMeta,
};

/// How a failed call is retried. The default matches Linq's own SDKs: 2 retries, backoff from
/// 0.5 s doubling up to 8 s with jitter, `Retry-After` honoured up to 60 s.
///
/// ```
/// use std::time::Duration;
/// use linq_api_ext::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(4)
///     .initial_backoff(Duration::from_millis(200));
/// assert_eq!(policy.get_max_retries(), 4);
/// let never = RetryPolicy::none();
/// assert_eq!(never.get_max_retries(), 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// Retries after the first attempt (default 2, so at most 3 attempts).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first wait (default 0.5 s); each further wait doubles it.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest computed wait (default 8 s).
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest server-requested wait that is honoured (default 60 s); a longer one ends the
    /// retries.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Whether computed waits are jittered (default true); turn it off for deterministic tests.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// The configured number of retries.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before retry number `retry` (1-based), without a server hint.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = 2u32.saturating_pow(retry.saturating_sub(1));
        let wait = self
            .initial_backoff
            .saturating_mul(exp)
            .min(self.max_backoff);
        if self.jitter {
            // Up to a quarter less; `try_` so that an enormous configured cap cannot panic.
            Duration::try_from_secs_f64(wait.as_secs_f64() * (1.0 - 0.25 * fastrand::f64()))
                .unwrap_or(wait)
        } else {
            wait
        }
    }
}

/// Whether a status is worth retrying at all: 408, 429 and 5xx.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429) || status.is_server_error()
}

impl Error {
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
}

/// Whether `error` may be retried by the loop: [`Error::is_retryable`], except that a timeout
/// of the total deadline ends the call.
fn may_retry(error: &Error) -> bool {
    error.is_retryable() && !matches!(error, Error::Timeout { deadline: true, .. })
}

/// The shortest time worth starting a retry with: the attempt's timeout, or this if that is
/// longer. A retry that would have less of the total deadline left does not start.
pub const MIN_USEFUL_ATTEMPT: Duration = Duration::from_secs(1);

/// What the retry loop needs to know about an operation: the spec's table entry.
pub(crate) use linq_api::spec::Operation;

/// Per-call overrides of the client's settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallOptions {
    pub timeout: Option<Duration>,
    pub total_deadline: Option<Duration>,
    pub max_retries: Option<u32>,
}

impl CallOptions {
    /// Refuses a zero timeout or deadline: a call given one could never complete, and a
    /// request sent anyway could take effect while the caller is told it timed out.
    pub(crate) fn check(&self) -> Result<()> {
        for (field, value) in [
            ("timeout", self.timeout),
            ("total_deadline", self.total_deadline),
        ] {
            if value.is_some_and(|d| d.is_zero()) {
                return Err(Error::invalid(field, "must be longer than zero"));
            }
        }
        Ok(())
    }
}

/// Setters of the per-call overrides ([`CallOptions`]), shared by every builder.
macro_rules! call_options {
    () => {
        /// Overrides the client's timeout of each attempt for this call (zero is refused when
        /// the call is sent, before anything goes out).
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.options.timeout = Some(timeout);
            self
        }

        /// Overrides the client's total deadline for this call (zero is refused when the call is
        /// sent, before anything goes out).
        pub fn total_deadline(mut self, deadline: Duration) -> Self {
            self.options.total_deadline = Some(deadline);
            self
        }

        /// Overrides the client's number of retries for this call (0: a single attempt).
        pub fn max_retries(mut self, retries: u32) -> Self {
            self.options.max_retries = Some(retries);
            self
        }
    };
}
pub(crate) use call_options;

/// Runs one call: attempts `attempt` until it succeeds, fails for good, runs out of retries or
/// reaches the deadline. `already_done` gives the value returned instead of a 404 that follows
/// an attempt which may have been processed (a retried DELETE). The value comes with the
/// call's [`ResponseMeta`]; a caller that does not want it drops it.
///
/// A plain function returning the loop as one future: an `async fn` would hold its arguments
/// beside the loop's state, and every call moves that state a few times.
pub(crate) fn run<'a, T, F, Fut>(
    settings: &'a Settings,
    op: Operation,
    options: &'a CallOptions,
    already_done: Option<fn() -> T>,
    mut attempt: F,
) -> impl Future<Output = Result<(T, ResponseMeta)>> + 'a
where
    T: 'a,
    F: FnMut() -> Fut + 'a,
    Fut: Future<Output = Result<ResponseValue<T>, linq_api::Error<ErrorBody>>> + 'a,
{
    let policy = &settings.retry;
    let max_retries = options.max_retries.unwrap_or(policy.max_retries);
    let attempt_timeout = options.timeout.unwrap_or(settings.timeout);
    let span = tracing::info_span!(
        "linq.call",
        operation = op.id,
        method = op.method,
        path = op.path
    );
    let call = async move {
        options.check()?;
        let started = Instant::now();
        // A deadline too far away to represent is no deadline.
        let deadline = options
            .total_deadline
            .or(settings.total_deadline)
            .and_then(|d| started.checked_add(d));
        let mut maybe_processed = false;
        let mut number = 0u32;

        loop {
            number += 1;
            let attempt_started = Instant::now();
            let (limit, limited_by_deadline) = match deadline {
                Some(d) if d.saturating_duration_since(attempt_started) <= attempt_timeout => {
                    (d.saturating_duration_since(attempt_started), true)
                }
                _ => (attempt_timeout, false),
            };
            // The timeout is reqwest's: it covers the whole attempt, the response body included
            // (an error body the mapping reads too). The HTTP client has the configured attempt
            // timeout; another limit is set on the request.
            let mut context = linq_api::CallContext::new().max_body(settings.max_response_body);
            if limit != settings.timeout {
                context = context.timeout(limit);
            }
            // The attempt and the mapping of its error are boxed, so that the loop's own state
            // stays small: every caller's future holds it and moves it a few times, and the
            // generated client's future alone is over 1.5 KiB.
            let mapping = match Box::pin(context.run(attempt())).await {
                (Ok(value), head) => {
                    let status = value.status();
                    // In a call context the headers were moved to the head.
                    let headers = match head {
                        Some(head) => head.headers,
                        None => value.headers().clone(),
                    };
                    tracing::debug!(
                        attempt = number,
                        status = status.as_u16(),
                        elapsed_ms = attempt_started.elapsed().as_millis() as u64,
                        request_id = crate::http::request_id_in(&headers),
                        "linq call succeeded"
                    );
                    let meta = ResponseMeta::new(status, headers, number, started.elapsed());
                    return Ok((value.into_inner(), meta));
                }
                (Err(error), head) => {
                    Box::pin(Error::from_call(error, head, settings.max_response_body))
                }
            };
            let error = mapping.await;
            let elapsed_ms = attempt_started.elapsed().as_millis() as u64;
            let error = match error {
                Error::Timeout { .. } => Error::Timeout {
                    attempts: number,
                    elapsed: started.elapsed(),
                    deadline: limited_by_deadline,
                    idempotent: op.idempotent,
                    read: op.reads(),
                    not_applied: false,
                },
                other => other.with_call(number, op.idempotent, op.reads()),
            };
            tracing::debug!(
                attempt = number,
                status = error.status().map(|s| s.as_u16()),
                elapsed_ms,
                request_id = error.request_id(),
                error = %error,
                "linq call attempt failed"
            );
            if maybe_processed && error.is_linq_not_found() {
                if let Some(done) = already_done {
                    tracing::info!(
                        attempt = number,
                        "404 after an attempt that may have succeeded: treated as done"
                    );
                    let meta = error.api_error().map_or_else(
                        || {
                            ResponseMeta::new(
                                StatusCode::NOT_FOUND,
                                HeaderMap::new(),
                                number,
                                started.elapsed(),
                            )
                        },
                        |api| {
                            ResponseMeta::new(
                                api.status(),
                                api.headers().clone(),
                                number,
                                started.elapsed(),
                            )
                        },
                    );
                    return Ok((done(), meta));
                }
            }
            maybe_processed |= error.may_have_taken_effect();

            if number > max_retries || !may_retry(&error) {
                return Err(error);
            }
            let wait = match error.retry_after() {
                Some(hint) if hint > policy.max_retry_after => return Err(error),
                Some(hint) => hint,
                None => policy.backoff(number),
            };
            // A retry needs a useful share of the deadline after its wait.
            let useful = attempt_timeout.min(MIN_USEFUL_ATTEMPT);
            if deadline.is_some_and(|d| {
                Instant::now()
                    .checked_add(wait)
                    .and_then(|t| t.checked_add(useful))
                    .is_none_or(|t| t > d)
            }) {
                tracing::debug!(attempt = number, "not enough time left for another attempt");
                return Err(error.stopped_by_the_deadline());
            }
            tracing::info!(
                attempt = number,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "retrying linq call"
            );
            tokio::time::sleep(wait).await;
        }
    };
    // The loop runs inside the call's span, unless no subscriber wants it: entering and leaving
    // a disabled span on every poll still costs.
    if span.is_disabled() {
        Either::Left(call)
    } else {
        Either::Right(call.instrument(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::default().jitter(false);
        let waits: Vec<_> = (1..=6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000]);
    }

    #[test]
    fn enormous_backoff_settings_do_not_panic() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX);
        for retry in [1, 2, 64, u32::MAX] {
            assert!(policy.backoff(retry) > Duration::from_secs(u64::MAX / 2));
        }
    }

    #[test]
    fn jitter_stays_within_a_quarter_below() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            let wait = policy.backoff(2);
            assert!(wait <= Duration::from_millis(1000) && wait >= Duration::from_millis(750));
        }
    }

    #[test]
    fn create_is_retried_only_when_provably_unprocessed() {
        use reqwest::{header::HeaderMap, StatusCode};
        let timeout = |idempotent| Error::Timeout {
            attempts: 1,
            elapsed: Duration::ZERO,
            deadline: false,
            idempotent,
            read: false,
            not_applied: false,
        };
        assert!(!may_retry(&timeout(false)));
        assert!(may_retry(&timeout(true)));
        let reply = |status, idempotent| {
            crate::error::ApiError::from_raw(status, HeaderMap::new(), b"")
                .into_error()
                .with_call(1, idempotent, false)
        };
        assert!(!may_retry(&reply(StatusCode::SERVICE_UNAVAILABLE, false)));
        assert!(may_retry(&reply(StatusCode::SERVICE_UNAVAILABLE, true)));
        assert!(may_retry(&reply(StatusCode::TOO_MANY_REQUESTS, false)));
        assert!(!may_retry(&reply(StatusCode::NOT_FOUND, true)));
        let cut = Error::Timeout {
            attempts: 1,
            elapsed: Duration::ZERO,
            deadline: true,
            idempotent: true,
            read: false,
            not_applied: false,
        };
        assert!(!may_retry(&cut), "the deadline's timeout ends the call");
    }
}
