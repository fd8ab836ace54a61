//! The operations of the spec (seven for contacts, four for webhook subscriptions), as the fake
//! tells them apart.

use std::fmt;

/// One of the operations of Linq's Partner API V2 the fake serves: the seven Contacts
/// operations and the four Webhook Subscriptions operations.
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
    /// `GET /api/partner/v2/webhook_subscriptions` — every webhook subscription.
    ListWebhookSubscriptions,
    /// `POST /api/partner/v2/webhook_subscriptions` — subscribe a URL to events (201).
    CreateWebhookSubscription,
    /// `PUT /api/partner/v2/webhook_subscriptions/{webhook_subscription_id}` — replace one.
    UpdateWebhookSubscription,
    /// `DELETE /api/partner/v2/webhook_subscriptions/{webhook_subscription_id}` — delete one
    /// (204).
    DeleteWebhookSubscription,
}

impl Operation {
    /// Every operation, in the order of the spec.
    pub const ALL: [Operation; 11] = [
        Operation::ListContacts,
        Operation::CreateContact,
        Operation::FindContact,
        Operation::GetContact,
        Operation::UpdateContact,
        Operation::PatchContact,
        Operation::DeleteContact,
        Operation::ListWebhookSubscriptions,
        Operation::CreateWebhookSubscription,
        Operation::UpdateWebhookSubscription,
        Operation::DeleteWebhookSubscription,
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
            Operation::ListWebhookSubscriptions => "list_webhook_subscriptions",
            Operation::CreateWebhookSubscription => "create_webhook_subscription",
            Operation::UpdateWebhookSubscription => "update_webhook_subscription",
            Operation::DeleteWebhookSubscription => "delete_webhook_subscription",
        }
    }

    /// The HTTP method of the operation.
    pub fn method(self) -> http::Method {
        match self {
            Operation::ListContacts
            | Operation::FindContact
            | Operation::GetContact
            | Operation::ListWebhookSubscriptions => http::Method::GET,
            Operation::CreateContact | Operation::CreateWebhookSubscription => http::Method::POST,
            Operation::UpdateContact | Operation::UpdateWebhookSubscription => http::Method::PUT,
            Operation::PatchContact => http::Method::PATCH,
            Operation::DeleteContact | Operation::DeleteWebhookSubscription => http::Method::DELETE,
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
            Operation::ListWebhookSubscriptions | Operation::CreateWebhookSubscription => {
                super::server::SUBSCRIPTIONS_PATH
            }
            Operation::UpdateWebhookSubscription | Operation::DeleteWebhookSubscription => {
                "/api/partner/v2/webhook_subscriptions/{webhook_subscription_id}"
            }
        }
    }
}

impl fmt::Display for Operation {
    /// Writes the `operationId`, e.g. `create_contact`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}
