//! Client configuration and construction: the token, the base URL, timeouts, the user agent and
//! the HTTP transport. Everything about authentication and the wire is set up here, once.

use std::{env, fmt, sync::Arc, time::Duration};

use reqwest::{
    header::{HeaderMap, HeaderValue, USER_AGENT},
    redirect, Url,
};

use crate::{
    call::{
        intercept::Interceptor,
        limit::{Gate, RateLimiter},
        retry::{Budget, RetryPolicy},
        telemetry::Server,
        Interceptors, Settings,
    },
    error::{Error, Result},
};

/// The header that carries the integration token.
use linq_api::spec::TOKEN_HEADER;
/// Linq's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.linqapp.com";
/// The environment variable read for the token.
pub const TOKEN_ENV: &str = "LINQ_INTEGRATION_TOKEN";
/// The environment variable read for the base URL.
pub const BASE_URL_ENV: &str = "LINQ_BASE_URL";
/// The default timeout of one attempt, as in Linq's own SDKs.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The default timeout for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default limit on one response body, in bytes: 8 MiB. The largest body Linq sends is a
/// page of 100 contacts; even with every field at its longest that is well under 1 MiB, so the
/// limit leaves a wide margin and still bounds what a misbehaving server can make the client
/// buffer.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;

/// An integration token: a secret that is never printed.
///
/// ```
/// use linq_api_ext::Token;
///
/// let token = Token::new("s3cret");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "s3cret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the rare caller that must hand it on.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<String> for Token {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl From<&str> for Token {
    fn from(token: &str) -> Self {
        Self(token.to_owned())
    }
}

type Customize = Box<dyn FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send>;

/// Builds a [`LinqClient`]. Every setting has a documented default; only the token is required.
///
/// ```
/// use std::time::Duration;
/// use linq_api_ext::{LinqClient, RetryPolicy};
///
/// let linq = LinqClient::builder()
///     .token("my-integration-token")
///     .base_url("https://api.linqapp.com/")
///     .timeout(Duration::from_secs(20))
///     .total_deadline(Duration::from_secs(45))
///     .retry_policy(RetryPolicy::default().max_retries(3))
///     .user_agent_product("crm-sync/2.1")
///     .build()?;
/// assert_eq!(linq.base_url(), "https://api.linqapp.com");
/// # Ok::<(), linq_api_ext::Error>(())
/// ```
#[must_use]
pub struct LinqClientBuilder {
    token: Option<Token>,
    base_url: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    total_deadline: Option<Duration>,
    max_response_body: usize,
    retry: RetryPolicy,
    product: Option<String>,
    allow_http: bool,
    customize: Option<Customize>,
    interceptors: Vec<Arc<dyn Interceptor>>,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
}

impl Default for LinqClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            total_deadline: None,
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            retry: RetryPolicy::default(),
            product: None,
            allow_http: false,
            customize: None,
            interceptors: Vec::new(),
            rate_limiter: None,
        }
    }
}

impl fmt::Debug for LinqClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinqClientBuilder")
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("total_deadline", &self.total_deadline)
            .field("max_response_body", &self.max_response_body)
            .field("retry", &self.retry)
            .field("product", &self.product)
            .field("allow_http", &self.allow_http)
            .field("customize", &self.customize.is_some())
            .field("interceptors", &self.interceptors.len())
            .field("rate_limiter", &self.rate_limiter.is_some())
            .finish()
    }
}

impl LinqClientBuilder {
    /// The integration token (required; see also [`from_env`](Self::from_env)).
    pub fn token(mut self, token: impl Into<Token>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The base URL (default `https://api.linqapp.com`). A trailing slash is tolerated. Plain
    /// `http://` is refused unless the host is loopback or [`allow_http`](Self::allow_http) is
    /// set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Reads `LINQ_INTEGRATION_TOKEN` and, if set, `LINQ_BASE_URL`. Values already set on the
    /// builder are replaced only by variables that are set.
    pub fn from_env(mut self) -> Self {
        if let Some(token) = env::var(TOKEN_ENV).ok().filter(|t| !t.trim().is_empty()) {
            self.token = Some(Token(token));
        }
        if let Some(url) = env::var(BASE_URL_ENV).ok().filter(|u| !u.trim().is_empty()) {
            self.base_url = Some(url);
        }
        self
    }

    /// How long establishing a connection may take (default 10 s; zero is refused by
    /// [`build`](Self::build)).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, response body included (default 60 s; zero is refused by
    /// [`build`](Self::build)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a whole call may take, all attempts and waits included (default: no limit
    /// beyond the attempts' timeouts; zero is refused by [`build`](Self::build)). See
    /// [`RetryPolicy`] for when a retry still starts near the deadline.
    pub fn total_deadline(mut self, deadline: Duration) -> Self {
        self.total_deadline = Some(deadline);
        self
    }

    /// The most bytes of one response body the client reads (default
    /// [`DEFAULT_MAX_RESPONSE_BODY`], 8 MiB), for successes and errors alike. A longer body is
    /// not read further: the call fails with the response's status, headers and request id,
    /// and [`BodyFailure::TooLarge`](crate::BodyFailure::TooLarge) (in [`Error::Decode`] for a
    /// success, in the [`ApiError`](crate::ApiError) for an error status). Zero is refused.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Your product, prepended to the user agent: `crm-sync/2.1 linq-api-rust/0.1.0`.
    pub fn user_agent_product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Allows a plain `http://` base URL on a non-loopback host. The token then crosses the
    /// network unencrypted: only for trusted networks.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Adjusts the underlying [`reqwest::ClientBuilder`] (proxy, TLS roots, …). The client's own
    /// settings are applied afterwards and win: the token header, the user agent, the timeouts
    /// and the redirect policy (none: the token never follows a redirect to another origin).
    ///
    /// ```
    /// let linq = linq_api_ext::LinqClient::builder()
    ///     .token("t")
    ///     .reqwest(|b| b.pool_max_idle_per_host(4))
    ///     .build()?;
    /// # Ok::<(), linq_api_ext::Error>(())
    /// ```
    pub fn reqwest(
        mut self,
        customize: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + 'static,
    ) -> Self {
        self.customize = Some(Box::new(customize));
        self
    }

    /// Adds an interceptor, called around every attempt of every call (retries included),
    /// after those added before it. See [`Interceptor`].
    pub fn interceptor(mut self, interceptor: Arc<dyn Interceptor>) -> Self {
        self.interceptors.push(interceptor);
        self
    }

    /// Consults `limiter` before every attempt of every call (retries and pages fetched
    /// ahead included). Share one limiter among clients to give them one budget; see
    /// [`LocalRateLimiter`](crate::LocalRateLimiter). Whatever the limiter, a 429 with
    /// `Retry-After` pauses every call of this client for as long as Linq asked.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the token is missing or not a valid header value, the base URL is
    /// malformed or plain HTTP on a non-loopback host, or the HTTP client cannot be built.
    pub fn build(self) -> Result<LinqClient> {
        let token = self.token.ok_or_else(|| {
            Error::Config(format!(
                "no integration token: call `.token(..)` or set {TOKEN_ENV}"
            ))
        })?;
        if token.0.trim().is_empty() {
            return Err(Error::Config("the integration token is empty".into()));
        }
        let (base_url, server) = normalize_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_http,
        )?;
        for (name, value) in [
            ("connect_timeout", Some(self.connect_timeout)),
            ("timeout", Some(self.timeout)),
            ("total_deadline", self.total_deadline),
        ] {
            if value.is_some_and(|d| d.is_zero()) {
                return Err(Error::Config(format!(
                    "`{name}` is zero: no request could ever complete"
                )));
            }
        }
        if self.max_response_body == 0 {
            return Err(Error::Config(
                "`max_response_body` is zero: no response could be read".into(),
            ));
        }

        // Surrounding whitespace (the newline of a mounted secret file) is not part of a token.
        let mut secret = HeaderValue::from_str(token.0.trim()).map_err(|_| {
            Error::Config(
                "the integration token contains characters not allowed in a header".into(),
            )
        })?;
        secret.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(TOKEN_HEADER, secret);
        let agent = user_agent(self.product.as_deref());
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&agent).map_err(|_| {
                Error::Config("the user agent product contains invalid characters".into())
            })?,
        );

        let mut http = reqwest::Client::builder();
        if let Some(customize) = self.customize {
            http = customize(http);
        }
        let http = http
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            // The attempt timeout, from sending to the last byte of the body. A call whose
            // attempt gets another limit (an override, the total deadline) sets it per request.
            .timeout(self.timeout)
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;

        let raw = linq_api::Client::new_with_client(&base_url, http);
        Ok(LinqClient {
            inner: Arc::new(Inner {
                raw,
                settings: Settings {
                    server,
                    base_url,
                    timeout: self.timeout,
                    total_deadline: self.total_deadline,
                    max_response_body: self.max_response_body,
                    budget: Arc::new(Budget::new(self.retry.budget())),
                    retry: self.retry,
                    user_agent: agent,
                    gate: Gate::new(self.rate_limiter),
                    interceptors: Interceptors(self.interceptors.into()),
                },
            }),
        })
    }
}

/// The user agent: `linq-api-rust/<version>`, after the caller's product if any.
fn user_agent(product: Option<&str>) -> String {
    let ours = concat!("linq-api-rust/", env!("CARGO_PKG_VERSION"));
    match product.map(str::trim).filter(|p| !p.is_empty()) {
        Some(product) => format!("{product} {ours}"),
        None => ours.to_owned(),
    }
}

/// Checks the base URL and drops a trailing slash (the generated client joins paths by
/// concatenation); returns it beside the server it names. Errors never repeat credentials or a
/// query the URL may carry.
fn normalize_base_url(raw: &str, allow_http: bool) -> Result<(String, Server)> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("the base URL is not a valid URL: {e}")))?;
    // What an error may show of the URL: scheme, host, port and path.
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    ) + url.path();
    if url.host().is_none() {
        return Err(Error::Config(format!("base URL `{shown}` has no host")));
    }
    let loopback = crate::http::is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL `{shown}` is plain http on a non-loopback host: the token would travel \
                 unencrypted; use https or opt in with `allow_http(true)`"
            )))
        }
        other => {
            return Err(Error::Config(format!(
                "base URL `{shown}` has scheme `{other}`; expected https"
            )))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL `{shown}` must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "base URL `{shown}` must not carry credentials"
        )));
    }
    Ok((
        url.as_str().trim_end_matches('/').to_owned(),
        Server::of(&url),
    ))
}

struct Inner {
    raw: linq_api::Client,
    settings: Settings,
}

/// The client a service uses. Cheap to clone (one shared connection pool); `Send + Sync`.
///
/// ```no_run
/// use linq_api_ext::LinqClient;
///
/// # async fn run() -> Result<(), linq_api_ext::Error> {
/// let linq = LinqClient::from_env()?; // LINQ_INTEGRATION_TOKEN, optional LINQ_BASE_URL
/// let ada = linq.contacts().create().first_name("Ada").email("ada@example.com").send().await?;
/// let same = linq.contacts().find().email("ada@example.com").send().await?;
/// assert_eq!(same.map(|c| c.id), Some(ada.id));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct LinqClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for LinqClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinqClient")
            .field("base_url", &self.inner.settings.base_url)
            .field("token", &"<redacted>")
            .field("timeout", &self.inner.settings.timeout)
            .field("total_deadline", &self.inner.settings.total_deadline)
            .field("max_response_body", &self.inner.settings.max_response_body)
            .field("retry", &self.inner.settings.retry)
            .field("user_agent", &self.inner.settings.user_agent)
            .finish()
    }
}

impl LinqClient {
    /// A builder with every default.
    pub fn builder() -> LinqClientBuilder {
        LinqClientBuilder::default()
    }

    /// A client configured from `LINQ_INTEGRATION_TOKEN` and, if set, `LINQ_BASE_URL`.
    ///
    /// # Errors
    /// [`Error::Config`] when the token is not set or the base URL is invalid.
    pub fn from_env() -> Result<Self> {
        Self::builder().from_env().build()
    }

    /// The generated client underneath, for callers who want the raw positional API. It sends
    /// the token (marked sensitive), the user agent, follows no redirect, and has the connect
    /// timeout and the client's [`timeout`](LinqClientBuilder::timeout) on each request (its
    /// HTTP client's own). The total deadline, retries, the error mapping and the limit on
    /// response bodies are this crate's builders' doing: raw calls have none of them.
    pub fn raw(&self) -> &linq_api::Client {
        &self.inner.raw
    }

    /// The base URL calls go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.settings.base_url
    }

    /// The user agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.settings.user_agent
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |u: &str| normalize_base_url(u, false).unwrap().0;
        assert_eq!(ok("https://api.linqapp.com/"), "https://api.linqapp.com");
        assert_eq!(
            ok("https://proxy.example/linq//"),
            "https://proxy.example/linq"
        );
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://localhost:1/"), "http://localhost:1");
        assert_eq!(ok("http://[::1]:9"), "http://[::1]:9");
        for bad in [
            "http://api.linqapp.com",
            "ftp://x.example",
            "not a url",
            "https://x.example/?a=b",
            "https://user:pw@x.example",
        ] {
            assert!(
                matches!(normalize_base_url(bad, false), Err(Error::Config(_))),
                "{bad}"
            );
        }
        assert_eq!(
            normalize_base_url("http://10.0.0.5", true).unwrap().0,
            "http://10.0.0.5"
        );
    }

    #[test]
    fn base_url_errors_never_repeat_credentials_or_queries() {
        for bad in [
            "https://user:hunter2@x.example",
            "https://x.example/?key=hunter2",
            "http://user:hunter2@remote.example",
            "ftp://user:hunter2@x.example",
        ] {
            let e = normalize_base_url(bad, false).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(
                e.contains("x.example") || e.contains("remote.example"),
                "{e}"
            );
        }
    }

    #[test]
    fn zero_durations_and_a_zero_body_limit_are_refused() {
        let builder = || LinqClient::builder().token("t");
        for (name, refused) in [
            ("`timeout`", builder().timeout(Duration::ZERO)),
            (
                "`connect_timeout`",
                builder().connect_timeout(Duration::ZERO),
            ),
            ("`total_deadline`", builder().total_deadline(Duration::ZERO)),
            ("`max_response_body`", builder().max_response_body(0)),
        ] {
            let e = refused.build().unwrap_err();
            assert!(
                matches!(&e, Error::Config(m) if m.contains(name)),
                "{name}: {e:?}"
            );
        }
        assert!(builder().timeout(Duration::from_millis(1)).build().is_ok());
    }

    #[test]
    fn a_token_with_a_trailing_newline_is_trimmed() {
        assert!(LinqClient::builder().token("abc\n").build().is_ok());
    }

    #[test]
    fn user_agent_names_us_after_the_product() {
        assert_eq!(
            user_agent(Some("crm/1")),
            format!("crm/1 linq-api-rust/{}", env!("CARGO_PKG_VERSION"))
        );
        assert!(user_agent(None).starts_with("linq-api-rust/"));
    }

    #[test]
    fn missing_or_bad_token_is_a_config_error_that_does_not_echo_it() {
        let e = LinqClient::builder().build().unwrap_err();
        assert!(e.to_string().contains(TOKEN_ENV));
        let e = LinqClient::builder()
            .token("bad\ntoken-xyz")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(!e.to_string().contains("token-xyz"));
    }

    #[test]
    fn debug_of_builder_and_client_redacts_the_token() {
        let builder = LinqClient::builder().token("tok-SECRET-123");
        assert!(!format!("{builder:?}").contains("SECRET"));
        let client = builder.build().unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("SECRET"));
        assert!(shown.contains("<redacted>"));
    }
}
