//! # musearch-searcher
//!
//! Free-text queries to weighted tags, ranking and explanation. Reads the index, never runs the CNN,
//! so it builds without libtorch.
//!
//! * [`vectors`]: word vectors (finalfusion files, memory-mapped), imported from PyPI wheels.
//! * [`query`]: query understanding: tokens, stop words, multi-word tag phrases, negation,
//!   literal tags, unknown words.
//! * [`tag_space`]: tag vectors from names and glosses, query → weighted tags (hubness
//!   correction, antonyms, negation, synonym groups): data, config, build, weighing, ensemble.
//! * [`neighbours`]: an HNSW index over the vocabulary and the tags: neighbours, "did you mean".
//! * [`eval`]: nDCG@k, precision@k and reciprocal rank against graded judgements;
//!   [`search_eval`]: whole searches scored on judged catalog files (`musearch eval-search`).
//! * [`map`]: t-SNE maps of the tags and of the catalog (linfa-tsne), cached in the index.
//! * [`store`]: where the searcher's files live in the model store.
//! * [`engine`]: the search engine over an index snapshot ([`engine::Engine`]): [`catalog`]
//!   (tracks in memory), [`calibration`] (per-tag standardised logits), [`rank`] (query plan,
//!   rank fusion), [`track_index`] (exact scan and HNSW over tracks), [`similar`] (audio
//!   embeddings), [`refine`] (evidence floor, short and near-silent demotion, near-duplicate
//!   collapse, album diversity), [`filters`], [`explain`], [`ann`] (the one HNSW wrapper, hnsw_rs, and top-k
//!   helpers); its requests and responses in [`response`].
//! * [`error`]: each layer has its own error type ([`vectors::VectorsError`],
//!   [`eval::EvalError`], [`map::MapError`], [`engine::EngineError`]), each with an
//!   [`ErrorKind`] (not found, invalid, unavailable, internal) that callers act on.

#![warn(missing_docs)]

pub mod ann;
pub mod calibration;
pub mod catalog;
pub mod encoder;
pub mod engine;
pub mod error;
pub mod eval;
pub mod explain;
pub mod filters;
pub mod map;
pub mod neighbours;
pub mod query;
pub mod rank;
pub mod refine;
pub mod response;
mod ridge;
pub mod search_eval;
pub mod similar;
pub mod store;
pub mod tag_space;
pub mod track_index;
pub mod vectors;
mod wheels;

pub use error::ErrorKind;
/// Track paths as the index stores them (any bytes, losslessly): the web server, which depends
/// on this crate only, opens and shows them through these.
pub use musearch_index::{display_path, os_path, StoredPath};

/// Taggram pictures (feature `plot`): the models' taggram type and PNG drawing, for the web
/// server, which depends on this crate only.
#[cfg(feature = "plot")]
pub use musearch_models::{plot, taggram};
