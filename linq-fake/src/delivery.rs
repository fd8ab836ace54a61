//! Webhook delivery: the contact events of the API's writes, in the V2 envelope, signed when
//! the subscription has a secret, POSTed to loopback URLs by one task per subscription (in
//! order), retried with backoff, and recorded attempt by attempt.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use linq_api::types::KnownWebhookEventType;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

use super::server::Shared;
use super::store::timestamp;

/// The header that carries the signature of a delivery.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// The most the fake reads of a receiver's reply; the rest is not read.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// The longest wait between two attempts, however many there are.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How the fake retries a delivery that failed (a non-2xx answer, a timeout, a connection that
/// could not be made or broke). Set it with
/// [`FakeLinqBuilder::delivery_policy`](super::FakeLinqBuilder::delivery_policy) or
/// [`FakeLinq::set_delivery_policy`](super::FakeLinq::set_delivery_policy).
///
/// Linq's V2 documentation does not say how often or how long it retries (it asks receivers to
/// answer 200 within 10 seconds). The default, `DeliveryPolicy::default()`, makes 4 attempts
/// (the first and 3 retries), waits 100 ms before the first retry and doubles the wait each time
/// (at most 60 s), and gives each attempt 10 s. [`DeliveryPolicy::immediate`] retries at once,
/// for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryPolicy {
    attempts: u32,
    backoff: Duration,
    timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> DeliveryPolicy {
        DeliveryPolicy {
            attempts: 4,
            backoff: Duration::from_millis(100),
            timeout: Duration::from_secs(10),
        }
    }
}

impl DeliveryPolicy {
    /// The default policy (see the type's documentation).
    pub fn new() -> DeliveryPolicy {
        DeliveryPolicy::default()
    }

    /// The default attempts and timeout, with no wait between attempts: for tests.
    pub fn immediate() -> DeliveryPolicy {
        DeliveryPolicy::default().backoff(Duration::ZERO)
    }

    /// How many attempts in all, the first included (at least 1; 1 means no retry).
    pub fn attempts(mut self, attempts: u32) -> DeliveryPolicy {
        self.attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; each further retry waits twice as long as the one
    /// before (at most 60 s). `Duration::ZERO` retries at once.
    pub fn backoff(mut self, first: Duration) -> DeliveryPolicy {
        self.backoff = first;
        self
    }

    /// How long one attempt may take, from connecting until the reply's status (at least 1 ms);
    /// a receiver slower than that counts as [`DeliveryOutcome::TimedOut`].
    pub fn timeout(mut self, timeout: Duration) -> DeliveryPolicy {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The attempts in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait before the first retry.
    pub fn first_backoff(&self) -> Duration {
        self.backoff
    }

    /// The time one attempt may take.
    pub fn attempt_timeout(&self) -> Duration {
        self.timeout
    }

    /// The wait after the failed attempt number `attempt` (1-based).
    fn wait_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The receiver answered with this 2xx status: delivered, no retry.
    Delivered(u16),
    /// The receiver answered with this status, which is not a 2xx: retried.
    ErrorStatus(u16),
    /// No answer within the policy's [timeout](DeliveryPolicy::timeout): retried.
    TimedOut,
    /// The connection could not be made (refused, say) or broke before an answer: retried.
    ConnectionFailed,
    /// Not sent: the subscription's URL is not on loopback (`127.0.0.0/8`, `[::1]` or
    /// `localhost`), and the fake never touches the network beyond it. Not retried.
    NotLoopback,
}

impl DeliveryOutcome {
    /// Whether the event was delivered (a 2xx).
    pub fn is_delivered(&self) -> bool {
        matches!(self, DeliveryOutcome::Delivered(_))
    }

    /// The receiver's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DeliveryOutcome::Delivered(status) | DeliveryOutcome::ErrorStatus(status) => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// One attempt to deliver one event to one subscription, as [`FakeLinq::deliveries`] lists it.
///
/// [`FakeLinq::deliveries`]: super::FakeLinq::deliveries
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// The organization of the subscription, as an index into
    /// [`FakeLinq::tokens`](super::FakeLinq::tokens).
    pub organization: usize,
    /// The subscription's id.
    pub subscription_id: i64,
    /// The subscription's URL, as subscribed.
    pub url: String,
    /// The event's `event_id` (the same on every attempt of one event).
    pub event_id: String,
    /// The event's `event_type`, such as `contact.created`.
    pub event_type: String,
    /// 1 for the first attempt, 2 for the first retry, and so on.
    pub attempt: u32,
    /// How the attempt ended.
    pub outcome: DeliveryOutcome,
    /// The raw body sent (the same bytes on every attempt of one event), which the signature
    /// covers.
    pub body: Vec<u8>,
    /// The `X-Webhook-Signature` sent (`sha256=<hex>`), when the subscription has a secret.
    pub signature: Option<String>,
}

impl DeliveryAttempt {
    /// The body parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `sha256=` and the lower-case hex HMAC-SHA256 of `body` keyed with `secret`: the value of
/// [`SIGNATURE_HEADER`] on a delivery to a subscription with that secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map(|mut mac| {
        mac.update(body);
        mac.finalize().into_bytes()
    });
    let digest = mac.map(|bytes| bytes.to_vec()).unwrap_or_default();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The deliveries' side of the shared state: the queue of each subscription's task.
#[derive(Debug, Default)]
pub(super) struct Queues {
    by_subscription: HashMap<(usize, i64), mpsc::UnboundedSender<Job>>,
}

/// One event for one subscription.
#[derive(Debug)]
pub(super) struct Job {
    organization: usize,
    subscription_id: i64,
    url: String,
    event_id: String,
    event_type: String,
    body: Arc<Vec<u8>>,
    signature: Option<String>,
}

/// A new event id: unique within the process (a counter), and not guessable across runs.
fn new_event_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("wh_evt_{n}_{:016x}", fastrand::u64(..))
}

/// The event of a contact write that took effect, or `None` for any other operation.
pub(super) fn contact_event(
    operation: super::Operation,
    answer_body: Option<&Value>,
    contact_id: &str,
) -> Option<(KnownWebhookEventType, Value)> {
    use super::Operation::*;
    match operation {
        CreateContact => Some((
            KnownWebhookEventType::ContactCreated,
            answer_body?.get("data")?.clone(),
        )),
        UpdateContact | PatchContact => Some((
            KnownWebhookEventType::ContactUpdated,
            answer_body?.get("data")?.clone(),
        )),
        DeleteContact => Some((
            KnownWebhookEventType::ContactDeleted,
            json!({ "id": super::store::parse_id(contact_id)? }),
        )),
        _ => None,
    }
}

/// Queues the event `event_type` with `data` for every active subscription of `organization`
/// that lists it. Called with the state locked, right after the write; the sending happens in
/// each subscription's task, so the API's answer never waits for a receiver.
pub(super) fn dispatch(
    shared: &Arc<Shared>,
    state: &mut super::server::Mutable,
    organization: usize,
    event_type: KnownWebhookEventType,
    data: Value,
) {
    let event_type = event_type.to_string();
    let Some(subscriptions) = state.subscriptions.get(organization) else {
        return;
    };
    let targets: Vec<(i64, String, Option<String>)> = subscriptions
        .all()
        .filter(|s| s.wants(&event_type))
        .map(|s| (s.id, s.webhook_url.clone(), s.secret.clone()))
        .collect();
    if targets.is_empty() {
        return;
    }
    let event_id = new_event_id();
    let envelope = json!({
        "api_version": "v2",
        "created_at": timestamp(super::store::now()),
        "data": data,
        "event_id": event_id,
        "event_type": event_type,
    });
    let body = Arc::new(envelope.to_string().into_bytes());
    for (subscription_id, url, secret) in targets {
        let job = Job {
            organization,
            subscription_id,
            url,
            event_id: event_id.clone(),
            event_type: event_type.clone(),
            signature: secret.map(|secret| signature(secret.as_bytes(), &body)),
            body: Arc::clone(&body),
        };
        let key = (organization, subscription_id);
        let job = match state.queues.by_subscription.get(&key) {
            Some(queue) => match queue.send(job) {
                Ok(()) => continue,
                // The task is gone (its runtime ended, say): start another.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        // Cannot fail: the receiver is alive.
        let _ = queue.send(job);
        state.queues.by_subscription.insert(key, queue);
        tokio::spawn(deliver_in_order(Arc::downgrade(shared), jobs));
    }
}

/// Forgets the queue of a deleted subscription; its task ends once the queue is empty (and
/// drops what is queued, since the subscription is gone).
pub(super) fn forget(state: &mut super::server::Mutable, organization: usize, id: i64) {
    state.queues.by_subscription.remove(&(organization, id));
}

/// One subscription's task: its events, one after the other, each with its retries. It holds
/// the fake weakly, so that it ends when the fake is dropped.
async fn deliver_in_order(shared: Weak<Shared>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        if !deliver(&shared, &job).await {
            return;
        }
    }
}

/// Delivers one event with retries; `false` when the fake is gone.
async fn deliver(shared: &Weak<Shared>, job: &Job) -> bool {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (policy, http) = {
            let Some(shared) = shared.upgrade() else {
                return false;
            };
            let state = shared.lock();
            // A subscription deleted or deactivated since gets nothing more.
            let wanted = state
                .subscriptions
                .get(job.organization)
                .and_then(|s| s.get(job.subscription_id))
                .is_some_and(|s| s.active);
            if !wanted {
                return true;
            }
            (state.delivery_policy, shared.http.clone())
        };
        let outcome = send(&http, job, policy.attempt_timeout()).await;
        let Some(shared) = shared.upgrade() else {
            return false;
        };
        let done = outcome.is_delivered()
            || outcome == DeliveryOutcome::NotLoopback
            || attempt >= policy.max_attempts();
        record(&shared, job, attempt, outcome);
        drop(shared);
        if done {
            return true;
        }
        tokio::time::sleep(policy.wait_after(attempt)).await;
    }
}

/// Adds an attempt to the log (when the fake records), updates the subscription's
/// `delivery_attempts` and `last_delivered_at`, and wakes whoever waits for deliveries.
fn record(shared: &Shared, job: &Job, attempt: u32, outcome: DeliveryOutcome) {
    {
        let mut state = shared.lock();
        let sent = outcome != DeliveryOutcome::NotLoopback;
        if let Some(subscription) = state
            .subscriptions
            .get_mut(job.organization)
            .and_then(|s| s.get_mut(job.subscription_id))
        {
            if sent {
                subscription.delivery_attempts = subscription.delivery_attempts.saturating_add(1);
            }
            if outcome.is_delivered() {
                subscription.last_delivered_at = Some(super::store::now());
            }
        }
        if state.record_requests {
            state.deliveries.push(DeliveryAttempt {
                organization: job.organization,
                subscription_id: job.subscription_id,
                url: job.url.clone(),
                event_id: job.event_id.clone(),
                event_type: job.event_type.clone(),
                attempt,
                outcome,
                body: job.body.to_vec(),
                signature: job.signature.clone(),
            });
        }
    }
    shared.delivered.send_modify(|count| *count += 1);
}

/// One attempt: POST the body to the URL (on loopback only), read at most
/// [`MAX_REPLY_BYTES`] of the reply.
async fn send(http: &reqwest::Client, job: &Job, timeout: Duration) -> DeliveryOutcome {
    let Some(url) = loopback_url(&job.url) else {
        return DeliveryOutcome::NotLoopback;
    };
    let mut request = http
        .post(url)
        .timeout(timeout)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(job.body.to_vec());
    if let Some(signature) = &job.signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    match request.send().await {
        Ok(mut response) => {
            let status = response.status();
            // The status decides; the body is read (bounded) only to end the exchange politely.
            let mut read = 0;
            while let Ok(Some(chunk)) = response.chunk().await {
                read += chunk.len();
                if read >= MAX_REPLY_BYTES {
                    break;
                }
            }
            if status.is_success() {
                DeliveryOutcome::Delivered(status.as_u16())
            } else {
                DeliveryOutcome::ErrorStatus(status.as_u16())
            }
        }
        Err(error) if error.is_timeout() => DeliveryOutcome::TimedOut,
        Err(_) => DeliveryOutcome::ConnectionFailed,
    }
}

/// The URL to send to when `raw` is on loopback: an IP in `127.0.0.0/8`, `[::1]`, or
/// `localhost` (sent to `127.0.0.1`, never resolved); `None` for anything else.
fn loopback_url(raw: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match url.host()? {
        url::Host::Ipv4(ip) if ip.is_loopback() => Some(url),
        url::Host::Ipv6(ip) if ip.is_loopback() => Some(url),
        url::Host::Domain(domain) if domain.eq_ignore_ascii_case("localhost") => {
            url.set_host(Some("127.0.0.1")).ok()?;
            Some(url)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_s_published_vector() {
        // The same scheme as GitHub's X-Hub-Signature-256, whose documentation publishes it.
        assert_eq!(
            signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn only_loopback_urls_are_sent_to() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://127.1.2.3/hook",
            "http://[::1]:9000/",
            "http://LOCALHOST:3000/x",
        ] {
            let sent = loopback_url(url).unwrap_or_else(|| panic!("{url} is loopback"));
            assert!(sent.host_str() != Some("localhost"), "{sent}");
        }
        assert_eq!(
            loopback_url("http://localhost:3000/x").map(String::from),
            Some("http://127.0.0.1:3000/x".to_owned())
        );
        for url in [
            "https://example.com/webhooks/linq",
            "http://10.0.0.1/hook",
            "http://localhost.example.com/",
            "http://0.0.0.0:80/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert_eq!(loopback_url(url), None, "{url}");
        }
    }

    #[test]
    fn backoff_doubles_from_the_first_wait_up_to_a_minute() {
        let policy = DeliveryPolicy::new().backoff(Duration::from_millis(100));
        assert_eq!(policy.wait_after(1), Duration::from_millis(100));
        assert_eq!(policy.wait_after(2), Duration::from_millis(200));
        assert_eq!(policy.wait_after(3), Duration::from_millis(400));
        assert_eq!(policy.wait_after(40), MAX_BACKOFF);
        assert_eq!(DeliveryPolicy::immediate().wait_after(3), Duration::ZERO);
        assert_eq!(DeliveryPolicy::new().attempts(0).max_attempts(), 1);
    }
}
