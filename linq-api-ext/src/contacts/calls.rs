//! The calls of the Contacts operations that the builders, the list and the reconciling
//! helpers share: the checked body of a create or update ([`Draft`]), the checked identity of
//! a find ([`Identity`]), one function per operation that runs it through the call engine,
//! and the conversion of the generated contact into ours.

use linq_api::types::{ContactFields, ContactInput, FindContactResult};
use tokio::time::Instant;

use crate::{
    call::{self, meta::ResponseMeta, CallOptions, Operation},
    client::LinqClient,
    error::{Error, Result},
    model::{Contact, ContactId},
    rules,
};

pub(crate) use linq_api::spec::{
    CREATE_CONTACT as CREATE, DELETE_CONTACT as DELETE, FIND_CONTACT as FIND, GET_CONTACT as GET,
    LIST_CONTACTS as LIST, PATCH_CONTACT as PATCH, UPDATE_CONTACT as UPDATE,
};

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

/// One create call, as the builder and the reconciling helpers send it.
pub(crate) async fn create(
    client: &LinqClient,
    body: &ContactInput,
    options: &CallOptions,
) -> Result<(Contact, ResponseMeta)> {
    let raw = client.raw();
    let (envelope, meta) = call::run(client.settings(), CREATE, options, None, || {
        raw.create_contact(body)
    })
    .await?;
    Ok((Contact::from_generated(envelope.data), meta))
}

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
    let (envelope, meta) = call::run(client.settings(), op, options, None, || async move {
        if patch {
            raw.patch_contact(id, body).await
        } else {
            raw.update_contact(id, body).await
        }
    })
    .await?;
    Ok((Contact::from_generated(envelope.data), meta))
}

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
    let found = call::run(client.settings(), FIND, options, None, || {
        raw.find_contact(email, phone)
    })
    .await;
    match found {
        Ok((FindContactResult::Contact(contact), meta)) => {
            Ok((Some(Contact::from_generated(contact)), meta))
        }
        Ok((FindContactResult::FindContactMiss(miss), meta)) => match miss.contact {
            Some(contact) => Ok((Some(Contact::from_generated(contact)), meta)),
            None => Ok((None, meta)),
        },
        // Linq documents `{"contact": null}` for a miss; a 404 from Linq means the same.
        // Another 404 (a proxy's page for a wrong base URL) stays an error.
        Err(error) => match error.linq_not_found() {
            Some(api) => Ok((None, ResponseMeta::of_api(api, started.elapsed()))),
            None => Err(error),
        },
    }
}

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
