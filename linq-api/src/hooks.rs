//! The one hand-written piece of the request path: the progenitor [`ClientHooks`] of the
//! generated [`Client`].
//!
//! progenitor decodes a declared error status as JSON and, when that fails, returns
//! `Error::InvalidResponsePayload`, which has lost the HTTP status and headers. Linq declares its
//! errors in two JSON formats, but a proxy's HTML page, an empty body or another JSON shape can
//! arrive under any status. So before decoding, the body of an error status the operation
//! declares that is not an [`ErrorBody`] is re-wrapped as a JSON string of its text (status and
//! headers unchanged); it then decodes as [`ErrorBody::UnrecognizedError`] holding the raw text.
//! Nothing else is changed: requests go out as built, and every other response — undeclared
//! statuses included, which arrive as `Error::UnexpectedResponse` — is passed on untouched.
//!
//! [`ErrorBody`]: crate::types::ErrorBody
//! [`ErrorBody::UnrecognizedError`]: crate::types::ErrorBody::UnrecognizedError

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt;

use crate::{
    types::{ErrorBody, StandardError},
    Client,
};

impl ClientHooks for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        if crate::generated::declares_error(info.operation_id, response.status().as_u16()) {
            wrap_unrecognized_body(response).await
        } else {
            Ok(response)
        }
    }
}

/// How much of an error body is read. An error body is small; a proxy streaming something
/// endless must not exhaust memory. A longer body is cut and kept as text.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Re-wraps a body that is not an [`ErrorBody`] as a JSON string of its text.
async fn wrap_unrecognized_body(
    mut response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    // Carried over, so the rebuilt response still says where it came from (and reqwest does not
    // parse a placeholder URL for it on every error).
    let url = response.url().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    // Linq's contacts errors are StandardErrors: decoding that struct directly is much cheaper
    // than the untagged `ErrorBody` (which buffers the whole document before trying each
    // variant), and whatever decodes as its first variant decodes as `ErrorBody` too.
    let decodes = serde_json::from_slice::<StandardError>(&body).is_ok()
        || serde_json::from_slice::<ErrorBody>(&body).is_ok();
    let body = if decodes {
        body
    } else {
        // Serialising a `str` cannot fail.
        serde_json::to_vec(&String::from_utf8_lossy(&body)).unwrap_or_default()
    };
    // A builder given only an extension cannot fail; should it ever, the URL is what is lost.
    let head = http::Response::builder()
        .url(url)
        .body(())
        .unwrap_or_else(|_| http::Response::new(()));
    let (mut parts, ()) = head.into_parts();
    parts.status = status;
    parts.version = version;
    parts.headers = headers;
    Ok(http::Response::from_parts(parts, body).into())
}
