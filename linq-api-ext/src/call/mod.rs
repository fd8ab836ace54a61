//! The call engine: the one place every operation's attempts run ([`run`]), with the settings
//! and per-call options it reads, and the builder kit every request builder shares (the
//! per-call overrides, `send`, `send_with_meta` and `.await`).
//!
//! Layers below: [`retry`] (the retry policy and the one retry decision) and [`meta`] (what a
//! success says). Nothing here knows a resource; `contacts` and `subscriptions` build on it.

pub(crate) mod meta;
pub(crate) mod retry;

use std::{future::Future, time::Duration};

use futures_util::future::Either;
use linq_api::{types::ErrorBody, ResponseValue};
use reqwest::{header::HeaderMap, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{Error, Result};
use meta::ResponseMeta;
use retry::{is_rate_limited, leaves_useful_attempt, RetryPolicy};

/// The settings every call reads.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub base_url: String,
    pub timeout: Duration,
    pub total_deadline: Option<Duration>,
    pub max_response_body: usize,
    pub retry: RetryPolicy,
    pub user_agent: String,
}

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

/// A conversion's [`Error::Decode`] (a value no real answer holds), placed in the response to
/// `op` it came from: its status, headers and attempts, and what the operation does.
pub(crate) fn in_response(error: Error, meta: &ResponseMeta, op: Operation) -> Error {
    match error {
        Error::Decode {
            failure,
            message,
            snippet,
            ..
        } => Error::Decode {
            status: Some(meta.status()),
            failure,
            message,
            snippet,
            headers: Box::new(meta.headers().clone()),
            attempts: meta.attempts(),
            idempotent: op.idempotent,
            read: op.reads(),
        },
        other => other,
    }
}

/// `send` (the value) beside `send_with_meta` (the value and the [`ResponseMeta`]), and
/// `.await` on a builder, which sends it.
macro_rules! send_and_into_future {
    ($builder:ident => $output:ty) => {
        impl $builder {
            /// Sends the request; [`send_with_meta`](Self::send_with_meta) says what it
            /// returns and how it fails.
            ///
            /// # Errors
            /// As [`send_with_meta`](Self::send_with_meta).
            // A plain function mapping `send_with_meta`'s future, rather than an `async fn`
            // awaiting it: one layer less of future state to build and move on every call.
            pub fn send(self) -> impl Future<Output = Result<$output>> + Send + 'static {
                futures_util::FutureExt::map(self.send_with_meta(), |result| {
                    result.map(|(value, _)| value)
                })
            }
        }

        impl IntoFuture for $builder {
            type Output = Result<$output>;
            type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use send_and_into_future;

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
    let max_retries = options.max_retries.unwrap_or(policy.get_max_retries());
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
        let mut rate_limited = 0u32;

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

            rate_limited += u32::from(is_rate_limited(&error));
            let wait = match policy.after_failure(&error, number, rate_limited, max_retries) {
                Some(wait) if leaves_useful_attempt(deadline, wait, attempt_timeout) => wait,
                Some(_) => {
                    tracing::debug!(attempt = number, "not enough time left for another attempt");
                    return Err(error.stopped_by_the_deadline());
                }
                None => return Err(error),
            };
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
