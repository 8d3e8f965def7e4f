//! The engine's errors: the request's mistakes, each with a stable code, and what failed
//! underneath (the word vectors, the index, a map).

use std::path::PathBuf;

use crate::error::ErrorKind;
use crate::map::MapError;
use crate::vectors::VectorsError;

/// Everything that can go wrong opening the engine or answering a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A request the client got wrong (empty query, bad limit, bad filter …).
    #[error("{message}")]
    Invalid {
        /// A stable snake_case code (`empty_query`, `invalid_limit` …).
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// No visible track has this id (or file path).
    #[error("no track {0} in the index")]
    TrackNotFound(String),
    /// The catalog has no such tag.
    #[error("no tag {0:?} in this catalog")]
    TagNotFound(String),
    /// The directory holds no index.
    #[error("{}: no index here (run `musearch index DIR` first)", .0.display())]
    NoIndex(PathBuf),
    /// The word vectors could not be opened.
    #[error(transparent)]
    Vectors(#[from] VectorsError),
    /// The index could not be read.
    #[error(transparent)]
    Index(#[from] musearch_index::IndexError),
    /// A t-SNE map could not be computed.
    #[error(transparent)]
    Map(#[from] MapError),
}

impl EngineError {
    /// A client mistake with a stable `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        EngineError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// What kind of failure this is. A failure of the engine's own data (the word vectors, the
    /// index, a map) is [`ErrorKind::Internal`] whatever its cause, as the request did not
    /// provide that data, except missing word vectors ([`ErrorKind::Unavailable`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Invalid { .. } => ErrorKind::Invalid,
            EngineError::TrackNotFound(_) | EngineError::TagNotFound(_) => ErrorKind::NotFound,
            EngineError::NoIndex(_) => ErrorKind::Unavailable,
            EngineError::Vectors(e) if e.kind() == ErrorKind::Unavailable => ErrorKind::Unavailable,
            EngineError::Vectors(_) => ErrorKind::Internal,
            EngineError::Index(_) | EngineError::Map(_) => ErrorKind::Internal,
        }
    }

    /// A stable snake_case code for the error: the request's own code for
    /// [`EngineError::Invalid`], `track_not_found`, `tag_not_found`, else `unavailable` or
    /// `internal` by [`EngineError::kind`].
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Invalid { code, .. } => code,
            EngineError::TrackNotFound(_) => "track_not_found",
            EngineError::TagNotFound(_) => "tag_not_found",
            _ if self.kind() == ErrorKind::Unavailable => "unavailable",
            _ => "internal",
        }
    }

    /// True when the caller caused the error (a 4xx for the web server).
    pub fn is_client_error(&self) -> bool {
        self.kind().is_client_error()
    }
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
