//! Similar tracks by audio embedding: each model's penultimate-layer embedding normalised,
//! concatenated (see [`crate::catalog::Catalog::embedding`]), compared by cosine. An exact scan
//! for small catalogs, an HNSW graph (hnsw_rs) from [`SimilarOptions::hnsw_min_tracks`] on.

use crate::ann::{dot, HnswParams, Scored, TopK, UnitHnsw};
use crate::catalog::Catalog;

/// When the similar-track graph is built.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimilarOptions {
    /// Build the graph from this many tracks on (exact scan below).
    pub hnsw_min_tracks: usize,
    /// The graph's parameters.
    pub hnsw: HnswParams,
}

impl Default for SimilarOptions {
    fn default() -> Self {
        SimilarOptions {
            hnsw_min_tracks: 20_000,
            hnsw: HnswParams::default(),
        }
    }
}

/// Nearest tracks by embedding.
#[derive(Debug)]
pub struct SimilarIndex {
    hnsw: Option<UnitHnsw>,
    /// Tracks that have an embedding.
    with_embedding: usize,
}

impl SimilarIndex {
    /// Indexes the embeddings of `catalog`.
    pub fn build(catalog: &Catalog, options: SimilarOptions) -> SimilarIndex {
        let n = catalog.len();
        let has = |i: usize| catalog.embedding(i).iter().any(|&x| x != 0.0);
        let with_embedding = (0..n).filter(|&i| has(i)).count();
        let hnsw =
            (catalog.embedding_dim() > 0 && n > 0 && n >= options.hnsw_min_tracks).then(|| {
                let d = catalog.embedding_dim();
                let rows: Vec<f32> = (0..n).flat_map(|i| catalog.embedding(i).to_vec()).collect();
                UnitHnsw::build(&rows, d, options.hnsw)
            });
        SimilarIndex {
            hnsw,
            with_embedding,
        }
    }

    /// How many tracks have an embedding.
    pub fn with_embedding(&self) -> usize {
        self.with_embedding
    }

    /// The `k` tracks nearest to track `of` (never `of` itself, nor a track without an
    /// embedding), most similar first, with the cosine similarity. Empty when `of` has no
    /// embedding.
    pub fn nearest(&self, catalog: &Catalog, of: usize, k: usize) -> Vec<Scored> {
        let query = catalog.embedding(of);
        if query.iter().all(|&x| x == 0.0) || k == 0 {
            return Vec::new();
        }
        let has = |i: usize| catalog.embedding(i).iter().any(|&x| x != 0.0);
        if let Some(hnsw) = &self.hnsw {
            let found: Vec<Scored> = hnsw
                .search(query, k + 1)
                .into_iter()
                .filter(|&(i, _)| i != of && has(i))
                .map(|(i, _)| Scored {
                    id: i,
                    score: dot(query, catalog.embedding(i)),
                })
                .take(k)
                .collect();
            if found.len() >= k.min(self.with_embedding.saturating_sub(1)) {
                let mut found = found;
                found.sort_by(|a, b| b.cmp(a));
                return found;
            }
        }
        let mut top = TopK::new(k);
        for i in 0..catalog.len() {
            if i != of && has(i) {
                top.push(i, dot(query, catalog.embedding(i)));
            }
        }
        top.into_sorted()
    }
}
