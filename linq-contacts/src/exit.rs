//! How a command ends: the exit code (documented in the README) and one line on stderr.

use std::{fmt::Display, process::ExitCode};

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

    /// A call to Linq failed: refused input is [`REFUSED`], a missing contact
    /// [`NOT_FOUND`], anything else [`FAILED`].
    pub fn linq(what: impl Display, error: &linq_api_ext::Error) -> Self {
        use linq_api_ext::Error;
        let code = match error {
            Error::InvalidInput { .. } | Error::Config(_) => REFUSED,
            Error::NotFound(_) => NOT_FOUND,
            _ => FAILED,
        };
        Self::new(code, format!("{what}: {error}{}", host_tried(error)))
    }

    /// Prints the message (one line) and gives the exit code.
    pub fn report(self) -> ExitCode {
        if let Some(message) = self.message {
            eprintln!("linq-contacts: {}", one_line(&message));
        }
        ExitCode::from(self.code)
    }
}

/// For an error of the connection: the host it tried (` (tried HOST)`), from
/// `LINQ_BASE_URL` or the library's default, never its path or query.
fn host_tried(error: &linq_api_ext::Error) -> String {
    if !matches!(error, linq_api_ext::Error::Connection { .. }) {
        return String::new();
    }
    let base = std::env::var(linq_api_ext::BASE_URL_ENV)
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| linq_api_ext::DEFAULT_BASE_URL.to_owned());
    match url::Url::parse(base.trim()) {
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
}
