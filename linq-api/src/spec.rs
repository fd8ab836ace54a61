//! What the spec says that hand-written code needs, derived from it at build time: every
//! operation (id, method, path template, idempotency, declared statuses), the header names,
//! the bounds of `per_page` and the API version. `linq-api-ext`, the fake Linq and the CLI read
//! them here, so nothing the spec says is copied by hand.
//!
//! ```
//! use linq_api::spec;
//!
//! assert_eq!(spec::GET_CONTACT.method, "GET");
//! assert_eq!(spec::GET_CONTACT.path, "/api/partner/v2/contacts/{id}");
//! assert!(spec::GET_CONTACT.declares(404));
//! assert!(!spec::CREATE_CONTACT.idempotent);
//! assert_eq!(spec::operation("find_contact"), Some(&spec::FIND_CONTACT));
//! assert!(spec::PER_PAGE_MIN <= spec::PER_PAGE_DEFAULT && spec::PER_PAGE_DEFAULT <= spec::PER_PAGE_MAX);
//! ```

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    /// Its `operationId` (the generated client's method name).
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, with `{name}` for each path parameter.
    pub path: &'static str,
    /// Whether sending it twice has the effect of once: every method but POST (PATCH included,
    /// which Linq documents as PUT's twin; see `openapi/README.md`).
    pub idempotent: bool,
    /// The statuses its responses declare, in ascending order.
    pub statuses: &'static [u16],
}

impl Operation {
    /// Whether it only reads (a GET): it never takes effect, whatever happens to it.
    pub const fn reads(&self) -> bool {
        matches!(self.method.as_bytes(), b"GET")
    }

    /// Whether the spec declares `status` for it.
    pub fn declares(&self, status: u16) -> bool {
        self.statuses.binary_search(&status).is_ok()
    }

    /// Whether the spec declares `status` as one of its errors (4xx or 5xx).
    pub fn declares_error(&self, status: u16) -> bool {
        status >= 400 && self.declares(status)
    }
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

include!(concat!(env!("OUT_DIR"), "/spec.rs"));
