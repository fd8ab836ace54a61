//! The HTTP side of the fake: axum routes, the request pipeline (log, script, latency,
//! processing) and a hyper accept loop that can close a connection without answering.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use futures_util::{future::BoxFuture, StreamExt};
use http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::delivery;
use super::log::{RecordedRequest, TokenCheck};
use super::rate_limit::{retry_after_seconds, Bucket};
use super::reply::{LostReply, Reply, ReplyKind, JSON_CONTENT_TYPE};
use super::state::{Mutable, Shared};
use super::store::{Answer, Query};
use super::webhook;
use super::Operation;

/// The header that carries the integration token (the spec's).
pub(super) use linq_api::spec::TOKEN_HEADER;
/// The largest request body the fake reads; a larger one gets a 413.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where the router sent a request.
#[derive(Debug, Clone, Copy)]
enum Target {
    Operation(Operation),
    NoRoute,
    MethodNotAllowed,
}

/// Put in each request's extensions by the accept loop: notifying it closes the connection.
#[derive(Debug, Clone)]
struct ConnectionKill(Arc<Notify>);

/// The handler of one route: every route runs the same pipeline with its own target.
fn to(
    target: Target,
) -> impl Fn(State<Arc<Shared>>, Request) -> BoxFuture<'static, Response> + Clone + Send + Sync + 'static
{
    move |State(shared), request| Box::pin(handle(shared, target, request))
}

/// The routes of the spec's operations, from its table: each path template with the methods of
/// its operations. A literal last segment beside a `{parameter}` one (`/contacts/find` beside
/// `/contacts/{id}`) also answers the parameter route's other methods as that route would
/// (with `find` for the id, so a 404), as Linq's routing does.
fn router(shared: Arc<Shared>) -> Router {
    let mut routes: Vec<(&'static str, MethodRouter<Arc<Shared>>)> = Vec::new();
    let mut add = |path: &'static str, op: Operation| {
        let Ok(filter) = MethodFilter::try_from(op.method()) else {
            return;
        };
        let handler = to(Target::Operation(op));
        match routes.iter_mut().find(|(p, _)| *p == path) {
            Some((_, route)) => *route = std::mem::take(route).on(filter, handler),
            None => routes.push((path, MethodRouter::new().on(filter, handler))),
        }
    };
    for op in Operation::ALL {
        add(op.path_template(), op);
    }
    // A literal sibling of a parameter route takes the parameter route's other methods.
    let parent = |path: &str| path.rsplit_once('/').map(|(parent, _)| parent.to_owned());
    let siblings: Vec<(&'static str, Operation)> = Operation::ALL
        .iter()
        .filter(|op| op.path_template().ends_with('}'))
        .flat_map(|op| {
            Operation::ALL
                .iter()
                .filter(move |other| {
                    !other.path_template().ends_with('}')
                        && parent(other.path_template()) == parent(op.path_template())
                        && other.path_template() != op.path_template()
                        && !Operation::ALL.iter().any(|o| {
                            o.path_template() == other.path_template() && o.method() == op.method()
                        })
                })
                .map(move |other| (other.path_template(), *op))
        })
        .collect();
    for (path, op) in siblings {
        add(path, op);
    }
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
        .fallback(to(Target::NoRoute))
        .method_not_allowed_fallback(to(Target::MethodNotAllowed))
        .with_state(shared)
}

/// The pipeline of every request: read the body, record, take the script, process, wait, answer.
async fn handle(shared: Arc<Shared>, target: Target, request: Request) -> Response {
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let (parts, body) = request.into_parts();
    let operation = match target {
        Target::Operation(operation) => Some(operation),
        Target::NoRoute | Target::MethodNotAllowed => None,
    };
    let (body, too_large) = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => (bytes.to_vec(), false),
        Err(_) => (Vec::new(), true),
    };
    let (token, organization) = check_token(&parts.headers, &shared.tokens);

    let (reply, latency, request_id, limited) = {
        let mut state = shared.lock();
        let reply = operation.and_then(|op| state.scripts.get_mut(&op)?.pop_front());
        let latency = state.latency.saturating_add(
            operation
                .and_then(|op| state.operation_latency.get(&op).copied())
                .unwrap_or_default(),
        );
        let answers_normally = matches!(
            reply.as_ref().map(|r| r.kind),
            None | Some(ReplyKind::Normal | ReplyKind::AppliedThen(LostReply::TruncatedBody))
        );
        let request_id = answers_normally.then(new_request_id);
        // Only what reaches an operation with a valid token counts against the rate limit.
        let limited = match (answers_normally, operation, organization) {
            (true, Some(_), Some(org)) => state.take_request(org),
            _ => None,
        };
        let recorded = RecordedRequest {
            operation,
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: redact(&parts.headers),
            token,
            organization,
            body: body.clone(),
            request_id: request_id.clone(),
        };
        if state.record_requests {
            state.log.push(recorded);
        }
        (reply, latency, request_id, limited)
    };

    let reply = reply.unwrap_or_else(Reply::normal);
    let wait = latency.saturating_add(reply.delay);
    match reply.kind {
        ReplyKind::Canned => {
            let response = canned(&reply);
            tokio::time::sleep(wait).await;
            response
        }
        ReplyKind::Drop => {
            tokio::time::sleep(wait).await;
            close_connection(kill).await
        }
        ReplyKind::Normal | ReplyKind::AppliedThen(_) => {
            let answer = if too_large {
                Answer::standard_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    "Request body too large",
                    vec![format!(
                        "The request body must not exceed {MAX_BODY_BYTES} bytes"
                    )],
                )
            } else if let Some(wait) = limited {
                Answer::standard_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMITED",
                    "Too many requests",
                    vec![format!(
                        "Rate limit exceeded; retry after {} seconds",
                        retry_after_seconds(wait)
                    )],
                )
            } else {
                process(&shared, target, token, organization, &parts, &body)
            };
            tokio::time::sleep(wait).await;
            let truncate = match reply.kind {
                ReplyKind::AppliedThen(LostReply::DroppedConnection) => {
                    return close_connection(kill).await
                }
                ReplyKind::AppliedThen(LostReply::Timeout) => return std::future::pending().await,
                ReplyKind::AppliedThen(LostReply::Status(_)) => return canned(&reply),
                ReplyKind::AppliedThen(LostReply::TruncatedBody) => true,
                _ => false,
            };
            if truncate && answer.body.is_none() {
                return close_connection(kill).await;
            }
            let mut response = respond(answer);
            if truncate {
                response = truncated(response).await;
            }
            if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                response.headers_mut().insert("x-request-id", id);
            }
            if let Some(wait) = limited {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_seconds(wait)),
                );
            }
            match extra_headers(&reply.headers) {
                Ok(headers) => {
                    response.headers_mut().extend(headers);
                    response
                }
                Err(mistake) => plain(StatusCode::INTERNAL_SERVER_ERROR, mistake),
            }
        }
    }
}

/// The normal behaviour: auth, then the operation.
fn process(
    shared: &Arc<Shared>,
    target: Target,
    token: TokenCheck,
    organization: Option<usize>,
    parts: &http::request::Parts,
    body: &[u8],
) -> Answer {
    let operation = match target {
        Target::Operation(operation) => operation,
        // The path is not repeated: a caller's bug can put an email or a phone number there,
        // and an error message must not carry it on (into the client's error, into a log).
        Target::NoRoute => {
            let detail = format!("No route matches {} on this path", parts.method);
            return Answer::render_error(StatusCode::NOT_FOUND, "not_found", &detail);
        }
        Target::MethodNotAllowed => {
            let detail = format!("{} is not allowed on this path", parts.method);
            return Answer::render_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                &detail,
            );
        }
    };
    let organization = match (token, organization) {
        (TokenCheck::Valid, Some(organization)) => organization,
        (TokenCheck::Missing, _) => {
            return Answer::render_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Missing integration token",
            )
        }
        _ => {
            return Answer::render_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Invalid integration token",
            )
        }
    };
    // The `{id}` of the path, if any (`find` included, which no id matches).
    let id = parts
        .uri
        .path()
        .rsplit_once('/')
        .map_or("", |(_, last)| last);
    let query = Query::parse(parts.uri.query());
    let now = super::store::now();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let (Some(store), Some(subscriptions)) = (
        state.stores.get_mut(organization),
        state.subscriptions.get_mut(organization),
    ) else {
        return Answer::render_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid integration token",
        );
    };
    let answer = match operation {
        Operation::ListContacts => store.list(&query),
        Operation::CreateContact => store.create(body, now),
        Operation::FindContact => store.find(&query),
        Operation::GetContact => store.get(id),
        Operation::UpdateContact | Operation::PatchContact => store.update(id, body, now),
        Operation::DeleteContact => store.delete(id),
        Operation::ListWebhookSubscriptions => subscriptions.list(),
        Operation::CreateWebhookSubscription => subscriptions.create(body, now),
        Operation::UpdateWebhookSubscription => subscriptions.update(id, body, now),
        Operation::DeleteWebhookSubscription => {
            let answer = subscriptions.delete(id);
            if let (true, Some(id)) = (answer.status.is_success(), super::store::parse_id(id)) {
                delivery::forget(state, organization, id);
            }
            answer
        }
    };
    // A contact write that took effect is an event for the organization's subscriptions.
    if answer.status.is_success() {
        if let Some((event_type, data)) =
            webhook::contact_event(operation, answer.body.as_ref(), id)
        {
            delivery::dispatch(shared, state, organization, event_type, data);
        }
    }
    answer
}

impl Mutable {
    /// Takes a request from the bucket of `organization` under the rate limit; `Some(wait)`
    /// when the request is over the limit.
    fn take_request(&mut self, organization: usize) -> Option<Duration> {
        let limit = self.rate_limit?;
        let now = std::time::Instant::now();
        self.buckets
            .entry(organization)
            .or_insert_with(|| Bucket::full(now))
            .take(&limit, now)
            .err()
    }
}

/// Whether the request carries exactly one token header, and whose token it is.
fn check_token(headers: &HeaderMap, tokens: &[String]) -> (TokenCheck, Option<usize>) {
    let mut values = headers.get_all(TOKEN_HEADER).iter();
    match (values.next(), values.next()) {
        (None, _) => (TokenCheck::Missing, None),
        (Some(value), None) => match tokens.iter().position(|t| t.as_bytes() == value.as_bytes()) {
            Some(organization) => (TokenCheck::Valid, Some(organization)),
            None => (TokenCheck::Invalid, None),
        },
        _ => (TokenCheck::Invalid, None),
    }
}

fn redact(headers: &HeaderMap) -> HeaderMap {
    let mut redacted = headers.clone();
    if redacted.contains_key(TOKEN_HEADER) {
        let count = headers.get_all(TOKEN_HEADER).iter().count();
        redacted.remove(TOKEN_HEADER);
        for _ in 0..count {
            redacted.append(TOKEN_HEADER, HeaderValue::from_static("[redacted]"));
        }
    }
    redacted
}

fn new_request_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

fn respond(answer: Answer) -> Response {
    let mut response = match answer.body {
        Some(body) => {
            let mut response = Response::new(Body::from(body.to_string()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_CONTENT_TYPE),
            );
            response
        }
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = answer.status;
    response
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn extra_headers(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|_| format!("fake linq: invalid scripted header name {name:?}"))?;
        let value = HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("fake linq: invalid scripted value of header {name}"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// The response of a [`Reply::status`].
fn canned(reply: &Reply) -> Response {
    let Ok(status) = StatusCode::from_u16(reply.status) else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "fake linq: scripted status {} is not an HTTP status",
                reply.status
            ),
        );
    };
    let headers = match extra_headers(&reply.headers) {
        Ok(headers) => headers,
        Err(mistake) => return plain(StatusCode::INTERNAL_SERVER_ERROR, mistake),
    };
    let mut response = Response::new(Body::from(reply.body.clone()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The response with its whole length announced and only half of its body sent, after which
/// the body fails and hyper closes the connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let whole = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(whole.len()));
    let half = whole.slice(..whole.len() / 2);
    let sent = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]);
    // The failure comes a moment later, once hyper has written the head and the half.
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "fake linq: cut off",
        ))
    });
    Response::from_parts(parts, Body::from_stream(sent.chain(cut)))
}

/// Closes the connection the request came on, and never answers.
async fn close_connection(kill: Option<ConnectionKill>) -> Response {
    match kill {
        Some(ConnectionKill(notify)) => {
            notify.notify_one();
            std::future::pending().await
        }
        // Not served by our accept loop (cannot happen): say so instead of hanging.
        None => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake linq: cannot drop this connection".to_owned(),
        ),
    }
}

/// Binds 127.0.0.1 on `port` (0: a free one).
pub(super) async fn bind(port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Accepts connections until `shutdown` changes (or its sender is gone), then lets open
/// connections finish their current request. Each connection is served by hyper's HTTP/1
/// connection driver; a handler that notifies its [`ConnectionKill`] makes the loop drop that
/// connection, which closes the socket without a response.
pub(super) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = router(shared);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
                }
                // Out of file descriptors and the like: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let kill = Arc::new(Notify::new());
    let marker = ConnectionKill(Arc::clone(&kill));
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(marker.clone());
        router.clone().oneshot(request.map(Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = kill.notified() => return,
        _ = shutdown.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = kill.notified() => {}
    }
}
