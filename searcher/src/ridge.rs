//! A multi-output ridge regression, used to learn from the tag glosses a linear map from word
//! space to tags: `W = argmin ‖XW − Y‖² + λ‖W‖²`, solved through the normal equations
//! `(XᵀX + λI) W = XᵀY` with a Cholesky factorisation (the system is symmetric positive
//! definite for λ > 0).

// Index loops read like the textbook formulas of the factorisation; iterators would not.
#![allow(clippy::needless_range_loop)]

/// Fit `W` (d × k, row-major) from examples `x` (each of length d) with targets `y` (each of
/// length k) and ridge penalty `lambda` (> 0).
pub fn fit(x: &[Vec<f32>], y: &[Vec<f32>], lambda: f64) -> Vec<Vec<f32>> {
    let d = x.first().map_or(0, Vec::len);
    let k = y.first().map_or(0, Vec::len);
    // A = XᵀX + λI, B = XᵀY, in f64 for a stable factorisation.
    let mut a = vec![vec![0f64; d]; d];
    let mut b = vec![vec![0f64; k]; d];
    for (xi, yi) in x.iter().zip(y) {
        for p in 0..d {
            let xp = f64::from(xi[p]);
            if xp == 0.0 {
                continue;
            }
            for q in p..d {
                a[p][q] += xp * f64::from(xi[q]);
            }
            for (c, &yc) in yi.iter().enumerate() {
                if yc != 0.0 {
                    b[p][c] += xp * f64::from(yc);
                }
            }
        }
    }
    for p in 0..d {
        a[p][p] += lambda;
        for q in 0..p {
            a[p][q] = a[q][p];
        }
    }
    // Cholesky: A = L Lᵀ (L stored in the lower triangle of `a`).
    for j in 0..d {
        let mut s = a[j][j];
        for m in 0..j {
            s -= a[j][m] * a[j][m];
        }
        let ljj = s.max(1e-12).sqrt();
        a[j][j] = ljj;
        for i in j + 1..d {
            let mut s = a[i][j];
            for m in 0..j {
                s -= a[i][m] * a[j][m];
            }
            a[i][j] = s / ljj;
        }
    }
    // Solve L Z = B, then Lᵀ W = Z, column by column.
    let mut w = vec![vec![0f32; k]; d];
    for c in 0..k {
        let mut z = vec![0f64; d];
        for i in 0..d {
            let mut s = b[i][c];
            for m in 0..i {
                s -= a[i][m] * z[m];
            }
            z[i] = s / a[i][i];
        }
        for i in (0..d).rev() {
            let mut s = z[i];
            for m in i + 1..d {
                s -= a[m][i] * f64::from(w[m][c]);
            }
            w[i][c] = (s / a[i][i]) as f32;
        }
    }
    w
}

/// `v W`: the k outputs for an input `v` of length d.
pub fn apply(w: &[Vec<f32>], v: &[f32]) -> Vec<f32> {
    let k = w.first().map_or(0, Vec::len);
    let mut out = vec![0f32; k];
    for (row, &x) in w.iter().zip(v) {
        if x != 0.0 {
            for (o, r) in out.iter_mut().zip(row) {
                *o += x * r;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_map() {
        // y = [2 x0 - x1, x1 + 3 x2] exactly; a tiny ridge penalty barely shrinks it.
        let xs: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                let t = i as f32;
                vec![(t * 0.37).sin(), (t * 0.91).cos(), (t * 0.13).sin() + 0.5]
            })
            .collect();
        let ys: Vec<Vec<f32>> = xs
            .iter()
            .map(|x| vec![2.0 * x[0] - x[1], x[1] + 3.0 * x[2]])
            .collect();
        let w = fit(&xs, &ys, 1e-6);
        let expected = [[2.0, 0.0], [-1.0, 1.0], [0.0, 3.0]];
        for (row, e) in w.iter().zip(expected) {
            for (a, b) in row.iter().zip(e) {
                assert!((a - b).abs() < 1e-3, "{w:?}");
            }
        }
        let out = apply(&w, &[1.0, 0.0, 0.0]);
        assert!((out[0] - 2.0).abs() < 1e-3 && out[1].abs() < 1e-3);
    }
}
