//! Two replicas of a service share one rate limit through Redis: each has its own client and
//! its own `RedisRateLimiter` on the same key, and together they stay under one budget.
//!
//! Runs against the fake Linq and a `redis-server` it starts on 127.0.0.1 (Debian's
//! `redis-server` package), or the Redis at `REDIS_URL` when that is set. Exits by itself.
//!
//! ```sh
//! cargo run -p linq-api-ext --features redis --example shared_rate_limit
//! ```

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use linq_api_ext::{LinqClient, RedisRateLimiter};
use linq_fake::{FakeLinq, Operation};

/// Requests a second for all replicas together.
const RATE: u32 = 20;
/// Requests each replica sends.
const EACH: usize = 10;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, _redis) = match std::env::var("REDIS_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let (url, child) = start_redis().await?;
            (url, Some(KillOnDrop(child)))
        }
    };
    let fake = FakeLinq::start().await;
    let replica = || -> Result<LinqClient, linq_api_ext::Error> {
        let limiter = RedisRateLimiter::new(&url, "linq:example", RATE)?.burst(1)?;
        LinqClient::builder()
            .token(fake.token())
            .base_url(fake.base_url())
            .rate_limiter(Arc::new(limiter))
            .build()
    };
    let replicas = [replica()?, replica()?];
    let started = Instant::now();
    let mut calls = Vec::new();
    for linq in &replicas {
        for _ in 0..EACH {
            calls.push(tokio::spawn(linq.contacts().list().send()));
        }
    }
    for call in calls {
        call.await??;
    }
    let elapsed = started.elapsed();
    let sent = fake.requests_for(Operation::ListContacts).len();
    let rate = sent as f64 / elapsed.as_secs_f64();
    println!(
        "2 replicas sent {sent} requests in {:.2} s: {rate:.1}/s under a shared limit of {RATE}/s",
        elapsed.as_secs_f64()
    );
    // Evenly spaced: the first goes at once, then one every 1/RATE s.
    let floor = Duration::from_secs_f64((sent - 1) as f64 / f64::from(RATE));
    if elapsed + Duration::from_millis(50) < floor {
        return Err(format!("the replicas went faster than the shared limit ({elapsed:?})").into());
    }
    Ok(())
}

/// Starts `redis-server` on a free loopback port and waits until it listens.
async fn start_redis() -> Result<(String, Child), Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server ({e}); set REDIS_URL or install it"))?;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((format!("redis://127.0.0.1:{port}"), child));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("redis-server did not start listening".into())
}

/// Stops the Redis the example started.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
