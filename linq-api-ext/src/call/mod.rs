//! The call engine: the one place every operation's attempts run ([`run`]), with the settings
//! and per-call options it reads, and the builder kit every request builder shares (the
//! per-call overrides, `send` and `.await`: [`request_builder`]).
//!
//! Layers below: [`retry`] (the retry policy and the one retry decision) and [`meta`] (what a
//! success says). Nothing here knows a resource; `contacts` and `subscriptions` build on it.

pub(crate) mod intercept;
pub(crate) mod limit;
pub(crate) mod meta;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod retry;
pub(crate) mod telemetry;

use std::{future::Future, sync::Arc, time::Duration};

use futures_util::future::Either;
use linq_api::{types::ErrorBody, ResponseValue};
use reqwest::{header::HeaderMap, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{Error, Result};
use intercept::{AttemptOutcome, AttemptRequest, Interceptor};
use limit::Gate;
use meta::ResponseMeta;
use retry::{is_rate_limited, Budget, Next, RetryPolicy};
use telemetry::Server;

/// The settings every call reads.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub base_url: String,
    pub timeout: Duration,
    pub total_deadline: Option<Duration>,
    pub max_response_body: usize,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// Where the calls go, for the attempt spans.
    pub server: Server,
    /// The rate-limit pause and limiter every attempt waits for.
    pub gate: Gate,
    /// The client's retry quota.
    pub budget: Arc<Budget>,
    /// Called around every attempt, in order.
    pub interceptors: Interceptors,
}

/// The interceptors of a client, in the order they were added.
#[derive(Clone, Default)]
pub(crate) struct Interceptors(pub(crate) Arc<[Arc<dyn Interceptor>]>);

impl Interceptors {
    fn iter(&self) -> impl Iterator<Item = &Arc<dyn Interceptor>> {
        self.0.iter()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Interceptors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} interceptor(s)", self.0.len())
    }
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

/// What one call may spend, from its options over the client's settings.
pub(crate) struct Limits {
    /// When the total deadline passes (`None`: no deadline, or one too far away to represent).
    pub deadline: Option<Instant>,
    pub max_retries: u32,
    pub attempt_timeout: Duration,
}

impl CallOptions {
    /// The limits of a call that started at `started`.
    pub(crate) fn limits(&self, settings: &Settings, started: Instant) -> Limits {
        Limits {
            deadline: self
                .total_deadline
                .or(settings.total_deadline)
                .and_then(|d| started.checked_add(d)),
            max_retries: self.max_retries.unwrap_or(settings.retry.get_max_retries()),
            attempt_timeout: self.timeout.unwrap_or(settings.timeout),
        }
    }

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

/// The builder kit: what every request builder shares, written once.
///
/// `request_builder!(Builder => Output)` gives `Builder` the setters of the per-call overrides
/// ([`CallOptions`]: `timeout`, `total_deadline`, `max_retries`), `send` (the value, beside the
/// builder's own `send_with_meta`, which returns it with the [`ResponseMeta`]) and `.await`,
/// which sends it. `request_builder!(Builder)` gives the setters only, for a builder that is
/// sent in other ways (the pages of a list). The builder holds its overrides in a field
/// `options: CallOptions`.
macro_rules! request_builder {
    ($builder:ident) => {
        impl $builder {
            /// Overrides the client's timeout of each attempt for this call (zero is refused
            /// when the call is sent, before anything goes out).
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }

            /// Overrides the client's total deadline for this call (zero is refused when the
            /// call is sent, before anything goes out).
            pub fn total_deadline(mut self, deadline: ::std::time::Duration) -> Self {
                self.options.total_deadline = Some(deadline);
                self
            }

            /// Overrides the client's number of retries for this call (0: a single attempt).
            pub fn max_retries(mut self, retries: u32) -> Self {
                self.options.max_retries = Some(retries);
                self
            }
        }
    };
    ($builder:ident => $output:ty) => {
        $crate::call::request_builder!($builder);

        impl $builder {
            /// Sends the request; [`send_with_meta`](Self::send_with_meta) says what it
            /// returns and how it fails.
            ///
            /// # Errors
            /// As [`send_with_meta`](Self::send_with_meta).
            // A plain function mapping `send_with_meta`'s future, rather than an `async fn`
            // awaiting it: one layer less of future state to build and move on every call.
            pub fn send(self) -> impl ::std::future::Future<Output = $crate::error::Result<$output>> + Send + 'static {
                futures_util::FutureExt::map(self.send_with_meta(), |result| {
                    result.map(|(value, _)| value)
                })
            }
        }

        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::error::Result<$output>;
            type IntoFuture =
                ::std::pin::Pin<Box<dyn ::std::future::Future<Output = Self::Output> + Send>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use request_builder;

/// Where every attempt ends: its span records the outcome, and the interceptors see it.
fn attempt_ended(
    settings: &Settings,
    span: &tracing::Span,
    op: Operation,
    number: u32,
    status: Option<StatusCode>,
    error: Option<&Error>,
    elapsed: Duration,
) {
    telemetry::record_outcome(span, &op, &settings.server, status, error, elapsed);
    if settings.interceptors.is_empty() {
        return;
    }
    let outcome = AttemptOutcome {
        operation: op,
        attempt: number,
        status,
        elapsed,
        error,
    };
    for interceptor in settings.interceptors.iter() {
        interceptor.after_attempt(&outcome);
    }
}

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
    let span = tracing::info_span!(
        "linq.call",
        operation = op.id,
        method = op.method,
        path = op.path
    );
    let call = async move {
        options.check()?;
        let started = Instant::now();
        let Limits {
            deadline,
            max_retries,
            attempt_timeout,
        } = options.limits(settings, started);
        let mut maybe_processed = false;
        let mut number = 0u32;
        let mut rate_limited = 0u32;
        // The retry quota this call took, given back if it succeeds.
        let mut spent = 0u32;

        loop {
            number += 1;
            // Where every attempt starts: the client's rate-limit pause and limiter, then the
            // interceptors.
            if settings.gate.is_active() {
                settings.gate.wait().await;
            }
            let mut extra = HeaderMap::new();
            for interceptor in settings.interceptors.iter() {
                let mut request = AttemptRequest {
                    operation: op,
                    attempt: number,
                    headers: &mut extra,
                };
                if let Err(source) = interceptor.before_attempt(&mut request).await {
                    return Err(Error::Interceptor {
                        source,
                        attempts: number - 1,
                    });
                }
            }
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
            let span = telemetry::attempt_span(&op, &settings.server, number);
            // The request is touched only when something needs it: headers to add, a span to
            // record its URL on, a trace context to send.
            let sent = if !extra.is_empty() || telemetry::wants_request(&span) {
                let on_request = span.clone();
                Either::Left(context.run_prepared(
                    move |request| {
                        request.headers_mut().extend(extra);
                        if !on_request.is_disabled() {
                            telemetry::record_url(&on_request, request.url());
                            telemetry::inject_context(&on_request, request.headers_mut());
                        }
                    },
                    attempt(),
                ))
            } else {
                Either::Right(context.run(attempt()))
            };
            // The attempt and the mapping of its error are boxed, so that the loop's own state
            // stays small: every caller's future holds it and moves it a few times, and the
            // generated client's future alone is over 1.5 KiB.
            let answer = if span.is_disabled() {
                Box::pin(sent).await
            } else {
                Box::pin(sent.instrument(span.clone())).await
            };
            let mapping = match answer {
                (Ok(value), head) => {
                    let status = value.status();
                    // In a call context the headers were moved to the head.
                    let headers = match head {
                        Some(head) => head.headers,
                        None => value.headers().clone(),
                    };
                    let elapsed = attempt_started.elapsed();
                    tracing::debug!(
                        attempt = number,
                        status = status.as_u16(),
                        elapsed_ms = elapsed.as_millis() as u64,
                        request_id = crate::http::request_id_in(&headers),
                        "linq call succeeded"
                    );
                    attempt_ended(settings, &span, op, number, Some(status), None, elapsed);
                    settings.budget.refund(spent);
                    let meta = ResponseMeta::new(status, headers, number, started.elapsed());
                    return Ok((value.into_inner(), meta));
                }
                (Err(error), head) => {
                    Box::pin(Error::from_call(error, head, settings.max_response_body))
                }
            };
            let error = mapping.await;
            let elapsed = attempt_started.elapsed();
            let mut error = error.with_call(number, op.idempotent, op.reads());
            if let Error::Timeout {
                elapsed, deadline, ..
            } = &mut error
            {
                // The call's time so far, and whether the deadline set this attempt's limit.
                *elapsed = started.elapsed();
                *deadline = limited_by_deadline;
            }
            tracing::debug!(
                attempt = number,
                status = error.status().map(|s| s.as_u16()),
                elapsed_ms = elapsed.as_millis() as u64,
                request_id = error.request_id(),
                error = %error,
                "linq call attempt failed"
            );
            attempt_ended(
                settings,
                &span,
                op,
                number,
                error.status(),
                Some(&error),
                elapsed,
            );
            if is_rate_limited(&error) {
                rate_limited += 1;
                // Every call of the client waits as long as Linq asked this one to.
                if let Some(wait) = error.retry_after() {
                    settings
                        .gate
                        .pause(wait.min(settings.retry.get_max_retry_after()));
                }
            }
            if let (true, Some(done), Some(api)) =
                (maybe_processed, already_done, error.linq_not_found())
            {
                tracing::info!(
                    attempt = number,
                    "404 after an attempt that may have succeeded: treated as done"
                );
                return Ok((done(), ResponseMeta::of_api(api, started.elapsed())));
            }
            maybe_processed |= error.may_have_taken_effect();

            let wait = match retry::next(
                policy,
                &settings.budget,
                &error,
                number,
                rate_limited,
                max_retries,
                deadline,
                attempt_timeout,
            ) {
                Next::Retry { wait, cost } => {
                    spent += cost;
                    wait
                }
                Next::Stop => return Err(error),
                Next::Deadline => {
                    tracing::debug!(attempt = number, "not enough time left for another attempt");
                    return Err(error.stopped_by_the_deadline());
                }
                Next::Budget => {
                    tracing::warn!(
                        attempt = number,
                        "the client's retry quota is spent: not retrying"
                    );
                    return Err(error);
                }
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
