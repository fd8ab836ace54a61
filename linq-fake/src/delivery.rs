//! Webhook delivery: the contact events of the API's writes, in the V2 envelope, signed when
//! the subscription has a secret, POSTed to loopback URLs by one task per subscription (in
//! order), retried with backoff, and recorded attempt by attempt.

use std::sync::{Arc, Weak};
use std::time::Duration;

use linq_api::types::KnownWebhookEventType;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::state::{Mutable, Shared};
use super::store::timestamp;
use super::webhook::{
    new_event_id, signature, DeliveryAttempt, DeliveryOutcome, Job, SIGNATURE_HEADER,
};

/// The most the fake reads of a receiver's reply; the rest is not read.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Queues the event `event_type` with `data` for every active subscription of `organization`
/// that lists it. Called with the state locked, right after the write; the sending happens in
/// each subscription's task, so the API's answer never waits for a receiver.
pub(super) fn dispatch(
    shared: &Arc<Shared>,
    state: &mut Mutable,
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
        "api_version": format!("v{}", linq_api::spec::API_VERSION),
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
pub(super) fn forget(state: &mut Mutable, organization: usize, id: i64) {
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
}
