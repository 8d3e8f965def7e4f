//! The indexer's error type.

use std::path::PathBuf;

/// Everything that can stop an index from opening or a run from going on. A bad audio file is not
/// one of these: it is counted in the [`crate::report::Report`] and the run continues.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The track store (sled) failed.
    #[error("track store {path}: {source}")]
    Store {
        /// The store directory.
        path: PathBuf,
        /// The cause.
        source: sled::Error,
    },
    /// A transaction on the track store failed.
    #[error("track store transaction: {0}")]
    Transaction(String),
    /// The text index (tantivy) failed.
    #[error("text index {path}: {source}")]
    Text {
        /// The text index directory.
        path: PathBuf,
        /// The cause.
        source: tantivy::TantivyError,
    },
    /// The index was written by another version of the schema.
    #[error(
        "the index at {path} has schema version {found}, this musearch reads and writes version \
         {expected}: index into a new directory, or delete {path} and index again"
    )]
    SchemaMismatch {
        /// The index directory.
        path: PathBuf,
        /// The version on disk.
        found: u32,
        /// The version this build writes.
        expected: u32,
    },
    /// A stored value could not be decoded.
    #[error("corrupt {what} in the track store: {reason}")]
    Corrupt {
        /// What was being read (a track record, a path entry …).
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
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

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}
