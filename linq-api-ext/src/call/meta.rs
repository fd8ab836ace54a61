//! What a successful call says beside its value: status, headers, request id, attempts and
//! elapsed time — Linq's SDKs' "raw response", without losing the type.

use std::time::Duration;

use reqwest::{header::HeaderMap, StatusCode};

/// The metadata of a successful call; every builder's `send_with_meta` returns it beside the
/// typed value.
///
/// A call made with plain `send` builds the same value and drops it: the headers are moved,
/// not copied, so asking for it costs nothing more than not asking.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), linq_api_ext::Error> {
/// # let fake = linq_fake::FakeLinq::start().await;
/// # let linq = linq_api_ext::LinqClient::builder().token(fake.token()).base_url(fake.base_url()).build()?;
/// let (ada, meta) = linq.contacts().create().email("ada@example.com").send_with_meta().await?;
/// assert_eq!(meta.status().as_u16(), 201);
/// println!("created {} in request {:?}", ada.id, meta.request_id());
/// assert_eq!(meta.attempts(), 1);
/// # assert!(meta.request_id().is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ResponseMeta {
    status: StatusCode,
    headers: HeaderMap,
    attempts: u32,
    elapsed: Duration,
}

impl ResponseMeta {
    /// What a call that ends in `api` (a 404 that means "done" or "no such contact") says:
    /// its status, headers and attempts.
    pub(crate) fn of_api(api: &crate::error::ApiError, elapsed: Duration) -> Self {
        Self::new(api.status(), api.headers().clone(), api.attempts(), elapsed)
    }

    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        attempts: u32,
        elapsed: Duration,
    ) -> Self {
        Self {
            status,
            headers,
            attempts,
            elapsed,
        }
    }

    /// The HTTP status of the response that answered the call.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// That response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, by value.
    pub fn into_headers(self) -> HeaderMap {
        self.headers
    }

    /// The request id of the response (`x-request-id`, or another common request-id header),
    /// if it has one: quote it when you ask Linq about this call.
    pub fn request_id(&self) -> Option<&str> {
        crate::http::request_id_in(&self.headers)
    }

    /// How many requests the call sent, the successful one included (1 unless it was retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The time the whole call took, retries and waits included.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The same response, with the requests and time of a whole helper (find, then create).
    pub(crate) fn totals(mut self, attempts: u32, elapsed: Duration) -> Self {
        self.attempts = attempts;
        self.elapsed = elapsed;
        self
    }
}
