//! Training and evaluation data.
//!
//! * [`mtt`]: the MagnaTagATune layout (`annotations_final.csv` and the `0/ … f/` audio tree):
//!   its two tag conventions (plain top-50, merged top-50 of Dabral et al. 2018) and its
//!   folder split.
//! * [`midi`]: a minimal Standard MIDI File writer.
//! * [`synth`]: a synthetic data set in the MTT layout with known labels, rendered from our
//!   own MIDI by fluidsynth with the General-MIDI soundfont.
//! * [`cache`]: log-mel spectrograms computed once per clip and memory-mapped for training.

pub mod cache;
pub mod midi;
pub mod mtt;
pub mod synth;

use std::path::PathBuf;

/// Errors reading, writing or preparing data sets.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file does not have the expected format.
    #[error("{path}:{line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when not about one line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An external tool (fluidsynth) or resource (a soundfont) is missing or failed.
    #[error("{0}")]
    Tool(String),
    /// A clip's audio could not be decoded.
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    /// The mel cache does not describe the current data set.
    #[error(
        "stale mel cache {path}: {reason}; delete it (or pass a new cache directory) to rebuild it"
    )]
    StaleCache {
        /// The cache directory.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// An invalid argument.
    #[error("{0}")]
    Invalid(String),
}

impl DatasetError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DatasetError::Io {
            path: path.into(),
            source,
        }
    }
}
