//! Find-or-create and upsert: writes that never duplicate a contact, never merge two people,
//! and still end in a definite answer.
//!
//! Linq V2 has no idempotency key, so a create that fails after it may have reached Linq (a
//! timeout, a connection dropped after sending, a 5xx, a reply cut off) cannot simply be sent
//! again. These helpers look the contact up by its identity before creating, and again after
//! such a failure.
//!
//! # Who is the same person: the identity rule
//!
//! Linq's find matches an email **or** a phone number, and a phone number is often shared:
//! B2B exports put the company switchboard in "Phone" for everyone who works there. So a
//! contact found by phone is not taken for the input's person unless nothing says otherwise:
//!
//! - **Input with an email** is the person with that email (compared case-insensitively). It
//!   matches only a contact that has the same email. A contact that merely holds the input's
//!   phone number — with another email, or with none — is someone else: it is never returned,
//!   never updated, and a new contact is created beside it; [`Ensured::shared_phone_with`]
//!   names it.
//! - **Input with a phone number and no email** matches the contact that holds the number when
//!   that contact has no email, or when nothing the input says contradicts it: every name the
//!   input gives (first, last) is the contact's too (compared case-insensitively) or the
//!   contact has none. Otherwise the contact is identified by its email and may be another
//!   person who shares the number: nothing is written, and the answer is
//!   [`Error::IdentityConflict`] naming it. Give the email to match that contact.
//!
//! So a contact whose non-empty email differs from the input's non-empty email is never
//! updated or returned as found.
//!
//! # The steps
//!
//! 1. **Find.** A contact that is the input's person: [`find_or_create`](crate::Contacts::find_or_create)
//!    returns it ([`Outcome::Found`]); [`upsert`](crate::Contacts::upsert) updates it with the
//!    given fields, with the semantics of [`update`](crate::Contacts::update)
//!    ([`Outcome::Updated`]).
//! 2. **Create**, when none is ([`Outcome::Created`]).
//! 3. **Reconcile** a create that may have reached Linq: find again, by the same rule. If the
//!    contact is there now, the create took effect — that is the answer ([`Outcome::Created`]
//!    with [`Ensured::reconciled`]; an upsert then also sends its update, so that the contact
//!    holds the given fields whoever created it). If it is not there, the create did not take
//!    effect and is sent again, within the retry policy (its `max_retries` and backoff) and the
//!    total deadline. A create that provably never left (a refused connection, a 429) is
//!    retried as every create is.
//!
//! # What they guarantee, and what they cannot
//!
//! - One caller never creates a contact twice: a create is re-sent only after a find says the
//!   first one left no contact behind.
//! - Two people are never made one: see the identity rule above.
//! - Errors say what happened. An error of a look-up (before any create was sent) never says
//!   [`may_have_taken_effect`](Error::may_have_taken_effect): a find changes nothing. When the
//!   re-sends run out (retries or deadline) after a look-up found no contact, the create's
//!   error says it did **not** take effect. When the follow-up look-up fails, or cannot tell
//!   (a phone-only input whose number another contact holds), the error is the create's own,
//!   which says it may have taken effect: call the helper again later — it finds the contact
//!   if it was created.
//! - Two writers racing on the same identity can still both create: Linq offers no lock and
//!   no unique constraint. The helpers narrow the window to the time between the find and the
//!   create; they cannot close it. Serialize writers of one identity (one queue, a lock of your
//!   own) when that matters.
//! - A reconciliation trusts Linq's find to see a contact once its create has failed; a create
//!   still being processed behind a timed-out gateway could appear only later.
//!
//! # Cost
//!
//! Round trips on the happy path: find plus create is 2; find alone is 1; find plus update is
//! 2. When the first find (by email or phone) returns a contact that holds the phone number
//! but has another email, a second find by the email alone tells whether the person exists.
//! An ambiguous create adds one or two finds (and an upsert one update); a re-sent create one
//! more. `send_with_meta` counts them in [`ResponseMeta::attempts`].

use linq_api::types::{ContactFields, ContactInput};
use tokio::time::Instant;

use super::calls::{contact_fields, create, find, update, Draft, Identity, UPDATE};
use crate::{
    call::{
        meta::ResponseMeta,
        request_builder,
        retry::{self, Next},
        CallOptions, Limits,
    },
    client::LinqClient,
    error::{Error, Result},
    model::{Contact, ContactId},
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
    /// A contact that holds the input's phone number but is another person (it has another
    /// email, or none while the input has one), seen while looking up: it was left alone.
    /// When the outcome is [`Outcome::Created`], the contact was created although its phone
    /// number is shared with this one. See the [identity rule](self#who-is-the-same-person-the-identity-rule).
    pub shared_phone_with: Option<ContactId>,
}

impl Ensured {
    /// Whether this call created the contact.
    pub fn created(&self) -> bool {
        self.outcome == Outcome::Created
    }
}

/// What [`FindOrCreate::plan`] or [`Upsert::plan`] says a send would do (nothing written).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Plan {
    /// This contact is the input's person: find-or-create would return it, upsert update it.
    Existing(Box<Contact>),
    /// No contact is: a create would be sent.
    Create {
        /// Another person who holds the input's phone number, as
        /// [`Ensured::shared_phone_with`] would say.
        shared_phone_with: Option<ContactId>,
    },
}

/// Finds the contact of this email (or, without one, of this phone number), or creates it;
/// see
/// [`Contacts::find_or_create`](crate::Contacts::find_or_create).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct FindOrCreate {
    client: LinqClient,
    draft: Draft,
    options: CallOptions,
}

/// Updates the contact of this email (or, without one, of this phone number), or creates it;
/// see
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

            contact_fields! {
                first_name: "The first name.",
                last_name: "The last name.",
                email: "The email address: an identity field, looked up.",
                phone_number: "The phone number, in any common format: an identity field, looked up.",
                company: "The company.",
                title: "The job title.",
                location: "The location.",
            }

            /// Checks the request as `send` would, without sending anything: the same rules
            /// give the same [`Error::InvalidInput`]. For a dry run over many rows.
            ///
            /// # Errors
            /// [`Error::InvalidInput`], exactly when `send` would refuse the request before
            /// sending.
            pub fn validate(&self) -> Result<()> {
                checked(self.draft.clone()).map(drop)
            }

            /// Says what [`send`](Self::send) would do, with reads only (one or two finds):
            /// take an existing contact, or create one (and whether another person holds the
            /// phone number). Nothing is written. For a dry run against an account; the answer
            /// holds for the account as it is now.
            ///
            /// # Errors
            /// As `send`'s before it writes: [`Error::InvalidInput`] (nothing sent),
            /// [`Error::IdentityConflict`], or an error of a find.
            pub async fn plan(self) -> Result<Plan> {
                let (identity, body) = checked(self.draft)?;
                // The options are checked by the find's engine, before anything is sent.
                let (matched, _, sent) =
                    look_up(&self.client, &identity, &body.contact, &self.options).await?;
                match matched {
                    Match::Same(contact) => Ok(Plan::Existing(contact)),
                    Match::Absent { shared } => Ok(Plan::Create {
                        shared_phone_with: shared,
                    }),
                    Match::Conflict(existing) => Err(Error::IdentityConflict {
                        existing: existing.into(),
                        attempts: sent,
                    }),
                }
            }

            #[doc = concat!("Sends it: ", $what, ", with the metadata of the last response.")]
            ///
            /// The metadata's [`attempts`](ResponseMeta::attempts) counts every request sent
            /// (finds, creates, update) and [`elapsed`](ResponseMeta::elapsed) the whole call.
            /// The [total deadline](Self::total_deadline) bounds the whole call too.
            ///
            /// # Errors
            /// [`Error::InvalidInput`] (nothing sent) when neither email nor phone number is
            /// set, either is malformed, or `user_email` is not an email;
            /// [`Error::IdentityConflict`] (nothing written) when the input has a phone number
            /// and no email and the contact holding that number has an email and another name
            /// (see the [identity rule](crate::reconcile)); any error of the
            /// find, create or update. An error after a create that may have reached Linq is
            /// that create's (a timeout, a dropped connection, a 5xx): the contact may exist,
            /// unless [`Error::may_have_taken_effect`] says a look-up found it was not created.
            pub async fn send_with_meta(self) -> Result<(Ensured, ResponseMeta)> {
                ensure(&self.client, self.draft, &self.options, $upsert).await
            }
        }
        request_builder!($builder => Ensured);
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

/// What a look-up by the identity rule found.
enum Match {
    /// The contact that is the input's person.
    Same(Box<Contact>),
    /// No contact is; `shared` holds the input's phone number and is another person.
    Absent { shared: Option<ContactId> },
    /// The input has no email, and the contact that holds its phone number has one.
    Conflict(ContactId),
}

/// Whether a stored value is absent or only whitespace.
fn is_blank(stored: Option<&str>) -> bool {
    stored.is_none_or(|s| s.trim().is_empty())
}

/// Whether every name the input gives (first, last) is the contact's too, or the contact has
/// none: nothing the input says makes it someone else.
fn names_agree(contact: &Contact, input: &ContactFields) -> bool {
    let agrees = |stored: Option<&str>, given: Option<&str>| {
        is_blank(given)
            || is_blank(stored)
            || given.zip(stored).is_some_and(|(g, s)| same_text(g, s))
    };
    agrees(contact.first_name.as_deref(), input.first_name.as_deref())
        && agrees(contact.last_name.as_deref(), input.last_name.as_deref())
}

/// Whether two texts are the same, case-insensitively, surrounding blanks trimmed.
fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether `stored` is the same email as `wanted` (case-insensitively, blanks trimmed).
fn same_email(stored: Option<&str>, wanted: &str) -> bool {
    stored.is_some_and(|stored| same_text(stored, wanted))
}

/// Looks the input's person up by the [identity rule](self): one find, and a second by the
/// email alone when the first returned a contact that holds the phone number but has another
/// email. Gives what was found with the last find's metadata and the requests sent.
async fn look_up(
    client: &LinqClient,
    identity: &Identity,
    input: &ContactFields,
    options: &CallOptions,
) -> Result<(Match, ResponseMeta, u32)> {
    let (found, meta) = find(client, identity, options).await?;
    let sent = meta.attempts();
    let Some(email) = identity.email() else {
        // A phone number alone: the contact that holds it is the person unless it has an
        // email of its own and a name the input contradicts.
        let matched = match found {
            None => Match::Absent { shared: None },
            Some(c) if is_blank(c.email.as_deref()) || names_agree(&c, input) => {
                Match::Same(Box::new(c))
            }
            Some(c) => Match::Conflict(c.id),
        };
        return Ok((matched, meta, sent));
    };
    match found {
        None => Ok((Match::Absent { shared: None }, meta, sent)),
        Some(c) if same_email(c.email.as_deref(), email) => {
            Ok((Match::Same(Box::new(c)), meta, sent))
        }
        Some(other) => {
            // Found by the phone number (or, oddly, by nothing the input has): the person may
            // still exist under the email.
            let shared = (identity.phone_number().is_some()).then_some(other.id);
            let Some(by_email) = identity.email_only().filter(|_| shared.is_some()) else {
                return Ok((Match::Absent { shared }, meta, sent));
            };
            let (found, meta) = find(client, &by_email, options).await?;
            let sent = sent + meta.attempts();
            let matched = match found {
                Some(c) if same_email(c.email.as_deref(), email) => Match::Same(Box::new(c)),
                _ => Match::Absent { shared },
            };
            Ok((matched, meta, sent))
        }
    }
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
    let Limits {
        deadline,
        max_retries,
        attempt_timeout,
    } = options.limits(settings, started);
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
    // The deadline ran out before a write was sent, or after a look-up found that the last
    // create left no contact: nothing took effect.
    let out_of_time = |sent: u32| Error::Timeout {
        attempts: sent,
        elapsed: started.elapsed(),
        deadline: true,
        // The steps include a create.
        idempotent: false,
        read: false,
        not_applied: true,
    };
    let conflict = |existing: ContactId, sent: u32| Error::IdentityConflict {
        existing: existing.into(),
        attempts: sent,
    };
    let done = |contact, outcome, reconciled, shared, meta: ResponseMeta, sent: u32| {
        let ensured = Ensured {
            contact,
            outcome,
            reconciled,
            shared_phone_with: shared,
        };
        Ok((ensured, meta.totals(sent, started.elapsed())))
    };

    let mut sent = 0u32;
    let opts = step().ok_or_else(|| out_of_time(sent))?;
    let (matched, meta, n) = look_up(client, &identity, &body.contact, &opts).await?;
    sent += n;
    let mut shared = match matched {
        Match::Conflict(existing) => return Err(conflict(existing, sent)),
        Match::Same(existing) if !upsert => {
            return done(*existing, Outcome::Found, false, None, meta, sent)
        }
        Match::Same(existing) => {
            let opts = step().ok_or_else(|| out_of_time(sent))?;
            let (updated, meta) = update(client, UPDATE, existing.id, &body, &opts).await?;
            sent += meta.attempts();
            return done(updated, Outcome::Updated, false, None, meta, sent);
        }
        Match::Absent { shared } => shared,
    };

    let mut creates = 0u32;
    loop {
        creates += 1;
        let opts = step().ok_or_else(|| out_of_time(sent))?;
        let failed = match create(client, &body, &opts).await {
            Ok((created, meta)) => {
                sent += meta.attempts();
                return done(created, Outcome::Created, false, shared, meta, sent);
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
        // Look again. Unless the look-up tells, the create's error is the answer: it says the
        // contact may exist.
        let Some(opts) = step() else {
            return Err(failed);
        };
        let Ok((matched, meta, n)) = look_up(client, &identity, &body.contact, &opts).await else {
            return Err(failed);
        };
        sent += n;
        match matched {
            Match::Same(created) if !upsert => {
                return done(*created, Outcome::Created, true, shared, meta, sent);
            }
            Match::Same(created) => {
                // Ours or a racing writer's: the update makes it hold the given fields either
                // way.
                let Some(opts) = step() else {
                    return Err(failed);
                };
                let (updated, meta) = update(client, UPDATE, created.id, &body, &opts).await?;
                sent += meta.attempts();
                return done(updated, Outcome::Created, true, shared, meta, sent);
            }
            // The number's holder is found, ours hides behind it if it exists: no telling.
            Match::Conflict(_) => return Err(failed),
            Match::Absent { shared: seen } => shared = shared.or(seen),
        }
        // Not there: the create did not take effect, and sending it again is safe — unless
        // its success was seen (an unreadable 201), which a find that misses cannot undo. The
        // engine's one retry decision (policy, deadline, the client's retry quota) says
        // whether and when.
        if matches!(failed, Error::Decode { .. }) {
            return Err(failed);
        }
        let failed = failed.not_applied();
        let next = retry::next(
            &settings.retry,
            &settings.budget,
            &failed,
            creates,
            0,
            max_retries,
            deadline,
            attempt_timeout,
        );
        let Next::Retry { wait, .. } = next else {
            return Err(failed);
        };
        tracing::info!(
            attempt = creates,
            wait_ms = wait.as_millis() as u64,
            "the create did not take effect: sending it again"
        );
        tokio::time::sleep(wait).await;
    }
}
