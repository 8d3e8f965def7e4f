//! The indexer's error type: the index format's errors, and what can stop a run besides.

use std::path::PathBuf;

use musearch_index::IndexError;

/// Everything that can stop an indexing run. A bad audio file is not one of these: it is
/// counted in the [`crate::report::Report`] and the run continues.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// The index itself (its store or text index) failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A root to index does not exist or is not a directory.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// The tagging stage failed as a whole (not one file: the network itself).
    #[error("tagger: {0}")]
    Tagger(String),
}

impl IndexerError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexerError::Io {
            path: path.into(),
            source,
        }
    }
}
