//! What a webhook delivery is: the retry policy, an attempt and its outcome, one event for one
//! subscription (a job) and the queues of jobs, the contact event of a write, and the V2
//! signature. The sending itself is `delivery.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use linq_api::types::KnownWebhookEventType;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The header that carries the signature of a delivery (the spec's).
pub const SIGNATURE_HEADER: &str = linq_api::spec::SIGNATURE_HEADER;

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
    pub(super) fn wait_after(&self, attempt: u32) -> Duration {
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
    linq_api::signature::sign(secret, body)
}

/// The deliveries' side of the shared state: the queue of each subscription's task.
#[derive(Debug, Default)]
pub(super) struct Queues {
    pub(super) by_subscription: HashMap<(usize, i64), mpsc::UnboundedSender<Job>>,
}

/// One event for one subscription.
#[derive(Debug)]
pub(super) struct Job {
    pub(super) organization: usize,
    pub(super) subscription_id: i64,
    pub(super) url: String,
    pub(super) event_id: String,
    pub(super) event_type: String,
    pub(super) body: Arc<Vec<u8>>,
    pub(super) signature: Option<String>,
}

/// A new event id: unique within the process (a counter), and not guessable across runs.
pub(super) fn new_event_id() -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
