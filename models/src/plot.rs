//! Heat-map pictures (PNG) of spectrograms and, later, taggrams.
//!
//! [`ColumnPooler`] keeps a long time axis to a bounded number of columns while it streams
//! (averaging neighbouring columns, doubling the pooling as needed), so the picture of a
//! two-hour file costs no more memory than that of a song.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

/// Errors drawing a picture.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw picture: {reason}")]
pub struct PlotError {
    /// The picture file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Collects columns of a heat map (e.g. spectrogram frames), averaging neighbours so that at
/// most `max_cols` are kept.
#[derive(Debug, Clone)]
pub struct ColumnPooler {
    n_rows: usize,
    max_cols: usize,
    /// Input columns per kept column.
    pool: usize,
    cols: Vec<Vec<f32>>,
    acc: Vec<f32>,
    acc_count: usize,
}

impl ColumnPooler {
    /// A pooler for columns of `n_rows` values, keeping at most `max_cols` (≥ 2) columns.
    pub fn new(n_rows: usize, max_cols: usize) -> Self {
        ColumnPooler {
            n_rows,
            max_cols: max_cols.max(2),
            pool: 1,
            cols: Vec::new(),
            acc: vec![0.0; n_rows],
            acc_count: 0,
        }
    }

    /// Adds one column (`n_rows` values).
    pub fn push(&mut self, col: &[f32]) {
        for (a, &v) in self.acc.iter_mut().zip(col) {
            *a += v;
        }
        self.acc_count += 1;
        if self.acc_count == self.pool {
            self.flush_acc();
            if self.cols.len() > self.max_cols {
                self.cols = self
                    .cols
                    .chunks(2)
                    .map(|pair| {
                        (0..self.n_rows)
                            .map(|r| pair.iter().map(|c| c[r]).sum::<f32>() / pair.len() as f32)
                            .collect()
                    })
                    .collect();
                self.pool *= 2;
            }
        }
    }

    fn flush_acc(&mut self) {
        if self.acc_count > 0 {
            let n = self.acc_count as f32;
            self.cols.push(self.acc.iter().map(|v| v / n).collect());
            self.acc.iter_mut().for_each(|v| *v = 0.0);
            self.acc_count = 0;
        }
    }

    /// Input columns averaged into each kept column.
    pub fn pool(&self) -> usize {
        self.pool
    }

    /// The kept columns (a trailing partial group is averaged on its own).
    pub fn finish(mut self) -> Vec<Vec<f32>> {
        self.flush_acc();
        self.cols
    }
}

/// Draws `cols` (time on the x axis, row 0 at the bottom) as a viridis heat map PNG.
///
/// Values are mapped linearly from the data's minimum to its maximum. Each column is
/// `px_per_col` pixels wide and each row `px_per_row` pixels high.
pub fn heatmap_png(
    path: &Path,
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
) -> Result<(), PlotError> {
    let err = |reason: String| PlotError {
        path: path.to_owned(),
        reason,
    };
    let n_rows = cols.first().map_or(0, Vec::len);
    if cols.is_empty() || n_rows == 0 {
        return Err(err("nothing to draw".into()));
    }
    let (lo, hi) = cols
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo, lo + 1.0) };
    let (w, h) = (cols.len() as u32 * px_per_col, n_rows as u32 * px_per_row);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    for (x, col) in cols.iter().enumerate() {
        for (r, &v) in col.iter().enumerate() {
            let color = ViridisRGB::get_color_normalized(v, lo, hi);
            let x0 = x as i32 * px_per_col as i32;
            let y0 = (n_rows - 1 - r) as i32 * px_per_row as i32;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + px_per_col as i32, y0 + px_per_row as i32)],
                color.filled(),
            ))
            .map_err(|e| err(e.to_string()))?;
        }
    }
    root.present().map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooler_bounds_columns_and_preserves_mean() {
        let mut p = ColumnPooler::new(2, 100);
        for i in 0..1000 {
            p.push(&[i as f32, 1.0]);
        }
        let pool = p.pool();
        let cols = p.finish();
        assert!(cols.len() <= 101, "{} columns", cols.len());
        assert_eq!(pool, 16);
        // First kept column averages inputs 0..16.
        assert!((cols[0][0] - 7.5).abs() < 1e-4);
        assert!(cols.iter().all(|c| (c[1] - 1.0).abs() < 1e-6));
    }

    #[test]
    fn draws_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let cols: Vec<Vec<f32>> = (0..10)
            .map(|i| (0..4).map(|r| (i * r) as f32).collect())
            .collect();
        heatmap_png(&path, &cols, 2, 3).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
