//! Find-or-create and upsert: writes that never duplicate a contact and still end in a
//! definite answer.
//!
//! Linq V2 has no idempotency key, so a create that fails after it may have reached Linq (a
//! timeout, a connection dropped after sending, a 5xx, a reply cut off) cannot simply be sent
//! again. These helpers look the contact up by its identity — email and/or phone number, what
//! Linq's find matches — before creating, and again after such a failure:
//!
//! 1. **Find.** A contact matches: [`find_or_create`](crate::Contacts::find_or_create) returns
//!    it ([`Outcome::Found`]); [`upsert`](crate::Contacts::upsert) updates it with the given
//!    fields, with the semantics of [`update`](crate::Contacts::update) ([`Outcome::Updated`]).
//! 2. **Create**, when none matches ([`Outcome::Created`]).
//! 3. **Reconcile** a create that may have reached Linq: find again. If the contact is there
//!    now, the create took effect — that is the answer ([`Outcome::Created`] with
//!    [`Ensured::reconciled`]; an upsert then also sends its update, so that the contact holds
//!    the given fields whoever created it). If it is not there, the create did not take
//!    effect and is sent again, within the retry policy (its `max_retries` and backoff) and the
//!    total deadline. A create that provably never left (a refused connection, a 429) is
//!    retried as every create is.
//!
//! # What they guarantee, and what they cannot
//!
//! - One caller never creates a contact twice: a create is re-sent only after a find says the
//!   first one left no contact behind.
//! - Find matches email **or** phone number: with both given, a contact that has either one
//!   matches — possibly one whose other field differs.
//! - Two writers racing on the same identity can still both create: Linq offers no lock and
//!   no unique constraint. The helpers narrow the window to the time between the find and the
//!   create; they cannot close it. Serialize writers of one identity (one queue, a lock of your
//!   own) when that matters.
//! - A reconciliation trusts Linq's find to see a contact once its create has failed; a create
//!   still being processed behind a timed-out gateway could appear only later.
//! - When the follow-up find fails too, or the retries or the deadline run out, the error is
//!   the create's own, which says it may have taken effect: call the helper again later —
//!   it finds the contact if it was created.
//!
//! # Cost
//!
//! Round trips on the happy path: find plus create is 2; find alone is 1; find plus update is
//! 2. An ambiguous create adds one find (and an upsert one update); a re-sent create one more.
//! `send_with_meta` counts them in [`ResponseMeta::attempts`].

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    time::Duration,
};

use linq_api::types::ContactInput;
use tokio::time::Instant;

use crate::{
    config::LinqClient,
    contacts::{create, find, update, Draft, Identity, UPDATE},
    error::{Error, Result},
    meta::ResponseMeta,
    retry::{call_options, CallOptions},
    types::Contact,
};

/// What [`find_or_create`](crate::Contacts::find_or_create) or
/// [`upsert`](crate::Contacts::upsert) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A contact matched and was returned unchanged (find-or-create).
    Found,
    /// A contact matched and was updated with the given fields (upsert).
    Updated,
    /// No contact matched, and this call created one.
    Created,
}

/// The answer of [`find_or_create`](crate::Contacts::find_or_create) and
/// [`upsert`](crate::Contacts::upsert): the contact, and what was done.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Ensured {
    /// The contact as Linq holds it now.
    pub contact: Contact,
    /// Whether it was found, updated or created.
    pub outcome: Outcome,
    /// Whether a create's reply was lost and the contact was then found by looking again
    /// (see the [module docs](self)): created by this call — or,
    /// in a race, by another writer of the same identity.
    pub reconciled: bool,
}

impl Ensured {
    /// Whether this call created the contact.
    pub fn created(&self) -> bool {
        self.outcome == Outcome::Created
    }
}

/// Finds a contact by email and/or phone number, or creates it; see
/// [`Contacts::find_or_create`](crate::Contacts::find_or_create).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct FindOrCreate {
    client: LinqClient,
    draft: Draft,
    options: CallOptions,
}

/// Updates the contact with this email and/or phone number, or creates it; see
/// [`Contacts::upsert`](crate::Contacts::upsert).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Upsert {
    client: LinqClient,
    draft: Draft,
    options: CallOptions,
}

/// The builders' setters and sending, shared by both helpers.
macro_rules! helper {
    ($builder:ident, $upsert:literal, $what:literal) => {
        impl $builder {
            pub(crate) fn new(client: LinqClient) -> Self {
                Self {
                    client,
                    draft: Draft::default(),
                    options: CallOptions::default(),
                }
            }

            crate::contacts::contact_fields! {
                first_name: "The first name.",
                last_name: "The last name.",
                email: "The email address: an identity field, looked up.",
                phone_number: "The phone number, in any common format: an identity field, looked up.",
                company: "The company.",
                title: "The job title.",
                location: "The location.",
            }
            call_options!();

            /// Checks the request as `send` would, without sending anything: the same rules
            /// give the same [`Error::InvalidInput`]. For a dry run over many rows.
            ///
            /// # Errors
            /// [`Error::InvalidInput`], exactly when `send` would refuse the request before
            /// sending.
            pub fn validate(&self) -> Result<()> {
                checked(self.draft.clone()).map(drop)
            }

            #[doc = concat!("Sends it: ", $what, ", with the metadata of the last response.")]
            ///
            /// The metadata's [`attempts`](ResponseMeta::attempts) counts every request sent
            /// (finds, creates, update) and [`elapsed`](ResponseMeta::elapsed) the whole call.
            /// The [total deadline](Self::total_deadline) bounds the whole call too.
            ///
            /// # Errors
            /// [`Error::InvalidInput`] (nothing sent) when neither email nor phone number is
            /// set, either is malformed, or `user_email` is not an email; any error of the
            /// find, create or update. An error after a create that may have reached Linq is
            /// that create's (a timeout, a dropped connection, a 5xx): the contact may exist.
            pub async fn send_with_meta(self) -> Result<(Ensured, ResponseMeta)> {
                ensure(&self.client, self.draft, &self.options, $upsert).await
            }
        }
        crate::contacts::send_and_into_future!($builder => Ensured);
    };
}

helper!(FindOrCreate, false, "the contact found, or the one created");
helper!(
    Upsert,
    true,
    "the contact found and updated, or the one created"
);

/// The identity to look up (email and/or phone number, required) and the body to create or
/// update with.
fn checked(draft: Draft) -> Result<(Identity, ContactInput)> {
    let identity = Identity::checked(
        draft.fields.email.clone(),
        draft.fields.phone_number.clone(),
    )?;
    Ok((identity, draft.into_input()?))
}

/// The whole helper: find, then update or create, reconciling an ambiguous create.
async fn ensure(
    client: &LinqClient,
    draft: Draft,
    options: &CallOptions,
    upsert: bool,
) -> Result<(Ensured, ResponseMeta)> {
    let (identity, body) = checked(draft)?;
    let settings = client.settings();
    let started = Instant::now();
    let deadline = options
        .total_deadline
        .or(settings.total_deadline)
        .and_then(|d| started.checked_add(d));
    let max_retries = options
        .max_retries
        .unwrap_or(settings.retry.get_max_retries());
    // Each step gets what is left of the deadline; `None` once nothing is.
    let step = || -> Option<CallOptions> {
        let mut step = options.clone();
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            step.total_deadline = Some(left);
        }
        Some(step)
    };
    let out_of_time = |sent: u32| Error::Timeout {
        attempts: sent,
        elapsed: started.elapsed(),
        deadline: true,
        // The steps include a create.
        idempotent: false,
    };
    let done = |contact, outcome, reconciled, meta: ResponseMeta, sent: u32| {
        let ensured = Ensured {
            contact,
            outcome,
            reconciled,
        };
        Ok((ensured, meta.totals(sent, started.elapsed())))
    };

    let mut sent = 0u32;
    let opts = step().ok_or_else(|| out_of_time(sent))?;
    let (found, meta) = find(client, &identity, &opts).await?;
    sent += meta.attempts();
    if let Some(existing) = found {
        if !upsert {
            return done(existing, Outcome::Found, false, meta, sent);
        }
        let opts = step().ok_or_else(|| out_of_time(sent))?;
        let (updated, meta) = update(client, UPDATE, existing.id, &body, &opts).await?;
        sent += meta.attempts();
        return done(updated, Outcome::Updated, false, meta, sent);
    }

    let mut creates = 0u32;
    loop {
        creates += 1;
        let opts = step().ok_or_else(|| out_of_time(sent))?;
        let failed = match create(client, &body, &opts).await {
            Ok((created, meta)) => {
                sent += meta.attempts();
                return done(created, Outcome::Created, false, meta, sent);
            }
            Err(error) => error,
        };
        sent += failed.attempts();
        // A success whose body was unreadable (or broke off) did create it: this says so too.
        if !failed.may_have_taken_effect() {
            return Err(failed);
        }
        tracing::info!(
            attempt = creates,
            error = %failed,
            "create may have reached Linq: looking the contact up again"
        );
        // Look again. Whatever goes wrong from here, the create's error is the answer: it
        // says the contact may exist.
        let Some(opts) = step() else {
            return Err(failed);
        };
        let Ok((found, meta)) = find(client, &identity, &opts).await else {
            return Err(failed);
        };
        sent += meta.attempts();
        if let Some(created) = found {
            if !upsert {
                return done(created, Outcome::Created, true, meta, sent);
            }
            // Ours or a racing writer's: the update makes it hold the given fields either way.
            let Some(opts) = step() else {
                return Err(failed);
            };
            let (updated, meta) = update(client, UPDATE, created.id, &body, &opts).await?;
            sent += meta.attempts();
            return done(updated, Outcome::Created, true, meta, sent);
        }
        // Not there: the create did not take effect, and sending it again is safe — unless
        // its success was seen (an unreadable 201), which a find that misses cannot undo.
        if matches!(failed, Error::Decode { .. }) || creates > max_retries {
            return Err(failed);
        }
        let wait = settings.retry.backoff(creates);
        if deadline.is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|t| t >= d)) {
            return Err(failed);
        }
        tracing::info!(
            attempt = creates,
            wait_ms = wait.as_millis() as u64,
            "the create did not take effect: sending it again"
        );
        tokio::time::sleep(wait).await;
    }
}
