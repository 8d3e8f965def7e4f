//! Similar tracks by audio embedding: each model's penultimate-layer embedding normalised,
//! concatenated (see [`crate::catalog::Catalog::embedding`]), compared by cosine. An exact scan
//! for small catalogs and while the HNSW graph (hnsw_rs) is being built, the graph from
//! [`SimilarOptions::hnsw_min_tracks`] tracks on once it is there.

use crate::ann::{dot, HnswParams, Scored, TopK, UnitHnsw};
use crate::catalog::Catalog;
use std::sync::OnceLock;

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

/// How similar tracks are found at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SimilarMode {
    /// Every embedding is scanned: the catalog is too small to need a graph.
    Exact,
    /// Every embedding is scanned while the graph the catalog wants is not built yet.
    Building,
    /// The HNSW graph answers.
    Graph,
}

/// Nearest tracks by embedding.
///
/// Construction is cheap: the HNSW graph (minutes for a large catalog on a small machine) is
/// built only by [`SimilarIndex::build_graph`], which a long-running process calls on a
/// background thread. Until it is done, and for catalogs too small to need it, queries scan
/// every embedding exactly, so answers never wait for the graph.
#[derive(Debug)]
pub struct SimilarIndex {
    graph: OnceLock<UnitHnsw>,
    options: SimilarOptions,
    /// Tracks that have an embedding.
    with_embedding: usize,
}

impl SimilarIndex {
    /// Counts the embeddings of `catalog`; the graph is left for [`SimilarIndex::build_graph`].
    pub fn new(catalog: &Catalog, options: SimilarOptions) -> SimilarIndex {
        let with_embedding = (0..catalog.len())
            .filter(|&i| has_embedding(catalog, i))
            .count();
        SimilarIndex {
            graph: OnceLock::new(),
            options,
            with_embedding,
        }
    }

    /// Whether `catalog` is large enough for [`SimilarIndex::build_graph`] to build a graph.
    pub fn wants_graph(&self, catalog: &Catalog) -> bool {
        catalog.embedding_dim() > 0 && catalog.len() >= self.options.hnsw_min_tracks.max(1)
    }

    /// Builds the HNSW graph over the embeddings of `catalog` (the catalog this index was made
    /// for) when it is large enough and not built yet; returns whether a graph is in use
    /// afterwards. Safe to call from several threads: one builds, the others wait for it.
    pub fn build_graph(&self, catalog: &Catalog) -> bool {
        if !self.wants_graph(catalog) {
            return false;
        }
        self.graph.get_or_init(|| {
            let d = catalog.embedding_dim();
            let rows: Vec<f32> = (0..catalog.len())
                .flat_map(|i| catalog.embedding(i).to_vec())
                .collect();
            UnitHnsw::build(&rows, d, self.options.hnsw)
        });
        true
    }

    /// Whether queries use the graph (else they scan exactly).
    pub fn graph_ready(&self) -> bool {
        self.graph.get().is_some()
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
        let has = |i: usize| has_embedding(catalog, i);
        if let Some(hnsw) = self.graph.get() {
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

/// Whether track `i` has an embedding (tracks indexed without one hold zeros).
fn has_embedding(catalog: &Catalog, i: usize) -> bool {
    catalog.embedding(i).iter().any(|&x| x != 0.0)
}
