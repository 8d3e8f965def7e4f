//! Where the searcher keeps its files inside musearch's model store
//! ([`musearch_models::store::model_store_dir`]: `$MUSEARCH_HOME`, else the user's data
//! directory plus `musearch`).

use std::path::PathBuf;

pub use musearch_models::store::model_store_dir;

/// The folder of converted word-vector files: `<store>/vectors`.
pub fn vectors_dir() -> PathBuf {
    model_store_dir().join("vectors")
}

/// The folder where downloaded wheels are cached: `<store>/cache/wheels`.
pub fn wheel_cache_dir() -> PathBuf {
    model_store_dir().join("cache").join("wheels")
}

/// The folder of imported sentence encoders: `<store>/encoders` (one directory per encoder,
/// see [`crate::encoder`]).
pub fn encoders_dir() -> PathBuf {
    model_store_dir().join("encoders")
}
