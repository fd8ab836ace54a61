//! Linq V2's webhook signature scheme, and nothing else: everything that knows how a delivery
//! is signed lives here, so that moving to another scheme (V3 signs `"{timestamp}.{body}"` and
//! sends a timestamp header) changes this module only.
//!
//! V2: `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw request body>`, keyed with the
//! subscription's secret. Nothing else is signed — no timestamp, no URL.
//!
//! What is accepted: the scheme name `sha256` (in any case), `=`, then exactly 64 hexadecimal
//! digits (in any case), with whitespace around the whole value ignored. The digest is compared
//! with `hmac`'s constant-time [`Mac::verify_slice`], never with `==`.

use reqwest::header::HeaderMap;

use std::fmt;

use super::error::VerifyError;

/// The header that carries the signature of a delivery (the spec's, from
/// [`linq_api::spec::SIGNATURE_HEADER`]).
pub const SIGNATURE_HEADER: &str = linq_api::spec::SIGNATURE_HEADER;

/// The only scheme V2 uses.
const SCHEME: &str = linq_api::signature::SCHEME;

/// The bytes of an HMAC-SHA256 digest.
const DIGEST_LEN: usize = linq_api::signature::DIGEST_LEN;

/// The value of the signature header Linq sends with `body` under `secret`.
pub(crate) fn sign(secret: &WebhookSecret, body: &[u8]) -> String {
    linq_api::signature::sign(secret.expose().as_bytes(), body)
}

/// Checks the signature of a delivery, from its headers, against every secret; the body must
/// already be within the size limit.
pub(crate) fn check(
    headers: &HeaderMap,
    body: &[u8],
    secrets: &[WebhookSecret],
) -> Result<(), VerifyError> {
    check_value(
        headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes()),
        body,
        secrets,
    )
}

/// Checks the value of the signature header (`None` when absent) against every secret.
pub(crate) fn check_value(
    value: Option<&[u8]>,
    body: &[u8],
    secrets: &[WebhookSecret],
) -> Result<(), VerifyError> {
    let digest = parse(value.ok_or(VerifyError::MissingSignature)?)?;
    // Every secret is tried, so that a rotation (old and new secret both valid) works.
    if secrets
        .iter()
        .any(|secret| linq_api::signature::verify(secret.expose().as_bytes(), body, &digest))
    {
        Ok(())
    } else {
        Err(VerifyError::NoSecretMatches {
            secrets: secrets.len(),
        })
    }
}

/// The digest a header value carries.
fn parse(value: &[u8]) -> Result<[u8; DIGEST_LEN], VerifyError> {
    let value = value.trim_ascii();
    // `scheme=digits`; without an `=` it is no scheme at all.
    let Some(at) = value.iter().position(|&b| b == b'=') else {
        return Err(VerifyError::WrongScheme { scheme: None });
    };
    let (scheme, digits) = (&value[..at], &value[at + 1..]);
    if !scheme.eq_ignore_ascii_case(SCHEME.as_bytes()) {
        return Err(VerifyError::WrongScheme {
            scheme: shown_scheme(scheme),
        });
    }
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(VerifyError::BadHex);
    }
    let mut digest = [0u8; DIGEST_LEN];
    if digits.len() != 2 * DIGEST_LEN {
        return Err(VerifyError::WrongLength {
            digits: digits.len(),
        });
    }
    base16ct::mixed::decode(digits, &mut digest).map_err(|_| VerifyError::BadHex)?;
    Ok(digest)
}

/// What an error may show of a scheme that was not ours: a short name of letters, digits and
/// dashes (`sha1`), or nothing (a header is sender-controlled text).
fn shown_scheme(scheme: &[u8]) -> Option<String> {
    let plain = !scheme.is_empty()
        && scheme.len() <= 16
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
    plain.then(|| String::from_utf8_lossy(scheme).into_owned())
}

/// A webhook secret: the key Linq signs deliveries with. Never printed.
///
/// It is used exactly as given (a trailing newline read from a file is part of it, as it is of
/// the secret Linq was given).
///
/// ```
/// use linq_api_ext::webhooks::WebhookSecret;
///
/// let secret = WebhookSecret::new("It's a Secret to Everybody");
/// assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
/// // The header value Linq would send with this body, for your tests:
/// assert_eq!(
///     secret.sign(b"Hello, World!"),
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the rare caller that must hand it on.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value of the [`SIGNATURE_HEADER`] Linq sends with `body` under this secret: for
    /// testing a receiver (as async-stripe's test header generator), and for a fake sender.
    pub fn sign(&self, body: &[u8]) -> String {
        sign(self, body)
    }

    /// Whether the secret has anything but whitespace in it.
    pub(crate) fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl From<String> for WebhookSecret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for WebhookSecret {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's published vector for the same scheme (`X-Hub-Signature-256`).
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_BODY: &[u8] = b"Hello, World!";
    const GITHUB_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn secrets(list: &[&str]) -> Vec<WebhookSecret> {
        list.iter().map(|s| WebhookSecret::new(*s)).collect()
    }

    fn check_str(value: &str, body: &[u8], list: &[&str]) -> Result<(), VerifyError> {
        check_value(Some(value.as_bytes()), body, &secrets(list))
    }

    #[test]
    fn githubs_published_vector() {
        assert_eq!(
            sign(&WebhookSecret::new(GITHUB_SECRET), GITHUB_BODY),
            GITHUB_SIGNATURE
        );
        assert_eq!(
            check_str(GITHUB_SIGNATURE, GITHUB_BODY, &[GITHUB_SECRET]),
            Ok(())
        );
    }

    #[test]
    fn rfc_4231_test_case_2() {
        // HMAC-SHA-256 of "what do ya want for nothing?" keyed "Jefe" (RFC 4231, 4.3).
        assert_eq!(
            sign(&WebhookSecret::new("Jefe"), b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn uppercase_hex_and_surrounding_whitespace_are_accepted() {
        let upper = format!(
            "SHA256={}",
            GITHUB_SIGNATURE["sha256=".len()..].to_uppercase()
        );
        assert_eq!(check_str(&upper, GITHUB_BODY, &[GITHUB_SECRET]), Ok(()));
        let padded = format!(" \t{GITHUB_SIGNATURE}  ");
        assert_eq!(check_str(&padded, GITHUB_BODY, &[GITHUB_SECRET]), Ok(()));
    }

    #[test]
    fn any_of_several_secrets_matches() {
        let list = ["new-secret", GITHUB_SECRET];
        assert_eq!(check_str(GITHUB_SIGNATURE, GITHUB_BODY, &list), Ok(()));
        assert_eq!(
            check_str(GITHUB_SIGNATURE, GITHUB_BODY, &["a", "b"]),
            Err(VerifyError::NoSecretMatches { secrets: 2 })
        );
    }

    #[test]
    fn every_refusal() {
        let ok = GITHUB_SIGNATURE;
        let digits = &ok["sha256=".len()..];
        let cases: [(&str, VerifyError); 12] = [
            (
                &format!("sha1={}", &digits[..40]),
                VerifyError::WrongScheme {
                    scheme: Some("sha1".into()),
                },
            ),
            (digits, VerifyError::WrongScheme { scheme: None }),
            ("sha256", VerifyError::WrongScheme { scheme: None }),
            ("", VerifyError::WrongScheme { scheme: None }),
            (
                &format!("v1,{digits}"),
                VerifyError::WrongScheme { scheme: None },
            ),
            ("sha256=", VerifyError::WrongLength { digits: 0 }),
            (&ok[..ok.len() - 1], VerifyError::WrongLength { digits: 63 }),
            (&format!("{ok}00"), VerifyError::WrongLength { digits: 66 }),
            (&format!("{}g", &ok[..ok.len() - 1]), VerifyError::BadHex),
            (&format!("sha256= {digits}"), VerifyError::BadHex),
            (&format!("sha256=0x{}", &digits[2..]), VerifyError::BadHex),
            (
                &format!("{}0", &ok[..ok.len() - 1]),
                VerifyError::NoSecretMatches { secrets: 1 },
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                check_str(value, GITHUB_BODY, &[GITHUB_SECRET]),
                Err(expected),
                "{value:?}"
            );
        }
        assert_eq!(
            check_value(None, GITHUB_BODY, &secrets(&[GITHUB_SECRET])),
            Err(VerifyError::MissingSignature)
        );
        // A tampered body, and the right body under another secret.
        assert_eq!(
            check_str(ok, b"Hello, World?", &[GITHUB_SECRET]),
            Err(VerifyError::NoSecretMatches { secrets: 1 })
        );
        assert_eq!(
            check_str(ok, GITHUB_BODY, &["It's a secret to everybody"]),
            Err(VerifyError::NoSecretMatches { secrets: 1 })
        );
    }

    #[test]
    fn the_header_is_read_from_a_header_map_whatever_its_bytes() {
        let mut headers = HeaderMap::new();
        let list = secrets(&[GITHUB_SECRET]);
        assert_eq!(
            check(&headers, GITHUB_BODY, &list),
            Err(VerifyError::MissingSignature)
        );
        // Header names are case-insensitive: the lower-case spelling is the same header.
        let lower = reqwest::header::HeaderName::from_bytes(
            SIGNATURE_HEADER.to_ascii_lowercase().as_bytes(),
        )
        .expect("a header name");
        headers.insert(lower, GITHUB_SIGNATURE.parse().expect("a header value"));
        assert_eq!(check(&headers, GITHUB_BODY, &list), Ok(()));
        // Not visible ASCII: never a panic, a refusal.
        headers.insert(
            SIGNATURE_HEADER,
            reqwest::header::HeaderValue::from_bytes(b"sha256=\xff\xfe").expect("obs-text"),
        );
        assert_eq!(
            check(&headers, GITHUB_BODY, &list),
            Err(VerifyError::BadHex)
        );
    }

    #[test]
    fn a_refused_scheme_is_shown_only_when_it_is_a_plain_name() {
        assert_eq!(shown_scheme(b"sha512"), Some("sha512".into()));
        assert_eq!(shown_scheme(b"t=1,v1"), None);
        assert_eq!(shown_scheme(&[b'a'; 40]), None);
        assert_eq!(shown_scheme(b"\x1b[31m"), None);
    }
}
