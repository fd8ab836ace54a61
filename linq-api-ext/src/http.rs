//! What is read from HTTP itself, below every other module: the request id and `Retry-After`
//! headers of a response, bounded snippets of a body, text from the server shown safely, and
//! whether a URL is loopback.

use std::{fmt, net::IpAddr, time::Duration};

use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};
use url::Url;

/// Response headers that carry a request id, in order of preference. Linq documents none; these
/// are the ones its infrastructure or a gateway in front of it may send.
/// (Built at compile time: looked up on every error response.)
static REQUEST_ID_HEADERS: [HeaderName; 5] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("request-id"),
    HeaderName::from_static("x-amzn-requestid"),
    HeaderName::from_static("x-correlation-id"),
    HeaderName::from_static("cf-ray"),
];

/// The request id a response carries, from the first of [`REQUEST_ID_HEADERS`] present.
pub(crate) fn request_id_in(headers: &HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    })
}

/// How much of a non-JSON error body is kept, in bytes.
pub(crate) const SNIPPET_LIMIT: usize = 512;

/// The start of a body as text, at most [`SNIPPET_LIMIT`] bytes, cut on a character boundary.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET_LIMIT)]);
    text.trim_end_matches('\u{FFFD}').to_owned()
}

/// Text from the server, shown on one line with control characters escaped.
pub(crate) struct LogSafe<'a>(pub(crate) &'a str);

impl fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// The server's requested wait: `retry-after-ms`, then `Retry-After` in seconds or as an HTTP
/// date.
pub(crate) fn retry_after_from_headers(headers: &HeaderMap) -> Option<Duration> {
    // Built at compile time: looked up on every error response.
    static RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
    let text = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text(&RETRY_AFTER_MS).and_then(|v| v.parse::<f64>().ok()) {
        // Negative, NaN or absurdly large values are ignored rather than trusted.
        if let Ok(wait) = Duration::try_from_secs_f64(ms / 1000.0) {
            return Some(wait);
        }
    }
    let value = text(&RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Whether the URL's host is loopback (`localhost`, 127.0.0.0/8, `::1`): the only hosts plain
/// `http` is accepted for without an opt-in.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms_are_read() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after_from_headers(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(
            retry_after_from_headers(&h),
            Some(Duration::from_millis(250))
        );
        let mut h = HeaderMap::new();
        let later = std::time::SystemTime::now() + Duration::from_secs(30);
        h.insert(
            "retry-after",
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let wait = retry_after_from_headers(&h).unwrap();
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after_from_headers(&h), None);
        // Nonsense never panics: it is ignored, or kept as a (long) hint the policy refuses.
        let mut h = HeaderMap::new();
        for junk in ["-5", "NaN", "inf", "1e300"] {
            h.insert("retry-after-ms", HeaderValue::from_static(junk));
            assert_eq!(retry_after_from_headers(&h), None, "{junk}");
        }
        h.insert(
            "retry-after",
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(
            retry_after_from_headers(&h),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn snippet_cuts_on_a_character_boundary() {
        let body = "é".repeat(SNIPPET_LIMIT);
        let s = snippet(body.as_bytes());
        assert!(s.len() <= SNIPPET_LIMIT);
        assert!(s.chars().all(|c| c == 'é'));
    }
}
