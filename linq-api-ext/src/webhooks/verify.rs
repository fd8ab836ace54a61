//! [`WebhookVerifier`]: checks a delivery's signature against one or more secrets and decodes
//! its event.

use std::{fmt, sync::Arc};

use reqwest::header::HeaderMap;

use super::{
    error::VerifyError,
    events::WebhookEvent,
    signature::{self, WebhookSecret},
};
use crate::error::{Error, Result};

/// The default limit on the body of one delivery: 1 MiB. A contact event is under 4 KiB even
/// with every field at its longest; the limit leaves room for the larger events Linq may add,
/// and still bounds what a sender can make the receiver buffer and hash.
pub const DEFAULT_MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// Verifies deliveries and decodes their events: holds one or more secrets and the limit on a
/// body. Cheap to clone (the secrets are shared), `Send + Sync`; keep one in your server's
/// state.
///
/// ```
/// use linq_api_ext::webhooks::{VerifyError, WebhookVerifier};
///
/// // While rotating: the new secret, and the old one until Linq signs with the new.
/// let verifier = WebhookVerifier::with_secrets(["new-secret", "old-secret"])?
///     .max_body(64 * 1024)?;
/// let refused = verifier.verify(Some("sha1=0a1b"), b"{}").unwrap_err();
/// assert_eq!(refused, VerifyError::WrongScheme { scheme: Some("sha1".into()) });
/// // The scheme name in any case, the digits in either, whitespace around the value: the
/// // signature holds (this body then fails only as an event).
/// let body = b"{}";
/// let signed = linq_api_ext::webhooks::WebhookSecret::new("new-secret").sign(body);
/// let shouted = format!(" {} ", signed.to_uppercase());
/// assert!(shouted.starts_with(" SHA256="));
/// let verdict = verifier.verify(Some(&shouted), body).unwrap_err();
/// assert!(matches!(verdict, VerifyError::Undecodable { .. }), "{verdict}");
/// // Whitespace inside the value is refused.
/// let spaced = signed.replacen('=', "= ", 1);
/// assert_eq!(verifier.verify(Some(&spaced), body).unwrap_err(), VerifyError::BadHex);
/// assert_eq!(refused.status().as_u16(), 400);
/// assert!(!format!("{verifier:?}").contains("secret"));
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Arc<[WebhookSecret]>,
    max_body: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("keys", &format_args!("{} (redacted)", self.secrets.len()))
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier with one secret, and the default limit on a body
    /// ([`DEFAULT_MAX_WEBHOOK_BODY`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `secret` when it is empty or only whitespace.
    pub fn new(secret: impl Into<WebhookSecret>) -> Result<Self> {
        Self::with_secrets([secret])
    }

    /// A verifier that accepts a delivery signed with any of `secrets` (for a rotation).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `secret` when there is none, or one is empty or only
    /// whitespace.
    pub fn with_secrets<S: Into<WebhookSecret>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        let secrets: Arc<[WebhookSecret]> = secrets.into_iter().map(Into::into).collect();
        if secrets.is_empty() {
            return Err(Error::invalid("secret", "at least one secret is required"));
        }
        if secrets.iter().any(WebhookSecret::is_blank) {
            return Err(Error::invalid(
                "secret",
                "must not be empty or only whitespace",
            ));
        }
        Ok(Self {
            secrets,
            max_body: DEFAULT_MAX_WEBHOOK_BODY,
        })
    }

    /// The most bytes a delivery's body may have (default [`DEFAULT_MAX_WEBHOOK_BODY`]); a
    /// larger one is refused with [`VerifyError::TooLarge`] before it is hashed.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `max_body` for zero: no delivery could be accepted.
    pub fn max_body(mut self, bytes: usize) -> Result<Self> {
        if bytes == 0 {
            return Err(Error::invalid("max_body", "must be at least 1 byte"));
        }
        self.max_body = bytes;
        Ok(self)
    }

    /// The most bytes a delivery's body may have.
    pub fn max_body_size(&self) -> usize {
        self.max_body
    }

    /// Verifies a delivery from the value of its [`SIGNATURE_HEADER`](super::SIGNATURE_HEADER) (`None` when the request
    /// had none) and its raw body, and decodes its event.
    ///
    /// [`verify_headers`](Self::verify_headers) takes the request's headers instead, and will
    /// keep working unchanged if Linq's signature needs more headers (V3 adds a timestamp).
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the delivery is refused; nothing of the body or the
    /// secrets is in it.
    pub fn verify(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        self.within_limit(body)?;
        signature::check_value(signature.map(str::as_bytes), body, &self.secrets)?;
        WebhookEvent::decode(body)
    }

    /// Verifies a delivery from the request's headers and its raw body, and decodes its event.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_headers(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, VerifyError> {
        self.within_limit(body)?;
        signature::check(headers, body, &self.secrets)?;
        WebhookEvent::decode(body)
    }

    fn within_limit(&self, body: &[u8]) -> Result<(), VerifyError> {
        if body.len() > self.max_body {
            return Err(VerifyError::TooLarge {
                limit: self.max_body,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::SIGNATURE_HEADER;
    use reqwest::StatusCode;
    const DELETED: &[u8] = br#"{"api_version":"v2","created_at":"2025-07-30T10:00:00-06:00","data":{"id":123},"event_id":"wh_evt_contact_deleted_123","event_type":"contact.deleted"}"#;

    #[test]
    fn a_verifier_needs_non_blank_secrets_and_a_positive_limit() {
        let none: [&str; 0] = [];
        for refused in [
            WebhookVerifier::with_secrets(none),
            WebhookVerifier::new(""),
            WebhookVerifier::with_secrets(["ok", " \n"]),
        ] {
            assert!(matches!(
                refused,
                Err(Error::InvalidInput {
                    field: "secret",
                    ..
                })
            ));
        }
        let verifier = WebhookVerifier::new("s").unwrap();
        assert!(matches!(
            verifier.clone().max_body(0),
            Err(Error::InvalidInput {
                field: "max_body",
                ..
            })
        ));
        assert_eq!(verifier.max_body(10).unwrap().max_body_size(), 10);
    }

    #[test]
    fn a_body_over_the_limit_is_refused_before_the_signature() {
        let secret = WebhookSecret::new("s");
        let verifier = WebhookVerifier::new(secret.clone())
            .unwrap()
            .max_body(DELETED.len() - 1)
            .unwrap();
        let e = verifier.verify(Some(&secret.sign(DELETED)), DELETED);
        assert_eq!(
            e,
            Err(VerifyError::TooLarge {
                limit: DELETED.len() - 1
            })
        );
        assert_eq!(e.unwrap_err().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let exact = WebhookVerifier::new(secret.clone())
            .unwrap()
            .max_body(DELETED.len())
            .unwrap();
        assert!(exact.verify(Some(&secret.sign(DELETED)), DELETED).is_ok());
    }

    #[test]
    fn verify_and_verify_headers_agree() {
        let secret = WebhookSecret::new("s");
        let verifier = WebhookVerifier::new(secret.clone()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, secret.sign(DELETED).parse().unwrap());
        let by_value = verifier
            .verify(Some(&secret.sign(DELETED)), DELETED)
            .unwrap();
        assert_eq!(
            verifier.verify_headers(&headers, DELETED).unwrap(),
            by_value
        );
        assert_eq!(
            verifier.verify_headers(&HeaderMap::new(), DELETED),
            Err(VerifyError::MissingSignature)
        );
    }

    #[test]
    fn secrets_never_show() {
        let secret = WebhookSecret::new("hunter2-secret");
        let verifier = WebhookVerifier::with_secrets([secret.clone(), "other".into()]).unwrap();
        for shown in [format!("{secret:?}"), format!("{verifier:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("other"), "{shown}");
        }
        // No error, whatever went wrong, repeats the secret or the body.
        let body = br#"{"event_id":"hunter2-secret","data":{"email":"ada@example.com"}}"#;
        for signature in [None, Some("sha256=zz"), Some(&*secret.sign(b"x"))] {
            let e = verifier.verify(signature, body).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && !e.contains("ada@"), "{e}");
        }
        let e = verifier.verify(Some(&secret.sign(body)), body).unwrap_err();
        assert!(matches!(e, VerifyError::Undecodable { .. }), "{e:?}");
        let e = e.to_string();
        assert!(!e.contains("hunter2") && !e.contains("ada@"), "{e}");
    }
}
