//! Pictures (PNG): heat maps of spectrograms and taggrams, labelled scatter plots (the
//! t-SNE maps) and line charts (training curves).
//!
//! Each picture is drawn in memory and returned as PNG bytes (`render_*`): a server sends them
//! as they are. The `*_png` functions write those bytes to a file, for the command line.
//!
//! [`ColumnPooler`] keeps a long time axis to a bounded number of columns while it streams
//! (averaging neighbouring columns, doubling the pooling as needed), so the picture of a
//! two-hour file costs no more memory than that of a song.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod charts;

pub use charts::{
    line_chart_png, render_line_chart, render_scatter, scatter_png, Line, ScatterPoint,
};

/// Errors drawing a picture.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// There is nothing to draw (no rows, no points, no finite value).
    #[error("cannot draw picture: nothing to draw")]
    Empty,
    /// The inputs do not fit together (labels for other rows, a point without a legend entry).
    #[error("cannot draw picture: {0}")]
    Mismatch(String),
    /// The drawing library failed (its message).
    #[error("cannot draw picture: {0}")]
    Draw(String),
    /// The embedded font could not be read.
    #[error("cannot draw picture: the embedded DejaVu Sans font cannot be read")]
    Font,
    /// The pixels could not be encoded as PNG.
    #[error("cannot encode picture as PNG: {0}")]
    Encode(#[from] image::ImageError),
    /// The picture file could not be written.
    #[error("{path}: cannot write picture: {source}")]
    Write {
        /// The picture file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A drawing library error as a [`PlotError::Draw`].
fn draw_err(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// The root drawing area of an in-memory RGB picture.
type Canvas<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Draws a `size` picture with `draw` in memory and returns it as PNG bytes.
fn render_png(
    size: (u32, u32),
    draw: impl FnOnce(&Canvas<'_>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &rgb,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )?;
    Ok(png)
}

/// Writes PNG `bytes` to `path`.
pub fn write_png(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    std::fs::write(path, bytes).map_err(|source| PlotError::Write {
        path: path.to_owned(),
        source,
    })
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

/// The smallest and largest finite values of `cols`, widened to a non-empty interval.
fn value_range(cols: &[Vec<f32>]) -> (f32, f32) {
    let (lo, hi) = cols
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo < hi {
        (lo, hi)
    } else if lo.is_finite() {
        (lo, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// Where and how big the cells of a heat map are drawn.
#[derive(Debug, Clone, Copy)]
struct CellGrid {
    /// Pixel of the top-left corner of the first column's top row.
    origin: (i32, i32),
    px_per_col: u32,
    px_per_row: u32,
    /// Values mapped to the ends of the colour map.
    range: (f32, f32),
}

/// Draws `cols` as viridis cells, row 0 at the bottom of the grid.
fn draw_cells(area: &Canvas<'_>, cols: &[Vec<f32>], grid: CellGrid) -> Result<(), PlotError> {
    let n_rows = cols.first().map_or(0, Vec::len);
    let (w, h) = (grid.px_per_col as i32, grid.px_per_row as i32);
    let (lo, hi) = grid.range;
    for (x, col) in cols.iter().enumerate() {
        for (r, &v) in col.iter().enumerate() {
            let color = ViridisRGB::get_color_normalized(v.clamp(lo, hi), lo, hi);
            let x0 = grid.origin.0 + x as i32 * w;
            let y0 = grid.origin.1 + (n_rows - 1 - r) as i32 * h;
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + w, y0 + h)],
                color.filled(),
            ))
            .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// The number of rows of `cols`, or [`PlotError::Empty`] when there is nothing to draw.
fn rows_to_draw(cols: &[Vec<f32>]) -> Result<usize, PlotError> {
    match cols.first().map_or(0, Vec::len) {
        0 => Err(PlotError::Empty),
        n_rows => Ok(n_rows),
    }
}

/// Draws `cols` (time on the x axis, row 0 at the bottom) as a viridis heat map: PNG bytes.
///
/// Values are mapped linearly from the data's minimum to its maximum. Each column is
/// `px_per_col` pixels wide and each row `px_per_row` pixels high.
pub fn render_heatmap(
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
) -> Result<Vec<u8>, PlotError> {
    let n_rows = rows_to_draw(cols)?;
    let (w, h) = (cols.len() as u32 * px_per_col, n_rows as u32 * px_per_row);
    let grid = CellGrid {
        origin: (0, 0),
        px_per_col,
        px_per_row,
        range: value_range(cols),
    };
    render_png((w, h), |root| draw_cells(root, cols, grid))
}

/// [`render_heatmap`] written to the PNG file `path`.
pub fn heatmap_png(
    path: &Path,
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
) -> Result<(), PlotError> {
    write_png(path, &render_heatmap(cols, px_per_col, px_per_row)?)
}

/// The font embedded for text in pictures: DejaVu Sans 2.37 (Bitstream Vera licence, see
/// `models/assets/fonts/LICENSE-DejaVu.txt`), so that labels draw the same everywhere
/// without depending on the fonts installed.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as plotters' `sans-serif` family (once per process).
fn register_embedded_font() -> Result<(), PlotError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if *ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Axes and labels of a [`labelled_heatmap_png`].
#[derive(Debug, Clone)]
pub struct HeatmapAxes {
    /// The caption drawn above the map.
    pub title: String,
    /// One label per row, row 0 first; drawn left of the map, row 0 at the top.
    pub row_labels: Vec<String>,
    /// Seconds of time per column: the x axis is labelled in seconds from 0.
    pub secs_per_col: f64,
    /// The values mapped to the ends of the colour map (default: the data's minimum and
    /// maximum). Values outside are clamped.
    pub value_range: Option<(f32, f32)>,
}

/// Pixels left of the map for the row labels.
pub const LABEL_AREA_LEFT: u32 = 120;
/// Pixels above the map for the caption.
pub const LABEL_AREA_TOP: u32 = 28;
/// Pixels below the map for the time axis (ticks, seconds, axis name).
pub const LABEL_AREA_BOTTOM: u32 = 44;
/// Pixels right of the map.
pub const MARGIN_RIGHT: u32 = 16;
/// Font size of labels, in pixels.
const LABEL_FONT_PX: f64 = 11.0;

/// The size in pixels of a [`labelled_heatmap_png`] of `n_cols` × `n_rows` cells.
pub fn labelled_heatmap_size(
    n_cols: usize,
    n_rows: usize,
    px_per_col: u32,
    px_per_row: u32,
) -> (u32, u32) {
    (
        LABEL_AREA_LEFT + n_cols as u32 * px_per_col + MARGIN_RIGHT,
        LABEL_AREA_TOP + n_rows as u32 * px_per_row + LABEL_AREA_BOTTOM,
    )
}

/// A tick spacing in seconds giving at most `max_ticks` ticks over `total` seconds.
fn tick_step(total: f64, max_ticks: f64) -> f64 {
    const STEPS: [f64; 16] = [
        0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
        3600.0, 7200.0,
    ];
    STEPS
        .into_iter()
        .find(|s| total / s <= max_ticks)
        .unwrap_or(total / max_ticks.max(1.0))
}

/// [`render_labelled_heatmap`] written to the PNG file `path`.
pub fn labelled_heatmap_png(
    path: &Path,
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
    axes: &HeatmapAxes,
) -> Result<(), PlotError> {
    write_png(
        path,
        &render_labelled_heatmap(cols, px_per_col, px_per_row, axes)?,
    )
}

/// Draws `cols` like [`render_heatmap`] (row 0 at the top here, as a table reads), with the
/// row labels on the left, the time in seconds on the x axis and a caption: a taggram or a
/// spectrogram with axes. The picture (PNG bytes) is [`labelled_heatmap_size`] pixels; the
/// text uses the embedded DejaVu Sans font.
pub fn render_labelled_heatmap(
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
    axes: &HeatmapAxes,
) -> Result<Vec<u8>, PlotError> {
    let n_rows = rows_to_draw(cols)?;
    if axes.row_labels.len() != n_rows {
        return Err(PlotError::Mismatch(format!(
            "{} row labels for {n_rows} rows",
            axes.row_labels.len()
        )));
    }
    register_embedded_font()?;
    let size = labelled_heatmap_size(cols.len(), n_rows, px_per_col, px_per_row);
    render_png(size, |root| {
        draw_labelled_heatmap(root, cols, (px_per_col, px_per_row), axes)
    })
}

/// [`render_labelled_heatmap`]'s drawing, on `root`.
fn draw_labelled_heatmap(
    root: &Canvas<'_>,
    cols: &[Vec<f32>],
    (px_per_col, px_per_row): (u32, u32),
    axes: &HeatmapAxes,
) -> Result<(), PlotError> {
    let n_rows = axes.row_labels.len();
    root.fill(&WHITE).map_err(draw_err)?;

    // Row 0 at the top: draw the rows reversed (draw_cells puts row 0 at the bottom).
    let flipped: Vec<Vec<f32>> = cols
        .iter()
        .map(|c| c.iter().rev().copied().collect())
        .collect();
    let (left, top) = (LABEL_AREA_LEFT as i32, LABEL_AREA_TOP as i32);
    let grid = CellGrid {
        origin: (left, top),
        px_per_col,
        px_per_row,
        range: axes.value_range.unwrap_or_else(|| value_range(cols)),
    };
    draw_cells(root, &flipped, grid)?;

    let font = ("sans-serif", LABEL_FONT_PX).into_font().color(&BLACK);
    let draw = |text: &str, at: (i32, i32), h: HPos, v: VPos| {
        root.draw(&Text::new(text.to_string(), at, font.pos(Pos::new(h, v))))
            .map_err(draw_err)
    };
    let caption = ("sans-serif", LABEL_FONT_PX + 2.0)
        .into_font()
        .color(&BLACK);
    root.draw(&Text::new(
        axes.title.clone(),
        (left, top / 2),
        caption.pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(draw_err)?;
    for (r, label) in axes.row_labels.iter().enumerate() {
        let y = top + r as i32 * px_per_row as i32 + px_per_row as i32 / 2;
        draw(label, (left - 6, y), HPos::Right, VPos::Center)?;
    }

    // Time axis: a tick every `step` seconds, at most one per 60 pixels.
    let map_w = cols.len() as f64 * px_per_col as f64;
    let total = cols.len() as f64 * axes.secs_per_col;
    let bottom = top + (n_rows as u32 * px_per_row) as i32;
    let step = tick_step(total, (map_w / 60.0).max(1.0));
    let mut t = 0.0;
    while t <= total + 1e-9 {
        let x = left + (t / total * map_w).round() as i32;
        root.draw(&PathElement::new([(x, bottom), (x, bottom + 4)], BLACK))
            .map_err(draw_err)?;
        let label = if step < 1.0 {
            format!("{t:.1}")
        } else {
            format!("{t:.0}")
        };
        draw(&label, (x, bottom + 6), HPos::Center, VPos::Top)?;
        t += step;
    }
    let axis_mid = left + (map_w / 2.0) as i32;
    draw("time (s)", (axis_mid, bottom + 24), HPos::Center, VPos::Top)?;
    Ok(())
}

/// Width and height of a PNG file, from its header.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[1..4] != b"PNG" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

#[cfg(test)]
pub(crate) mod tests {
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
        let cols: Vec<Vec<f32>> = (0..10)
            .map(|i| (0..4).map(|r| (i * r) as f32).collect())
            .collect();
        let bytes = render_heatmap(&cols, 2, 3).unwrap();
        assert_eq!(png_size(&bytes), Some((20, 12)));
    }

    #[test]
    fn labelled_map_has_the_documented_size_and_draws_text() {
        let cols: Vec<Vec<f32>> = (0..30)
            .map(|i| (0..3).map(|r| (i * r) as f32).collect())
            .collect();
        let axes = HeatmapAxes {
            title: "test".into(),
            row_labels: vec!["a".into(), "bb".into(), "female vocals".into()],
            secs_per_col: 3.0,
            value_range: Some((0.0, 1.0)),
        };
        let bytes = render_labelled_heatmap(&cols, 4, 12, &axes).unwrap();
        let (w, h) = labelled_heatmap_size(30, 3, 4, 12);
        assert_eq!(png_size(&bytes), Some((w, h)));
        assert_eq!(
            (w, h),
            (
                LABEL_AREA_LEFT + 120 + MARGIN_RIGHT,
                LABEL_AREA_TOP + 36 + LABEL_AREA_BOTTOM
            )
        );
        // Text was drawn: the label area is not all white.
        let img = image_pixels(&bytes);
        let dark_label_pixels = (0..h)
            .flat_map(|y| (0..LABEL_AREA_LEFT).map(move |x| (x, y)))
            .filter(|&(x, y)| img(x, y) < 128)
            .count();
        assert!(
            dark_label_pixels > 20,
            "{dark_label_pixels} dark pixels in the label area"
        );
        let wrong = HeatmapAxes {
            row_labels: vec!["a".into()],
            ..axes
        };
        assert!(matches!(
            render_labelled_heatmap(&cols, 4, 12, &wrong),
            Err(PlotError::Mismatch(_))
        ));
    }

    /// The grey level of each pixel of a PNG, decoded by the image crate.
    pub(super) fn image_pixels(png: &[u8]) -> impl Fn(u32, u32) -> u8 {
        let img = image::load_from_memory(png).unwrap().to_luma8();
        move |x, y| img.get_pixel(x, y).0[0]
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step(30.0, 10.0), 3.0);
        assert_eq!(tick_step(600.0, 10.0), 60.0);
        assert_eq!(tick_step(3.0, 10.0), 0.5);
    }
}
