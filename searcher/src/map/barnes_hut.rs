//! Keeping linfa-tsne's Barnes–Hut path away from a fault of the crate underneath (bhtsne 0.4).
//!
//! bhtsne's sparse (Barnes–Hut) perplexity search starts each point's precision at β = 1 and,
//! when the entropy there is already *below* the target (the neighbours lie far apart in
//! bhtsne's units), sets β negative and keeps doubling it; the row of P turns to NaN, and the
//! space-partitioning tree built on NaN coordinates recurses until the stack overflows (the
//! exact path halves β instead and is not affected). bhtsne first centres the data and divides
//! it by its largest absolute entry, so the danger depends on the data's orientation:
//!
//! * [`condition`] centres the rows and reflects them (a Householder reflection, which keeps
//!   every distance) so that the row farthest from the centre lies on the first axis: the
//!   largest entry is then that row's norm R, and every distance in bhtsne's units is at most 2;
//! * [`is_safe`] checks, before running, that every point's entropy at β = 1 over its
//!   neighbours reaches the target, so that β is only ever raised from 1 and stays positive.
//!
//! When the check fails the caller uses the exact gradient instead.
//!
//! bhtsne's neighbour search (a vantage-point tree) picks its vantage points with an unseeded
//! generator, so neighbours at exactly equal distances may come back in either order from run
//! to run; [`break_ties`] moves every point by a seeded, negligible amount (10⁻⁹ of the data's
//! radius) so that no two distances are equal and the map stays reproducible.

/// Centres `data` (`n` rows of `d`) and reflects it so that its farthest row lies on the first
/// axis. Distances between rows are unchanged (up to rounding).
pub fn condition(data: &mut [f64], n: usize, d: usize) {
    let mut mean = vec![0.0; d];
    for row in data.chunks(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f64;
        }
    }
    for row in data.chunks_mut(d) {
        for (v, m) in row.iter_mut().zip(&mean) {
            *v -= m;
        }
    }
    let norm = |row: &[f64]| row.iter().map(|v| v * v).sum::<f64>().sqrt();
    let Some((far, radius)) = data
        .chunks(d)
        .map(norm)
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return;
    };
    // The reflection across the hyperplane normal to u = x_far − R·e₁ maps x_far onto R·e₁.
    let mut u = data[far * d..(far + 1) * d].to_vec();
    u[0] -= radius;
    let uu: f64 = u.iter().map(|v| v * v).sum();
    if uu == 0.0 {
        return;
    }
    for row in data.chunks_mut(d) {
        let f = 2.0 * row.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>() / uu;
        for (v, w) in row.iter_mut().zip(&u) {
            *v -= f * w;
        }
    }
}

/// Adds a seeded jitter of 10⁻⁹ times the largest absolute entry to every entry of `data`.
pub fn break_ties(data: &mut [f64], seed: u64) {
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x7469_6573);
    let size = 1e-9 * data.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
    for v in data.iter_mut() {
        // Uniform in [-1, 1).
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
        *v += size * u;
    }
}

/// Whether bhtsne's sparse perplexity search stays on positive precisions for `data` (`n`
/// distinct rows of `d`) at `perplexity`: every point's entropy at β = 1 over its
/// ⌊3·perplexity⌋ nearest neighbours, with the data scaled as bhtsne scales it, is at least
/// ln(perplexity). O(n²·d).
pub fn is_safe(data: &[f64], n: usize, d: usize, perplexity: f64) -> bool {
    let k = (3.0 * perplexity) as usize;
    if k == 0 || k >= n {
        return false;
    }
    let mean: Vec<f64> = (0..d)
        .map(|j| data.chunks(d).map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let scale = data
        .chunks(d)
        .flat_map(|r| r.iter().zip(&mean).map(|(v, m)| (v - m).abs()))
        .fold(0.0, f64::max);
    if scale == 0.0 {
        return false;
    }
    let target = perplexity.ln();
    let mut dist2 = vec![0.0; n - 1];
    (0..n).all(|i| {
        let a = &data[i * d..(i + 1) * d];
        let others = (0..n).filter(|&j| j != i);
        for (slot, j) in dist2.iter_mut().zip(others) {
            let b = &data[j * d..(j + 1) * d];
            *slot = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / (scale * scale);
        }
        dist2.select_nth_unstable_by(k - 1, f64::total_cmp);
        let near = &dist2[..k];
        let sum: f64 = near.iter().map(|q| (-q).exp()).sum::<f64>() + f64::MIN_POSITIVE;
        let entropy = near.iter().map(|q| q * (-q).exp()).sum::<f64>() / sum + sum.ln();
        entropy >= target
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points in three tight, distant groups in 20-D.
    fn groups(n: usize) -> Vec<f64> {
        (0..n)
            .flat_map(|i| {
                (0..20).map(move |t| {
                    let base = if t % 3 == i % 3 { 5.0 } else { 0.0 };
                    base + ((i * 31 + t * 17) % 13) as f64 / 130.0
                })
            })
            .collect()
    }

    fn distances(data: &[f64], n: usize, d: usize) -> Vec<f64> {
        let mut out = Vec::new();
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (&data[i * d..(i + 1) * d], &data[j * d..(j + 1) * d]);
                out.push(
                    a.iter()
                        .zip(b)
                        .map(|(x, y)| (x - y).powi(2))
                        .sum::<f64>()
                        .sqrt(),
                );
            }
        }
        out
    }

    #[test]
    fn conditioning_keeps_distances_and_bounds_entries() {
        let (n, d) = (60, 20);
        let mut data = groups(n);
        let before = distances(&data, n, d);
        condition(&mut data, n, d);
        for (a, b) in before.iter().zip(distances(&data, n, d)) {
            assert!((a - b).abs() < 1e-9 * a.max(1.0), "{a} vs {b}");
        }
        // The largest entry is the largest row norm, on the first axis.
        let norms: Vec<f64> = data
            .chunks(d)
            .map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt())
            .collect();
        let radius = norms.iter().copied().fold(0.0, f64::max);
        let largest = data.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!((largest - radius).abs() < 1e-9, "{largest} vs {radius}");
    }

    #[test]
    fn distant_groups_are_unsafe_until_conditioned() {
        let (n, d) = (60, 20);
        let mut data = groups(n);
        // Raw: the groups lie far apart in bhtsne's units, the search would go negative.
        // (58 neighbours: the 19 of a point's own group and 39 at a distance.)
        let perplexity = 19.6;
        assert!(!is_safe(&data, n, d, perplexity));
        condition(&mut data, n, d);
        assert!(is_safe(&data, n, d, perplexity));
        // Too few points for the perplexity.
        assert!(!is_safe(&data[..5 * d], 5, d, perplexity));
    }
}
