//! What the searcher's errors share. Each layer has its own error type
//! ([`crate::vectors::VectorsError`], [`crate::eval::EvalError`], [`crate::map::MapError`],
//! [`crate::engine::EngineError`]); each says what kind of failure it is ([`ErrorKind`]), so
//! that a caller (the web server) picks its answer from the kind, never from a message or code.

/// Who can act on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The thing the request names does not exist (a track, a tag, a file).
    NotFound,
    /// The request or the input is malformed or out of range: the caller can fix it.
    Invalid,
    /// Something the operation needs is not there yet (word vectors not imported, an index not
    /// built): setting it up fixes it.
    Unavailable,
    /// The searcher itself failed (I/O, a corrupt store, a computation that went wrong).
    Internal,
}

impl ErrorKind {
    /// True when the caller caused the error (a 4xx for the web server).
    pub fn is_client_error(self) -> bool {
        matches!(self, ErrorKind::NotFound | ErrorKind::Invalid)
    }

    /// The kind of an I/O error on a file the caller named: a missing file is
    /// [`ErrorKind::NotFound`], anything else [`ErrorKind::Internal`].
    pub fn of_io(err: &std::io::Error) -> ErrorKind {
        match err.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Internal,
        }
    }
}

/// A line of a text file (glosses, contexts, judgements) that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// One-based line number.
    pub line: usize,
    /// What is wrong with the line.
    pub message: String,
}

impl LineError {
    /// Line `line` (one-based) is wrong for `message`.
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        LineError {
            line,
            message: message.into(),
        }
    }
}
