//! # musearch-searcher
//!
//! Free-text queries to weighted tags, ranking and explanation. Reads the index, never runs the CNN,
//! so it builds without libtorch.
//!
//! * [`vectors`]: word vectors (finalfusion files, memory-mapped), imported from PyPI wheels.
//! * [`query`]: query understanding: tokens, stop words, multi-word tag phrases, negation,
//!   literal tags, unknown words.
//! * [`tag_space`]: tag vectors from names and glosses, query → weighted tags (hubness
//!   correction, antonyms, negation, synonym groups).
//! * [`neighbours`]: an HNSW index (hnsw_rs) over the vocabulary and the tags: neighbours,
//!   query expansion, "did you mean".
//! * [`eval`]: nDCG@k of query → tag rankings against graded judgements.
//! * [`store`]: where the searcher's files live in the model store.

#![warn(missing_docs)]

pub mod error;
pub mod eval;
pub mod neighbours;
pub mod query;
mod ridge;
pub mod store;
pub mod tag_space;
pub mod vectors;

pub use error::{Error, Result};
