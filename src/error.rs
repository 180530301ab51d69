//! The crate's error type: what went wrong, with the context to act on it.

use std::fmt;

/// The class of an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The host configuration is invalid (a bad argument, a stdio file that
    /// cannot be opened, ...).
    Config,
    /// Reading a module file failed, or a compiled-module cache directory
    /// was refused (others may write it, or another user owns it).
    Io,
    /// The bytes are not a valid module (or WAT text that does not parse).
    Module,
    /// The module imports something the host does not provide, or lacks an
    /// export the call needs (such as `_start`).
    Link,
    /// The engine could not be set up.
    Engine,
}

/// An error from building a host, loading a module or instantiating it.
///
/// A guest's exit or trap is not an `Error`: it is an
/// [`Outcome`](crate::Outcome) of the run.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    io_kind: Option<std::io::ErrorKind>,
    os_error: Option<i32>,
}

impl Error {
    /// An error of `kind` with a message that says what failed and on what.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            io_kind: None,
            os_error: None,
        }
    }

    /// An error caused by a host I/O error of kind `io_kind`.
    pub fn with_io(
        kind: ErrorKind,
        message: impl Into<String>,
        io_kind: std::io::ErrorKind,
    ) -> Error {
        Error {
            kind,
            message: message.into(),
            io_kind: Some(io_kind),
            os_error: None,
        }
    }

    /// An error caused by the host I/O error `cause`: keeps its kind and
    /// its OS error number.
    pub fn from_io(kind: ErrorKind, message: impl Into<String>, cause: &std::io::Error) -> Error {
        Error {
            kind,
            message: message.into(),
            io_kind: Some(cause.kind()),
            os_error: cause.raw_os_error(),
        }
    }

    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The full message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The host I/O error kind behind it, when a host file operation failed.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.io_kind
    }

    /// The OS error number behind it (`errno`), when there was one.
    pub fn raw_os_error(&self) -> Option<i32> {
        self.os_error
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    /// A configuration error with this message.
    fn from(message: String) -> Error {
        Error::new(ErrorKind::Config, message)
    }
}
