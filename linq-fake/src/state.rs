//! The state the handle ([`super::FakeLinq`]), the server and the deliveries share.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use super::log::RecordedRequest;
use super::rate_limit::{Bucket, RateLimit};
use super::reply::Reply;
use super::store::Store;
use super::subscriptions::Subscriptions;
use super::webhook::{DeliveryAttempt, DeliveryPolicy, Queues};
use super::Operation;

/// State shared by the handle ([`super::FakeLinq`]) and the server.
#[derive(Debug)]
pub(super) struct Shared {
    /// The token of each organization, in order; the index is the organization's.
    pub(super) tokens: Vec<String>,
    state: Mutex<Mutable>,
    /// The client that delivers webhooks: loopback only, no proxy, no redirects.
    pub(super) http: reqwest::Client,
    /// How many delivery attempts have ended, for those who wait for them.
    pub(super) delivered: watch::Sender<usize>,
}

/// Everything a test or a request can change.
#[derive(Debug)]
pub(super) struct Mutable {
    /// The contacts of each organization, in the order of [`Shared::tokens`].
    pub(super) stores: Vec<Store>,
    pub(super) rate_limit: Option<RateLimit>,
    /// The rate-limit bucket of each organization that has sent a request.
    pub(super) buckets: HashMap<usize, Bucket>,
    pub(super) scripts: HashMap<Operation, VecDeque<Reply>>,
    pub(super) latency: Duration,
    pub(super) operation_latency: HashMap<Operation, Duration>,
    pub(super) log: Vec<RecordedRequest>,
    /// Whether requests are added to `log` (and delivery attempts to `deliveries`).
    pub(super) record_requests: bool,
    /// The webhook subscriptions of each organization, in the order of [`Shared::tokens`].
    pub(super) subscriptions: Vec<Subscriptions>,
    /// How failed deliveries are retried.
    pub(super) delivery_policy: DeliveryPolicy,
    /// The queue of each subscription's delivery task.
    pub(super) queues: Queues,
    /// Every delivery attempt, in the order they ended.
    pub(super) deliveries: Vec<DeliveryAttempt>,
}

impl Shared {
    pub(super) fn new(tokens: Vec<String>, state: Mutable, http: reqwest::Client) -> Shared {
        Shared {
            tokens,
            state: Mutex::new(state),
            http,
            delivered: watch::Sender::new(0),
        }
    }

    /// The index of the organization with `token`.
    pub(super) fn organization(&self, token: &str) -> Option<usize> {
        self.tokens.iter().position(|t| t == token)
    }

    /// Locks the state. Nothing panics while holding the lock, but a poisoned lock is
    /// recovered rather than propagated, so the fake never panics because of it.
    pub(super) fn lock(&self) -> MutexGuard<'_, Mutable> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
