//! t-SNE (van der Maaten & Hinton 2008; Barnes–Hut: van der Maaten 2014) of a set of vectors
//! to 2-D, through `linfa-tsne`, with a seeded generator and coordinates normalised to
//! `[-1, 1]`.

use linfa::traits::Transformer;
use linfa_tsne::TSneParams;
use ndarray::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{barnes_hut, MapError};

/// The knobs of one t-SNE run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TsneParams {
    /// The perplexity: roughly how many neighbours each point keeps close. Lowered to
    /// `(n − 1) / 3` when there are too few points for it (see [`TsneParams::effective_perplexity`]).
    pub perplexity: f64,
    /// Seed of the initial layout (xoshiro256++): the same seed and inputs give the same map.
    pub seed: u64,
    /// Gradient-descent iterations.
    pub max_iter: usize,
    /// Barnes–Hut accuracy θ: 0 computes the exact gradient (O(n²) per iteration, fine for a
    /// few hundred points); 0.5 is the usual approximation for thousands.
    pub theta: f64,
}

impl TsneParams {
    /// The perplexity used for `n` distinct points: [`TsneParams::perplexity`], lowered so that
    /// `3 · perplexity ≤ n − 1` (t-SNE's neighbourhoods must fit in the data).
    pub fn effective_perplexity(&self, n: usize) -> f64 {
        // A hair under (n − 1) / 3, so that 3 · p never rounds above n − 1.
        let most = n.saturating_sub(1) as f64 / 3.0 * (1.0 - 1e-9);
        self.perplexity.min(most)
    }
}

/// Embeds `rows` (all of one length ≥ 2, finite) in 2-D: one `[x, y]` per row, normalised so
/// that the layout's bounding box is centred on the origin and its longer side spans exactly
/// `[-1, 1]` (the aspect ratio is kept). Identical rows share one point (they are embedded
/// once, which also keeps the Barnes–Hut neighbour search free of ties). No rows give no
/// points; one distinct row puts every point at the origin.
pub fn embed(rows: &[Vec<f32>], params: &TsneParams) -> Result<Vec<[f32; 2]>, MapError> {
    validate(rows, params)?;
    let (distinct, of_row) = dedup(rows);
    let layout = match distinct.len() {
        0 => Vec::new(),
        1 => vec![[0.0, 0.0]],
        _ => run_tsne(rows, &distinct, params)?,
    };
    let layout = normalise(&layout);
    Ok(of_row.iter().map(|&d| layout[d]).collect())
}

fn validate(rows: &[Vec<f32>], params: &TsneParams) -> Result<(), MapError> {
    let invalid = |message: String| Err(MapError::InvalidInput { message });
    if !(params.perplexity.is_finite() && params.perplexity > 0.0) {
        return invalid(format!(
            "perplexity must be positive, not {}",
            params.perplexity
        ));
    }
    if !(params.theta.is_finite() && params.theta >= 0.0) {
        return invalid(format!("theta must be ≥ 0, not {}", params.theta));
    }
    if params.max_iter == 0 {
        return invalid("max_iter must be at least 1".into());
    }
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let dim = first.len();
    if dim < 2 {
        return invalid(format!("vectors need at least 2 dimensions, not {dim}"));
    }
    for (i, row) in rows.iter().enumerate() {
        if row.len() != dim {
            return invalid(format!(
                "vector {i} has {} dimensions, the first has {dim}",
                row.len()
            ));
        }
        if let Some(v) = row.iter().find(|v| !v.is_finite()) {
            return invalid(format!("vector {i} holds a non-finite value ({v})"));
        }
    }
    Ok(())
}

/// The distinct rows (indices of their first occurrence) and, for every row, the index of its
/// distinct row.
fn dedup(rows: &[Vec<f32>]) -> (Vec<usize>, Vec<usize>) {
    let mut seen = std::collections::HashMap::new();
    let mut distinct = Vec::new();
    let of_row = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            // `+ 0.0` folds -0.0 into 0.0, which is the same point.
            let bits: Vec<u32> = row.iter().map(|v| (v + 0.0).to_bits()).collect();
            *seen.entry(bits).or_insert_with(|| {
                distinct.push(i);
                distinct.len() - 1
            })
        })
        .collect();
    (distinct, of_row)
}

/// Runs linfa-tsne on the `distinct` rows (at least two): raw coordinates, one per distinct row.
fn run_tsne(
    rows: &[Vec<f32>],
    distinct: &[usize],
    params: &TsneParams,
) -> Result<Vec<[f64; 2]>, MapError> {
    let (n, dim) = (distinct.len(), rows[distinct[0]].len());
    let mut data: Vec<f64> = distinct
        .iter()
        .flat_map(|&i| rows[i].iter().map(|&v| f64::from(v)))
        .collect();
    let perplexity = params.effective_perplexity(n);
    let mut theta = params.theta;
    if theta > 0.0 {
        barnes_hut::condition(&mut data, n, dim);
        barnes_hut::break_ties(&mut data, params.seed);
        if !barnes_hut::is_safe(&data, n, dim, perplexity) {
            tracing::warn!(
                "Barnes–Hut t-SNE would fail on these {n} points (see map::barnes_hut); \
                 using the exact gradient, which is slower"
            );
            theta = 0.0;
        }
    }
    let data = Array2::from_shape_vec((n, dim), data).map_err(|e| MapError::Tsne {
        message: e.to_string(),
    })?;
    let rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let embedding = TSneParams::embedding_size_with_rng(2, rng)
        .perplexity(perplexity)
        .approx_threshold(theta)
        .max_iter(params.max_iter)
        .transform(data)
        .map_err(|e| MapError::Tsne {
            message: e.to_string(),
        })?;
    let out: Vec<[f64; 2]> = embedding.rows().into_iter().map(|r| [r[0], r[1]]).collect();
    if out.iter().flatten().any(|v| !v.is_finite()) {
        return Err(MapError::Tsne {
            message: format!("the layout of {n} points diverged (non-finite coordinates)"),
        });
    }
    Ok(out)
}

/// Centres the bounding box on the origin and scales its longer side to `[-1, 1]`.
fn normalise(layout: &[[f64; 2]]) -> Vec<[f32; 2]> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for p in layout {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]);
            hi[d] = hi[d].max(p[d]);
        }
    }
    let half_span = (0..2).map(|d| (hi[d] - lo[d]) / 2.0).fold(0.0, f64::max);
    let scale = if half_span > 0.0 {
        1.0 / half_span
    } else {
        0.0
    };
    layout
        .iter()
        .map(|p| {
            let c = |d: usize| (((p[d] - (lo[d] + hi[d]) / 2.0) * scale) as f32).clamp(-1.0, 1.0);
            [c(0), c(1)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(seed: u64) -> TsneParams {
        TsneParams {
            perplexity: 5.0,
            seed,
            max_iter: 1000,
            theta: 0.0,
        }
    }

    /// Two well-separated clusters of 12 points in 5-D, a fixed pseudo-random jitter.
    fn two_clusters() -> Vec<Vec<f32>> {
        (0..24)
            .map(|i| {
                let centre = if i < 12 { 0.0 } else { 10.0 };
                (0..5)
                    .map(|d| centre + ((i * 7 + d * 13) % 11) as f32 / 11.0)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn normalised_to_the_unit_square_and_clusters_kept() {
        let rows = two_clusters();
        let pts = embed(&rows, &params(1)).unwrap();
        assert_eq!(pts.len(), rows.len());
        assert!(pts.iter().flatten().all(|v| (-1.0..=1.0).contains(v)));
        // The longer side spans exactly [-1, 1].
        let span = |d: usize| {
            let (lo, hi) = pts.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
                (lo.min(p[d]), hi.max(p[d]))
            });
            hi - lo
        };
        assert!((span(0).max(span(1)) - 2.0).abs() < 1e-5);
        // The clusters stay apart: every point lies nearer every point of its own cluster
        // than any point of the other.
        let dist =
            |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        for i in 0..24 {
            let own = |j: &usize| (i < 12) == (*j < 12);
            let farthest_own = (0..24)
                .filter(own)
                .map(|j| dist(pts[i], pts[j]))
                .fold(0.0, f32::max);
            let nearest_other = (0..24)
                .filter(|j| !own(j))
                .map(|j| dist(pts[i], pts[j]))
                .fold(f32::MAX, f32::min);
            assert!(
                farthest_own < nearest_other,
                "point {i}: {farthest_own} vs {nearest_other}"
            );
        }
    }

    #[test]
    fn seeded_runs_repeat_and_seeds_differ() {
        let rows = two_clusters();
        let a = embed(&rows, &params(7)).unwrap();
        assert_eq!(a, embed(&rows, &params(7)).unwrap());
        assert_ne!(a, embed(&rows, &params(8)).unwrap());
    }

    #[test]
    fn barnes_hut_runs_repeat_and_stay_finite() {
        // Distant groups: the case bhtsne's sparse search gets wrong without conditioning.
        let rows: Vec<Vec<f32>> = (0..90)
            .map(|i| {
                (0..30)
                    .map(|t| {
                        let base = if t % 3 == i % 3 { 0.8 } else { 0.05 };
                        base + ((i * 31 + t * 17) % 13) as f32 / 100.0
                    })
                    .collect()
            })
            .collect();
        let bh = TsneParams {
            perplexity: 20.0,
            theta: 0.5,
            ..params(3)
        };
        let a = embed(&rows, &bh).unwrap();
        assert!(a.iter().flatten().all(|v| v.is_finite() && v.abs() <= 1.0));
        assert_eq!(a, embed(&rows, &bh).unwrap());
    }

    #[test]
    fn duplicates_share_a_point_and_degenerate_inputs_work() {
        let mut rows = two_clusters();
        rows.push(rows[3].clone());
        let pts = embed(&rows, &params(1)).unwrap();
        assert_eq!(pts[24], pts[3]);
        assert!(embed(&[], &params(1)).unwrap().is_empty());
        let same = vec![vec![1.0, 2.0]; 5];
        assert_eq!(embed(&same, &params(1)).unwrap(), vec![[0.0, 0.0]; 5]);
        // Few points: the perplexity is lowered rather than refused.
        for n in 2..6 {
            let rows: Vec<Vec<f32>> = (0..n).map(|i| vec![i as f32, (i * i) as f32]).collect();
            let pts = embed(&rows, &params(1)).unwrap();
            assert_eq!(pts.len(), n);
            assert!(pts
                .iter()
                .flatten()
                .all(|v| v.is_finite() && v.abs() <= 1.0));
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let ragged = vec![vec![1.0, 2.0], vec![1.0]];
        assert!(matches!(
            embed(&ragged, &params(1)),
            Err(MapError::InvalidInput { .. })
        ));
        let nan = vec![vec![1.0, f32::NAN], vec![1.0, 2.0]];
        assert!(embed(&nan, &params(1)).is_err());
        assert!(embed(&[vec![1.0], vec![2.0]], &params(1)).is_err());
        let bad = TsneParams {
            perplexity: -1.0,
            ..params(1)
        };
        assert!(embed(&two_clusters(), &bad).is_err());
    }
}
