//! One row against Linq: the checks before sending, and the find-or-create-then-update that
//! makes a re-run harmless.

use std::{collections::HashSet, sync::Mutex};

use linq_api_ext::{Contact, ContactId, Error, LinqClient, Outcome, Plan};
use serde::{Deserialize, Serialize};

use super::{problem::Problem, rows::Row, words};
use crate::columns::Field;

/// What importing a row did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    Created,
    Updated,
    Unchanged,
}

/// What importing a row did, and to which contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub done: Done,
    /// The contact; `None` in a dry run's plan of a create.
    pub id: Option<ContactId>,
    /// The row's owner (`user_email`) is not a user of this account, so it was not sent: a
    /// created contact has the account's default owner, a found one keeps its owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner_dropped: bool,
    /// Another contact that holds the row's phone number but is another person (another
    /// email, or none while the row has one): left alone, never merged with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_phone_with: Option<ContactId>,
}

/// The owners (`user_email`, lower-cased) that this account turned out not to know, shared by
/// the rows of an import: a later row with such an owner is sent without it at once.
#[derive(Debug, Default)]
pub struct UnknownOwners(Mutex<HashSet<String>>);

impl UnknownOwners {
    fn contains(&self, owner: &str) -> bool {
        self.lock().contains(owner)
    }

    fn insert(&self, owner: String) {
        self.lock().insert(owner);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set stays whole whatever panicked while holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Sets every value of `row` on a create or update builder.
macro_rules! with_row {
    ($builder:expr, $row:expr) => {{
        let (mut builder, row) = ($builder, $row);
        if let Some(v) = row.get(Field::FirstName) {
            builder = builder.first_name(v);
        }
        if let Some(v) = row.get(Field::LastName) {
            builder = builder.last_name(v);
        }
        if let Some(v) = row.get(Field::Email) {
            builder = builder.email(v);
        }
        if let Some(v) = row.get(Field::PhoneNumber) {
            builder = builder.phone_number(v);
        }
        if let Some(v) = row.get(Field::Company) {
            builder = builder.company(v);
        }
        if let Some(v) = row.get(Field::Title) {
            builder = builder.title(v);
        }
        if let Some(v) = row.get(Field::Location) {
            builder = builder.location(v);
        }
        if let Some(v) = row.get(Field::UserEmail) {
            builder = builder.user_email(v);
        }
        builder
    }};
}

/// Checks a row with the library's own rules, before anything is sent: every field the
/// library refuses is a problem (the rule in words), and the rest is checked again without
/// it. Leaves the row as it is to be sent, or gives its problems (its line and original values
/// stay as read either way). With `skip_invalid`, a row that still has an email or a phone
/// number is sent without its refused fields, which its notes record.
pub fn check(linq: &LinqClient, checked: &mut Row, skip_invalid: bool) -> Result<(), Vec<Problem>> {
    if checked.get(Field::Email).is_none() && checked.get(Field::PhoneNumber).is_none() {
        let problem = Problem::new(
            Some("email"),
            "or phone_number is required: import matches rows to contacts by them, so that \
             a re-run never creates a contact twice",
        );
        return Err(vec![problem]);
    }
    let mut problems = Vec::new();
    let mut identity_lost = false;
    for _ in 0..=Field::ALL.len() {
        let refused = with_row!(linq.contacts().find_or_create(), &checked).validate();
        let Err(error) = refused else { break };
        let (field, rule) = match &error {
            Error::InvalidInput { field, rule } => (*field, rule.clone()),
            other => ("row", other.to_string()),
        };
        match Field::named(field).filter(|f| checked.get(*f).is_some()) {
            Some(f) => {
                let said = words::rule(Some(f), &rule, checked.get(f));
                problems.push(Problem::new(Some(f.name()), said));
                checked.clear(f);
            }
            // Once a bad field is left out, the rule about identity fields is only an echo
            // of it: the row has nothing left to be matched by.
            None if problems.is_empty() => {
                problems.push(Problem::new(Some(field), rule));
                break;
            }
            None => {
                identity_lost = true;
                break;
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if !skip_invalid || identity_lost {
        return Err(problems);
    }
    for problem in problems {
        checked.notes.push(Problem {
            reason: format!("not imported (--skip-invalid-fields): {}", problem.reason),
            ..problem
        });
    }
    Ok(())
}

/// What a dry run against an account says of a checked row, by the library's identity rule
/// (see `linq_api_ext::reconcile`), with reads only: the library's own plan (one or two
/// finds), then the finds [`differs`] makes. A row that would be created has no id.
pub async fn plan(linq: &LinqClient, row: &Row) -> Result<Applied, Failed> {
    let planned = |done, id, shared_phone_with| Applied {
        done,
        id,
        owner_dropped: false,
        shared_phone_with,
    };
    let existing = match with_row!(linq.contacts().find_or_create(), row)
        .plan()
        .await
    {
        Ok(Plan::Existing(contact)) => contact,
        Ok(Plan::Create { shared_phone_with }) => {
            return Ok(planned(Done::Created, None, shared_phone_with))
        }
        Err(Error::IdentityConflict { existing, .. }) => {
            return Err(Failed::WouldConflict(existing.into()))
        }
        Err(other) => return Err(other.into()),
        // A kind of plan this build does not know yet: the row would be written.
        Ok(_) => return Ok(planned(Done::Created, None, None)),
    };
    let done = if differs(linq, &existing, row).await? {
        Done::Updated
    } else {
        Done::Unchanged
    };
    Ok(planned(done, Some(existing.id), None))
}

/// Imports one checked row (see [`apply_row`]), so that an owner this account does not know
/// never loses the row: Linq refuses such an owner with a 422 that names no field, so a row
/// with an owner that gets a 422 is sent again without it, and when that succeeds the owner is
/// known to be no user of this account (an export of another account, say) and later rows
/// with it are sent without it at once. Either way the answer says the owner was dropped.
pub async fn apply(
    linq: &LinqClient,
    row: &Row,
    unknown: &UnknownOwners,
) -> Result<Applied, Failed> {
    let applied = |(done, id, shared_phone_with), owner_dropped| Applied {
        done,
        id: Some(id),
        owner_dropped,
        shared_phone_with,
    };
    let Some(owner) = row.get(Field::UserEmail).map(str::to_lowercase) else {
        return apply_row(linq, row).await.map(|r| applied(r, false));
    };
    if !unknown.contains(&owner) {
        match apply_row(linq, row).await {
            Err(Failed::Linq {
                error: Error::Validation(_),
                ..
            }) => {}
            other => return other.map(|r| applied(r, false)),
        }
    }
    let result = apply_row(linq, &row.without(Field::UserEmail)).await;
    if result.is_ok() {
        unknown.insert(owner);
    }
    result.map(|r| applied(r, true))
}

/// Imports one checked row with the library's find-or-create (which looks the contact up by
/// its email, or without one its phone number, never taking another person who shares the
/// number, and reconciles a create whose reply was lost), then updates the contact found when
/// a value of the row differs. A re-run finds what the first run made. Gives what was done,
/// to which contact, and which other contact shares the row's phone number, if one was seen.
async fn apply_row(
    linq: &LinqClient,
    row: &Row,
) -> Result<(Done, ContactId, Option<ContactId>), Failed> {
    let ensured = with_row!(linq.contacts().find_or_create(), row)
        .send()
        .await
        .map_err(|error| Failed::Linq {
            maybe_created: error.may_have_taken_effect(),
            error,
        })?;
    let (existing, shared) = (ensured.contact, ensured.shared_phone_with);
    if ensured.outcome == Outcome::Created {
        return Ok((Done::Created, existing.id, shared));
    }
    if !differs(linq, &existing, row).await? {
        return Ok((Done::Unchanged, existing.id, shared));
    }
    let updated = with_row!(linq.contacts().update(existing.id), row)
        .send()
        .await?;
    Ok((Done::Updated, updated.id, shared))
}

/// A row that failed.
#[derive(Debug)]
pub enum Failed {
    /// A call to Linq failed.
    Linq {
        error: Error,
        /// The create may have reached Linq (it timed out, got a 5xx, lost its reply).
        maybe_created: bool,
    },
    /// A dry run's plan: the row has a phone number and no email, and the contact holding the
    /// number is identified by its email and another name (the library's
    /// `Error::IdentityConflict`, without sending).
    WouldConflict(ContactId),
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed::Linq {
            error,
            maybe_created: false,
        }
    }
}

impl Failed {
    /// Whether every other row would fail the same way (the token is refused), so that
    /// sending them is pointless.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Failed::Linq {
                error: Error::Unauthorized(_) | Error::Forbidden(_),
                ..
            }
        )
    }

    /// Whether the row's phone number is another person's (the identity rule).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Failed::WouldConflict(_)
                | Failed::Linq {
                    error: Error::IdentityConflict { .. },
                    ..
                }
        )
    }

    /// The failure as the report shows it.
    pub fn problem(&self) -> Problem {
        let (error, maybe_created) = match self {
            Failed::Linq {
                error,
                maybe_created,
            } => (error, *maybe_created),
            Failed::WouldConflict(existing) => {
                return Problem::new(
                    Some("phone_number"),
                    format!(
                        "conflict: not matched: the phone number belongs to contact \
                         #{existing}, which has an email and another name (it may be another \
                         person); the import would write nothing: give the email to match it"
                    ),
                )
            }
        };
        let (field, mut reason) = match error {
            Error::InvalidInput { field, rule } => {
                (Some(*field), words::rule(Field::named(field), rule, None))
            }
            // The row's phone number is another person's (a switchboard, say): not merged.
            conflict @ Error::IdentityConflict { .. } => {
                (Some("phone_number"), format!("conflict: {conflict}"))
            }
            other => (None, other.to_string()),
        };
        if maybe_created {
            reason.push_str(
                " (the contact may have been created: a re-run finds it instead of creating \
                 another)",
            );
        }
        Problem::new(field, reason)
    }
}

/// Whether the row's phone number is the stored one written another way: the same digits, or
/// the stored (E.164) number ending with the row's at least seven digits, written without the
/// country code. (Linq's find by the number is the last resort: with a number that several
/// contacts share, it may return another of them.)
fn same_phone(stored: Option<&str>, want: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let Some(stored) = stored.map(digits) else {
        return false;
    };
    let want_digits = digits(want);
    stored == want_digits
        || (!want.trim_start().starts_with('+')
            && want_digits.len() >= 7
            && stored.ends_with(&want_digits))
}

/// Whether a value of the row differs from the contact. Emails compare case-insensitively; a
/// phone number written differently is the same when Linq finds this contact by it.
async fn differs(linq: &LinqClient, existing: &Contact, row: &Row) -> Result<bool, Error> {
    let same = |have: &Option<String>, want: &str, fold: bool| {
        have.as_deref().is_some_and(|have| {
            have == want || (fold && have.trim().eq_ignore_ascii_case(want.trim()))
        })
    };
    let owner = existing
        .contact_owner
        .as_ref()
        .and_then(|o| o.email.clone());
    for field in Field::ALL {
        let Some(want) = row.get(field) else { continue };
        let unchanged = match field {
            Field::FirstName => same(&existing.first_name, want, false),
            Field::LastName => same(&existing.last_name, want, false),
            Field::Email => same(&existing.email, want, true),
            Field::PhoneNumber => {
                same_phone(existing.phone_number.as_deref(), want)
                    || linq
                        .contacts()
                        .find()
                        .phone_number(want)
                        .send()
                        .await?
                        .is_some_and(|c| c.id == existing.id)
            }
            Field::Company => same(&existing.company, want, false),
            Field::Title => same(&existing.title, want, false),
            Field::Location => same(&existing.location, want, false),
            Field::UserEmail => same(&owner, want, true),
        };
        if !unchanged {
            return Ok(true);
        }
    }
    Ok(false)
}
