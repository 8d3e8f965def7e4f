//! Ranking tracks by a weighted sum of calibrated tag values.
//!
//! A query is a sparse vector `q` over the (model, tag) columns; a track's tag score is
//! `Σ q_c · x_c` over them, `x` its calibrated values ([`crate::calibration`]), except that a
//! negative weight only counts the positive part of `x` ([`contribution`]): "without drums"
//! pushes down tracks with drums, it does not reward tracks for having less drums than the
//! average one. Two ways to find the best:
//!
//! * **exact**: the calibrated values are stored column by column, so scoring the whole catalog
//!   touches only the query's few columns (`Σ w·column`, vectorised), then a bounded heap keeps
//!   the top. Linear in the catalog, but with a tiny constant.
//! * **HNSW** (hnsw_rs) for candidate generation: maximum inner product search reduced to
//!   cosine by the usual augmentation: every `x` is scaled by the largest norm `M` and gets one
//!   extra coordinate `√(1 − |x|²/M²)`, so all are unit vectors; the query is `q/|q|` with a 0
//!   there, and `q'·x' = q·x / (|q| M)` orders tracks exactly as `q·x`. Candidates are then
//!   scored exactly. The engine uses it from [`TrackIndexOptions::hnsw_min_tracks`] tracks on.

use crate::ann::{dot, HnswParams, Scored, TopK, UnitHnsw};
use crate::calibration::Calibration;
use crate::catalog::Catalog;

/// What column value `x` adds to a score with weight `w`: `w·x`, or `w·max(x, 0)` for a
/// negative weight (a negated tag pushes down the tracks that have it, no more).
#[inline]
pub fn contribution(w: f32, x: f32) -> f32 {
    if w < 0.0 {
        w * x.max(0.0)
    } else {
        w * x
    }
}

/// A query over the columns: `(column, weight)` pairs, each column once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseQuery {
    /// The weighted columns.
    pub terms: Vec<(usize, f32)>,
}

impl SparseQuery {
    /// True without terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// When and how the HNSW path is built.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackIndexOptions {
    /// Build the HNSW graph (and rank through it) from this many tracks on; below, the exact
    /// scan alone. `usize::MAX` never builds it, 0 always does.
    pub hnsw_min_tracks: usize,
    /// The graph's parameters.
    pub hnsw: HnswParams,
    /// Candidates asked of the graph: this many times the results needed (at least 100).
    pub candidate_factor: usize,
}

impl Default for TrackIndexOptions {
    fn default() -> Self {
        TrackIndexOptions {
            // Measured in docs/BENCHMARKS.md ("Searcher: latency"): the exact scan of a
            // sparse query is faster than the graph at every catalog size measured.
            hnsw_min_tracks: usize::MAX,
            hnsw: HnswParams::default(),
            candidate_factor: 2,
        }
    }
}

/// The calibrated values of every track, column by column, and the optional HNSW graph.
#[derive(Debug)]
pub struct TrackIndex {
    tracks: usize,
    /// `columns[c][i]`: the calibrated value of column `c` on track `i`.
    columns: Vec<Vec<f32>>,
    hnsw: Option<UnitHnsw>,
    options: TrackIndexOptions,
}

/// Which path ranked a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankPath {
    /// Every track scored.
    Exact,
    /// HNSW candidates, scored exactly.
    Hnsw,
}

/// The best tracks for a query.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// The best accepted tracks, best first, with their exact tag scores.
    pub hits: Vec<Scored>,
    /// Which path found them.
    pub path: RankPath,
}

impl TrackIndex {
    /// Calibrates `catalog` and builds the index (the graph too when the catalog has at least
    /// `options.hnsw_min_tracks` tracks).
    pub fn build(catalog: &Catalog, calibration: &Calibration, options: TrackIndexOptions) -> Self {
        let n = catalog.len();
        let d = catalog.columns().len();
        let matrix = catalog.probability_matrix();
        let mut columns = vec![Vec::with_capacity(n); d];
        for i in 0..n {
            let row = &matrix[i * d..(i + 1) * d];
            for (c, &p) in row.iter().enumerate() {
                columns[c].push(calibration.calibrate(c, p));
            }
        }
        let mut index = TrackIndex {
            tracks: n,
            columns,
            hnsw: None,
            options,
        };
        if n > 0 && n >= options.hnsw_min_tracks {
            index.hnsw = Some(index.build_hnsw());
        }
        index
    }

    /// The unit-length augmented vectors of every track (see the module docs) and the graph.
    fn build_hnsw(&self) -> UnitHnsw {
        let d = self.columns.len();
        let n = self.tracks;
        let norm2 = |i: usize| self.columns.iter().map(|c| c[i] * c[i]).sum::<f32>();
        let max_norm = (0..n).map(norm2).fold(0f32, f32::max).sqrt().max(1e-6);
        let mut rows = Vec::with_capacity(n * (d + 1));
        for i in 0..n {
            let mut sq = 0f32;
            for c in &self.columns {
                let x = c[i] / max_norm;
                sq += x * x;
                rows.push(x);
            }
            rows.push((1.0 - sq).max(0.0).sqrt());
        }
        tracing::info!(tracks = n, dims = d + 1, "building the tracks' HNSW graph");
        UnitHnsw::build(&rows, d + 1, self.options.hnsw)
    }

    /// Number of tracks.
    pub fn len(&self) -> usize {
        self.tracks
    }

    /// True without tracks.
    pub fn is_empty(&self) -> bool {
        self.tracks == 0
    }

    /// Whether the HNSW graph was built.
    pub fn has_hnsw(&self) -> bool {
        self.hnsw.is_some()
    }

    /// The calibrated value of `column` on `track`.
    pub fn calibrated(&self, column: usize, track: usize) -> f32 {
        self.columns[column][track]
    }

    /// The exact tag score of `track`.
    pub fn score(&self, query: &SparseQuery, track: usize) -> f32 {
        query
            .terms
            .iter()
            .map(|&(c, w)| contribution(w, self.columns[c][track]))
            .sum()
    }

    /// The best `k` tracks among those `accept` allows, by exact scan. Scores a block of
    /// [`BLOCK`] tracks at a time into a buffer that stays in cache, so the only memory traffic
    /// is the query's columns.
    pub fn exact_top(&self, query: &SparseQuery, k: usize, accept: Option<&[bool]>) -> Vec<Scored> {
        let mut top = TopK::new(k);
        let mut threshold = f32::NEG_INFINITY;
        let mut buf = [0f32; BLOCK];
        let mut start = 0;
        while start < self.tracks {
            let end = (start + BLOCK).min(self.tracks);
            let scores = &mut buf[..end - start];
            scores.fill(0.0);
            for &(c, w) in &query.terms {
                add_column(scores, &self.columns[c][start..end], w);
            }
            for (j, &s) in scores.iter().enumerate() {
                if s < threshold {
                    continue;
                }
                let i = start + j;
                if accept.is_some_and(|a| !a[i]) {
                    continue;
                }
                top.push(i, s);
                if let Some(t) = top.threshold() {
                    threshold = t;
                }
            }
            start = end;
        }
        top.into_sorted()
    }

    /// The best `k` tracks among those `accept` allows: through the graph when it is built and
    /// finds enough accepted candidates, else by exact scan.
    pub fn top(&self, query: &SparseQuery, k: usize, accept: Option<&[bool]>) -> Ranked {
        if let Some(hits) = self.hnsw_top(query, k, accept) {
            return Ranked {
                hits,
                path: RankPath::Hnsw,
            };
        }
        Ranked {
            hits: self.exact_top(query, k, accept),
            path: RankPath::Exact,
        }
    }

    /// The best `k` accepted tracks among the graph's candidates, scored exactly; `None` without
    /// a graph, for an empty query, or when too few candidates pass `accept`.
    pub fn hnsw_top(
        &self,
        query: &SparseQuery,
        k: usize,
        accept: Option<&[bool]>,
    ) -> Option<Vec<Scored>> {
        let hnsw = self.hnsw.as_ref()?;
        let mut q = vec![0f32; self.columns.len() + 1];
        for &(c, w) in &query.terms {
            q[c] += w;
        }
        let norm = dot(&q, &q).sqrt();
        if norm == 0.0 || k == 0 {
            return None;
        }
        q.iter_mut().for_each(|x| *x /= norm);
        let want = (k * self.options.candidate_factor)
            .max(100)
            .min(self.tracks);
        let mut top = TopK::new(k);
        let mut accepted = 0usize;
        for (i, _) in hnsw.search(&q, want) {
            if accept.is_none_or(|a| a[i]) {
                accepted += 1;
                top.push(i, self.score(query, i));
            }
        }
        let enough = accepted >= k.min(self.tracks);
        enough.then(|| top.into_sorted())
    }
}

/// Tracks scored at a time by [`TrackIndex::exact_top`].
pub const BLOCK: usize = 4096;

/// `scores += contribution(w, column)`, element-wise (vectorised: one branch per column).
#[inline]
fn add_column(scores: &mut [f32], column: &[f32], w: f32) {
    if w < 0.0 {
        for (s, x) in scores.iter_mut().zip(column) {
            *s += w * x.max(0.0);
        }
    } else {
        for (s, x) in scores.iter_mut().zip(column) {
            *s += w * x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tag score of every track: the reference the blocked scan is tested against.
    fn score_all(index: &TrackIndex, query: &SparseQuery) -> Vec<f32> {
        let mut scores = vec![0.0; index.tracks];
        for &(c, w) in &query.terms {
            add_column(&mut scores, &index.columns[c], w);
        }
        scores
    }

    /// The best `k` of `scores` among the accepted indices, best first, by sorting them all.
    fn top_of(scores: &[f32], k: usize, accept: Option<&[bool]>) -> Vec<Scored> {
        let mut all: Vec<Scored> = (0..scores.len())
            .filter(|&i| accept.is_none_or(|a| a[i]))
            .map(|id| Scored {
                id,
                score: scores[id],
            })
            .collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(k);
        all
    }

    /// An index over `n` tracks and 3 columns of deterministic pseudo-random values.
    fn index(n: usize) -> TrackIndex {
        let value =
            |c: usize, i: usize| (((i * 2654435761 + c * 40503) % 1000) as f32) / 100.0 - 5.0;
        TrackIndex {
            tracks: n,
            columns: (0..3)
                .map(|c| (0..n).map(|i| value(c, i)).collect())
                .collect(),
            hnsw: None,
            options: TrackIndexOptions::default(),
        }
    }

    #[test]
    fn the_blocked_scan_equals_scoring_everything() {
        let index = index(3 * BLOCK + 17);
        let query = SparseQuery {
            terms: vec![(0, 1.0), (2, 0.5), (1, -0.7)],
        };
        let mask: Vec<bool> = (0..index.len()).map(|i| i % 3 != 0).collect();
        for accept in [None, Some(mask.as_slice())] {
            let blocked = index.exact_top(&query, 25, accept);
            let full = top_of(&score_all(&index, &query), 25, accept);
            assert_eq!(blocked, full);
            for s in &blocked {
                assert!((s.score - index.score(&query, s.id)).abs() < 1e-4);
                assert!(accept.is_none_or(|a| a[s.id]));
            }
        }
    }

    #[test]
    fn a_negative_weight_only_pushes_down() {
        assert_eq!(contribution(-1.0, -2.0), 0.0);
        assert_eq!(contribution(-1.0, 2.0), -2.0);
        assert_eq!(contribution(0.5, -2.0), -1.0);
    }
}
