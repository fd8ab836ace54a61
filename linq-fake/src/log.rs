//! The request log: what reached the fake.

use super::Operation;

/// Whether a request carried the fake's integration token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenCheck {
    /// No `X-LINQ-INTEGRATION-TOKEN` header.
    Missing,
    /// Exactly one `X-LINQ-INTEGRATION-TOKEN` header, equal to the token of one of the
    /// organizations ([`FakeLinq::tokens`](super::FakeLinq::tokens)).
    Valid,
    /// A token header with another value, or more than one.
    Invalid,
}

/// One request as the fake received it, in arrival order.
///
/// Recorded as soon as the request (with its body) has arrived — before any latency, script or
/// processing — so a request whose client gave up is in the log too. The value of the
/// `X-LINQ-INTEGRATION-TOKEN` header is replaced by `[redacted]`; [`token`](Self::token) says
/// whether it was right.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation the request was routed to; `None` for an unknown path or method.
    pub operation: Option<Operation>,
    /// The HTTP method.
    pub method: http::Method,
    /// The path, without the query (`/api/partner/v2/contacts/1`).
    pub path: String,
    /// The raw query string without the `?`, if any (`page=2&per_page=10`).
    pub query: Option<String>,
    /// The request headers, the token's value redacted.
    pub headers: http::HeaderMap,
    /// Whether the token header was present and right.
    pub token: TokenCheck,
    /// The organization whose token the request carried, as an index into
    /// [`FakeLinq::tokens`](super::FakeLinq::tokens) (0: the first); `None` without a valid
    /// token.
    pub organization: Option<usize>,
    /// The raw body (empty for a request without one).
    pub body: Vec<u8>,
    /// The `x-request-id` the fake sent back, when it answered normally (scripted and dropped
    /// replies send none).
    pub request_id: Option<String>,
}

impl RecordedRequest {
    /// The body parsed as JSON, or `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The value of one query parameter (percent-decoded), the last one when repeated.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .last()
    }

    /// The first value of a header as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("token", &self.token)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("request_id", &self.request_id)
            .finish()
    }
}
