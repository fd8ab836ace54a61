//! What `linq-api-ext` costs on top of the network — one bench binary, one report.
//!
//! ```sh
//! cargo bench -p linq-integration-tests --bench client_costs            # everything, ~3 min
//! cargo bench -p linq-integration-tests --bench client_costs -- overhead  # or: listing, memory, round
//! ```
//!
//! 1. **overhead**: get a contact, create one, and a create answered 422, each through
//!    `LinqClient` and through a hand-written `reqwest` call making the same request (same
//!    headers, same body, same decoding into the same types) on an identically configured
//!    connection pool. Median and p90 latency of sequential calls, and throughput with 1, 8 and
//!    64 concurrent callers, as ratios ext / raw. Target: median latency within 5 % of raw.
//!    The get and the create are measured twice on the ext side: with `send`, and with
//!    `send_with_meta` reading the request id (the raw side is the same call both times).
//! 2. **listing**: 10,000 contacts in 100 pages, each page answered after an injected latency,
//!    streamed sequentially and fetching ahead with concurrency 2, 4 and 8; wall-clock against
//!    the latency floor `ceil(pages / concurrency) × latency`. Target: within 1.25× the floor.
//! 3. **memory**: peak heap while streaming 10,000 and 100,000 contacts (contacts dropped as
//!    they arrive). Target: the peak does not grow with the number of contacts.
//! 4. **round trips**: what find-or-create and upsert cost, in requests (the fake Linq's log,
//!    and the calls' own `attempts()`) for each situation — new, existing, a create whose reply
//!    was lost — and in time on loopback against a plain create. Target: a new contact through
//!    find-or-create is 2 round trips.
//!
//! The server is axum on 127.0.0.1, on its own runtime thread; the clients run on a
//! current-thread runtime on the main thread, so each side has one of the two cores the CI
//! machine has. Sequential raw and ext calls are taken in back-to-back pairs (throughput runs in
//! alternating rounds) so that a noisy neighbour hurts both alike. Every loop is bounded in
//! count and in time: each latency series and each throughput series stops after 20 s, so a
//! whole run takes about three minutes (the report ends with the time it took).

use std::{
    fmt::Write as _,
    future::Future,
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    serve::ListenerExt,
    Router,
};
use futures_util::TryStreamExt;
use linq_api::types::{ContactEnvelope, ContactFields, ContactInput, ErrorBody};
use linq_api_ext::{ContactId, Error, LinqClient, LinqClientBuilder, RetryPolicy};
use peak_alloc::PeakAlloc;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, USER_AGENT};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const TOKEN: &str = "bench-token";
const CONTACTS: &str = "/api/partner/v2/contacts";

// ---------------------------------------------------------------------------------------------
// The local server: the same pre-built responses for both clients, keep-alive (HTTP/1.1).

#[derive(Clone)]
struct Server {
    contact: Bytes,
    invalid: Bytes,
    /// Contacts the list endpoint holds.
    total: u64,
    /// How long each list page takes to answer.
    latency: Duration,
}

fn contact_json(out: &mut String, id: u64) {
    let _ = write!(
        out,
        r#"{{"id":{id},"first_name":"Ada{id}","last_name":"Lovelace","full_name":"Ada{id} Lovelace","email":"ada{id}@example.com","phone_number":"+1555{:07}","company":"Analytical Engines","title":"Engineer","location":"London","image_url":null,"contact_owner":{{"id":7,"email":"grace@example.com","first_name":"Grace","last_name":"Hopper","name":"Grace Hopper"}},"created_at":"2024-01-02T03:04:05Z","updated_at":"2024-01-02T03:04:05Z"}}"#,
        id % 10_000_000
    );
}

/// A JSON answer with a request id, as Linq (a Rails app) sends.
fn json(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::HeaderName::from_static("x-request-id"),
                "0f6c4d7e-bench",
            ),
        ],
        body,
    )
        .into_response()
}

async fn get_contact(State(s): State<Arc<Server>>) -> Response {
    json(StatusCode::OK, s.contact.clone())
}

/// A create naming an owner gets Linq's 422 (the bench's owner does not exist); any other
/// gets 201.
async fn create_contact(State(s): State<Arc<Server>>, body: Bytes) -> Response {
    if body.windows(12).any(|w| w == b"\"user_email\"") {
        json(StatusCode::UNPROCESSABLE_ENTITY, s.invalid.clone())
    } else {
        json(StatusCode::CREATED, s.contact.clone())
    }
}

async fn list_contacts(State(s): State<Arc<Server>>, RawQuery(query): RawQuery) -> Response {
    let (mut page, mut per_page) = (1u64, 25u64);
    for pair in query.as_deref().unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some(("page", v)) => page = v.parse().unwrap_or(1),
            Some(("per_page", v)) => per_page = v.parse().unwrap_or(25),
            _ => {}
        }
    }
    let arrived = Instant::now();
    if !s.latency.is_zero() {
        // tokio's timer has a 1 ms granularity and wakes late (20 ms becomes 21.5 on average):
        // sleep most of the way, then yield until the exact deadline, so that the injected
        // latency is the one the floor assumes.
        let deadline = arrived + s.latency;
        tokio::time::sleep_until((deadline - Duration::from_millis(2)).into()).await;
        while Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
    }
    if std::env::var_os("BENCH_TRACE").is_some() {
        let t0 = *T0.get_or_init(Instant::now);
        eprintln!(
            "page {page} arrived {:?} answered {:?}",
            arrived - t0,
            t0.elapsed()
        );
    }
    let pages = s.total.div_ceil(per_page);
    let first = (page - 1) * per_page + 1;
    let last = (page * per_page).min(s.total);
    let mut out = String::with_capacity(560 * per_page as usize + 128);
    out.push_str(r#"{"contacts":["#);
    for id in first..=last {
        if id > first {
            out.push(',');
        }
        contact_json(&mut out, id);
    }
    let _ = write!(
        out,
        r#"],"pagination":{{"current_page":{page},"per_page":{per_page},"total_count":{},"total_pages":{pages}}}}}"#,
        s.total
    );
    json(StatusCode::OK, Bytes::from(out))
}

/// Starts a server on 127.0.0.1 on the server runtime; returns its base URL.
fn serve(rt: &tokio::runtime::Runtime, total: u64, latency: Duration) -> String {
    let mut contact = String::from(r#"{"data":"#);
    contact_json(&mut contact, 42);
    contact.push('}');
    let state = Arc::new(Server {
        contact: Bytes::from(contact),
        invalid: Bytes::from_static(
            br#"{"status":"error","error_code":"VALIDATION_ERROR","message":"Validation failed","errors":["User email does not belong to the organization"]}"#,
        ),
        total,
        latency,
    });
    let app = Router::new()
        .route(CONTACTS, get(list_contacts).post(create_contact))
        .route(&format!("{CONTACTS}/{{id}}"), get(get_contact))
        .with_state(state);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr: SocketAddr = listener.local_addr().expect("local addr");
    rt.spawn(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("tokio listener").tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// The two clients.

/// The connection pool both clients use.
fn pool(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
        .pool_max_idle_per_host(64)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .http1_only()
}

fn ext_client(base: &str) -> LinqClient {
    ext_builder(base).build().expect("ext client")
}

/// The ext client's builder, before it is built (a profile adds an idle interceptor to it).
fn ext_builder(base: &str) -> LinqClientBuilder {
    LinqClientBuilder::default()
        .token(TOKEN)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .reqwest(pool)
}

/// An interceptor that does nothing: what an idle interceptor chain costs.
struct Idle;

impl linq_api_ext::Interceptor for Idle {}

/// A hand-written client: what a careful service would write with reqwest alone, configured as
/// `LinqClient` configures its transport (token and user agent as default headers, connect
/// timeout, a 60 s timeout per call like the ext client's per-attempt timeout, no redirects).
#[derive(Clone)]
struct Raw {
    http: reqwest::Client,
    contacts_url: Arc<str>,
}

#[derive(Debug)]
#[allow(dead_code)] // the fields are what a hand-written client would report
enum RawError {
    Http(reqwest::Error),
    Api(reqwest::StatusCode, HeaderMap, ErrorBody),
}

impl From<reqwest::Error> for RawError {
    fn from(e: reqwest::Error) -> Self {
        RawError::Http(e)
    }
}

impl Raw {
    fn new(base: &str) -> Self {
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_static(TOKEN);
        token.set_sensitive(true);
        headers.insert("X-LINQ-INTEGRATION-TOKEN", token);
        headers.insert(USER_AGENT, HeaderValue::from_static("linq-api-rust/0.1.0"));
        let http = pool(reqwest::Client::builder())
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("raw client");
        Raw {
            http,
            contacts_url: Arc::from(format!("{base}{CONTACTS}")),
        }
    }

    async fn decode(response: reqwest::Response) -> Result<ContactEnvelope, RawError> {
        let status = response.status();
        if status.is_success() {
            Ok(response.json().await?)
        } else {
            let headers = response.headers().clone();
            Err(RawError::Api(status, headers, response.json().await?))
        }
    }

    async fn get(&self, id: u64) -> Result<ContactEnvelope, RawError> {
        let response = self
            .http
            .get(format!("{}/{id}", self.contacts_url))
            .header(ACCEPT, "application/json")
            .header("api-version", "2.0.0")
            .send()
            .await?;
        Self::decode(response).await
    }

    async fn create(&self, owner: Option<&str>) -> Result<ContactEnvelope, RawError> {
        let body = ContactInput {
            contact: new_contact(),
            user_email: owner.map(str::to_owned),
        };
        let response = self
            .http
            .post(&*self.contacts_url)
            .header(ACCEPT, "application/json")
            .header("api-version", "2.0.0")
            .json(&body)
            .send()
            .await?;
        Self::decode(response).await
    }
}

fn new_contact() -> ContactFields {
    ContactFields {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        email: Some("ada@example.com".into()),
        ..ContactFields::default()
    }
}

static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
const OWNER: &str = "nobody@example.com";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Get,
    Create,
    Invalid,
    /// `Get` with ext's metadata path (`send_with_meta`, reading the request id); raw is the
    /// same call as for `Get`.
    GetMeta,
    /// `Create` with ext's metadata path.
    CreateMeta,
}

/// Every call the overhead section measures.
const OPS: [Op; 5] = [
    Op::Get,
    Op::GetMeta,
    Op::Create,
    Op::CreateMeta,
    Op::Invalid,
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Get => "get contact (200)",
            Op::Create => "create contact (201)",
            Op::Invalid => "create contact (422)",
            Op::GetMeta => "get contact (200), with metadata",
            Op::CreateMeta => "create contact (201), with metadata",
        }
    }
}

async fn call_raw(raw: &Raw, op: Op) {
    match op {
        Op::Get | Op::GetMeta => {
            raw.get(42).await.expect("raw get");
        }
        Op::Create | Op::CreateMeta => {
            raw.create(None).await.expect("raw create");
        }
        Op::Invalid => {
            let e = raw.create(Some(OWNER)).await.expect_err("raw 422");
            assert!(matches!(e, RawError::Api(s, ..) if s == 422), "{e:?}");
        }
    }
}

async fn call_ext(linq: &LinqClient, op: Op) {
    let contacts = linq.contacts();
    match op {
        Op::Get => {
            contacts.get(ContactId::new(42).unwrap()).send().await.expect("ext get");
        }
        Op::Create => {
            contacts
                .create()
                .first_name("Ada")
                .last_name("Lovelace")
                .email("ada@example.com")
                .send()
                .await
                .expect("ext create");
        }
        Op::GetMeta => {
            let (contact, meta) =
                contacts.get(ContactId::new(42).unwrap()).send_with_meta().await.expect("ext get");
            assert!(meta.request_id().is_some(), "the bench server sends one");
            std::hint::black_box((contact, meta.attempts()));
        }
        Op::CreateMeta => {
            let (contact, meta) = contacts
                .create()
                .first_name("Ada")
                .last_name("Lovelace")
                .email("ada@example.com")
                .send_with_meta()
                .await
                .expect("ext create");
            assert!(meta.request_id().is_some(), "the bench server sends one");
            std::hint::black_box((contact, meta.elapsed()));
        }
        Op::Invalid => {
            let e = contacts
                .create()
                .first_name("Ada")
                .last_name("Lovelace")
                .email("ada@example.com")
                .user_email(OWNER)
                .send()
                .await
                .expect_err("ext 422");
            assert!(matches!(e, Error::Validation(_)), "{e:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

#[derive(Clone, Copy)]
enum Side {
    Raw,
    Ext,
}

#[derive(Clone)]
struct Clients {
    raw: Raw,
    ext: LinqClient,
}

impl Clients {
    async fn call(&self, side: Side, op: Op) {
        match side {
            Side::Raw => call_raw(&self.raw, op).await,
            Side::Ext => call_ext(&self.ext, op).await,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

/// Latency samples of sequential calls, taken in pairs: one raw and one ext call back to back,
/// the order alternating from pair to pair, so that both sides see the same machine (a loopback
/// round trip on a VM is bimodal, and its mode drifts). At most `PAIRS` pairs, and no new pair
/// after `budget`.
struct Latency {
    /// Sorted samples of each side.
    sorted: [Vec<Duration>; 2],
    /// ext / raw of each pair.
    pair_ratios: Vec<f64>,
}

async fn latency(clients: &Clients, op: Op, budget: Duration) -> Latency {
    const PAIRS: usize = 10_000;
    let mut sorted = [Vec::with_capacity(PAIRS), Vec::with_capacity(PAIRS)];
    let mut pair_ratios = Vec::with_capacity(PAIRS);
    let started = Instant::now();
    for pair in 0..PAIRS {
        if pair % 100 == 0 && started.elapsed() > budget {
            break;
        }
        let order = if pair % 2 == 0 {
            [Side::Raw, Side::Ext]
        } else {
            [Side::Ext, Side::Raw]
        };
        let mut took = [Duration::ZERO; 2];
        for side in order {
            let t = Instant::now();
            clients.call(side, op).await;
            took[side as usize] = t.elapsed();
        }
        sorted[0].push(took[0]);
        sorted[1].push(took[1]);
        pair_ratios
            .push(took[Side::Ext as usize].as_secs_f64() / took[Side::Raw as usize].as_secs_f64());
    }
    for s in &mut sorted {
        s.sort();
    }
    Latency {
        sorted,
        pair_ratios,
    }
}

/// Calls per second with `callers` concurrent tasks sharing `calls` calls.
async fn throughput(clients: &Clients, side: Side, op: Op, callers: usize, calls: usize) -> f64 {
    let left = Arc::new(AtomicUsize::new(calls));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..callers {
        let (clients, left) = (clients.clone(), left.clone());
        tasks.spawn(async move {
            while left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                clients.call(side, op).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("caller task");
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

async fn overhead(server_rt: &tokio::runtime::Runtime, report: &mut String) -> bool {
    let base = serve(server_rt, 0, Duration::ZERO);
    let clients = Clients {
        raw: Raw::new(&base),
        ext: ext_client(&base),
    };
    // Warm up: open connections, fault in code and allocator pages.
    for op in OPS {
        for side in [Side::Raw, Side::Ext] {
            throughput(&clients, side, op, 64, 2_000).await;
        }
    }

    let mut all_met = true;
    let _ = writeln!(
        report,
        "\n### 1. Per-call overhead of linq-api-ext against hand-written reqwest\n\n\
         Sequential calls (latency) and calls per second with N concurrent callers; ratios are \
         ext / raw (latency: lower is better; throughput: higher is better).\n\n\
         | call | raw median | ext median | raw p90 | ext p90 | median ratio | paired ratio | \
         target ≤ 1.05 met | thr. ratio 1 | thr. ratio 8 | thr. ratio 64 |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut detail = String::from(
        "\n| call | callers | raw calls/s | ext calls/s | ratio |\n|---|---|---|---|---|\n",
    );
    for op in OPS {
        let Latency {
            sorted: [raw, ext],
            mut pair_ratios,
        } = latency(&clients, op, Duration::from_secs(20)).await;
        let (rm, em) = (percentile(&raw, 0.5), percentile(&ext, 0.5));
        let paired = median_f64(&mut pair_ratios);
        let ratio = em.as_secs_f64() / rm.as_secs_f64();
        let met = ratio <= 1.05;
        all_met &= met;
        let mut ratios = Vec::new();
        for callers in [1usize, 8, 64] {
            // Alternating rounds; the ratio of the medians over rounds.
            const ROUNDS: usize = 7;
            let calls = 1_000 * callers.min(4);
            let (mut r, mut e) = (Vec::new(), Vec::new());
            let started = Instant::now();
            for round in 0..ROUNDS {
                if round >= 3 && started.elapsed() > Duration::from_secs(20) {
                    break;
                }
                if round % 2 == 0 {
                    r.push(throughput(&clients, Side::Raw, op, callers, calls).await);
                    e.push(throughput(&clients, Side::Ext, op, callers, calls).await);
                } else {
                    e.push(throughput(&clients, Side::Ext, op, callers, calls).await);
                    r.push(throughput(&clients, Side::Raw, op, callers, calls).await);
                }
            }
            let (r, e) = (median_f64(&mut r), median_f64(&mut e));
            let _ = writeln!(
                detail,
                "| {} | {callers} | {r:.0} | {e:.0} | {:.3} |",
                op.name(),
                e / r
            );
            ratios.push(e / r);
        }
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} | {ratio:.3} | {paired:.3} | {} | {:.3} | {:.3} | {:.3} |",
            op.name(),
            us(rm),
            us(em),
            us(percentile(&raw, 0.9)),
            us(percentile(&ext, 0.9)),
            yes(met),
            ratios[0],
            ratios[1],
            ratios[2],
        );
        eprintln!("overhead: {} done", op.name());
    }
    report.push_str(&detail);
    all_met
}

/// One helper call of the round-trip section.
#[derive(Clone, Copy)]
enum Helper {
    Create,
    FindOrCreate,
    Upsert,
}

impl Helper {
    fn name(self) -> &'static str {
        match self {
            Helper::Create => "create (plain)",
            Helper::FindOrCreate => "find_or_create",
            Helper::Upsert => "upsert",
        }
    }

    /// Sends it for `email`; returns the requests it says it sent.
    async fn call(self, linq: &LinqClient, email: &str) -> u32 {
        let contacts = linq.contacts();
        match self {
            Helper::Create => {
                let (_, meta) = contacts
                    .create()
                    .email(email)
                    .first_name("Ada")
                    .send_with_meta()
                    .await
                    .expect("create");
                meta.attempts()
            }
            Helper::FindOrCreate => {
                let (_, meta) = contacts
                    .find_or_create()
                    .email(email)
                    .first_name("Ada")
                    .send_with_meta()
                    .await
                    .expect("find_or_create");
                meta.attempts()
            }
            Helper::Upsert => {
                let (_, meta) = contacts
                    .upsert()
                    .email(email)
                    .first_name("Ada")
                    .send_with_meta()
                    .await
                    .expect("upsert");
                meta.attempts()
            }
        }
    }
}

/// What find-or-create and upsert cost in round trips (counted in the fake Linq's request log,
/// and as the helpers report them), and in time on loopback against a plain create.
async fn round_trips(fake: &linq_fake::FakeLinq, report: &mut String) -> bool {
    use linq_fake::{LostReply, Operation, Reply};

    let linq = LinqClientBuilder::default()
        .token(fake.token())
        .base_url(fake.base_url())
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .expect("client");
    let _ = writeln!(
        report,
        "\n### 4. Round trips of find-or-create and upsert\n\n\
         Requests the fake Linq received for one call (its log), and what the call's metadata \
         reports. Target: the happy path of a new contact is 2 (find, then create).\n\n\
         | call | situation | requests (fake's log) | reported by `attempts()` |\n\
         |---|---|---|---|"
    );
    let mut n = 0usize;
    let mut happy = true;
    // (helper, situation, the contact exists already, what the create gets)
    let cases: [(Helper, &str, bool, Option<Reply>); 9] = [
        (Helper::Create, "new contact", false, None),
        (Helper::FindOrCreate, "new contact", false, None),
        (Helper::FindOrCreate, "existing contact", true, None),
        (Helper::Upsert, "new contact", false, None),
        (Helper::Upsert, "existing contact", true, None),
        (
            Helper::FindOrCreate,
            "create applied, its 503 lost the reply",
            false,
            Some(Reply::applied_then(LostReply::Status(503))),
        ),
        (
            Helper::FindOrCreate,
            "create applied, connection dropped",
            false,
            Some(Reply::applied_then(LostReply::DroppedConnection)),
        ),
        (
            Helper::Upsert,
            "create applied, reply cut off",
            false,
            Some(Reply::applied_then(LostReply::TruncatedBody)),
        ),
        (
            Helper::FindOrCreate,
            "create not applied (503): sent again",
            false,
            Some(Reply::status(503)),
        ),
    ];
    for (helper, situation, exists, fault) in cases {
        n += 1;
        let email = format!("round{n}@example.com");
        if exists {
            helper_seed(&linq, &email).await;
        }
        if let Some(reply) = fault.clone() {
            fake.script(Operation::CreateContact, [reply]);
        }
        fake.clear_requests();
        let reported = helper.call(&linq, &email).await;
        let logged = fake.requests().len();
        if matches!(helper, Helper::FindOrCreate) && !exists && fault.is_none() {
            happy &= logged == 2;
        }
        let _ = writeln!(
            report,
            "| {} | {situation} | {logged} | {reported} |",
            helper.name()
        );
    }

    // Time per call on loopback, sequential, median of 300.
    let _ = writeln!(
        report,
        "\n| call (new contact each time) | median on loopback | ratio to plain create |\n|---|---|---|"
    );
    let mut plain = Duration::ZERO;
    for helper in [Helper::Create, Helper::FindOrCreate, Helper::Upsert] {
        let mut took = Vec::with_capacity(300);
        for i in 0..300 {
            let email = format!("{}-{i}@example.com", helper.name().replace(' ', ""));
            let t = Instant::now();
            helper.call(&linq, &email).await;
            took.push(t.elapsed());
        }
        took.sort();
        let median = percentile(&took, 0.5);
        if matches!(helper, Helper::Create) {
            plain = median;
        }
        let _ = writeln!(
            report,
            "| {} | {} | {:.2} |",
            helper.name(),
            us(median),
            median.as_secs_f64() / plain.as_secs_f64()
        );
    }
    eprintln!("round trips: done");
    happy
}

/// Creates the contact `email` before a case that needs it.
async fn helper_seed(linq: &LinqClient, email: &str) {
    linq.contacts().create().email(email).send().await.expect("seed");
}

/// Streams every contact, checking order; returns how many arrived.
async fn stream_all(linq: &LinqClient, concurrency: usize) -> u64 {
    let mut all = linq.contacts().list().per_page(100).concurrency(concurrency).stream();
    let mut n = 0u64;
    while let Some(contact) = all.try_next().await.expect("stream") {
        n += 1;
        assert_eq!(contact.id.get(), n, "contacts out of order");
        if n % 100 == 1 && std::env::var_os("BENCH_TRACE").is_some() {
            let t0 = *T0.get_or_init(Instant::now);
            eprintln!("page {} yielded {:?}", n / 100 + 1, t0.elapsed());
        }
    }
    n
}

async fn listing(server_rt: &tokio::runtime::Runtime, report: &mut String) -> bool {
    const TOTAL: u64 = 10_000;
    const PAGES: u64 = 100;
    const LATENCY: Duration = Duration::from_millis(20);
    const RUNS: usize = 3;
    let base = serve(server_rt, TOTAL, LATENCY);
    let linq = ext_client(&base);
    let _ = writeln!(
        report,
        "\n### 2. Listing 10,000 contacts (100 pages of 100), {} ms injected per page\n\n\
         Wall-clock of streaming every contact (median of {RUNS} runs) against the latency floor \
         ceil(pages / concurrency) × latency.\n\n\
         | concurrency | floor | wall-clock (median) | best | ratio to floor | target ≤ 1.25 met |\n\
         |---|---|---|---|---|---|",
        LATENCY.as_millis()
    );
    let mut all_met = true;
    for concurrency in [1usize, 2, 4, 8] {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let n = stream_all(&linq, concurrency).await;
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(n, TOTAL);
        }
        let best = times.iter().copied().fold(f64::MAX, f64::min);
        let wall = median_f64(&mut times);
        let floor = PAGES.div_ceil(concurrency as u64) as f64 * LATENCY.as_secs_f64();
        let ratio = wall / floor;
        let met = ratio <= 1.25;
        all_met &= met;
        let _ = writeln!(
            report,
            "| {} | {:.0} ms | {:.0} ms | {:.0} ms | {ratio:.3} | {} |",
            if concurrency == 1 {
                "1 (sequential)".to_owned()
            } else {
                concurrency.to_string()
            },
            floor * 1e3,
            wall * 1e3,
            best * 1e3,
            yes(met)
        );
        eprintln!("listing: concurrency {concurrency} done");
    }
    all_met
}

async fn memory(server_rt: &tokio::runtime::Runtime, report: &mut String) -> bool {
    let _ = writeln!(
        report,
        "\n### 3. Peak heap while streaming (100 per page, no latency)\n\n\
         Heap allocated by the whole process (client and local server) above what it held \
         before the stream, contacts dropped as they arrive.\n\n\
         | concurrency | peak, 10,000 contacts | peak, 100,000 contacts | growth 100k / 10k | \
         target ≤ 1.25 met |\n|---|---|---|---|---|"
    );
    let mut all_met = true;
    for concurrency in [1usize, 4, 8] {
        let mut peaks = Vec::new();
        for total in [10_000u64, 100_000] {
            let base = serve(server_rt, total, Duration::ZERO);
            let linq = ext_client(&base);
            // One short stream first so that the pool, the runtime and the allocator are warm.
            let _ = linq.contacts().list().per_page(100).send().await.expect("warm up");
            let before = HEAP.current_usage();
            HEAP.reset_peak_usage();
            let n = stream_all(&linq, concurrency).await;
            assert_eq!(n, total);
            peaks.push(HEAP.peak_usage().saturating_sub(before));
        }
        let growth = peaks[1] as f64 / peaks[0] as f64;
        let met = growth <= 1.25;
        all_met &= met;
        let _ = writeln!(
            report,
            "| {concurrency} | {:.0} KiB | {:.0} KiB | {growth:.2} | {} |",
            peaks[0] as f64 / 1024.0,
            peaks[1] as f64 / 1024.0,
            yes(met)
        );
        eprintln!("memory: concurrency {concurrency} done");
    }
    all_met
}

fn run<F: Future<Output = bool>>(rt: &tokio::runtime::Runtime, f: F) -> bool {
    rt.block_on(f)
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument selects sections.
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |name: &str| wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()));

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-server")
        .enable_all()
        .build()
        .expect("server runtime");
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    // For a profiler (`valgrind --tool=callgrind`): N sequential calls of one side and call.
    if let Ok(what) = std::env::var("BENCH_PROFILE") {
        let base = serve(&server_rt, 0, Duration::ZERO);
        // `ext-idle-create`: the ext client with two interceptors that do nothing.
        let mut ext = ext_builder(&base);
        if what.contains("idle") {
            ext = ext.interceptor(Arc::new(Idle)).interceptor(Arc::new(Idle));
        }
        let clients = Clients {
            raw: Raw::new(&base),
            ext: ext.build().expect("ext client"),
        };
        let side = if what.starts_with("raw") {
            Side::Raw
        } else {
            Side::Ext
        };
        let op = match what.rsplit_once('-').map(|p| p.1) {
            Some("create") => Op::Create,
            Some("invalid") => Op::Invalid,
            Some("getmeta") => Op::GetMeta,
            Some("createmeta") => Op::CreateMeta,
            _ => Op::Get,
        };
        client_rt.block_on(async {
            for _ in 0..2_000 {
                clients.call(side, op).await;
            }
        });
        return;
    }

    let started = Instant::now();
    let mut report = String::from("## linq-api-ext: what the client costs on top of the network\n");
    let mut verdicts = Vec::new();
    if want("overhead") {
        verdicts.push((
            "overhead within 5 % of raw reqwest at the median",
            run(&client_rt, overhead(&server_rt, &mut report)),
        ));
    }
    if want("listing") {
        verdicts.push((
            "fetching ahead within 1.25× of the latency floor",
            run(&client_rt, listing(&server_rt, &mut report)),
        ));
    }
    if want("memory") {
        verdicts.push((
            "peak memory flat in the number of contacts",
            run(&client_rt, memory(&server_rt, &mut report)),
        ));
    }
    if want("round") {
        // The fake runs on the server's runtime thread, like the other sections' server.
        let fake = server_rt.block_on(linq_fake::FakeLinq::start());
        verdicts.push((
            "find-or-create of a new contact in 2 round trips",
            run(&client_rt, round_trips(&fake, &mut report)),
        ));
    }
    let _ = writeln!(report, "\n### Targets\n");
    for (target, met) in &verdicts {
        let _ = writeln!(
            report,
            "- {target}: {}",
            if *met { "met" } else { "**missed**" }
        );
    }
    let _ = writeln!(report, "\n(took {:.0} s)", started.elapsed().as_secs_f64());
    println!("{report}");
}
