//! Why a delivery was refused, and the HTTP status to answer with.

use std::fmt;

use reqwest::StatusCode;

use linq_api::spec::SIGNATURE_HEADER;

/// Why a delivery was refused. Safe to log and to answer with: it never holds a secret, nor
/// anything of the body (which is personal data). [`status`](Self::status) is the HTTP status
/// to answer with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The request has no signature header.
    #[error("the request has no {} header", SIGNATURE_HEADER)]
    MissingSignature,
    /// The signature is not `sha256=…` (`sha1=…`, or no `scheme=` at all).
    #[error("the signature's scheme is {}, expected `sha256=`", SchemeShown(.scheme))]
    WrongScheme {
        /// The scheme named, when it is a short plain name (`sha1`).
        scheme: Option<String>,
    },
    /// The signature after `sha256=` is not hexadecimal.
    #[error("the signature is not hexadecimal")]
    BadHex,
    /// The signature is not the 64 hexadecimal digits of a SHA-256 HMAC (an empty `sha256=`
    /// among them).
    #[error("the signature has {digits} hexadecimal digits, expected 64")]
    WrongLength {
        /// The digits it has.
        digits: usize,
    },
    /// The signature is well-formed but made with none of the verifier's secrets: a wrong
    /// secret, or a body that was changed (or re-serialised) after signing.
    #[error("the signature matches none of the {secrets} secret(s): wrong secret, or the body was changed")]
    NoSecretMatches {
        /// How many secrets were tried.
        secrets: usize,
    },
    /// The body is larger than the limit; it was not hashed.
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is signed correctly but is not an event as Linq documents it.
    #[error("the body is signed but does not decode: {message}")]
    Undecodable {
        /// What failed, in words (never the body's content).
        message: String,
    },
}

/// A refused scheme in a message: its name, or that there was none to show.
struct SchemeShown<'a>(&'a Option<String>);

impl fmt::Display for SchemeShown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, "`{name}`"),
            None => f.write_str("missing or unreadable"),
        }
    }
}

impl VerifyError {
    /// The HTTP status to answer the delivery with: 413 for a body over the limit, 401 for a
    /// missing or non-matching signature, 400 for a malformed signature or an undecodable
    /// body.
    pub fn status(&self) -> StatusCode {
        match self {
            VerifyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            VerifyError::MissingSignature | VerifyError::NoSecretMatches { .. } => {
                StatusCode::UNAUTHORIZED
            }
            VerifyError::WrongScheme { .. }
            | VerifyError::BadHex
            | VerifyError::WrongLength { .. }
            | VerifyError::Undecodable { .. } => StatusCode::BAD_REQUEST,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(VerifyError::MissingSignature.status(), 401);
        assert_eq!(VerifyError::NoSecretMatches { secrets: 1 }.status(), 401);
        assert_eq!(VerifyError::BadHex.status(), 400);
        assert_eq!(VerifyError::WrongLength { digits: 0 }.status(), 400);
        assert_eq!(
            VerifyError::Undecodable {
                message: String::new()
            }
            .status(),
            400
        );
    }
}
