//! Eight imports in eight processes against one fake Linq that allows 50 requests a second
//! (`--rate-limit 50/1` of the fake): with `--rate-limit 50/s --redis-url` they share one limit
//! through a local `redis-server`; without the Redis URL each limits itself alone. Prints the
//! throughput and the 429s of each way (a request the fake throttled is sent again, so the
//! 429s are the requests beyond one find and one create per row).
//!
//! Run by hand (CI only builds it): `cargo bench -p linq-contacts --bench shared_limit`. Needs
//! `redis-server` (Debian's package). Figures: BENCHMARKS.md.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use linq_fake::{FakeLinq, RateLimit};

/// Processes importing at once.
const PROCESSES: usize = 8;
/// Rows each process imports (new contacts: a find and a create each).
const ROWS: usize = 50;
/// The fake's limit, and the shared one.
const RATE: u32 = 50;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let redis = start_redis();
    println!("| limiter | requests | 429s | of requests | seconds | requests/s | of {RATE}/s |");
    println!("|---|---|---|---|---|---|---|");
    runtime.block_on(async {
        run("shared through Redis", Some(&redis.1)).await;
        run("each process alone", None).await;
    });
}

async fn run(name: &str, redis_url: Option<&str>) {
    let fake = FakeLinq::builder()
        .rate_limit(RateLimit::per_second(RATE))
        .record_requests(true)
        .start()
        .await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let children: Vec<Child> = (0..PROCESSES)
        .map(|p| {
            let file = dir.path().join(format!("p{p}.csv"));
            let mut text = String::from("first_name,email\n");
            for r in 0..ROWS {
                text.push_str(&format!("P{p}R{r},p{p}r{r}@example.com\n"));
            }
            std::fs::write(&file, text).expect("the rows are written");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_linq-contacts"));
            cmd.env("LINQ_INTEGRATION_TOKEN", fake.token())
                .env("LINQ_BASE_URL", fake.base_url())
                .args([
                    "import",
                    "--concurrency",
                    "4",
                    "--rate-limit",
                    &format!("{RATE}/s"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(url) = redis_url {
                cmd.args(["--redis-url", url]);
            }
            cmd.arg(&file).spawn().expect("the CLI starts")
        })
        .collect();
    let children = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|mut c| c.wait().expect("the CLI ends").success())
            .collect::<Vec<_>>()
    })
    .await
    .expect("the processes are waited for");
    let seconds = started.elapsed().as_secs_f64();
    assert!(children.iter().all(|ok| *ok), "every import succeeded");
    assert_eq!(fake.contacts().len(), PROCESSES * ROWS);
    let requests = fake.requests().len();
    let throttled = requests - 2 * PROCESSES * ROWS;
    let per_second = (2 * PROCESSES * ROWS) as f64 / seconds;
    println!(
        "| {name} | {requests} | {throttled} | {:.1} % | {seconds:.1} | {per_second:.1} | {:.0} % |",
        100.0 * throttled as f64 / requests as f64,
        100.0 * per_second / f64::from(RATE)
    );
}

/// A `redis-server` on a free loopback port, and its URL.
fn start_redis() -> (KillOnDrop, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let redis = KillOnDrop(
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs"),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (redis, format!("redis://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not listen");
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
