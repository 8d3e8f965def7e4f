//! [`IndexError`]: what can go wrong opening, reading or writing an index.

use std::path::PathBuf;

/// Everything that can stop an index from opening, being read or being written. (A bad audio
/// file is not one of these: the indexer counts it in its report and goes on.)
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
    /// There is no index at this path (no track store): nothing was created there.
    #[error("{0}: no index here (run `musearch index DIR` first)")]
    NotFound(PathBuf),
    /// Another handle holds the track store: an indexer is writing this index (or a reader is
    /// taking its snapshot). sled lets one process at a time open a store.
    #[error(
        "{0}: the index is in use by another musearch process (an `index` run writing it?); \
         open it again when that run has finished"
    )]
    Busy(PathBuf),
}

impl IndexError {
    /// An [`IndexError::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }
}
