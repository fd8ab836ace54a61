//! The operations of the spec (seven for contacts, four for webhook subscriptions), as the fake
//! tells them apart; what each one is (method, path) comes from the spec's table.

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

    /// The spec's entry of the operation: its id, method, path template and statuses, derived
    /// from the spec at build time ([`linq_api::spec`]).
    pub fn spec(self) -> &'static linq_api::spec::Operation {
        use linq_api::spec;
        match self {
            Operation::ListContacts => &spec::LIST_CONTACTS,
            Operation::CreateContact => &spec::CREATE_CONTACT,
            Operation::FindContact => &spec::FIND_CONTACT,
            Operation::GetContact => &spec::GET_CONTACT,
            Operation::UpdateContact => &spec::UPDATE_CONTACT,
            Operation::PatchContact => &spec::PATCH_CONTACT,
            Operation::DeleteContact => &spec::DELETE_CONTACT,
            Operation::ListWebhookSubscriptions => &spec::LIST_WEBHOOK_SUBSCRIPTIONS,
            Operation::CreateWebhookSubscription => &spec::CREATE_WEBHOOK_SUBSCRIPTION,
            Operation::UpdateWebhookSubscription => &spec::UPDATE_WEBHOOK_SUBSCRIPTION,
            Operation::DeleteWebhookSubscription => &spec::DELETE_WEBHOOK_SUBSCRIPTION,
        }
    }

    /// The spec's `operationId`, which is also the name of the generated client's method
    /// (`"list_contacts"`, `"create_contact"`, …).
    pub fn operation_id(self) -> &'static str {
        self.spec().id
    }

    /// The HTTP method of the operation.
    pub fn method(self) -> http::Method {
        // The spec's methods are the standard ones, which parse; GET is never reached.
        http::Method::from_bytes(self.spec().method.as_bytes()).unwrap_or(http::Method::GET)
    }

    /// The path template of the operation, as in the spec (`/api/partner/v2/contacts/{id}`).
    pub fn path_template(self) -> &'static str {
        self.spec().path
    }
}

impl fmt::Display for Operation {
    /// Writes the `operationId`, e.g. `create_contact`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;

    /// The fake serves exactly the operations of the spec, each once.
    #[test]
    fn every_operation_of_the_spec_is_served_once() {
        let served: Vec<_> = Operation::ALL.iter().map(|op| op.spec().id).collect();
        let spec: Vec<_> = linq_api::spec::OPERATIONS.iter().map(|op| op.id).collect();
        let (mut a, mut b) = (served.clone(), spec.clone());
        a.sort_unstable();
        b.sort_unstable();
        a.dedup();
        assert_eq!(a.len(), served.len(), "each once");
        assert_eq!(a, b);
        for op in Operation::ALL {
            assert_eq!(op.method().as_str(), op.spec().method);
        }
    }
}
