//! Where the commands send their requests: Linq, configured from the environment as the
//! library does, or (`--fake`) an in-process fake Linq whose contacts persist in a file.

use std::path::{Path, PathBuf};

use linq_api_ext::{
    linq_api::types::{Contact, ContactFields},
    ContactId, LinqClient, TOKEN_ENV,
};
use linq_fake::FakeLinq;

use crate::exit::{Exit, FAILED};

/// The user agent's product: `linq-contacts/<version> linq-api-rust/<version>`.
const PRODUCT: &str = concat!("linq-contacts/", env!("CARGO_PKG_VERSION"));

/// A client, and the fake it talks to if any.
pub struct Session {
    linq: LinqClient,
    fake: Option<(FakeLinq, PathBuf)>,
}

impl Session {
    /// A client for Linq from `LINQ_INTEGRATION_TOKEN` and `LINQ_BASE_URL`; or, with `fake`,
    /// a fake Linq loaded from `state` (or the default state file).
    pub async fn open(fake: bool, state: Option<PathBuf>) -> Result<Session, Exit> {
        if !fake {
            if state.is_some() {
                return Err(Exit::new(crate::exit::REFUSED, "--fake-state needs --fake"));
            }
            // The library's own message speaks to a programmer (`.token(..)`); an operator
            // sets a variable, or tries the fake.
            if !std::env::var(TOKEN_ENV).is_ok_and(|t| !t.trim().is_empty()) {
                return Err(Exit::new(
                    crate::exit::REFUSED,
                    format!(
                        "{TOKEN_ENV} is not set: export it with your Linq integration token, \
                         or pass --fake to try against an in-process fake Linq"
                    ),
                ));
            }
            let linq = LinqClient::builder()
                .from_env()
                .user_agent_product(PRODUCT)
                .build()
                .map_err(|e| Exit::linq("configuration", &e))?;
            return Ok(Session { linq, fake: None });
        }
        let state = state.unwrap_or_else(|| std::env::temp_dir().join("linq-contacts-fake.json"));
        let fake = FakeLinq::builder()
            .try_start()
            .await
            .map_err(|e| Exit::io("the fake Linq could not listen on 127.0.0.1", &e))?;
        let linq = LinqClient::builder()
            .token(fake.token())
            .base_url(fake.base_url())
            .user_agent_product(PRODUCT)
            .build()
            .map_err(|e| Exit::linq("configuration", &e))?;
        load(&fake, &linq, &state).await?;
        Ok(Session {
            linq,
            fake: Some((fake, state)),
        })
    }

    /// The client the commands use.
    pub fn client(&self) -> &LinqClient {
        &self.linq
    }

    /// Saves the fake's contacts, if this is a fake session.
    pub async fn close(self) -> Result<(), Exit> {
        if let Some((fake, state)) = self.fake {
            save(&fake.contacts(), &state)?;
        }
        Ok(())
    }
}

/// Fills the fake with the contacts saved in `state`, keeping their ids (the gaps that deletes
/// left are recreated and deleted again, so ids are never reused).
async fn load(fake: &FakeLinq, linq: &LinqClient, state: &Path) -> Result<(), Exit> {
    let text = match std::fs::read_to_string(state) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Exit::io(format!("reading {}", state.display()), &e)),
    };
    let mut saved: Vec<Contact> = serde_json::from_str(&text).map_err(|e| {
        Exit::new(
            FAILED,
            format!(
                "{} is not a saved fake state ({e}); delete it or pass another --fake-state",
                state.display()
            ),
        )
    })?;
    saved.sort_by_key(|c| c.id);
    let mut gaps = Vec::new();
    for contact in saved {
        loop {
            let inserted = fake.insert_contact(fields(&contact)).id;
            if inserted >= contact.id {
                break;
            }
            gaps.push(inserted);
        }
    }
    for id in gaps
        .into_iter()
        .filter_map(|id| ContactId::try_from(id).ok())
    {
        linq.contacts()
            .delete(id)
            .send()
            .await
            .map_err(|e| Exit::linq("restoring the fake's state", &e))?;
    }
    Ok(())
}

/// The writable fields of a saved contact.
fn fields(contact: &Contact) -> ContactFields {
    ContactFields {
        first_name: contact.first_name.clone(),
        last_name: contact.last_name.clone(),
        email: contact.email.clone(),
        phone_number: contact.phone_number.clone(),
        company: contact.company.clone(),
        title: contact.title.clone(),
        location: contact.location.clone(),
    }
}

/// Writes the contacts to `state`, through a temporary file so a crash never leaves half.
fn save(contacts: &[Contact], state: &Path) -> Result<(), Exit> {
    let json = serde_json::to_vec(contacts)
        .map_err(|e| Exit::new(FAILED, format!("saving the fake's state: {e}")))?;
    let partial = state.with_extension("partial");
    std::fs::write(&partial, json)
        .and_then(|()| std::fs::rename(&partial, state))
        .map_err(|e| Exit::io(format!("writing {}", state.display()), &e))
}
