//! Charts: labelled scatter plots (the t-SNE maps) and line charts (training curves), as PNG
//! bytes or files.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::LABEL_FONT_PX;
use super::{draw_err, register_embedded_font, render_png, write_png, Canvas, PlotError};

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

/// [`render_scatter`] written to the PNG file `path`.
pub fn scatter_png(
    path: &Path,
    points: &[ScatterPoint],
    title: &str,
    legend: &[String],
    size: u32,
) -> Result<(), PlotError> {
    write_png(path, &render_scatter(points, title, legend, size)?)
}

/// Draws `points` (coordinates in `[-1, 1]`, a map such as t-SNE's) as a square `size`-pixel
/// picture (PNG bytes): a dot per point coloured by its group, its label beside it, the `title`
/// above and a legend naming the groups (`legend[g]` for group `g`) below. Text uses the
/// embedded DejaVu Sans font.
pub fn render_scatter(
    points: &[ScatterPoint],
    title: &str,
    legend: &[String],
    size: u32,
) -> Result<Vec<u8>, PlotError> {
    if points.is_empty() {
        return Err(PlotError::Empty);
    }
    if let Some(p) = points.iter().find(|p| p.group >= legend.len().max(1)) {
        return Err(PlotError::Mismatch(format!(
            "group {} has no legend entry",
            p.group
        )));
    }
    register_embedded_font()?;
    render_png((size, size), |root| {
        draw_scatter(root, points, title, legend, size)
    })
}

/// [`render_scatter`]'s drawing, on `root`.
fn draw_scatter(
    root: &Canvas<'_>,
    points: &[ScatterPoint],
    title: &str,
    legend: &[String],
    size: u32,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
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
        .map_err(draw_err)
    };
    for p in points {
        let at = to_px(p.x, p.y);
        root.draw(&Circle::new(at, 3, colour(p.group).filled()))
            .map_err(draw_err)?;
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
            .map_err(draw_err)?;
        text(name, (x + 12, y), BLACK.to_rgba(), HPos::Left)?;
        x += 24 + 7 * name.chars().count() as i32;
    }
    Ok(())
}

/// One named line of a [`line_chart_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend entry.
    pub name: String,
    /// The points, in x order; non-finite values are left out.
    pub points: Vec<(f64, f64)>,
}

/// [`render_line_chart`] written to the PNG file `path`.
pub fn line_chart_png(
    path: &Path,
    title: &str,
    labels: (&str, &str),
    lines: &[Line],
    size: (u32, u32),
) -> Result<(), PlotError> {
    write_png(path, &render_line_chart(title, labels, lines, size)?)
}

/// Draws `lines` on shared axes as a `size` picture (PNG bytes): labelled x and y axes with
/// ticks, one colour and legend entry per line, a dot on every point, the `title` above. Text
/// uses the embedded DejaVu Sans font. Fails when no line has a finite point.
pub fn render_line_chart(
    title: &str,
    (x_label, y_label): (&str, &str),
    lines: &[Line],
    size: (u32, u32),
) -> Result<Vec<u8>, PlotError> {
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
        return Err(PlotError::Empty);
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
    register_embedded_font()?;
    render_png(size, |root| {
        root.fill(&WHITE).map_err(draw_err)?;
        draw_lines(root, title, (x_label, y_label), lines, &finite, (xs, ys))
    })
}

/// [`render_line_chart`]'s axes and lines, on `root`: `finite` holds each line's finite points,
/// `ranges` the axes' ranges.
fn draw_lines(
    root: &Canvas<'_>,
    title: &str,
    (x_label, y_label): (&str, &str),
    lines: &[Line],
    finite: &[Vec<(f64, f64)>],
    (xs, ys): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Result<(), PlotError> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", LABEL_FONT_PX + 3.0))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(xs, ys)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", LABEL_FONT_PX))
        .axis_desc_style(("sans-serif", LABEL_FONT_PX + 1.0))
        .draw()
        .map_err(draw_err)?;
    for (i, (line, points)) in lines.iter().zip(finite).enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        chart
            .draw_series(std::iter::once(PathElement::new(
                points.clone(),
                colour.stroke_width(2),
            )))
            .map_err(draw_err)?
            .label(line.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(draw_err)?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", LABEL_FONT_PX))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::png_size;
    use super::super::tests::image_pixels;
    use super::*;

    #[test]
    fn scatter_draws_points_and_labels() {
        let points: Vec<ScatterPoint> = (0..20)
            .map(|i| ScatterPoint {
                x: i as f32 / 10.0 - 1.0,
                y: ((i * 7) % 20) as f32 / 10.0 - 1.0,
                label: format!("tag {i}"),
                group: i % 2,
            })
            .collect();
        let legend = vec!["MTT".to_string(), "MSD".to_string()];
        let bytes = render_scatter(&points, "tags", &legend, 400).unwrap();
        assert_eq!(png_size(&bytes), Some((400, 400)));
        let img = image_pixels(&bytes);
        let dark = (0..400u32)
            .flat_map(|y| (0..400u32).map(move |x| (x, y)))
            .filter(|&(x, y)| img(x, y) < 128)
            .count();
        assert!(dark > 200, "{dark} dark pixels");
        assert!(matches!(
            render_scatter(&[], "t", &legend, 400),
            Err(PlotError::Empty)
        ));
        let stray = ScatterPoint {
            group: 5,
            ..points[0].clone()
        };
        assert!(render_scatter(&[stray], "t", &legend, 400).is_err());
    }

    #[test]
    fn line_chart_draws_lines_and_refuses_empty_data() {
        let dir = tempfile::tempdir().unwrap();
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
        let path = dir.path().join("l.png");
        line_chart_png(&path, "loss", ("epoch", "loss"), &lines, (480, 320)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(png_size(&bytes), Some((480, 320)));
        // The two lines are drawn in colour: many pixels are neither grey nor white.
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
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
        assert!(matches!(
            render_line_chart("t", ("x", "y"), &empty, (100, 100)),
            Err(PlotError::Empty)
        ));
    }
}
