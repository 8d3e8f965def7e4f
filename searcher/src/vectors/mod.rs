//! Word vectors: import from PyPI wheels into finalfusion files, and memory-mapped lookup.
//!
//! [`WordVectors::open`] memory-maps a finalfusion file written by [`import::import`]; looking
//! a word up returns its unit-length vector. Only the pages a query touches are read.

mod archive;
pub mod import;
mod msgpack;
pub mod murmur;
mod npy;
mod parquet_words;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use finalfusion::prelude::{Embeddings, MmapEmbeddings, StorageWrap, VocabWrap};
use finalfusion::storage::Storage;
use finalfusion::vocab::Vocab;

pub use import::{import, is_query_word, ImportReport, VectorSource};

use crate::error::ErrorKind;

/// What can go wrong reading or importing word vectors. Errors about files name the file.
#[derive(Debug, thiserror::Error)]
pub enum VectorsError {
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
    NotFound {
        /// Where they were looked for.
        path: PathBuf,
    },
}

impl VectorsError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VectorsError::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error in `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        VectorsError::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// What kind of failure this is: missing vectors are [`ErrorKind::Unavailable`] (import
    /// them), a malformed or incomplete input [`ErrorKind::Invalid`], I/O by its cause.
    pub fn kind(&self) -> ErrorKind {
        match self {
            VectorsError::NotFound { .. } => ErrorKind::Unavailable,
            VectorsError::Format { .. }
            | VectorsError::MissingMember { .. }
            | VectorsError::Embeddings { .. } => ErrorKind::Invalid,
            VectorsError::Io { source, .. } => ErrorKind::of_io(source),
        }
    }
}

/// The result of reading or importing word vectors.
pub type Result<T, E = VectorsError> = std::result::Result<T, E>;

/// The environment variable that points at a finalfusion file to use instead of the default.
pub const VECTORS_ENV: &str = "MUSEARCH_VECTORS";

/// Memory-mapped word embeddings.
pub struct WordVectors {
    embeddings: Embeddings<VocabWrap, StorageWrap>,
    path: PathBuf,
}

impl std::fmt::Debug for WordVectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordVectors")
            .field("path", &self.path)
            .field("words", &self.len())
            .field("dims", &self.dims())
            .finish()
    }
}

impl WordVectors {
    /// Memory-map the finalfusion file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(VectorsError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let file = File::open(path).map_err(|e| VectorsError::io(path, e))?;
        let mut reader = BufReader::new(file);
        let embeddings = Embeddings::mmap_embeddings(&mut reader).map_err(|source| {
            VectorsError::Embeddings {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(WordVectors {
            embeddings,
            path: path.to_path_buf(),
        })
    }

    /// Open the vectors named by `$MUSEARCH_VECTORS`, or else `source`'s file in the model
    /// store (`<store>/vectors/<source>.fifu`).
    pub fn open_default(source: VectorSource) -> Result<Self> {
        Self::open(&default_path(source))
    }

    /// The file these vectors were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.embeddings.vocab().words_len()
    }

    /// True when there are no words.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Vector dimensionality.
    pub fn dims(&self) -> usize {
        self.embeddings.storage().shape().1
    }

    /// The words, in the source's frequency order (most frequent first).
    pub fn words(&self) -> &[String] {
        self.embeddings.vocab().words()
    }

    /// The row of `word`, if known.
    pub fn index(&self, word: &str) -> Option<usize> {
        self.embeddings.vocab().idx(word).and_then(|i| i.word())
    }

    /// Is `word` in the vocabulary?
    pub fn contains(&self, word: &str) -> bool {
        self.index(word).is_some()
    }

    /// The unit-length vector of `word`, if known.
    pub fn get(&self, word: &str) -> Option<Vec<f32>> {
        self.embeddings.embedding(word).map(|v| v.to_vec())
    }

    /// The vector of `word` as the source had it (unit vector times its stored norm).
    pub fn get_raw(&self, word: &str) -> Option<Vec<f32>> {
        self.embeddings
            .embedding_with_norm(word)
            .map(|e| e.embedding.iter().map(|x| x * e.norm).collect())
    }

    /// The unit-length vector at row `index` (`index < len()`).
    pub fn row(&self, index: usize) -> Vec<f32> {
        self.embeddings.storage().embedding(index).to_vec()
    }

    /// The metadata value `key` of the file (`source`, `licence` …), if present.
    pub fn metadata(&self, key: &str) -> Option<String> {
        self.embeddings
            .metadata()
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str().map(str::to_owned))
    }
}

/// Where the vectors for `source` are looked for: `$MUSEARCH_VECTORS` when set, else
/// `<model store>/vectors/<source>.fifu`.
pub fn default_path(source: VectorSource) -> PathBuf {
    match std::env::var_os(VECTORS_ENV).filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => crate::store::vectors_dir().join(source.file_name()),
    }
}
