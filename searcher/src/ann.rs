//! Approximate nearest neighbours by inner product over unit vectors (hnsw_rs), and an exact
//! bounded top-k: the one HNSW wrapper, shared by the track ranking ([`crate::track_index`]),
//! similar tracks ([`crate::similar`]) and the vocabulary's neighbours ([`crate::neighbours`]).

use std::cmp::Ordering;

use hnsw_rs::prelude::{Distance, Hnsw};

/// `1 − a·b` for unit vectors, floored at 0. hnsw_rs's own `DistDot` asserts `a·b ≤ 1`,
/// which rounding breaks for nearly identical vectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitDot;

impl Distance<f32> for UnitDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// Dot product. Runs the same eight-lane loop compiled for AVX when the processor has it
/// (chosen at run time; the build targets baseline x86-64), so the result is bit-identical
/// either way: only the instruction width changes, not the order of the additions.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor supports AVX (checked just above).
        return unsafe { dot_avx(a, b) };
    }
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn dot_avx(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

/// The loop behind [`dot`], for callers that compile a whole loop of dot products for AVX at
/// once (one feature check per loop instead of one per product; inlined into their code).
#[inline(always)]
pub(crate) fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    // Eight accumulators: the compiler vectorises this loop.
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (x, y) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a[chunks..]
        .iter()
        .zip(&b[chunks..])
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

/// Graph parameters of an HNSW index.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HnswParams {
    /// Links per node and layer (hnsw_rs's `max_nb_connection`).
    pub max_connections: usize,
    /// Candidate list size while building.
    pub ef_construction: usize,
    /// Candidate list size while searching (raised to the number of results asked for).
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            max_connections: 24,
            ef_construction: 200,
            ef_search: 96,
        }
    }
}

/// An HNSW graph over unit vectors, searched by inner product.
pub struct UnitHnsw {
    hnsw: Hnsw<'static, f32, UnitDot>,
    params: HnswParams,
}

impl std::fmt::Debug for UnitHnsw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitHnsw")
            .field("points", &self.hnsw.get_nb_point())
            .field("params", &self.params)
            .finish()
    }
}

impl UnitHnsw {
    /// Builds the graph over `rows` (`n × dim`, row-major, each row of unit length or zero);
    /// the id of row `i` is `i`. Inserts in parallel.
    pub fn build(rows: &[f32], dim: usize, params: HnswParams) -> UnitHnsw {
        let n = rows.len().checked_div(dim).unwrap_or(0);
        let hnsw = Hnsw::new(
            params.max_connections,
            n.max(1),
            16,
            params.ef_construction,
            UnitDot,
        );
        let data: Vec<(&[f32], usize)> =
            (0..n).map(|i| (&rows[i * dim..(i + 1) * dim], i)).collect();
        for chunk in data.chunks(8192) {
            hnsw.parallel_insert_slice(&chunk.to_vec());
        }
        let mut hnsw = hnsw;
        hnsw.set_searching_mode(true);
        UnitHnsw { hnsw, params }
    }

    /// The ids of about the `k` rows of largest inner product with the unit vector `query`, best
    /// first, with the inner product.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        self.search_with_ef(query, k, self.params.ef_search)
    }

    /// [`UnitHnsw::search`] with a candidate list of `ef` (raised to `k`) instead of the
    /// graph's `ef_search`.
    pub fn search_with_ef(&self, query: &[f32], k: usize, ef: usize) -> Vec<(usize, f32)> {
        let ef = ef.max(k);
        self.hnsw
            .search(query, k, ef)
            .into_iter()
            .map(|n| (n.d_id, 1.0 - n.distance))
            .collect()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// True without points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A scored item, ordered by score, ties broken by the smaller id first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The item (a track index).
    pub id: usize,
    /// Its score (higher is better).
    pub score: f32,
}

impl Eq for Scored {}

impl Ord for Scored {
    /// "Greater" means ranked earlier: higher score, then smaller id.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.id.cmp(&self.id))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the `k` best of a stream of scored items.
///
/// Items that may still belong to the best `k` are appended to a buffer; when it holds `2k`,
/// a selection keeps the best `k` and their worst becomes the cut-off below which items are
/// refused. Each offer is then a comparison and, rarely, a push: O(1) amortised, where a
/// binary heap pays O(log k) per replacement (which shows for `k` in the hundreds).
#[derive(Debug)]
pub struct TopK {
    k: usize,
    /// Candidates: the best `k` of the items so far are among them.
    buf: Vec<Scored>,
    /// The worst of the best `k` at the last selection (nothing at or below it can enter).
    cutoff: Option<Scored>,
}

impl TopK {
    /// Keeps `k` items.
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            buf: Vec::with_capacity(k.saturating_mul(2).min(1 << 20)),
            cutoff: None,
        }
    }

    /// Offers an item.
    #[inline]
    pub fn push(&mut self, id: usize, score: f32) {
        if self.k == 0 {
            return;
        }
        let item = Scored { id, score };
        if self.cutoff.is_some_and(|c| item <= c) {
            return;
        }
        self.buf.push(item);
        if self.buf.len() >= self.k.saturating_mul(2) {
            self.select();
        }
    }

    /// Keeps the best `k` of the buffer and raises the cut-off to their worst.
    fn select(&mut self) {
        let k = self.k;
        if self.buf.len() > k {
            self.buf.select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
            self.buf.truncate(k);
        }
        if self.buf.len() == k {
            self.cutoff = self.buf.iter().min().copied();
        }
    }

    /// A score below which no item can enter any more, once known (every item scoring less
    /// is refused by [`TopK::push`] too; callers use it to skip work).
    #[inline]
    pub fn threshold(&self) -> Option<f32> {
        self.cutoff.map(|c| c.score)
    }

    /// The items kept, best first.
    pub fn into_sorted(mut self) -> Vec<Scored> {
        if self.k == 0 {
            return Vec::new();
        }
        self.select();
        self.buf.sort_unstable_by(|a, b| b.cmp(a));
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_best_k_with_ties_by_smaller_id() {
        let scores: Vec<f32> = (0..5000usize)
            .map(|i| ((i * 2654435761) % 997) as f32 / 7.0)
            .collect();
        for k in [0, 1, 2, 10, 999, 1000, 4999, 5000, 6000] {
            let mut top = TopK::new(k);
            for (i, &s) in scores.iter().enumerate() {
                top.push(i, s);
            }
            let mut all: Vec<Scored> = scores
                .iter()
                .enumerate()
                .map(|(id, &score)| Scored { id, score })
                .collect();
            all.sort_by(|a, b| b.cmp(a));
            all.truncate(k);
            assert_eq!(top.into_sorted(), all, "k = {k}");
        }
    }

    #[test]
    fn the_dispatched_dot_is_bit_identical_to_the_portable_loop() {
        for n in [0, 1, 7, 8, 9, 50, 300, 301] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.3)
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 53 % 89) as f32 - 44.0) / 3.1)
                .collect();
            assert_eq!(
                dot(&a, &b).to_bits(),
                dot_lanes(&a, &b).to_bits(),
                "n = {n}"
            );
        }
    }

    #[test]
    fn top_k_keeps_the_best_in_order_with_stable_ties() {
        let mut top = TopK::new(3);
        for (i, s) in [0.1, 0.5, 0.3, 0.5, 0.9, 0.0].iter().enumerate() {
            top.push(i, *s);
        }
        let ids: Vec<usize> = top.into_sorted().iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![4, 1, 3]);
    }

    #[test]
    fn hnsw_finds_the_exact_neighbours_of_a_small_set() {
        let dim = 8;
        let mut rows = Vec::new();
        for i in 0..200 {
            let mut v: Vec<f32> = (0..dim)
                .map(|j| ((i * 7 + j * 13) % 17) as f32 - 8.0)
                .collect();
            let n = dot(&v, &v).sqrt();
            v.iter_mut().for_each(|x| *x /= n);
            rows.extend(v);
        }
        let index = UnitHnsw::build(&rows, dim, HnswParams::default());
        assert_eq!(index.len(), 200);
        let q = &rows[5 * dim..6 * dim];
        let found = index.search(q, 1);
        assert!((found[0].1 - 1.0).abs() < 1e-5, "{found:?}");
    }
}
