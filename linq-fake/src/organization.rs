//! The organizations of a fake and what each may be configured with.

use std::{fmt, num::NonZeroU64};

use linq_api::types::ContactFields;

use super::OrganizationUser;

/// Another organization of the fake: its own integration token, users and contacts. Add it
/// with [`FakeLinqBuilder::organization`](super::FakeLinqBuilder::organization).
///
/// A request is served as the organization whose token it carries, and sees only that
/// organization's contacts: another organization's contact is a 404, as Linq documents
/// ("does not exist or is not accessible to your organization"). Contact ids count up across
/// all organizations, so no two contacts share an id.
#[derive(Clone)]
#[must_use = "an organization does nothing until given to `FakeLinqBuilder::organization`"]
pub struct Organization {
    pub(super) token: String,
    /// `None`: its own admin (see [`Organization::new`]), given when the fake starts.
    pub(super) users: Option<Vec<OrganizationUser>>,
    pub(super) contacts: Vec<ContactFields>,
}

impl fmt::Debug for Organization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Organization")
            .field("token", &"[redacted]")
            .field("users", &self.users)
            .field("contacts", &self.contacts.len())
            .finish()
    }
}

impl Organization {
    /// An organization that accepts `token`, with no contacts and one user of its own, as
    /// every Linq account has its own users: the admin `owner@organization<N>.example`
    /// (Jane Owner, id `455 + N`), where N is the organization's position among the fake's
    /// organizations (the first, configured on the builder, is 1; so the first added with
    /// [`FakeLinqBuilder::organization`](super::FakeLinqBuilder::organization) is 2). The
    /// first organization's default user is [`OrganizationUser::default_admin`], whom no other
    /// organization knows unless given it with [`users`](Self::users).
    pub fn new(token: impl Into<String>) -> Organization {
        Organization {
            token: token.into(),
            users: None,
            contacts: Vec::new(),
        }
    }

    /// The users of the organization, in order (see
    /// [`FakeLinqBuilder::organization_users`](super::FakeLinqBuilder::organization_users)).
    pub fn users(mut self, users: impl IntoIterator<Item = OrganizationUser>) -> Organization {
        self.users = Some(users.into_iter().collect());
        self
    }

    /// The users of the organization at `position` (from 1) among the fake's organizations:
    /// those it was given, else its own admin.
    pub(super) fn users_at(&mut self, position: usize) -> Vec<OrganizationUser> {
        self.users.take().unwrap_or_else(|| {
            let n = u64::try_from(position).unwrap_or(u64::MAX);
            vec![OrganizationUser::admin(
                NonZeroU64::MIN.saturating_add(454).saturating_add(n),
                format!("owner@organization{position}.example"),
                "Jane",
                "Owner",
            )]
        })
    }

    /// A contact of this organization from the start.
    pub fn contact(mut self, fields: ContactFields) -> Organization {
        self.contacts.push(fields);
        self
    }
}

/// What create, PUT and PATCH do with an email or a phone number that another contact of the
/// same organization already has. Linq does not document it.
///
/// Emails compare case-insensitively, phone numbers after normalisation to E.164. Blank values
/// never collide. The errors name the field, never the value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Duplicates {
    /// Accepted: several contacts may share an email or a phone number (the default). Linq
    /// documents no uniqueness rule and no 409 in V2, and its find returns one contact of
    /// possibly several matches; the fake's find returns the lowest id.
    #[default]
    Allow,
    /// Refused with a 422 `VALIDATION_ERROR` (`message` `Contact validation failed`, `errors`
    /// `Email has already been taken` and/or `Phone number has already been taken`), as a Rails
    /// uniqueness validation answers.
    Reject,
    /// Refused with a 409 `DUPLICATE_CONTACT` (`message` `Contact already exists`, the same
    /// `errors`); the spec declares a 409 on create, PUT and PATCH for this case.
    Conflict,
}
