//! The Contacts endpoints: one builder per operation, validation before sending.
//!
//! Every builder is sent with `.send().await` (or simply `.await`), and takes per-call
//! overrides of the client's settings: [`timeout`](GetContact::timeout),
//! [`total_deadline`](GetContact::total_deadline) and [`max_retries`](GetContact::max_retries).

use std::{
    future::{Future, IntoFuture},
    num::NonZeroU64,
    pin::Pin,
    time::Duration,
};

use linq_api::types::{ContactFields, ContactInput, FindContactResult};

use crate::{
    config::LinqClient,
    error::{Error, Result},
    pagination::ListContacts,
    retry::{self, call_options, CallOptions, Operation},
    Contact,
};

pub(crate) const LIST: Operation = Operation {
    id: "list_contacts",
    method: "GET",
    path: "/api/partner/v2/contacts",
    idempotent: true,
};
const CREATE: Operation = Operation {
    id: "create_contact",
    method: "POST",
    path: "/api/partner/v2/contacts",
    idempotent: false,
};
const FIND: Operation = Operation {
    id: "find_contact",
    method: "GET",
    path: "/api/partner/v2/contacts/find",
    idempotent: true,
};
const GET: Operation = Operation {
    id: "get_contact",
    method: "GET",
    path: "/api/partner/v2/contacts/{id}",
    idempotent: true,
};
const UPDATE: Operation = Operation {
    id: "update_contact",
    method: "PUT",
    path: "/api/partner/v2/contacts/{id}",
    idempotent: true,
};
const PATCH: Operation = Operation {
    id: "patch_contact",
    method: "PATCH",
    path: "/api/partner/v2/contacts/{id}",
    idempotent: true,
};
const DELETE: Operation = Operation {
    id: "delete_contact",
    method: "DELETE",
    path: "/api/partner/v2/contacts/{id}",
    idempotent: true,
};

/// The Contacts endpoints of a [`LinqClient`]; get it with [`LinqClient::contacts`].
#[derive(Clone, Copy, Debug)]
pub struct Contacts<'a> {
    client: &'a LinqClient,
}

impl<'a> Contacts<'a> {
    pub(crate) fn new(client: &'a LinqClient) -> Self {
        Self { client }
    }

    /// Lists contacts: one page with [`ListContacts::send`], or every contact with
    /// [`ListContacts::stream`].
    pub fn list(self) -> ListContacts {
        ListContacts::new(self.client.clone())
    }

    /// Creates a contact. At least one of first name, last name, email or phone number is
    /// required.
    pub fn create(self) -> CreateContact<'a> {
        CreateContact {
            client: self.client,
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Finds a contact by email and/or phone number (matched with OR); `None` when none
    /// matches.
    pub fn find(self) -> FindContact<'a> {
        FindContact {
            client: self.client,
            email: None,
            phone_number: None,
            options: CallOptions::default(),
        }
    }

    /// Gets a contact by id.
    pub fn get(self, id: i64) -> GetContact<'a> {
        GetContact {
            client: self.client,
            id,
            options: CallOptions::default(),
        }
    }

    /// Updates a contact with PUT. Only the fields set are changed (Linq's PUT is a partial
    /// update); at least one of first name, last name, email or phone number is required.
    pub fn update(self, id: i64) -> UpdateContact<'a> {
        UpdateContact {
            client: self.client,
            id,
            op: UPDATE,
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Updates a contact with PATCH; Linq documents it as identical to
    /// [`update`](Self::update).
    pub fn patch(self, id: i64) -> UpdateContact<'a> {
        UpdateContact {
            op: PATCH,
            ..self.update(id)
        }
    }

    /// Deletes a contact, with all its associated user contacts. This cannot be undone.
    pub fn delete(self, id: i64) -> DeleteContact<'a> {
        DeleteContact {
            client: self.client,
            id,
            options: CallOptions::default(),
        }
    }
}

/// The contact fields a create or update sends.
#[derive(Clone, Debug, Default)]
struct Draft {
    fields: ContactFields,
    user_email: Option<String>,
}

impl Draft {
    /// The body, after checking the "at least one identity field" rule.
    fn into_input(self) -> Result<ContactInput> {
        let f = &self.fields;
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if ![&f.first_name, &f.last_name, &f.email, &f.phone_number]
            .into_iter()
            .any(given)
        {
            return Err(Error::invalid(
                "contact",
                "needs at least one of first_name, last_name, email or phone_number (non-empty)",
            ));
        }
        if let Some(owner) = &self.user_email {
            check_email("user_email", owner)?;
        }
        Ok(ContactInput {
            contact: self.fields,
            user_email: self.user_email,
        })
    }
}

/// Refuses a value that cannot be an email address.
fn check_email(field: &'static str, value: &str) -> Result<()> {
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !value.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("must be an email address, got `{value}`"),
        ))
    }
}

/// Refuses a value that cannot be a phone number.
fn check_phone(field: &'static str, value: &str) -> Result<()> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
    if allowed && (4..=15).contains(&digits) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("must be a phone number (4 to 15 digits, with optional + - ( ) . / and spaces), got `{value}`"),
        ))
    }
}

/// A contact id as the API takes it.
fn contact_id(id: i64) -> Result<NonZeroU64> {
    u64::try_from(id)
        .ok()
        .and_then(NonZeroU64::new)
        .ok_or_else(|| Error::invalid("id", format!("must be a positive integer, got {id}")))
}

/// Setters of the contact fields, shared by create and update.
macro_rules! contact_fields {
    ($($field:ident: $doc:literal),* $(,)?) => {
        $(
            #[doc = $doc]
            pub fn $field(mut self, value: impl Into<String>) -> Self {
                self.draft.fields.$field = Some(value.into());
                self
            }
        )*

        /// Assigns the contact to this user of the organization (an existing user's email;
        /// Linq answers 422 otherwise). Without it Linq picks the first admin on create.
        pub fn user_email(mut self, email: impl Into<String>) -> Self {
            self.draft.user_email = Some(email.into());
            self
        }
    };
}

/// `.await` on a builder sends it.
macro_rules! into_future {
    ($builder:ident => $output:ty) => {
        impl<'a> IntoFuture for $builder<'a> {
            type Output = Result<$output>;
            type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

/// Creates a contact; see [`Contacts::create`].
///
/// Creating is not idempotent: an attempt that may have reached Linq (a timeout, a 5xx) is
/// never re-sent, so a flaky network cannot create the contact twice.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateContact<'a> {
    client: &'a LinqClient,
    draft: Draft,
    options: CallOptions,
}

impl CreateContact<'_> {
    contact_fields! {
        first_name: "The first name.",
        last_name: "The last name.",
        email: "The email address.",
        phone_number: "The phone number, in any common format (Linq stores E.164).",
        company: "The company.",
        title: "The job title.",
        location: "The location.",
    }
    call_options!();

    /// Sends the request and returns the created contact.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when no identity field is set or `user_email` is
    /// not an email; [`Error::Validation`] when Linq refuses it; any transport or API error.
    pub async fn send(self) -> Result<Contact> {
        let body = self.draft.into_input()?;
        let raw = self.client.raw();
        retry::run(self.client.settings(), CREATE, &self.options, None, || {
            raw.create_contact(&body)
        })
        .await
        .map(|envelope| envelope.data)
    }
}
into_future!(CreateContact => Contact);

/// Updates a contact with PUT or PATCH; see [`Contacts::update`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateContact<'a> {
    client: &'a LinqClient,
    id: i64,
    op: Operation,
    draft: Draft,
    options: CallOptions,
}

impl UpdateContact<'_> {
    contact_fields! {
        first_name: "Sets the first name.",
        last_name: "Sets the last name.",
        email: "Sets the email address.",
        phone_number: "Sets the phone number, in any common format (Linq stores E.164).",
        company: "Sets the company.",
        title: "Sets the job title.",
        location: "Sets the location.",
    }
    call_options!();

    /// Sends the request and returns the updated contact.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) for an id below 1 or no identity field;
    /// [`Error::NotFound`] when there is no such contact; any transport or API error.
    pub async fn send(self) -> Result<Contact> {
        let id = contact_id(self.id)?;
        let body = self.draft.into_input()?;
        let raw = self.client.raw();
        let patch = self.op.id == PATCH.id;
        retry::run(
            self.client.settings(),
            self.op,
            &self.options,
            None,
            || async {
                if patch {
                    raw.patch_contact(id, &body).await
                } else {
                    raw.update_contact(id, &body).await
                }
            },
        )
        .await
        .map(|envelope| envelope.data)
    }
}
into_future!(UpdateContact => Contact);

/// Finds a contact; see [`Contacts::find`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct FindContact<'a> {
    client: &'a LinqClient,
    email: Option<String>,
    phone_number: Option<String>,
    options: CallOptions,
}

impl FindContact<'_> {
    /// Searches by email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Searches by phone number, in any common format: `(555) 123-4567`, `555-123-4567` and
    /// `+15551234567` all match (Linq normalises to E.164).
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.phone_number = Some(phone.into());
        self
    }

    call_options!();

    /// Sends the request: `Some(contact)` when one matches, `None` when none does (Linq's
    /// `{"contact": null}`, or a 404 `CONTACT_NOT_FOUND` from Linq).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when neither email nor phone number is given or
    /// either is malformed; any transport or API error.
    pub async fn send(self) -> Result<Option<Contact>> {
        let blank_to_none = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let email = blank_to_none(self.email);
        let phone = blank_to_none(self.phone_number);
        if email.is_none() && phone.is_none() {
            return Err(Error::invalid(
                "email",
                "or phone_number is required to find a contact (non-empty)",
            ));
        }
        if let Some(email) = &email {
            check_email("email", email)?;
        }
        if let Some(phone) = &phone {
            check_phone("phone_number", phone)?;
        }
        let raw = self.client.raw();
        let found = retry::run(self.client.settings(), FIND, &self.options, None, || {
            raw.find_contact(email.as_deref(), phone.as_deref())
        })
        .await;
        match found {
            Ok(FindContactResult::Contact(contact)) => Ok(Some(contact)),
            Ok(FindContactResult::FindContactMiss(miss)) => Ok(miss.contact),
            // Linq documents `{"contact": null}` for a miss; a 404 from Linq means the same.
            // Another 404 (a proxy's page for a wrong base URL) stays an error.
            Err(e) if e.is_linq_not_found() => Ok(None),
            Err(other) => Err(other),
        }
    }
}
into_future!(FindContact => Option<Contact>);

/// Gets a contact; see [`Contacts::get`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetContact<'a> {
    client: &'a LinqClient,
    id: i64,
    options: CallOptions,
}

impl GetContact<'_> {
    call_options!();

    /// Sends the request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) for an id below 1; [`Error::NotFound`] when there
    /// is no such contact; any transport or API error.
    pub async fn send(self) -> Result<Contact> {
        let id = contact_id(self.id)?;
        let raw = self.client.raw();
        retry::run(self.client.settings(), GET, &self.options, None, || {
            raw.get_contact(id)
        })
        .await
        .map(|envelope| envelope.data)
    }
}
into_future!(GetContact => Contact);

/// Deletes a contact; see [`Contacts::delete`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteContact<'a> {
    client: &'a LinqClient,
    id: i64,
    options: CallOptions,
}

impl DeleteContact<'_> {
    call_options!();

    /// Sends the request.
    ///
    /// If an attempt may have deleted the contact (it timed out or got a 5xx) and a retry then
    /// gets Linq's 404, the delete succeeded: `Ok(())`, not [`Error::NotFound`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) for an id below 1; [`Error::NotFound`] when there
    /// is no such contact; any transport or API error.
    pub async fn send(self) -> Result<()> {
        let id = contact_id(self.id)?;
        let raw = self.client.raw();
        retry::run(
            self.client.settings(),
            DELETE,
            &self.options,
            Some(|| ()),
            || raw.delete_contact(id),
        )
        .await
    }
}
into_future!(DeleteContact => ());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_rule_ignores_blank_values() {
        let mut draft = Draft::default();
        draft.fields.company = Some("Acme".into());
        draft.fields.email = Some("  ".into());
        let err = draft.clone().into_input().unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidInput {
                field: "contact",
                ..
            }
        ));
        draft.fields.last_name = Some("Lovelace".into());
        assert!(draft.into_input().is_ok());
    }

    #[test]
    fn ids_must_be_positive() {
        assert!(contact_id(1).is_ok());
        for bad in [0, -5, i64::MIN] {
            let err = contact_id(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { field: "id", .. }));
        }
    }

    #[test]
    fn email_and_phone_shapes() {
        assert!(check_email("email", "a@b.co").is_ok());
        for bad in ["ab.co", "@b.co", "a@", "a b@c.d", "a@b@c"] {
            assert!(check_email("email", bad).is_err(), "{bad}");
        }
        for ok in [
            "(555) 123-4567",
            "555-123-4567",
            "+15551234567",
            "030/1234567",
        ] {
            assert!(check_phone("phone_number", ok).is_ok(), "{ok}");
        }
        for bad in ["call me", "12", "+1 555 123 4567 8901 234"] {
            assert!(check_phone("phone_number", bad).is_err(), "{bad}");
        }
    }
}
