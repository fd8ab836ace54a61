//! The seven Contacts operations, as the fake tells them apart.

use std::fmt;

/// One of the seven Contacts operations of Linq's Partner API V2.
///
/// The fake routes every request to an operation (or to none, for an unknown path or method);
/// scripts ([`FakeLinq::script`](super::FakeLinq::script)), latency
/// ([`FakeLinq::set_operation_latency`](super::FakeLinq::set_operation_latency)) and the request
/// log ([`RecordedRequest::operation`](super::RecordedRequest::operation)) are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `GET /api/partner/v2/contacts` — one page of contacts.
    ListContacts,
    /// `POST /api/partner/v2/contacts` — create a contact (201).
    CreateContact,
    /// `GET /api/partner/v2/contacts/find` — find one contact by email or phone number.
    FindContact,
    /// `GET /api/partner/v2/contacts/{id}` — one contact by id.
    GetContact,
    /// `PUT /api/partner/v2/contacts/{id}` — update the fields sent.
    UpdateContact,
    /// `PATCH /api/partner/v2/contacts/{id}` — update the fields sent (same as PUT).
    PatchContact,
    /// `DELETE /api/partner/v2/contacts/{id}` — delete a contact (204).
    DeleteContact,
}

impl Operation {
    /// Every operation, in the order of the spec.
    pub const ALL: [Operation; 7] = [
        Operation::ListContacts,
        Operation::CreateContact,
        Operation::FindContact,
        Operation::GetContact,
        Operation::UpdateContact,
        Operation::PatchContact,
        Operation::DeleteContact,
    ];

    /// The spec's `operationId`, which is also the name of the generated client's method
    /// (`"list_contacts"`, `"create_contact"`, …).
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::ListContacts => "list_contacts",
            Operation::CreateContact => "create_contact",
            Operation::FindContact => "find_contact",
            Operation::GetContact => "get_contact",
            Operation::UpdateContact => "update_contact",
            Operation::PatchContact => "patch_contact",
            Operation::DeleteContact => "delete_contact",
        }
    }

    /// The HTTP method of the operation.
    pub fn method(self) -> http::Method {
        match self {
            Operation::ListContacts | Operation::FindContact | Operation::GetContact => {
                http::Method::GET
            }
            Operation::CreateContact => http::Method::POST,
            Operation::UpdateContact => http::Method::PUT,
            Operation::PatchContact => http::Method::PATCH,
            Operation::DeleteContact => http::Method::DELETE,
        }
    }

    /// The path template of the operation, as in the spec (`/api/partner/v2/contacts/{id}`).
    pub fn path_template(self) -> &'static str {
        match self {
            Operation::ListContacts | Operation::CreateContact => super::server::CONTACTS_PATH,
            Operation::FindContact => super::server::FIND_PATH,
            Operation::GetContact
            | Operation::UpdateContact
            | Operation::PatchContact
            | Operation::DeleteContact => "/api/partner/v2/contacts/{id}",
        }
    }
}

impl fmt::Display for Operation {
    /// Writes the `operationId`, e.g. `create_contact`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}
