//! Pictures (PNG): heat maps of spectrograms and taggrams, labelled scatter plots (the
//! t-SNE maps) and line charts (training curves).
//!
//! [`ColumnPooler`] keeps a long time axis to a bounded number of columns while it streams
//! (averaging neighbouring columns, doubling the pooling as needed), so the picture of a
//! two-hour file costs no more memory than that of a song.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
fn draw_cells<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    cols: &[Vec<f32>],
    grid: CellGrid,
) -> Result<(), String> {
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
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The number of rows of `cols`, or an error naming `path` when there is nothing to draw.
fn rows_to_draw(path: &Path, cols: &[Vec<f32>]) -> Result<usize, PlotError> {
    match cols.first().map_or(0, Vec::len) {
        0 => Err(PlotError {
            path: path.to_owned(),
            reason: "nothing to draw".into(),
        }),
        n_rows => Ok(n_rows),
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
    let n_rows = rows_to_draw(path, cols)?;
    let (w, h) = (cols.len() as u32 * px_per_col, n_rows as u32 * px_per_row);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    let grid = CellGrid {
        origin: (0, 0),
        px_per_col,
        px_per_row,
        range: value_range(cols),
    };
    draw_cells(&root, cols, grid).map_err(err)?;
    root.present().map_err(|e| err(e.to_string()))
}

/// The font embedded for text in pictures: DejaVu Sans 2.37 (Bitstream Vera licence, see
/// `models/assets/fonts/LICENSE-DejaVu.txt`), so that labels draw the same everywhere
/// without depending on the fonts installed.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as plotters' `sans-serif` family (once per process).
fn register_embedded_font() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "the embedded DejaVu Sans font cannot be read".to_string())
        })
        .clone()
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

/// Draws `cols` like [`heatmap_png`] (row 0 at the top here, as a table reads), with the row
/// labels on the left, the time in seconds on the x axis and a caption: a taggram or a
/// spectrogram with axes. The picture is [`labelled_heatmap_size`] pixels; the text uses the
/// embedded DejaVu Sans font.
pub fn labelled_heatmap_png(
    path: &Path,
    cols: &[Vec<f32>],
    px_per_col: u32,
    px_per_row: u32,
    axes: &HeatmapAxes,
) -> Result<(), PlotError> {
    let err = |reason: String| PlotError {
        path: path.to_owned(),
        reason,
    };
    let n_rows = rows_to_draw(path, cols)?;
    if axes.row_labels.len() != n_rows {
        return Err(err(format!(
            "{} row labels for {n_rows} rows",
            axes.row_labels.len()
        )));
    }
    register_embedded_font().map_err(err)?;
    let size = labelled_heatmap_size(cols.len(), n_rows, px_per_col, px_per_row);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;

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
    draw_cells(&root, &flipped, grid).map_err(err)?;

    let font = ("sans-serif", LABEL_FONT_PX).into_font().color(&BLACK);
    let draw = |text: &str, at: (i32, i32), h: HPos, v: VPos| {
        root.draw(&Text::new(text.to_string(), at, font.pos(Pos::new(h, v))))
            .map_err(|e| err(e.to_string()))
    };
    let caption = ("sans-serif", LABEL_FONT_PX + 2.0)
        .into_font()
        .color(&BLACK);
    root.draw(&Text::new(
        axes.title.clone(),
        (left, top / 2),
        caption.pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(|e| err(e.to_string()))?;
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
            .map_err(|e| err(e.to_string()))?;
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
    root.present().map_err(|e| err(e.to_string()))
}

/// A labelled point of a [`scatter_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPoint {
    /// Horizontal position in `[-1, 1]` (left to right).
    pub x: f32,
    /// Vertical position in `[-1, 1]` (bottom to top).
    pub y: f32,
    /// The text drawn next to the point (none when empty).
    pub label: String,
    /// Its group: the index of its colour and legend entry.
    pub group: usize,
}

/// Font size of scatter labels, in pixels.
const SCATTER_FONT_PX: f64 = 11.0;

/// Draws `points` (coordinates in `[-1, 1]`, a map such as t-SNE's) as a square `size`-pixel
/// PNG: a dot per point coloured by its group, its label beside it, the `title` above and a
/// legend naming the groups (`legend[g]` for group `g`) below. Text uses the embedded DejaVu
/// Sans font.
pub fn scatter_png(
    path: &Path,
    points: &[ScatterPoint],
    title: &str,
    legend: &[String],
    size: u32,
) -> Result<(), PlotError> {
    let err = |reason: String| PlotError {
        path: path.to_owned(),
        reason,
    };
    if points.is_empty() {
        return Err(err("nothing to draw".into()));
    }
    if let Some(p) = points.iter().find(|p| p.group >= legend.len().max(1)) {
        return Err(err(format!("group {} has no legend entry", p.group)));
    }
    register_embedded_font().map_err(err)?;
    let root = BitMapBackend::new(path, (size, size)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    // Room for the title above, the legend below, and labels to the right of the last dots.
    let (top, bottom, left, right) = (28.0, 28.0, 16.0, 96.0);
    let side = f64::from(size);
    let to_px = |x: f32, y: f32| {
        let px = left + (f64::from(x) + 1.0) / 2.0 * (side - left - right);
        let py = top + (1.0 - f64::from(y)) / 2.0 * (side - top - bottom);
        (px.round() as i32, py.round() as i32)
    };
    let colour = |g: usize| Palette99::pick(g).to_rgba();
    let font = ("sans-serif", SCATTER_FONT_PX).into_font();
    let text = |s: &str, at: (i32, i32), color: RGBAColor, h: HPos| {
        root.draw(&Text::new(
            s.to_string(),
            at,
            font.clone().color(&color).pos(Pos::new(h, VPos::Center)),
        ))
        .map_err(|e| err(e.to_string()))
    };
    for p in points {
        let at = to_px(p.x, p.y);
        root.draw(&Circle::new(at, 3, colour(p.group).filled()))
            .map_err(|e| err(e.to_string()))?;
        if !p.label.is_empty() {
            text(&p.label, (at.0 + 5, at.1), BLACK.to_rgba(), HPos::Left)?;
        }
    }
    text(
        title,
        (left as i32, (top / 2.0) as i32),
        BLACK.to_rgba(),
        HPos::Left,
    )?;
    let mut x = left as i32;
    let y = size as i32 - (bottom / 2.0) as i32;
    for (g, name) in legend.iter().enumerate() {
        root.draw(&Circle::new((x + 4, y), 4, colour(g).filled()))
            .map_err(|e| err(e.to_string()))?;
        text(name, (x + 12, y), BLACK.to_rgba(), HPos::Left)?;
        x += 24 + 7 * name.chars().count() as i32;
    }
    root.present().map_err(|e| err(e.to_string()))
}

/// One named line of a [`line_chart_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend entry.
    pub name: String,
    /// The points, in x order; non-finite values are left out.
    pub points: Vec<(f64, f64)>,
}

/// Draws `lines` on shared axes as a `size` PNG: labelled x and y axes with ticks, one colour
/// and legend entry per line, a dot on every point, the `title` above. Text uses the embedded
/// DejaVu Sans font. Fails when no line has a finite point.
pub fn line_chart_png(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    lines: &[Line],
    size: (u32, u32),
) -> Result<(), PlotError> {
    let err = |reason: String| PlotError {
        path: path.to_owned(),
        reason,
    };
    let finite: Vec<Vec<(f64, f64)>> = lines
        .iter()
        .map(|l| {
            l.points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        })
        .collect();
    let all: Vec<(f64, f64)> = finite.iter().flatten().copied().collect();
    if all.is_empty() {
        return Err(err("nothing to draw".into()));
    }
    let range = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let pad = if hi > lo { (hi - lo) * 0.05 } else { 0.5 };
        (lo - pad)..(hi + pad)
    };
    let xs = range(&mut all.iter().map(|p| p.0));
    let ys = range(&mut all.iter().map(|p| p.1));
    register_embedded_font().map_err(err)?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", LABEL_FONT_PX + 3.0))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(xs, ys)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", LABEL_FONT_PX))
        .axis_desc_style(("sans-serif", LABEL_FONT_PX + 1.0))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (i, (line, points)) in lines.iter().zip(&finite).enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        chart
            .draw_series(std::iter::once(PathElement::new(
                points.clone(),
                colour.stroke_width(2),
            )))
            .map_err(|e| err(e.to_string()))?
            .label(line.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(|e| err(e.to_string()))?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", LABEL_FONT_PX))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))
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
        assert_eq!(png_size(&bytes), Some((20, 12)));
    }

    #[test]
    fn labelled_map_has_the_documented_size_and_draws_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let cols: Vec<Vec<f32>> = (0..30)
            .map(|i| (0..3).map(|r| (i * r) as f32).collect())
            .collect();
        let axes = HeatmapAxes {
            title: "test".into(),
            row_labels: vec!["a".into(), "bb".into(), "female vocals".into()],
            secs_per_col: 3.0,
            value_range: Some((0.0, 1.0)),
        };
        labelled_heatmap_png(&path, &cols, 4, 12, &axes).unwrap();
        let bytes = std::fs::read(&path).unwrap();
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
        let img = image_pixels(&path);
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
        assert!(labelled_heatmap_png(&path, &cols, 4, 12, &wrong).is_err());
    }

    /// The grey level of each pixel of a PNG, read back through plotters' image decoder.
    fn image_pixels(path: &Path) -> impl Fn(u32, u32) -> u8 {
        let img = image::open(path).unwrap().to_luma8();
        move |x, y| img.get_pixel(x, y).0[0]
    }

    #[test]
    fn scatter_draws_points_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.png");
        let points: Vec<ScatterPoint> = (0..20)
            .map(|i| ScatterPoint {
                x: i as f32 / 10.0 - 1.0,
                y: ((i * 7) % 20) as f32 / 10.0 - 1.0,
                label: format!("tag {i}"),
                group: i % 2,
            })
            .collect();
        let legend = vec!["MTT".to_string(), "MSD".to_string()];
        scatter_png(&path, &points, "tags", &legend, 400).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(png_size(&bytes), Some((400, 400)));
        let img = image_pixels(&path);
        let dark = (0..400u32)
            .flat_map(|y| (0..400u32).map(move |x| (x, y)))
            .filter(|&(x, y)| img(x, y) < 128)
            .count();
        assert!(dark > 200, "{dark} dark pixels");
        assert!(scatter_png(&path, &[], "t", &legend, 400).is_err());
        let stray = ScatterPoint {
            group: 5,
            ..points[0].clone()
        };
        assert!(scatter_png(&path, &[stray], "t", &legend, 400).is_err());
    }

    #[test]
    fn line_chart_draws_lines_and_refuses_empty_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.png");
        let lines = vec![
            Line {
                name: "train".into(),
                points: (1..=5).map(|e| (e as f64, 1.0 / e as f64)).collect(),
            },
            Line {
                name: "validation".into(),
                points: vec![(1.0, 0.9), (2.0, f64::NAN), (3.0, 0.5)],
            },
        ];
        line_chart_png(&path, "loss", ("epoch", "loss"), &lines, (480, 320)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(png_size(&bytes), Some((480, 320)));
        // The two lines are drawn in colour: many pixels are neither grey nor white.
        let img = image::open(&path).unwrap().to_rgb8();
        let coloured = img
            .pixels()
            .filter(|p| {
                let [r, g, b] = p.0;
                r.max(g).max(b) - r.min(g).min(b) > 60
            })
            .count();
        assert!(coloured > 300, "{coloured} coloured pixels");
        let empty = vec![Line {
            name: "x".into(),
            points: vec![(1.0, f64::NAN)],
        }];
        assert!(line_chart_png(&path, "t", ("x", "y"), &empty, (100, 100)).is_err());
    }

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step(30.0, 10.0), 3.0);
        assert_eq!(tick_step(600.0, 10.0), 60.0);
        assert_eq!(tick_step(3.0, 10.0), 0.5);
    }
}
