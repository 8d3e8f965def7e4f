//! Per-tag calibration across the catalog.
//!
//! Tags have very different base rates: a musicnn `rock` probability of 0.3 is unremarkable, a
//! `harpsichord` probability of 0.3 is a strong signal. Each (model, tag) column is mapped to
//! its **standardised logit**: `(logit(p) − μ) / σ`, with μ and σ the mean and standard
//! deviation of the logit over the catalog. 0 is a typical track, +2 a track two standard
//! deviations above the catalog's mean. Logits spread out the saturated ends of the
//! probability scale, where most of the information of a rare tag lies. Values are clipped to
//! ±[`CLIP`] so that one saturated probability cannot dominate a weighted sum.

/// Calibrated values are clipped to `[-CLIP, CLIP]`.
pub const CLIP: f32 = 6.0;

/// Probabilities are clamped to `[EPS, 1 − EPS]` before the logit.
const EPS: f32 = 1e-6;

/// The smallest standard deviation used (a tag constant over the catalog calibrates to 0).
const MIN_SD: f32 = 1e-3;

/// `ln(p / (1 − p))`, with `p` clamped away from 0 and 1.
pub fn logit(p: f32) -> f32 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

/// The calibration of every column: logit mean and standard deviation, and the base rate
/// (mean probability).
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    mean: Vec<f32>,
    sd: Vec<f32>,
    base_rate: Vec<f32>,
}

impl Calibration {
    /// Fits the calibration of `columns` columns from row-major probabilities
    /// (`rows × columns`). NaN marks a missing value and is left out.
    pub fn fit(probabilities: &[f32], columns: usize) -> Calibration {
        let mut sum = vec![0f64; columns];
        let mut sum_sq = vec![0f64; columns];
        let mut sum_p = vec![0f64; columns];
        let mut count = vec![0usize; columns];
        if columns > 0 {
            for row in probabilities.chunks_exact(columns) {
                for (c, &p) in row.iter().enumerate() {
                    if p.is_nan() {
                        continue;
                    }
                    let l = logit(p) as f64;
                    sum[c] += l;
                    sum_sq[c] += l * l;
                    sum_p[c] += p as f64;
                    count[c] += 1;
                }
            }
        }
        let mut mean = vec![0f32; columns];
        let mut sd = vec![1f32; columns];
        let mut base_rate = vec![0f32; columns];
        for c in 0..columns {
            if count[c] == 0 {
                continue;
            }
            let n = count[c] as f64;
            let m = sum[c] / n;
            let var = (sum_sq[c] / n - m * m).max(0.0);
            mean[c] = m as f32;
            sd[c] = (var.sqrt() as f32).max(MIN_SD);
            base_rate[c] = (sum_p[c] / n) as f32;
        }
        Calibration {
            mean,
            sd,
            base_rate,
        }
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.mean.len()
    }

    /// The calibrated value of probability `p` in column `column` (0 for a missing value).
    pub fn calibrate(&self, column: usize, p: f32) -> f32 {
        if p.is_nan() {
            return 0.0;
        }
        ((logit(p) - self.mean[column]) / self.sd[column]).clamp(-CLIP, CLIP)
    }

    /// The mean probability of `column` over the catalog.
    pub fn base_rate(&self, column: usize) -> f32 {
        self.base_rate[column]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_each_column_on_its_own_scale() {
        // Column 0 is a common tag, column 1 a rare one; the same rank maps to the same value.
        let rows: Vec<[f32; 2]> = vec![[0.2, 0.001], [0.4, 0.01], [0.6, 0.1]];
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let cal = Calibration::fit(&flat, 2);
        let (a, b) = (cal.calibrate(0, 0.6), cal.calibrate(1, 0.1));
        assert!(a > 1.0 && b > 1.0, "{a} {b}");
        assert!(cal.calibrate(1, 0.001) < -1.0);
        assert!((cal.base_rate(1) - 0.037).abs() < 1e-3);
        let mean: f32 = rows.iter().map(|r| cal.calibrate(0, r[0])).sum::<f32>() / 3.0;
        assert!(mean.abs() < 1e-5);
    }

    #[test]
    fn constant_and_missing_columns_calibrate_to_zero() {
        let cal = Calibration::fit(&[0.5, f32::NAN, 0.5, f32::NAN], 2);
        assert_eq!(cal.calibrate(0, 0.5), 0.0);
        assert_eq!(cal.calibrate(1, f32::NAN), 0.0);
        assert!(cal.calibrate(0, 0.999_999_9) <= CLIP);
    }
}
