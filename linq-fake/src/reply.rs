//! Scripted replies: the faults a test injects.

use std::time::Duration;

/// The content type of every JSON answer.
pub(super) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// What the fake does with one request of a scripted operation.
///
/// Queue replies with [`FakeLinq::script`](super::FakeLinq::script); each request of that
/// operation takes the next one, and when the queue is empty the fake behaves normally again.
///
/// | constructor | the operation is carried out | the client gets |
/// |---|---|---|
/// | [`Reply::status`] | no | this status, the headers and body you set |
/// | [`Reply::normal`] | yes | the normal answer (plus your headers) |
/// | [`Reply::drop_connection`] | no | the connection closed, no response at all |
/// | [`Reply::normal_then_drop`] | yes | the connection closed, no response at all |
/// | [`Reply::applied_then`] | yes | the reply lost in one of the ways of [`LostReply`] |
///
/// Every kind can be delayed with [`Reply::delay`]; the delay (plus any configured latency)
/// is waited *after* the operation was carried out and before answering, like a server whose
/// answer is slow: a client that gives up during the delay still leaves the change made.
///
/// ```
/// use std::time::Duration;
/// use linq_fake::Reply;
///
/// let replies = [
///     Reply::status(503).header("retry-after", "1"),
///     Reply::status(429).json(serde_json::json!({"errors": [{"status": 429, "code": "rate_limited"}]})),
///     Reply::normal().delay(Duration::from_millis(50)),
/// ];
/// # let _ = replies;
/// ```
///
/// The "applied, then the reply is lost" faults are what a client that must not duplicate a
/// write has to survive: the change is made, and the client cannot tell.
///
/// ```
/// use linq_fake::{LostReply, Reply};
///
/// let ambiguous = [
///     Reply::applied_then(LostReply::Timeout),
///     Reply::applied_then(LostReply::DroppedConnection),
///     Reply::applied_then(LostReply::Status(503)),
///     Reply::applied_then(LostReply::TruncatedBody),
/// ];
/// # let _ = ambiguous;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub(super) kind: ReplyKind,
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReplyKind {
    Canned,
    Normal,
    Drop,
    AppliedThen(LostReply),
}

/// How the reply to an operation the fake carried out is lost; see [`Reply::applied_then`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostReply {
    /// No answer ever comes: the connection stays open and silent until the client gives up
    /// (its timeout) or the fake stops.
    Timeout,
    /// The connection is closed without a response.
    DroppedConnection,
    /// This status (typically a 5xx, as from a gateway whose upstream did the work) instead of
    /// the answer, with the headers and body set on the reply; no `x-request-id`.
    Status(u16),
    /// The normal status and headers (`x-request-id` included) and `content-length` of the
    /// whole answer, then half of its body, then the connection closes. An answer without a
    /// body (a delete's 204) is lost as [`DroppedConnection`](Self::DroppedConnection).
    TruncatedBody,
}

impl Reply {
    fn of(kind: ReplyKind, status: u16) -> Reply {
        Reply {
            kind,
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Answers with this status and, unless set with [`body`](Reply::body) or
    /// [`json`](Reply::json), an empty body; the operation is not carried out.
    ///
    /// Only the headers you add are sent (no `x-request-id`, no `content-type` unless you use
    /// [`json`](Reply::json)), as from a proxy in front of Linq. A status outside `100..=999`
    /// is answered as a 500 whose body names the mistake.
    pub fn status(status: u16) -> Reply {
        Reply::of(ReplyKind::Canned, status)
    }

    /// Behaves normally (the operation is carried out and answered as usual); useful with
    /// [`delay`](Reply::delay) to slow down one request, or with [`header`](Reply::header) to
    /// add headers to one normal answer.
    pub fn normal() -> Reply {
        Reply::of(ReplyKind::Normal, 200)
    }

    /// Closes the connection without sending any response; the operation is not carried out.
    /// The client sees a connection error (hyper's "connection closed before message
    /// completed").
    pub fn drop_connection() -> Reply {
        Reply::of(ReplyKind::Drop, 0)
    }

    /// Carries the operation out, then closes the connection without sending the response —
    /// the request reached Linq but its answer was lost (a create did create a contact).
    pub fn normal_then_drop() -> Reply {
        Reply::applied_then(LostReply::DroppedConnection)
    }

    /// Carries the operation out, then loses the reply as `how` says: the request reached
    /// Linq and took effect, but the client gets a timeout, a dropped connection, a server
    /// error or a cut-off body. [`delay`](Reply::delay) applies before the reply is lost.
    pub fn applied_then(how: LostReply) -> Reply {
        let status = match how {
            LostReply::Status(status) => status,
            _ => 0,
        };
        Reply::of(ReplyKind::AppliedThen(how), status)
    }

    /// Adds a response header (to a [`status`](Reply::status) or [`normal`](Reply::normal)
    /// reply). A name or value that is not valid HTTP turns the reply into a 500 whose body
    /// names the mistake.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the raw body of a [`status`](Reply::status) reply, or of
    /// [`LostReply::Status`] (ignored by the other kinds).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Sets a JSON body of a [`status`](Reply::status) reply and `content-type:
    /// application/json; charset=utf-8` (ignored by the other kinds).
    pub fn json(mut self, body: serde_json::Value) -> Reply {
        self.body = body.to_string().into_bytes();
        self.headers
            .push(("content-type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
        self
    }

    /// Waits this long before answering (or dropping the connection), on top of any configured
    /// latency.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}
