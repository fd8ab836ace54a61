//! Linq V2's webhook signature, the one implementation that signs and checks: the
//! [`SIGNATURE_HEADER`](crate::spec::SIGNATURE_HEADER) of a delivery is `sha256=` and the
//! lower-case hex HMAC-SHA256 of the raw body, keyed with the subscription's secret (the spec's
//! webhook callback says so). `linq-api-ext` verifies with it and the fake Linq signs with it.
//!
//! ```
//! use linq_api::signature;
//!
//! // GitHub's published vector for the same scheme.
//! let header = signature::sign(b"It's a Secret to Everybody", b"Hello, World!");
//! assert_eq!(header, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
//! let digest = &header[signature::SCHEME.len() + 1..];
//! let mut bytes = [0u8; signature::DIGEST_LEN];
//! for (i, byte) in bytes.iter_mut().enumerate() {
//!     *byte = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap();
//! }
//! assert!(signature::verify(b"It's a Secret to Everybody", b"Hello, World!", &bytes));
//! assert!(!signature::verify(b"another secret", b"Hello, World!", &bytes));
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The scheme name before the `=`.
pub const SCHEME: &str = "sha256";

/// The bytes of a digest.
pub const DIGEST_LEN: usize = 32;

/// The MAC of `body` under `secret`, ready for its last step.
fn mac(secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(body);
    mac
}

/// The value of the signature header for `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let digest = mac(secret, body).finalize().into_bytes();
    format!("{SCHEME}={}", base16ct::lower::encode_string(&digest))
}

/// Whether `digest` is the HMAC-SHA256 of `body` under `secret`, compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], digest: &[u8]) -> bool {
    mac(secret, body).verify_slice(digest).is_ok()
}
