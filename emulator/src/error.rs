//! The emulator's own error: why it cannot start or serve (a bad seed, state file, flag or port).
//! Errors of API calls are not this type: they are answers, rendered as Google's error JSON by
//! `server::wire`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad input (a seed, a state file, an option): the caller should fix it. A command-line front
    /// end exits 2.
    Usage { message: String, hint: Option<String> },
    /// The machine said no (a port, a file, the runtime).
    Io { message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage { message: message.into(), hint: None }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Usage { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn io(message: impl Into<String>) -> Error {
        Error::Io { message: message.into() }
    }

    /// What to do about it, if anything useful can be said.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Usage { hint, .. } => hint.as_deref(),
            Error::Io { .. } => None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::Usage { message, .. } | Error::Io { message } => message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}
