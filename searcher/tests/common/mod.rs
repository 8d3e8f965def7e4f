//! Helpers shared by the searcher's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use musearch_searcher::tag_space::{default_glosses, TagSpace, TagSpaceConfig};
use musearch_searcher::vectors::{self, VectorSource, WordVectors};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The tiny fixture embedding (GloVe 6B 50-d, a few hundred words, PDDL).
pub fn tiny_vectors() -> WordVectors {
    let path = repo_root().join("fixtures/vectors/glove-50d-tiny.fifu");
    WordVectors::open(&path).expect("fixtures/vectors/glove-50d-tiny.fifu")
}

/// The real imported vectors: `$MUSEARCH_VECTORS`, else `<model store>/vectors/spacy-md.fifu`.
/// Panics with instructions when they are missing.
pub fn real_vectors() -> WordVectors {
    let path = vectors::default_path(VectorSource::SpacyMd);
    match WordVectors::open(&path) {
        Ok(v) => v,
        Err(e) => panic!(
            "this test needs the real word vectors: {e}\n\
             run `musearch models import-vectors` first, or set MUSEARCH_VECTORS to a \
             finalfusion file"
        ),
    }
}

/// A tag space over the union vocabulary with the default (tuned) configuration.
pub fn space(vectors: WordVectors) -> TagSpace {
    space_with(vectors, TagSpaceConfig::default())
}

/// A tag space over the union vocabulary with `config`.
pub fn space_with(vectors: WordVectors, config: TagSpaceConfig) -> TagSpace {
    let tags = musearch_models::tags::union_vocabulary();
    TagSpace::new(vectors, &tags, &default_glosses(), config)
}
