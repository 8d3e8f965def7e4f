//! The searcher's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the searcher. Errors about files name the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file (or a member of an archive) does not have the expected format.
    #[error("{path}: {message}")]
    Format {
        /// The file, or `archive!member` for a member of a wheel.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A member the importer needs is missing from a wheel or directory.
    #[error("{archive}: no member ending in `{member}`")]
    MissingMember {
        /// The wheel or directory searched.
        archive: PathBuf,
        /// The path suffix looked for.
        member: String,
    },
    /// finalfusion could not read or write an embedding file.
    #[error("{path}: {source}")]
    Embeddings {
        /// The finalfusion file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: finalfusion::error::Error,
    },
    /// No word-vector file where one was expected.
    #[error(
        "no word vectors at {path}: run `musearch models import-vectors` first \
         (or point MUSEARCH_VECTORS at a finalfusion file)"
    )]
    VectorsNotFound {
        /// Where they were looked for.
        path: PathBuf,
    },
    /// A line of an evaluation or gloss file could not be parsed.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A search request the client got wrong (empty query, bad limit, unknown tag …): a 4xx
    /// for the web server, never a 500.
    #[error("{message}")]
    InvalidRequest {
        /// A stable snake_case code (`empty_query`, `invalid_limit`, `unknown_tag` …).
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// No visible track has this id (or file path).
    #[error("no track {0} in the index")]
    TrackNotFound(String),
    /// The index could not be read.
    #[error(transparent)]
    Index(#[from] musearch_index::IndexError),
    /// A t-SNE map could not be computed.
    #[error(transparent)]
    Map(#[from] crate::map::MapError),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error in `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Error {
    /// A client mistake with a stable `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            code,
            message: message.into(),
        }
    }

    /// A stable snake_case code for the error: the request's own code for
    /// [`Error::InvalidRequest`], `track_not_found`, else `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRequest { code, .. } => code,
            Error::TrackNotFound(_) => "track_not_found",
            _ => "internal",
        }
    }

    /// True when the caller caused the error (a 4xx for the web server).
    pub fn is_client_error(&self) -> bool {
        matches!(self, Error::InvalidRequest { .. } | Error::TrackNotFound(_))
    }
}

/// The searcher's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
