//! The Contacts endpoints: one builder per operation, validation before sending.
//!
//! Every builder is sent with `.send().await` (or simply `.await`); `.send_with_meta().await`
//! gives the call's [`ResponseMeta`] beside the value. Every builder takes per-call overrides
//! of the client's settings: [`timeout`](GetContact::timeout),
//! [`total_deadline`](GetContact::total_deadline) and [`max_retries`](GetContact::max_retries).
//! Builders own a handle of the client, so they and their futures are `Send + 'static`.

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    time::Duration,
};

use linq_api::types::{ContactFields, ContactInput, FindContactResult};
use tokio::time::Instant;

use crate::{
    config::LinqClient,
    error::{Error, Result},
    meta::ResponseMeta,
    model::{Contact, ContactId},
    pagination::ListContacts,
    reconcile::{FindOrCreate, Upsert},
    retry::{self, call_options, CallOptions, Operation},
    rules,
};

pub(crate) use linq_api::spec::{
    CREATE_CONTACT as CREATE, DELETE_CONTACT as DELETE, FIND_CONTACT as FIND, GET_CONTACT as GET,
    LIST_CONTACTS as LIST, PATCH_CONTACT as PATCH, UPDATE_CONTACT as UPDATE,
};

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

/// The contact fields a create or update sends.
#[derive(Clone, Debug, Default)]
pub(crate) struct Draft {
    pub(crate) fields: ContactFields,
    pub(crate) user_email: Option<String>,
}

impl Draft {
    /// The body, after checking the "at least one identity field" rule.
    pub(crate) fn into_input(self) -> Result<ContactInput> {
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
        // The spec's rules, as find and the fake apply them: nothing Linq would refuse for
        // its shape or length is sent.
        for (field, value) in [
            ("first_name", &f.first_name),
            ("last_name", &f.last_name),
            ("email", &f.email),
            ("phone_number", &f.phone_number),
            ("company", &f.company),
            ("title", &f.title),
            ("location", &f.location),
        ] {
            if let Some(value) = value {
                rules::check_contact_field(field, value)?;
            }
        }
        if let Some(owner) = &self.user_email {
            rules::check_user_email(owner)?;
        }
        Ok(ContactInput {
            contact: self.fields,
            user_email: self.user_email,
        })
    }
}

/// Our contact from the generated one a call of `op` returned; an impossible id is an
/// undecodable answer of that call.
pub(crate) fn own(
    contact: linq_api::types::Contact,
    meta: &ResponseMeta,
    op: Operation,
) -> Result<Contact> {
    Contact::try_from(contact).map_err(|e| in_response(e, meta, op))
}

/// A conversion's [`Error::Decode`] (a value no real answer holds), placed in the response to
/// `op` it came from: its status, headers and attempts, and what the operation does.
pub(crate) fn in_response(error: Error, meta: &ResponseMeta, op: Operation) -> Error {
    match error {
        Error::Decode {
            failure,
            message,
            snippet,
            ..
        } => Error::Decode {
            status: Some(meta.status()),
            failure,
            message,
            snippet,
            headers: Box::new(meta.headers().clone()),
            attempts: meta.attempts(),
            idempotent: op.idempotent,
            read: op.reads(),
        },
        other => other,
    }
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
pub(crate) use contact_fields;

/// `send` (the value) beside `send_with_meta` (the value and the [`ResponseMeta`]), and
/// `.await` on a builder, which sends it.
macro_rules! send_and_into_future {
    ($builder:ident => $output:ty) => {
        impl $builder {
            /// Sends the request; [`send_with_meta`](Self::send_with_meta) says what it
            /// returns and how it fails.
            ///
            /// # Errors
            /// As [`send_with_meta`](Self::send_with_meta).
            // A plain function mapping `send_with_meta`'s future, rather than an `async fn`
            // awaiting it: one layer less of future state to build and move on every call.
            pub fn send(self) -> impl Future<Output = Result<$output>> + Send + 'static {
                futures_util::FutureExt::map(self.send_with_meta(), |result| {
                    result.map(|(value, _)| value)
                })
            }
        }

        impl IntoFuture for $builder {
            type Output = Result<$output>;
            type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use send_and_into_future;

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
    call_options!();

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
send_and_into_future!(CreateContact => Contact);

/// One create call, as the builder and the reconciling helpers send it.
pub(crate) async fn create(
    client: &LinqClient,
    body: &ContactInput,
    options: &CallOptions,
) -> Result<(Contact, ResponseMeta)> {
    let raw = client.raw();
    let (envelope, meta) = retry::run(client.settings(), CREATE, options, None, || {
        raw.create_contact(body)
    })
    .await?;
    Ok((own(envelope.data, &meta, CREATE)?, meta))
}

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
    call_options!();

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
send_and_into_future!(UpdateContact => Contact);

/// One update call (PUT or PATCH), as the builder and upsert send it.
pub(crate) async fn update(
    client: &LinqClient,
    op: Operation,
    id: ContactId,
    body: &ContactInput,
    options: &CallOptions,
) -> Result<(Contact, ResponseMeta)> {
    let raw = client.raw();
    let patch = op.id == PATCH.id;
    let id = id.as_path();
    let (envelope, meta) = retry::run(client.settings(), op, options, None, || async move {
        if patch {
            raw.patch_contact(id, body).await
        } else {
            raw.update_contact(id, body).await
        }
    })
    .await?;
    Ok((own(envelope.data, &meta, op)?, meta))
}

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

    call_options!();

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
send_and_into_future!(FindContact => Option<Contact>);

/// The fields find looks a contact up by, checked: at least one, both well-formed.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    email: Option<String>,
    phone_number: Option<String>,
}

impl Identity {
    /// Blank values count as absent.
    pub(crate) fn checked(email: Option<String>, phone_number: Option<String>) -> Result<Self> {
        let blank_to_none = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let email = blank_to_none(email);
        let phone_number = blank_to_none(phone_number);
        if email.is_none() && phone_number.is_none() {
            return Err(Error::invalid(
                "email",
                "or phone_number is required to find a contact (non-empty)",
            ));
        }
        if let Some(email) = &email {
            rules::check_contact_field("email", email)?;
        }
        if let Some(phone) = &phone_number {
            rules::check_contact_field("phone_number", phone)?;
        }
        Ok(Self {
            email,
            phone_number,
        })
    }

    /// The email, when there is one.
    pub(crate) fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The phone number, when there is one.
    pub(crate) fn phone_number(&self) -> Option<&str> {
        self.phone_number.as_deref()
    }

    /// The email alone, when there is one (already checked).
    pub(crate) fn email_only(&self) -> Option<Identity> {
        self.email.clone().map(|email| Identity {
            email: Some(email),
            phone_number: None,
        })
    }
}

/// One find call, as the builder and the reconciling helpers send it.
pub(crate) async fn find(
    client: &LinqClient,
    identity: &Identity,
    options: &CallOptions,
) -> Result<(Option<Contact>, ResponseMeta)> {
    let started = Instant::now();
    let raw = client.raw();
    let (email, phone) = (identity.email.as_deref(), identity.phone_number.as_deref());
    let found = retry::run(client.settings(), FIND, options, None, || {
        raw.find_contact(email, phone)
    })
    .await;
    match found {
        Ok((FindContactResult::Contact(contact), meta)) => {
            Ok((Some(own(contact, &meta, FIND)?), meta))
        }
        Ok((FindContactResult::FindContactMiss(miss), meta)) => match miss.contact {
            Some(contact) => Ok((Some(own(contact, &meta, FIND)?), meta)),
            None => Ok((None, meta)),
        },
        // Linq documents `{"contact": null}` for a miss; a 404 from Linq means the same.
        // Another 404 (a proxy's page for a wrong base URL) stays an error.
        Err(error) => match (error.is_linq_not_found(), error) {
            (true, Error::NotFound(api)) => {
                let meta = ResponseMeta::new(
                    api.status(),
                    api.headers().clone(),
                    api.attempts(),
                    started.elapsed(),
                );
                Ok((None, meta))
            }
            (_, other) => Err(other),
        },
    }
}

/// Gets a contact; see [`Contacts::get`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetContact {
    client: LinqClient,
    id: ContactId,
    options: CallOptions,
}

impl GetContact {
    call_options!();

    /// Sends the request and returns the contact, with the call's metadata.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such contact; any transport or API error.
    pub async fn send_with_meta(self) -> Result<(Contact, ResponseMeta)> {
        let id = self.id.as_path();
        let raw = self.client.raw();
        let (envelope, meta) = retry::run(self.client.settings(), GET, &self.options, None, || {
            raw.get_contact(id)
        })
        .await?;
        Ok((own(envelope.data, &meta, GET)?, meta))
    }
}
send_and_into_future!(GetContact => Contact);

/// Deletes a contact; see [`Contacts::delete`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct DeleteContact {
    client: LinqClient,
    id: ContactId,
    options: CallOptions,
}

impl DeleteContact {
    call_options!();

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
send_and_into_future!(DeleteContact => ());

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
}
