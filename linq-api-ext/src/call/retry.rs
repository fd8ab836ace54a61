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

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use reqwest::StatusCode;
use tokio::time::Instant;

use crate::error::Error;

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
    rate_limit_retries: Option<u32>,
    budget: Option<RetryBudget>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
            rate_limit_retries: None,
            budget: Some(RetryBudget::default()),
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

    /// Retries after a 429 (rate limited), counted apart from the other retries: a bulk job
    /// that should wait out a rate limit for as long as Linq asks, without retrying other
    /// failures more, sets it high. By default 429s count among
    /// [`max_retries`](Self::max_retries). A 429 was not processed, so retrying it is safe for
    /// every operation, a create included.
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.rate_limit_retries = Some(retries);
        self
    }

    /// The client-wide retry quota (default [`RetryBudget::default`]: AWS's standard mode).
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No client-wide retry quota: each call retries as its own policy says, however many
    /// other calls are retrying.
    pub fn no_retry_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// The client-wide retry quota, if any.
    pub(crate) fn budget(&self) -> Option<RetryBudget> {
        self.budget
    }

    /// The longest server-requested wait that is honoured.
    pub(crate) fn get_max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// The configured number of retries.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The one retry decision: after a failed attempt, the wait before the next one, or `None`
    /// when the call ends with `error` — its retries are used up, it is not
    /// [retryable](Error::is_retryable) (or a timeout of the total deadline), or the server
    /// asked for a longer wait than [`max_retry_after`](Self::max_retry_after). `failed`
    /// counts the attempts that failed so far, this one included, and `rate_limited` those of
    /// them that got a 429. Whether the deadline leaves room for the attempt is
    /// [`leaves_useful_attempt`]'s to say.
    pub(crate) fn after_failure(
        &self,
        error: &Error,
        failed: u32,
        rate_limited: u32,
        max_retries: u32,
    ) -> Option<Duration> {
        let used_up = match self.rate_limit_retries {
            Some(limit) if is_rate_limited(error) => rate_limited > limit,
            Some(_) => failed - rate_limited > max_retries,
            None => failed > max_retries,
        };
        if used_up || !may_retry(error) {
            return None;
        }
        match error.retry_after() {
            Some(hint) if hint > self.max_retry_after => None,
            Some(hint) => Some(hint),
            None => Some(self.backoff(failed)),
        }
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

/// A client-wide quota of retries, as in AWS's standard retry mode, so that during an outage
/// retries do not multiply the load: the client holds `capacity` tokens; a retry takes
/// `retry_cost` of them (`timeout_cost` after a timeout); an attempt that succeeds gives back
/// what its call's retries took, or `success_refund` when it needed none. With too few tokens
/// left, a call returns its error instead of retrying.
///
/// The default is AWS's: 500 tokens, 5 a retry, 10 after a timeout, 1 back per success —
/// about 100 retries in a row when everything fails, and the quota refills as calls succeed.
///
/// ```
/// use linq_api_ext::{RetryBudget, RetryPolicy};
///
/// let tight = RetryPolicy::default().retry_budget(RetryBudget::new(50).retry_cost(10));
/// let unlimited = RetryPolicy::default().no_retry_budget();
/// # let _ = (tight, unlimited);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    success_refund: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// A quota of `capacity` tokens, with the default costs.
    pub fn new(capacity: u32) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }

    /// The tokens a retry takes (default 5).
    pub fn retry_cost(mut self, tokens: u32) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// The tokens a retry after a timeout takes (default 10).
    pub fn timeout_cost(mut self, tokens: u32) -> Self {
        self.timeout_cost = tokens;
        self
    }

    /// The tokens a call that succeeds without a retry gives back (default 1).
    pub fn success_refund(mut self, tokens: u32) -> Self {
        self.success_refund = tokens;
        self
    }
}

/// The tokens left of a client's [`RetryBudget`], shared by all its calls.
#[derive(Debug)]
pub(crate) struct Budget {
    config: Option<RetryBudget>,
    tokens: AtomicU32,
}

impl Budget {
    pub(crate) fn new(config: Option<RetryBudget>) -> Self {
        let tokens = config.map_or(0, |c| c.capacity);
        Self {
            config,
            tokens: AtomicU32::new(tokens),
        }
    }

    /// Takes the cost of retrying after `error`; `Some(cost)` when there was enough (0 without
    /// a quota), `None` when the quota is spent.
    fn withdraw(&self, error: &Error) -> Option<u32> {
        let Some(config) = self.config else {
            return Some(0);
        };
        let cost = if matches!(error, Error::Timeout { .. }) {
            config.timeout_cost
        } else {
            config.retry_cost
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// Gives back what a call that succeeded took for its retries (`spent`), or the success
    /// refund when it took nothing.
    pub(crate) fn refund(&self, spent: u32) {
        let Some(config) = self.config else { return };
        let back = if spent > 0 {
            spent
        } else {
            config.success_refund
        };
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                // A full quota (the usual case) is left alone: no write on every success.
                (t < config.capacity).then(|| t.saturating_add(back).min(config.capacity))
            });
    }
}

/// What follows a failed attempt: the one place that weighs the policy, the deadline and the
/// client's retry quota.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Retry after this wait; the retry took this many tokens of the quota.
    Retry { wait: Duration, cost: u32 },
    /// The call ends with the error: the policy says so.
    Stop,
    /// The call ends with the error: the deadline leaves no useful attempt.
    Deadline,
    /// The call ends with the error: the client's retry quota is spent.
    Budget,
}

/// The decision after a failed attempt (see [`Next`]): the policy's
/// [`after_failure`](RetryPolicy::after_failure), then [`leaves_useful_attempt`], then the
/// client's [`Budget`]. `failed` and `rate_limited` count this call's failed attempts so far.
#[allow(clippy::too_many_arguments)]
pub(crate) fn next(
    policy: &RetryPolicy,
    budget: &Budget,
    error: &Error,
    failed: u32,
    rate_limited: u32,
    max_retries: u32,
    deadline: Option<Instant>,
    attempt_timeout: Duration,
) -> Next {
    let Some(wait) = policy.after_failure(error, failed, rate_limited, max_retries) else {
        return Next::Stop;
    };
    if !leaves_useful_attempt(deadline, wait, attempt_timeout) {
        return Next::Deadline;
    }
    match budget.withdraw(error) {
        Some(cost) => Next::Retry { wait, cost },
        None => Next::Budget,
    }
}

/// The one deadline rule: whether an attempt that starts after `wait` still gets a useful share
/// of the total deadline — the smaller of its timeout and [`MIN_USEFUL_ATTEMPT`]. A retry
/// with a few milliseconds left would only turn the last reply into a bare timeout.
pub(crate) fn leaves_useful_attempt(
    deadline: Option<Instant>,
    wait: Duration,
    attempt_timeout: Duration,
) -> bool {
    let useful = attempt_timeout.min(MIN_USEFUL_ATTEMPT);
    deadline.is_none_or(|d| {
        Instant::now()
            .checked_add(wait)
            .and_then(|t| t.checked_add(useful))
            .is_some_and(|t| t <= d)
    })
}

/// Whether the answer was a 429: rate limited, not processed.
pub(crate) fn is_rate_limited(error: &Error) -> bool {
    error.status() == Some(StatusCode::TOO_MANY_REQUESTS)
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
