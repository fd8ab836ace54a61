//! One span per attempt, following OpenTelemetry's stable HTTP client semantic conventions,
//! emitted through `tracing` (so `tracing-opentelemetry` exports it with no extra code):
//!
//! | attribute | value |
//! |---|---|
//! | span name (`otel.name`) | `{method} {url.template}`, e.g. `GET /api/partner/v2/contacts/{id}` |
//! | `otel.kind` | `client` |
//! | `http.request.method`, `server.address`, `server.port`, `url.template` | set when the span is created |
//! | `url.full` | set when the request is sent; a find's `email` and `phone_number` values read `REDACTED` |
//! | `http.request.resend_count` | on every retry (1 on the second attempt) |
//! | `http.response.status_code` | when a response arrived |
//! | `error.type` | on failure: the status code, or `timeout`, `connection`, `decode` |
//! | `otel.status_code` | `ERROR` for a 4xx or 5xx or a failure without a response |
//!
//! The attempts of a call sit under its `linq.call` span, which is not an HTTP client span.
//! With the `opentelemetry` feature, each attempt also carries the W3C trace context of its span
//! (`traceparent`, `tracestate`), and its duration is recorded in the
//! `http.client.request.duration` histogram (seconds) through the `opentelemetry` metrics API.
//! Without a subscriber that wants these spans, none of this costs more than a check.

use std::time::Duration;

use reqwest::StatusCode;
use tracing::{field::Empty, Span};

use super::intercept::error_type;
use crate::error::Error;
use linq_api::spec::Operation;

/// The query parameters whose values are personal data: never in `url.full`.
const REDACTED_PARAMETERS: [&str; 2] = ["email", "phone_number"];

/// Where the client's calls go, for the spans' `server.*` attributes.
#[derive(Clone, Debug)]
pub(crate) struct Server {
    pub(crate) address: std::sync::Arc<str>,
    pub(crate) port: u16,
}

impl Server {
    /// The host and port of a base URL (the scheme's default port when it names none).
    pub(crate) fn of(base_url: &url::Url) -> Self {
        Self {
            address: base_url.host_str().unwrap_or_default().into(),
            port: base_url.port_or_known_default().unwrap_or_default(),
        }
    }
}

/// The span of attempt `number` of `op`.
pub(crate) fn attempt_span(op: &Operation, server: &Server, number: u32) -> Span {
    let span = tracing::info_span!(
        target: "linq_api_ext::http",
        "linq.attempt",
        otel.name = format_args!("{} {}", op.method, op.path),
        otel.kind = "client",
        http.request.method = op.method,
        server.address = &*server.address,
        server.port = server.port,
        url.template = op.path,
        url.full = Empty,
        http.request.resend_count = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        otel.status_code = Empty,
    );
    if number > 1 {
        span.record("http.request.resend_count", number - 1);
    }
    span
}

/// Records the URL of the request about to be sent, its personal data redacted.
pub(crate) fn record_url(span: &Span, url: &url::Url) {
    span.record("url.full", redacted(url).as_str());
}

/// The URL with the values of [`REDACTED_PARAMETERS`] replaced by `REDACTED` (keys kept).
pub(crate) fn redacted(url: &url::Url) -> url::Url {
    let personal = url
        .query_pairs()
        .any(|(k, _)| REDACTED_PARAMETERS.contains(&k.as_ref()));
    if !personal {
        return url.clone();
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if REDACTED_PARAMETERS.contains(&k.as_ref()) {
                "REDACTED".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

/// Records how the attempt ended on its span (and, with the `opentelemetry` feature, in the
/// duration histogram).
pub(crate) fn record_outcome(
    span: &Span,
    op: &Operation,
    server: &Server,
    status: Option<StatusCode>,
    error: Option<&Error>,
    elapsed: Duration,
) {
    let error_type = error_type(status, error);
    if !span.is_disabled() {
        if let Some(status) = status {
            span.record("http.response.status_code", status.as_u16());
        }
        if let Some(error_type) = &error_type {
            span.record("error.type", error_type.as_ref());
            span.record("otel.status_code", "ERROR");
        }
    }
    #[cfg(feature = "opentelemetry")]
    otel::record_duration(op, server, status, error_type.as_deref(), elapsed);
    #[cfg(not(feature = "opentelemetry"))]
    let _ = (op, server, elapsed);
}

/// Adds the W3C trace context of the attempt's span to the request (feature `opentelemetry`).
pub(crate) fn inject_context(span: &Span, headers: &mut reqwest::header::HeaderMap) {
    #[cfg(feature = "opentelemetry")]
    otel::inject(span, headers);
    #[cfg(not(feature = "opentelemetry"))]
    let _ = (span, headers);
}

/// Whether the request needs the span: a subscriber wants it (its URL is recorded, and with
/// the `opentelemetry` feature its trace context goes out). A disabled span has no trace
/// context to send, so without a subscriber the request is left alone.
pub(crate) fn wants_request(span: &Span) -> bool {
    !span.is_disabled()
}

#[cfg(feature = "opentelemetry")]
mod otel {
    use std::{sync::OnceLock, time::Duration};

    use opentelemetry::{metrics::Histogram, trace::TraceContextExt, KeyValue, StringValue};
    use reqwest::{
        header::{HeaderMap, HeaderValue},
        StatusCode,
    };
    use tracing::Span;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    use super::Server;
    use linq_api::spec::Operation;

    /// `traceparent` and `tracestate` of the span's OpenTelemetry context, when it has a valid
    /// one (W3C Trace Context, level 1).
    pub(super) fn inject(span: &Span, headers: &mut HeaderMap) {
        let context = span.context();
        let span_ref = context.span();
        let sc = span_ref.span_context();
        if !sc.is_valid() {
            return;
        }
        let parent = format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        );
        if let Ok(value) = HeaderValue::from_str(&parent) {
            headers.insert("traceparent", value);
        }
        let state = sc.trace_state().header();
        if !state.is_empty() {
            if let Ok(value) = HeaderValue::from_str(&state) {
                headers.insert("tracestate", value);
            }
        }
    }

    /// The `http.client.request.duration` histogram, from the global meter provider.
    fn histogram() -> &'static Histogram<f64> {
        static HISTOGRAM: OnceLock<Histogram<f64>> = OnceLock::new();
        HISTOGRAM.get_or_init(|| {
            opentelemetry::global::meter("linq-api-ext")
                .f64_histogram("http.client.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP client requests.")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                ])
                .build()
        })
    }

    pub(super) fn record_duration(
        op: &Operation,
        server: &Server,
        status: Option<StatusCode>,
        error_type: Option<&str>,
        elapsed: Duration,
    ) {
        // Every value is static or shared: recording allocates nothing but the error type.
        let common = [
            KeyValue::new("http.request.method", op.method),
            KeyValue::new("server.address", StringValue::from(server.address.clone())),
            KeyValue::new("server.port", i64::from(server.port)),
            KeyValue::new("url.template", op.path),
        ];
        let status =
            status.map(|s| KeyValue::new("http.response.status_code", i64::from(s.as_u16())));
        let error = error_type.map(|e| KeyValue::new("error.type", e.to_owned()));
        let histogram = histogram();
        let seconds = elapsed.as_secs_f64();
        match (status, error) {
            (Some(status), Some(error)) => {
                let [a, b, c, d] = common;
                histogram.record(seconds, &[a, b, c, d, status, error]);
            }
            (Some(one), None) | (None, Some(one)) => {
                let [a, b, c, d] = common;
                histogram.record(seconds, &[a, b, c, d, one]);
            }
            (None, None) => histogram.record(seconds, &common),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_query_values_are_redacted_and_keys_kept() {
        let find = linq_api::spec::FIND_CONTACT.path;
        let url = url::Url::parse(&format!(
            "https://api.example{find}?email=ada%40example.com&phone_number=%2B15551234567&x=1"
        ))
        .unwrap();
        let shown = redacted(&url).to_string();
        assert!(shown.contains("email=REDACTED"), "{shown}");
        assert!(shown.contains("phone_number=REDACTED"), "{shown}");
        assert!(shown.contains("x=1"), "{shown}");
        assert!(!shown.contains("ada") && !shown.contains("555"), "{shown}");
        let list = linq_api::spec::LIST_CONTACTS.path;
        let plain = url::Url::parse(&format!("https://api.example{list}?page=2")).unwrap();
        assert_eq!(redacted(&plain), plain);
    }
}
