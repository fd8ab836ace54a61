//! How a command ends: the exit code (documented in the README) and one line on stderr.

use std::{fmt::Display, process::ExitCode};

use linq_api_ext::LinqClient;

/// A command that did not end well.
#[derive(Debug)]
pub struct Exit {
    code: u8,
    message: Option<String>,
}

/// Something failed: a call to Linq, a file, or at least one row of an import.
pub const FAILED: u8 = 1;
/// Refused before anything was sent: bad arguments, configuration or input file.
pub const REFUSED: u8 = 2;
/// The contact does not exist (get, find, delete).
pub const NOT_FOUND: u8 = 3;
/// The user answered no to a confirmation.
pub const DECLINED: u8 = 4;
/// Interrupted by Ctrl-C; an import can be resumed.
pub const INTERRUPTED: u8 = 130;

impl Exit {
    /// Ends with `code` and prints `message`.
    pub fn new(code: u8, message: impl Display) -> Self {
        Self {
            code,
            message: Some(message.to_string()),
        }
    }

    /// Ends with `code`; what happened has already been printed.
    pub fn quiet(code: u8) -> Self {
        Self {
            code,
            message: None,
        }
    }

    /// A file could not be read or written.
    pub fn io(what: impl Display, error: &std::io::Error) -> Self {
        Self::new(FAILED, format!("{what}: {error}"))
    }

    /// Linq's client refused its configuration or an input: refused input and configuration
    /// are [`REFUSED`], a missing contact [`NOT_FOUND`], anything else [`FAILED`].
    pub fn linq(what: impl Display, error: &linq_api_ext::Error) -> Self {
        Self::new(code_of(error), format!("{what}: {error}"))
    }

    /// A call of `linq` failed: as [`linq`](Self::linq), and a connection error also names the
    /// host the client tried (` (tried HOST)`), never its path or query.
    pub fn call(linq: &LinqClient, what: impl Display, error: &linq_api_ext::Error) -> Self {
        let tried = match error {
            linq_api_ext::Error::Connection { .. } => host_of(linq.base_url()),
            _ => String::new(),
        };
        Self::new(code_of(error), format!("{what}: {error}{tried}"))
    }

    /// Prints the message (one line) and gives the exit code.
    pub fn report(self) -> ExitCode {
        if let Some(message) = self.message {
            eprintln!("linq-contacts: {}", one_line(&message));
        }
        ExitCode::from(self.code)
    }
}

/// The exit code of an error of Linq's client.
fn code_of(error: &linq_api_ext::Error) -> u8 {
    use linq_api_ext::Error;
    match error {
        Error::InvalidInput { .. } | Error::Config(_) => REFUSED,
        Error::NotFound(_) => NOT_FOUND,
        _ => FAILED,
    }
}

/// ` (tried HOST[:PORT])` for a base URL.
fn host_of(base_url: &str) -> String {
    match url::Url::parse(base_url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!(" (tried {host}:{port})"),
            (Some(host), None) => format!(" (tried {host})"),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// `text` on one line: line breaks and other control characters become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\nb\r\u{1b}[31mc"), "a b  [31mc");
    }

    #[tokio::test]
    async fn a_connection_error_names_the_host_the_client_tried() {
        // A bound socket that does not listen: connecting to it is refused.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
        let port = socket.local_addr().unwrap().port();
        let linq = LinqClient::builder()
            .token("t0k3n")
            .base_url(format!("http://127.0.0.1:{port}/some/path"))
            .retry_policy(linq_api_ext::RetryPolicy::none())
            .build()
            .unwrap();
        let id = linq_api_ext::ContactId::new(1).unwrap();
        let error = linq.contacts().get(id).send().await.unwrap_err();
        let exit = Exit::call(&linq, "get 1", &error);
        assert_eq!(exit.code, FAILED);
        let message = exit.message.unwrap();
        // The client's host, whatever `LINQ_BASE_URL` says; neither its path nor the token.
        assert!(
            message.ends_with(&format!(" (tried 127.0.0.1:{port})")),
            "{message}"
        );
        assert!(
            !message.contains("some/path") && !message.contains("t0k3n"),
            "{message}"
        );
        // Not a connection error: no host.
        let refused = linq_api_ext::Error::Config("bad".into());
        assert!(!Exit::call(&linq, "get 1", &refused)
            .message
            .unwrap()
            .contains("tried"));
    }
}
