//! Rate limiting: a token bucket per organization.

use std::time::{Duration, Instant};

/// A request rate past which the fake answers 429 with `Retry-After`; set it with
/// [`FakeLinqBuilder::rate_limit`](super::FakeLinqBuilder::rate_limit) or
/// [`FakeLinq::set_rate_limit`](super::FakeLinq::set_rate_limit).
///
/// Each organization has a bucket of `requests` that refills steadily over `per`: a burst of
/// `requests` is served at once, then one more every `per / requests`. A request past the
/// limit gets a 429 `RATE_LIMITED` in the `render_standard_error` format with `Retry-After`
/// in whole seconds (at least 1) until a request would be served again; it does not use up
/// the bucket. Only requests with a valid token that reach an operation count (not 401s, 404s
/// of unknown paths, or scripted replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    requests: u32,
    per: Duration,
}

impl RateLimit {
    /// At most `requests` per `per` (at least 1 request, and at least 1 ms).
    pub fn new(requests: u32, per: Duration) -> RateLimit {
        RateLimit {
            requests: requests.max(1),
            per: per.max(Duration::from_millis(1)),
        }
    }

    /// At most `requests` per second.
    pub fn per_second(requests: u32) -> RateLimit {
        RateLimit::new(requests, Duration::from_secs(1))
    }

    /// The requests of a full bucket.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The time over which the bucket refills.
    pub fn per(&self) -> Duration {
        self.per
    }
}

/// One organization's bucket, kept as the generic cell rate algorithm does: the time at which
/// the bucket would be full again (`full_at`), in exact `Duration` arithmetic.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    full_at: Instant,
}

impl Bucket {
    pub(super) fn full(now: Instant) -> Bucket {
        Bucket { full_at: now }
    }

    /// Takes one request from the bucket, or says how long until one is available.
    pub(super) fn take(&mut self, limit: &RateLimit, now: Instant) -> Result<(), Duration> {
        let interval = limit.per / limit.requests;
        // How far the bucket may run ahead of now: all of it but one request.
        let tolerance = limit.per.saturating_sub(interval);
        let full_at = self.full_at.max(now);
        let ahead = full_at - now;
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        self.full_at = full_at + interval;
        Ok(())
    }
}

/// `Retry-After` for a wait: whole seconds, rounded up, at least 1.
pub(super) fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_served_then_one_request_per_interval() {
        let limit = RateLimit::new(2, Duration::from_secs(10));
        let start = Instant::now();
        let mut bucket = Bucket::full(start);
        assert_eq!(bucket.take(&limit, start), Ok(()));
        assert_eq!(bucket.take(&limit, start), Ok(()));
        let wait = bucket.take(&limit, start).expect_err("the bucket is empty");
        assert_eq!(retry_after_seconds(wait), 5);
        // A refused request does not use the bucket up further.
        let later = start + Duration::from_secs(4);
        assert_eq!(
            bucket.take(&limit, later).map_err(retry_after_seconds),
            Err(1)
        );
        let refilled = start + Duration::from_secs(5);
        assert_eq!(bucket.take(&limit, refilled), Ok(()));
        // Never more than a full bucket, however long it waited.
        let much_later = refilled + Duration::from_secs(3600);
        assert_eq!(bucket.take(&limit, much_later), Ok(()));
        assert_eq!(bucket.take(&limit, much_later), Ok(()));
        assert!(bucket.take(&limit, much_later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(30)), 30);
    }

    #[test]
    fn degenerate_limits_are_raised_to_one_request_and_one_millisecond() {
        let limit = RateLimit::new(0, Duration::ZERO);
        assert_eq!(limit.requests(), 1);
        assert_eq!(limit.per(), Duration::from_millis(1));
    }
}
