//! The one hand-written piece of the request path: the progenitor [`ClientHooks`] of the
//! generated [`Client`].
//!
//! progenitor decodes a declared error status as JSON and, when that fails, returns
//! `Error::InvalidResponsePayload`, which has lost the HTTP status and headers. Linq declares its
//! errors in two JSON formats, and [`ErrorBody::UnrecognizedError`] holds any other JSON as
//! sent, but a proxy's HTML page or an empty body is not JSON and can arrive under any status.
//! So before decoding, the body of an error status the operation declares that is not JSON is
//! re-wrapped as a JSON string of its text (status and headers unchanged); it then decodes as
//! [`ErrorBody::UnrecognizedError`] holding that text.
//! Nothing else is changed: requests go out as built, and every other response — undeclared
//! statuses included, which arrive as `Error::UnexpectedResponse` — is passed on untouched.
//!
//! A caller that keeps the status itself runs the call with a [`CallContext`] instead: the hook
//! then records the response's head, leaves its body as it arrived (which spares reading,
//! checking and rebuilding each error response), applies the context's timeout to the request
//! and bounds the body, success or error, to the context's maximum size.
//!
//! [`ErrorBody`]: crate::types::ErrorBody
//! [`ErrorBody::UnrecognizedError`]: crate::types::ErrorBody::UnrecognizedError

use std::{cell::Cell, future::Future, time::Duration};

use futures_util::FutureExt;
use http_body_util::BodyExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{header::HeaderMap, ResponseBuilderExt, StatusCode};

use crate::{
    types::{ErrorBody, StandardError},
    Client,
};

impl ClientHooks for Client {
    // A plain function returning a future, rather than an `async fn`: the request is sent before
    // the future is built, so the future does not keep the request (264 bytes, twice) in its
    // state. Every call of the generated client holds this future and moves it several times.
    fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        // `Some(limit)` inside a context (`usize::MAX`: unbounded), `None` outside one.
        let in_context = CONTEXT
            .try_with(|context| {
                if let Some(timeout) = context.timeout {
                    *request.timeout_mut() = Some(timeout);
                }
                if let Some(prepare) = context.prepare.take() {
                    prepare(&mut request);
                }
                context.max_body.unwrap_or(usize::MAX)
            })
            .ok();
        let pending = self.client().execute(request);
        let operation_id = info.operation_id;
        async move {
            let mut response = pending.await?;
            let status = response.status();
            if let Some(max_body) = in_context {
                // The headers move to the head: the generated client would copy them into its
                // value on every call.
                let mut head = Some(ResponseHead {
                    status,
                    headers: std::mem::take(response.headers_mut()),
                });
                let _ = CONTEXT.try_with(|context| context.head.set(head.take()));
                if let Some(head) = head {
                    // Not polled within the context after all: nothing is taken.
                    *response.headers_mut() = head.headers;
                }
                // A body with a Content-Length within the limit needs no wrapper: hyper reads
                // exactly that many bytes, never more (this spares rebuilding the response).
                let bounded = max_body == usize::MAX
                    || response
                        .content_length()
                        .is_some_and(|length| length <= max_body as u64);
                Ok(if bounded {
                    response
                } else {
                    limit_body(response, max_body)
                })
            } else if crate::spec::operation(operation_id)
                .is_some_and(|op| op.declares_error(status.as_u16()))
            {
                // Boxed: only this path needs the re-wrapping's state.
                Box::pin(wrap_unrecognized_body(response)).await
            } else {
                Ok(response)
            }
        }
    }
}

/// What the hook reads and records for a call run by [`CallContext::run`].
struct CallState {
    timeout: Option<Duration>,
    max_body: Option<usize>,
    head: Cell<Option<ResponseHead>>,
    /// Applied once to the request just before it is sent ([`CallContext::run_prepared`]).
    prepare: Cell<Option<Prepare>>,
}

/// What [`CallContext::run_prepared`] does to the request before it is sent.
type Prepare = Box<dyn FnOnce(&mut reqwest::Request) + Send>;

tokio::task_local! {
    static CONTEXT: CallState;
}

/// The status and headers of a response, as [`CallContext::run`] records them.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers. They are moved here: the generated client's values and errors of
    /// the call carry none.
    pub headers: HeaderMap,
}

/// How one call of the generated [`Client`] is run, for callers that map its errors and bound
/// its time themselves, as `linq-api-ext` does.
///
/// Within [`run`](Self::run) the client does not re-wrap error bodies: a declared error status
/// whose body is in neither of Linq's formats arrives as `Error::InvalidResponsePayload` with
/// the body exactly as sent, and the [`ResponseHead`] returned beside the result says which
/// status it came with. The same head gives the status of a success whose body does not decode,
/// which progenitor reports without it. The response's headers are in the head, not in the
/// result. This spares reading, checking and rebuilding every error response, and copying
/// every response's headers.
///
/// With [`max_body`](Self::max_body), a response body — a success's or an error's — that grows
/// beyond the limit stops being read: the call fails with `Error::ResponseBodyError`, whose
/// source chain holds an [`http_body_util::LengthLimitError`], and the head is still returned.
///
/// ```no_run
/// use std::{num::NonZeroU64, time::Duration};
///
/// # async fn run(client: linq_api::Client) {
/// let (result, head) = linq_api::CallContext::new()
///     .timeout(Duration::from_secs(10))
///     .run(client.get_contact(NonZeroU64::new(123).unwrap()))
///     .await;
/// if let Err(linq_api::Error::InvalidResponsePayload(body, _)) = &result {
///     let status = head.map(|h| h.status);
///     eprintln!("{status:?}: {}", String::from_utf8_lossy(body));
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct CallContext {
    timeout: Option<Duration>,
    max_body: Option<usize>,
}

impl CallContext {
    /// A context that changes nothing but the handling of error bodies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bounds the request from sending it to the last byte of its response body (reqwest's
    /// per-request timeout, which wins over the `reqwest::Client`'s own). A request that runs
    /// out fails with a reqwest error whose `is_timeout()` is true.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Reads at most `bytes` of the response body (default: no limit). A longer body fails the
    /// call with `Error::ResponseBodyError` as soon as the limit is passed, without buffering
    /// the rest.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Runs `call`, one call of the generated [`Client`], and returns with its result the head
    /// of the response it received, if one arrived.
    pub fn run<F: Future>(
        self,
        call: F,
    ) -> impl Future<Output = (F::Output, Option<ResponseHead>)> {
        self.scope(None, call)
    }

    /// Runs `call` as [`run`](Self::run) does, and calls `prepare` with the request the client
    /// built, just before it is sent: to add headers (a trace context, a refreshed token: a
    /// header set here wins over the `reqwest::Client`'s default of the same name), or to read
    /// the URL. The client's default headers are added after it, so `prepare` does not see
    /// them.
    ///
    /// ```no_run
    /// # async fn run(client: linq_api::Client) {
    /// let (result, _head) = linq_api::CallContext::new()
    ///     .run_prepared(
    ///         |request| {
    ///             request.headers_mut().insert("x-trace", "abc".parse().unwrap());
    ///         },
    ///         client.list_webhook_subscriptions(),
    ///     )
    ///     .await;
    /// # }
    /// ```
    pub fn run_prepared<F: Future>(
        self,
        prepare: impl FnOnce(&mut reqwest::Request) + Send + 'static,
        call: F,
    ) -> impl Future<Output = (F::Output, Option<ResponseHead>)> {
        self.scope(Some(Box::new(prepare)), call)
    }

    fn scope<F: Future>(
        self,
        prepare: Option<Prepare>,
        call: F,
    ) -> impl Future<Output = (F::Output, Option<ResponseHead>)> {
        // Combinators rather than an `async` block, which would hold `call` twice over (a
        // future of the generated client is over 1.5 KiB, and is moved with every layer).
        CONTEXT.scope(
            CallState {
                timeout: self.timeout,
                max_body: self.max_body,
                head: Cell::new(None),
                prepare: Cell::new(prepare),
            },
            call.map(|output| (output, CONTEXT.with(|context| context.head.take()))),
        )
    }
}

/// The response with its body bounded to `max_body` bytes; a longer body fails while being read,
/// with an [`http_body_util::LengthLimitError`] in the error's source chain.
fn limit_body(response: reqwest::Response, max_body: usize) -> reqwest::Response {
    let url = response.url().clone();
    let (mut head, body) = http::Response::from(response).into_parts();
    let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, max_body));
    keep_url(&mut head, url);
    http::Response::from_parts(head, limited).into()
}

/// Carries the URL over into a rebuilt response, so that it still says where it came from
/// (and reqwest does not parse a placeholder URL for it).
fn keep_url(head: &mut http::response::Parts, url: reqwest::Url) {
    // A builder given only an extension cannot fail; should it ever, the URL is what is lost.
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        head.extensions.extend(with_url.into_parts().0.extensions);
    }
}

/// How much of an error body is read. An error body is small; a proxy streaming something
/// endless must not exhaust memory. A longer body is cut and kept as text.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Re-wraps a body that is not an [`ErrorBody`] (not JSON, or cut at the limit) as a JSON string
/// of its text.
async fn wrap_unrecognized_body(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let url = response.url().clone();
    // The head (status, version, headers, extensions) is moved into the rebuilt response; only
    // the body is replaced.
    let (mut head, mut body) = http::Response::from(response).into_parts();
    let mut text = Vec::new();
    while let Some(frame) = body.frame().await.transpose()? {
        if let Ok(chunk) = frame.into_data() {
            text.extend_from_slice(&chunk);
        }
        if text.len() > ERROR_BODY_LIMIT {
            text.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    // Linq's contacts errors are StandardErrors: decoding that struct directly is cheaper than
    // the untagged `ErrorBody` (which buffers the whole document before trying each variant),
    // and whatever decodes as its first variant decodes as `ErrorBody` too.
    let decodes = serde_json::from_slice::<StandardError>(&text).is_ok()
        || serde_json::from_slice::<ErrorBody>(&text).is_ok();
    let text = if decodes {
        text
    } else {
        // Serialising a `str` cannot fail.
        serde_json::to_vec(&String::from_utf8_lossy(&text)).unwrap_or_default()
    };
    keep_url(&mut head, url);
    Ok(http::Response::from_parts(head, text).into())
}
