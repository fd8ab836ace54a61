//! The Contacts endpoints: one builder per operation, validation before sending.
//!
//! Every builder is sent with `.send().await` (or simply `.await`); `.send_with_meta().await`
//! gives the call's [`ResponseMeta`] beside the value. Every builder takes per-call overrides
//! of the client's settings: [`timeout`](GetContact::timeout),
//! [`total_deadline`](GetContact::total_deadline) and [`max_retries`](GetContact::max_retries).
//! Builders own a handle of the client, so they and their futures are `Send + 'static`.

mod calls;
mod list;
pub mod reconcile;

pub use list::{
    ContactPage, ContactStream, ListContacts, PageStream, MAX_CONCURRENCY, MAX_PER_PAGE,
};

use crate::{
    call::{self, meta::ResponseMeta, request_builder, CallOptions, Operation},
    client::LinqClient,
    error::Result,
    model::{Contact, ContactId},
};
use calls::{contact_fields, create, find, update, Draft, Identity, DELETE, GET, PATCH, UPDATE};
use reconcile::{FindOrCreate, Upsert};
// The builders' docs name its variants.
#[cfg(doc)]
use crate::error::Error;

impl LinqClient {
    /// The Contacts endpoints.
    pub fn contacts(&self) -> Contacts {
        Contacts::new(self.clone())
    }
}

/// The Contacts endpoints of a [`LinqClient`]; get it with [`LinqClient::contacts`].
///
/// It holds a handle of the client (one shared connection pool), and so does every builder it
/// makes: a builder and the future it returns are `Send + 'static`, so a call can be spawned.
///
/// ```no_run
/// # async fn run(linq: linq_api_ext::LinqClient, id: linq_api_ext::ContactId) {
/// let call = tokio::spawn(linq.contacts().get(id).send());
/// let contact = call.await.expect("the task ran").expect("the contact");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Contacts {
    client: LinqClient,
}

impl Contacts {
    pub(crate) fn new(client: LinqClient) -> Self {
        Self { client }
    }

    /// Lists contacts: one page with [`ListContacts::send`], or every contact with
    /// [`ListContacts::stream`].
    pub fn list(&self) -> ListContacts {
        ListContacts::new(self.client.clone())
    }

    /// Creates a contact. At least one of first name, last name, email or phone number is
    /// required.
    ///
    /// A create is never re-sent after a failure that may have reached Linq (see
    /// [`CreateContact`]); [`find_or_create`](Self::find_or_create) and
    /// [`upsert`](Self::upsert) reconcile such a failure for you.
    pub fn create(&self) -> CreateContact {
        CreateContact {
            client: self.client.clone(),
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Finds the contact of this person, or creates it when there is none: never a duplicate
    /// from a lost reply, never another person who shares the phone number, and always a
    /// definite answer. Takes the fields of [`create`](Self::create); the email or the phone
    /// number (or both) is required.
    ///
    /// The person is identified by the email when there is one, and only then by the phone
    /// number: a contact that holds the phone number under another email is never taken
    /// for the input's (see the [identity rule](crate::reconcile#who-is-the-same-person-the-identity-rule)).
    /// A create that fails after it may have reached Linq is reconciled: the contact is looked
    /// up again and, only if it is not there, created again (within the retry policy and the
    /// deadline). What this guarantees and what it cannot (two writers racing on one
    /// identity) is in [`reconcile`](crate::reconcile).
    ///
    /// ```no_run
    /// use linq_api_ext::Outcome;
    /// # async fn run(linq: linq_api_ext::LinqClient) -> Result<(), linq_api_ext::Error> {
    /// let ada = linq.contacts().find_or_create().email("ada@example.com").first_name("Ada").await?;
    /// match ada.outcome {
    ///     Outcome::Created => println!("created {}", ada.contact.id),
    ///     _ => println!("already there: {}", ada.contact.id),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn find_or_create(&self) -> FindOrCreate {
        FindOrCreate::new(self.client.clone())
    }

    /// Updates the contact of this person with the given fields (as
    /// [`update`](Self::update) does), or creates it when there is none; identified and
    /// reconciled like [`find_or_create`](Self::find_or_create): a contact that only shares
    /// the phone number is never updated.
    pub fn upsert(&self) -> Upsert {
        Upsert::new(self.client.clone())
    }

    /// Finds a contact by email and/or phone number (matched with OR); `None` when none
    /// matches.
    pub fn find(&self) -> FindContact {
        FindContact {
            client: self.client.clone(),
            email: None,
            phone_number: None,
            options: CallOptions::default(),
        }
    }

    /// Gets a contact by id.
    pub fn get(&self, id: ContactId) -> GetContact {
        GetContact {
            client: self.client.clone(),
            id,
            options: CallOptions::default(),
        }
    }

    /// Updates a contact with PUT. Only the fields set are changed (Linq's PUT is a partial
    /// update); at least one of first name, last name, email or phone number is required.
    pub fn update(&self, id: ContactId) -> UpdateContact {
        UpdateContact {
            client: self.client.clone(),
            id,
            op: UPDATE,
            draft: Draft::default(),
            options: CallOptions::default(),
        }
    }

    /// Updates a contact with PATCH; Linq documents it as identical to
    /// [`update`](Self::update).
    pub fn patch(&self, id: ContactId) -> UpdateContact {
        UpdateContact {
            op: PATCH,
            ..self.update(id)
        }
    }

    /// Deletes a contact, with all its associated user contacts. This cannot be undone.
    pub fn delete(&self, id: ContactId) -> DeleteContact {
        DeleteContact {
            client: self.client.clone(),
            id,
            options: CallOptions::default(),
        }
    }
}

/// Creates a contact; see [`Contacts::create`].
///
/// Creating is not idempotent and Linq V2 has no idempotency key: an attempt that may have
/// reached Linq (a timeout, a dropped connection after sending, a 5xx) is never re-sent, so a
/// flaky network cannot create the contact twice, but such a failure may have created it. To
/// learn whether it did, look it up with [`Contacts::find`] — or create through
/// [`Contacts::find_or_create`], which does that for you and re-sends only when the contact is
/// not there.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateContact {
    client: LinqClient,
    draft: Draft,
    options: CallOptions,
}

impl CreateContact {
    contact_fields! {
        first_name: "The first name.",
        last_name: "The last name.",
        email: "The email address.",
        phone_number: "The phone number, in any common format (Linq stores E.164).",
        company: "The company.",
        title: "The job title.",
        location: "The location.",
    }

    /// Checks the request as `send` would, without sending anything: the same rules give
    /// the same [`Error::InvalidInput`]. For a dry run over many rows.
    ///
    /// # Errors
    /// [`Error::InvalidInput`], exactly when `send` would refuse the request before sending.
    pub fn validate(&self) -> Result<()> {
        self.draft.clone().into_input().map(drop)
    }

    /// Sends the request and returns the created contact, with the call's metadata (the
    /// request id among it).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when no identity field is set or `user_email` is
    /// not an email; [`Error::Validation`] when Linq refuses it; any transport or API error.
    /// A timeout, a connection dropped after sending or a 5xx may have created the contact.
    pub async fn send_with_meta(self) -> Result<(Contact, ResponseMeta)> {
        let body = self.draft.into_input()?;
        create(&self.client, &body, &self.options).await
    }
}
request_builder!(CreateContact => Contact);

/// Updates a contact with PUT or PATCH; see [`Contacts::update`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateContact {
    client: LinqClient,
    id: ContactId,
    op: Operation,
    draft: Draft,
    options: CallOptions,
}

impl UpdateContact {
    contact_fields! {
        first_name: "Sets the first name.",
        last_name: "Sets the last name.",
        email: "Sets the email address.",
        phone_number: "Sets the phone number, in any common format (Linq stores E.164).",
        company: "Sets the company.",
        title: "Sets the job title.",
        location: "Sets the location.",
    }

    /// Checks the request as `send` would, without sending anything: the same rules give
    /// the same [`Error::InvalidInput`]. For a dry run over many rows.
    ///
    /// # Errors
    /// [`Error::InvalidInput`], exactly when `send` would refuse the request before sending.
    pub fn validate(&self) -> Result<()> {
        self.draft.clone().into_input().map(drop)
    }

    /// Sends the request and returns the updated contact, with the call's metadata.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when no identity field is set;
    /// [`Error::NotFound`] when there is no such contact; any transport or API error.
    pub async fn send_with_meta(self) -> Result<(Contact, ResponseMeta)> {
        let body = self.draft.into_input()?;
        update(&self.client, self.op, self.id, &body, &self.options).await
    }
}
request_builder!(UpdateContact => Contact);

/// Finds a contact; see [`Contacts::find`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct FindContact {
    client: LinqClient,
    email: Option<String>,
    phone_number: Option<String>,
    options: CallOptions,
}

impl FindContact {
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

    /// Checks the request as `send` would, without sending anything: the same rules give
    /// the same [`Error::InvalidInput`]. For a dry run over many rows.
    ///
    /// # Errors
    /// [`Error::InvalidInput`], exactly when `send` would refuse the request before sending.
    pub fn validate(&self) -> Result<()> {
        Identity::checked(self.email.clone(), self.phone_number.clone()).map(drop)
    }

    /// Sends the request: `Some(contact)` when one matches, `None` when none does (Linq's
    /// `{"contact": null}`, or a 404 `CONTACT_NOT_FOUND` from Linq), with the call's metadata.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) when neither email nor phone number is given or
    /// either is malformed; any transport or API error.
    pub async fn send_with_meta(self) -> Result<(Option<Contact>, ResponseMeta)> {
        let identity = Identity::checked(self.email, self.phone_number)?;
        find(&self.client, &identity, &self.options).await
    }
}
request_builder!(FindContact => Option<Contact>);

/// Gets a contact; see [`Contacts::get`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetContact {
    client: LinqClient,
    id: ContactId,
    options: CallOptions,
}

impl GetContact {
    /// Sends the request and returns the contact, with the call's metadata.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such contact; any transport or API error.
    pub async fn send_with_meta(self) -> Result<(Contact, ResponseMeta)> {
        let id = self.id.as_path();
        let raw = self.client.raw();
        let (envelope, meta) = call::run(self.client.settings(), GET, &self.options, None, || {
            raw.get_contact(id)
        })
        .await?;
        Ok((Contact::from_generated(envelope.data), meta))
    }
}
request_builder!(GetContact => Contact);

/// Deletes a contact; see [`Contacts::delete`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteContact {
    client: LinqClient,
    id: ContactId,
    options: CallOptions,
}

impl DeleteContact {
    /// Sends the request, and returns the call's metadata.
    ///
    /// If an attempt may have deleted the contact (it timed out or got a 5xx) and a retry then
    /// gets Linq's 404, the delete succeeded: `Ok(())`, not [`Error::NotFound`] (the metadata
    /// is that 404's).
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such contact; any transport or API error.
    pub async fn send_with_meta(self) -> Result<((), ResponseMeta)> {
        let id = self.id.as_path();
        let raw = self.client.raw();
        call::run(
            self.client.settings(),
            DELETE,
            &self.options,
            Some(|| ()),
            || raw.delete_contact(id),
        )
        .await
    }
}
request_builder!(DeleteContact => ());
