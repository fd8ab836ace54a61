//! Rate limits shared by every call of a client: a [`RateLimiter`] consulted before each
//! attempt, and the pause a 429 puts on every call of the client (see the crate docs).

use std::{
    fmt,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::Duration,
};

use futures_util::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Decides when the next request of a client may leave. Consulted before every attempt; it
/// must never fail a call (a limiter whose backing store is unreachable lets requests go, or
/// falls back to a local budget, and says so in its logs).
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits until one more request may be sent.
    fn acquire(&self) -> BoxFuture<'_, ()>;
}

/// A rate limit shared by the tasks of one process: a GCRA bucket (`governor`).
///
/// ```
/// use std::sync::Arc;
/// use linq_api_ext::{LinqClient, LocalRateLimiter};
///
/// // At most 50 requests a second from this process, bursts of up to 5.
/// let limiter = LocalRateLimiter::per_second(50)?.burst(5)?;
/// let linq = LinqClient::builder().token("token").rate_limiter(Arc::new(limiter)).build()?;
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
pub struct LocalRateLimiter {
    per_second: NonZeroU32,
    limiter: DefaultDirectRateLimiter,
}

impl LocalRateLimiter {
    /// At most `requests` a second, in bursts of at most as many.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `requests` when it is 0.
    pub fn per_second(requests: u32) -> Result<Self> {
        let per_second = NonZeroU32::new(requests)
            .ok_or_else(|| Error::invalid("requests", "must be at least 1 a second"))?;
        Ok(Self::new(per_second, per_second))
    }

    /// The same rate, in bursts of at most `burst` requests (1: evenly spaced).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `burst` when it is 0.
    pub fn burst(self, burst: u32) -> Result<Self> {
        let burst =
            NonZeroU32::new(burst).ok_or_else(|| Error::invalid("burst", "must be at least 1"))?;
        Ok(Self::new(self.per_second, burst))
    }

    fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Self {
            per_second,
            limiter: DefaultDirectRateLimiter::direct(quota),
        }
    }
}

impl RateLimiter for LocalRateLimiter {
    fn acquire(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.limiter.until_ready())
    }
}

impl fmt::Debug for LocalRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRateLimiter")
            .field("per_second", &self.per_second)
            .finish_non_exhaustive()
    }
}

/// What every attempt of a client waits for: the pause a 429 put on the client, then the rate
/// limiter, if any.
#[derive(Clone, Default)]
pub(crate) struct Gate {
    limiter: Option<Arc<dyn RateLimiter>>,
    paused_until: Arc<Mutex<Option<Instant>>>,
    /// Whether a pause was ever set: until then, an attempt does not look at the lock.
    ever_paused: Arc<AtomicBool>,
}

impl Gate {
    pub(crate) fn new(limiter: Option<Arc<dyn RateLimiter>>) -> Self {
        Self {
            limiter,
            paused_until: Arc::default(),
            ever_paused: Arc::default(),
        }
    }

    /// Whether an attempt has anything to wait for: a limiter, or a pause set once.
    pub(crate) fn is_active(&self) -> bool {
        self.limiter.is_some() || self.ever_paused.load(Ordering::Relaxed)
    }

    /// Waits for the pause, then for the limiter.
    pub(crate) async fn wait(&self) {
        let until = *self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(until) = until.filter(|u| *u > Instant::now()) {
            tracing::debug!(
                wait_ms = until.saturating_duration_since(Instant::now()).as_millis() as u64,
                "waiting out the client's rate-limit pause"
            );
            tokio::time::sleep_until(until).await;
        }
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
    }

    /// Pauses every call of the client for `wait`, as a 429 asked (a longer pause already
    /// in force stays).
    pub(crate) fn pause(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        let mut paused = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
        self.ever_paused.store(true, Ordering::Relaxed);
    }
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("limiter", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}
