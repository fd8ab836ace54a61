//! [`SeenEvents`]: the ids of the events a receiver has seen lately, to drop redeliveries.

use std::{
    collections::{HashSet, VecDeque},
    fmt,
    sync::{Mutex, PoisonError},
};

/// The ids of the events a receiver has seen lately, to drop redeliveries: a set bounded to
/// `capacity` ids, forgetting the oldest first. `Send + Sync`; share it (in an `Arc`, or in
/// your server's state).
///
/// Mark an event when you take it; if processing it then fails, [`forget`](Self::forget) it
/// before answering with an error, so that Linq's redelivery is processed instead of dropped.
///
/// ```
/// use linq_api_ext::webhooks::SeenEvents;
///
/// let seen = SeenEvents::new(10_000);
/// assert!(seen.first_time("wh_evt_contact_123"));
/// assert!(!seen.first_time("wh_evt_contact_123")); // a redelivery: drop it, answer 200
/// seen.forget("wh_evt_contact_123"); // processing failed: take the next delivery
/// assert!(seen.first_time("wh_evt_contact_123"));
/// ```
pub struct SeenEvents {
    capacity: usize,
    ids: Mutex<Ids>,
}

#[derive(Default)]
struct Ids {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenEvents {
    /// A set remembering the last `capacity` event ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ids: Mutex::default(),
        }
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, Ids> {
        // A panic elsewhere while holding the lock leaves the set usable.
        self.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `event_id`; true when it was not among the ids remembered (process the event),
    /// false when it was (a redelivery or a replay: drop it).
    pub fn first_time(&self, event_id: &str) -> bool {
        let mut ids = self.ids();
        if ids.set.contains(event_id) {
            return false;
        }
        while ids.order.len() >= self.capacity {
            if let Some(oldest) = ids.order.pop_front() {
                ids.set.remove(&oldest);
            }
        }
        ids.set.insert(event_id.to_owned());
        ids.order.push_back(event_id.to_owned());
        true
    }

    /// Forgets `event_id`, so that its next delivery counts as the first.
    pub fn forget(&self, event_id: &str) {
        let mut ids = self.ids();
        if ids.set.remove(event_id) {
            ids.order.retain(|id| id != event_id);
        }
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.ids().order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for SeenEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeenEvents")
            .field("capacity", &self.capacity)
            .field("remembered", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_events_are_bounded_and_forget_the_oldest() {
        let seen = SeenEvents::new(2);
        assert!(seen.is_empty());
        assert!(seen.first_time("a"));
        assert!(seen.first_time("b"));
        assert!(!seen.first_time("a"));
        assert!(seen.first_time("c")); // "a" is forgotten
        assert_eq!(seen.len(), 2);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("c"));
        seen.forget("c");
        assert!(seen.first_time("c"));
        assert!(SeenEvents::new(0).first_time("x"));
    }
}
