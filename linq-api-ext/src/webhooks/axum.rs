//! The axum extractor (feature `axum`): a verified, decoded delivery as a handler argument.

use ::axum::{
    extract::{FromRef, FromRequest, Request},
    http::{header::CONTENT_LENGTH, StatusCode},
    response::{IntoResponse, Response},
};

use super::{error::VerifyError, events::WebhookEvent, verify::WebhookVerifier};

/// A delivery from Linq, verified and decoded: use it as the handler's (last) argument.
///
/// It reads the raw body itself — at most the verifier's
/// [`max_body_size`](WebhookVerifier::max_body_size), refusing a longer one with 413 before
/// reading it whole — checks the signature over exactly those bytes, and only then decodes
/// the event. Nothing can re-serialise the JSON in between. The [`WebhookVerifier`] comes from
/// the router's state ([`FromRef`]: the state is the verifier, or a struct with a field of it
/// and `#[derive(FromRef)]` or a hand-written `FromRef`).
///
/// A refused delivery gets [`WebhookRejection`]: 401 for a missing or non-matching signature,
/// 400 for a malformed one or an undecodable body, 413 for a body over the limit, with a
/// one-line reason that holds neither a secret nor anything of the body.
///
/// ```no_run
/// use axum::{routing::post, Router};
/// use linq_api_ext::webhooks::{EventData, LinqWebhook, WebhookVerifier};
///
/// async fn receive(LinqWebhook(event): LinqWebhook) -> &'static str {
///     if let EventData::ContactDeleted(id) = event.data {
///         println!("contact {id} deleted");
///     }
///     "ok"
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = WebhookVerifier::new(std::env::var("LINQ_WEBHOOK_SECRET")?)?;
/// let app = Router::new().route("/webhooks/linq", post(receive)).with_state(verifier);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct LinqWebhook(pub WebhookEvent);

impl<S> FromRequest<S> for LinqWebhook
where
    S: Send + Sync,
    WebhookVerifier: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let limit = verifier.max_body_size();
        let too_large = || WebhookRejection::Refused(VerifyError::TooLarge { limit });
        let (parts, body) = request.into_parts();
        // A declared length over the limit is refused before a byte of the body is read.
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large().logged());
        }
        let body = match ::axum::body::to_bytes(body, limit).await {
            Ok(body) => body,
            Err(e) if is_length_limit(&e) => return Err(too_large().logged()),
            Err(_) => return Err(WebhookRejection::BodyUnreadable.logged()),
        };
        verifier
            .verify_headers(&parts.headers, &body)
            .map(LinqWebhook)
            .map_err(|e| WebhookRejection::Refused(e).logged())
    }
}

/// Whether reading a body failed on its size limit.
fn is_length_limit(error: &::axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Why [`LinqWebhook`] refused a delivery; answered with its [`status`](Self::status) and a
/// one-line reason (no secret, nothing of the body).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The delivery failed verification or decoding.
    #[error(transparent)]
    Refused(VerifyError),
    /// The body could not be read (the connection broke off).
    #[error("the body could not be read")]
    BodyUnreadable,
}

impl WebhookRejection {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::Refused(e) => e.status(),
            WebhookRejection::BodyUnreadable => StatusCode::BAD_REQUEST,
        }
    }

    /// The verification error, if that is why.
    pub fn verify_error(&self) -> Option<&VerifyError> {
        match self {
            WebhookRejection::Refused(e) => Some(e),
            WebhookRejection::BodyUnreadable => None,
        }
    }

    fn logged(self) -> Self {
        tracing::debug!(status = self.status().as_u16(), reason = %self, "linq webhook refused");
        self
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}
