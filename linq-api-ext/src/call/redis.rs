//! [`RedisRateLimiter`] (feature `redis`): one rate limit shared through Redis.

use std::{
    fmt,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex, PoisonError,
    },
    time::Duration,
};

use futures_util::future::BoxFuture;
use redis::{aio::MultiplexedConnection, AsyncConnectionConfig, Client, Script};
use tokio::time::Instant;

use super::limit::{LocalRateLimiter, RateLimiter};
use crate::error::{Error, Result};

/// GCRA: the theoretical arrival time of the next request is kept in `KEYS[1]`; a request may
/// go when it is within the burst tolerance of it. Answers 0 (go, and the time is taken) or the
/// microseconds to wait before asking again. Redis's `TIME` is the one clock of all replicas.
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if now < tat - tolerance then return tat - tolerance - now end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', math.ceil((next - now) / 1000) + 1000)
return 0
";

/// How long Redis may take to connect or to answer before the local limiter takes over.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// How long after a failure Redis is left alone (the local limiter serves meanwhile).
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(5);

/// One rate limit shared by every replica of a
/// service through Redis, with one atomic script (GCRA, on Redis's own clock). When Redis cannot
/// be reached it degrades to a [`LocalRateLimiter`] with the same rate, logs that once, and
/// never fails a call because of itself.
///
/// ```no_run
/// use std::sync::Arc;
/// use linq_api_ext::{LinqClient, RedisRateLimiter};
///
/// # fn run() -> Result<(), linq_api_ext::Error> {
/// // Every replica that uses this key shares one budget of 50 requests a second.
/// let limiter = RedisRateLimiter::new("redis://127.0.0.1:6379", "linq:acme", 50)?;
/// let linq = LinqClient::builder().from_env().rate_limiter(Arc::new(limiter)).build()?;
/// # Ok(())
/// # }
/// ```
pub struct RedisRateLimiter {
    client: Client,
    key: String,
    interval_us: u64,
    tolerance_us: u64,
    script: Script,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    failed_at: Mutex<Option<Instant>>,
    warned: AtomicBool,
    local: LocalRateLimiter,
}

impl RedisRateLimiter {
    /// At most `per_second` requests a second (bursts of as many) for every process that uses
    /// `key` on the Redis at `url` (`redis://host:port/db`). Nothing is connected yet.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `url` when it is not a Redis URL, or `requests` when
    /// `per_second` is 0.
    pub fn new(url: &str, key: impl Into<String>, per_second: u32) -> Result<Self> {
        let client = Client::open(url)
            .map_err(|_| Error::invalid("url", "must be a Redis URL (redis://host:port)"))?;
        let local = LocalRateLimiter::per_second(per_second)?;
        // `per_second` is at least 1: the local limiter refused 0.
        let interval_us = 1_000_000 / u64::from(per_second);
        Ok(Self {
            client,
            key: key.into(),
            interval_us: interval_us.max(1),
            tolerance_us: interval_us.saturating_mul(u64::from(per_second.saturating_sub(1))),
            script: Script::new(GCRA),
            connection: tokio::sync::Mutex::new(None),
            failed_at: Mutex::new(None),
            warned: AtomicBool::new(false),
            local,
        })
    }

    /// The same rate in bursts of at most `burst` requests (1: evenly spaced).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `burst` when it is 0.
    pub fn burst(mut self, burst: u32) -> Result<Self> {
        self.local = self.local.burst(burst)?;
        self.tolerance_us = self
            .interval_us
            .saturating_mul(u64::from(burst.saturating_sub(1)));
        Ok(self)
    }

    /// One run of the script: `Ok(None)` to go, `Ok(Some(wait))` to ask again after `wait`.
    async fn ask(&self) -> redis::RedisResult<Option<Duration>> {
        let mut guard = self.connection.lock().await;
        let mut connection = match guard.as_ref() {
            Some(connection) => connection.clone(),
            None => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT));
                let connection = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                guard.insert(connection).clone()
            }
        };
        drop(guard);
        let wait_us: u64 = self
            .script
            .key(&self.key)
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .invoke_async(&mut connection)
            .await?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us)))
    }

    /// Whether Redis failed lately, so that the local limiter serves without trying it.
    fn resting(&self) -> bool {
        self.failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RETRY_REDIS_AFTER)
    }

    async fn acquire_inner(&self) {
        loop {
            if self.resting() {
                return self.local.acquire().await;
            }
            match self.ask().await {
                Ok(None) => return,
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                Err(error) => {
                    *self.connection.lock().await = None;
                    *self
                        .failed_at
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                    if !self.warned.swap(true, Ordering::Relaxed) {
                        // The error names the server, never a password (redis drops it).
                        tracing::warn!(
                            error = %error,
                            "the Redis rate limiter cannot reach Redis: limiting this process \
                             alone until it can"
                        );
                    }
                    return self.local.acquire().await;
                }
            }
        }
    }
}

impl RateLimiter for RedisRateLimiter {
    fn acquire(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.acquire_inner())
    }
}

impl fmt::Debug for RedisRateLimiter {
    // The URL may hold a password: only the key and the rate are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("key", &self.key)
            .field("interval_us", &self.interval_us)
            .field("tolerance_us", &self.tolerance_us)
            .finish_non_exhaustive()
    }
}
