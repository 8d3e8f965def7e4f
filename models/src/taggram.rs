//! Taggrams: a tagger's probabilities over time, one row of tag probabilities per input patch
//! (3 s for musicnn), as musicnn's `extractor` returns them; their reduction to one score per
//! tag for the whole track ([`Aggregate`]) and their picture ([`Taggram::write_png`]).

use std::path::Path;

use crate::plot::{render_labelled_heatmap, write_png, ColumnPooler, HeatmapAxes, PlotError};

/// How patch probabilities become one track-level score per tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    /// The mean over patches (what musicnn's `top_tags` reports): how present a tag is overall.
    #[default]
    Mean,
    /// The maximum over patches: whether a tag occurs anywhere, even briefly.
    Max,
}

impl Aggregate {
    /// `"mean"` or `"max"`.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Mean => "mean",
            Aggregate::Max => "max",
        }
    }
}

impl std::fmt::Display for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Aggregate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mean" => Ok(Aggregate::Mean),
            "max" => Ok(Aggregate::Max),
            other => Err(format!("unknown aggregate {other:?} (mean or max)")),
        }
    }
}

/// Errors building a taggram.
#[derive(Debug, thiserror::Error)]
pub enum TaggramError {
    /// The values do not fill whole rows of `tags` columns.
    #[error("{values} values do not make rows of {tags} tags")]
    Shape {
        /// Number of values given.
        values: usize,
        /// Number of tags.
        tags: usize,
    },
    /// A taggram needs at least one tag.
    #[error("a taggram needs at least one tag")]
    NoTags,
}

/// Tag probabilities over time: `patches × tags`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Taggram {
    tags: Vec<String>,
    patch_secs: f64,
    values: Vec<f32>,
}

/// Columns kept in a picture at most: longer taggrams are pooled (averaging neighbouring
/// patches, see [`ColumnPooler`]).
pub const MAX_PICTURE_COLUMNS: usize = 1000;

/// Pixels per tag row in a picture.
pub const PICTURE_ROW_PX: u32 = 12;

/// Width of the time axis of a picture that the columns aim for.
const PICTURE_TARGET_WIDTH: usize = 1000;

/// The narrowest time axis of a picture, in pixels.
pub const PICTURE_MIN_WIDTH: usize = 300;

impl Taggram {
    /// A taggram of `values` (row-major, `patches × tags.len()`), each patch lasting `patch_secs`.
    pub fn new(
        tags: Vec<String>,
        patch_secs: f64,
        values: Vec<f32>,
    ) -> Result<Taggram, TaggramError> {
        if tags.is_empty() {
            return Err(TaggramError::NoTags);
        }
        if values.len() % tags.len() != 0 {
            return Err(TaggramError::Shape {
                values: values.len(),
                tags: tags.len(),
            });
        }
        Ok(Taggram {
            tags,
            patch_secs,
            values,
        })
    }

    /// The tags, in the network's output order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Seconds of audio per patch.
    pub fn patch_secs(&self) -> f64 {
        self.patch_secs
    }

    /// Number of patches (rows).
    pub fn n_patches(&self) -> usize {
        self.values.len() / self.tags.len()
    }

    /// The probabilities of patch `i`, one per tag.
    pub fn patch(&self, i: usize) -> &[f32] {
        let n = self.tags.len();
        &self.values[i * n..(i + 1) * n]
    }

    /// All patches, in time order.
    pub fn patches(&self) -> impl Iterator<Item = &[f32]> {
        self.values.chunks_exact(self.tags.len())
    }

    /// One score per tag (in tag order) for the whole track; zeros for an empty taggram.
    pub fn aggregate(&self, how: Aggregate) -> Vec<f32> {
        let n = self.tags.len();
        let rows = self.n_patches();
        if rows == 0 {
            return vec![0.0; n];
        }
        match how {
            Aggregate::Mean => {
                let mut sum = vec![0.0f64; n];
                for row in self.patches() {
                    for (s, &v) in sum.iter_mut().zip(row) {
                        *s += f64::from(v);
                    }
                }
                sum.into_iter().map(|s| (s / rows as f64) as f32).collect()
            }
            Aggregate::Max => {
                let mut max = vec![f32::NEG_INFINITY; n];
                for row in self.patches() {
                    for (m, &v) in max.iter_mut().zip(row) {
                        *m = m.max(v);
                    }
                }
                max
            }
        }
    }

    /// The tags with their track-level scores, highest first.
    pub fn ranked(&self, how: Aggregate) -> Vec<(String, f32)> {
        let mut tags: Vec<(String, f32)> =
            self.tags.iter().cloned().zip(self.aggregate(how)).collect();
        tags.sort_by(|a, b| b.1.total_cmp(&a.1));
        tags
    }

    /// The columns and seconds per column of the picture: at most [`MAX_PICTURE_COLUMNS`],
    /// neighbouring patches averaged when the track is longer.
    fn picture_columns(&self) -> (Vec<Vec<f32>>, f64) {
        let mut pooler = ColumnPooler::new(self.tags.len(), MAX_PICTURE_COLUMNS);
        for row in self.patches() {
            pooler.push(row);
        }
        let pool = pooler.pool();
        (pooler.finish(), self.patch_secs * pool as f64)
    }

    /// Pixels per column of the picture: the time axis aims at about 1000 pixels, with
    /// 1 to 24 pixels per column, but at least [`PICTURE_MIN_WIDTH`] pixels in all (so that a
    /// short clip still gets its caption and time ticks).
    pub fn picture_px_per_col(n_cols: usize) -> u32 {
        let n = n_cols.max(1);
        let px = (PICTURE_TARGET_WIDTH / n).clamp(1, 24);
        px.max(PICTURE_MIN_WIDTH.div_ceil(n)) as u32
    }

    /// The size in pixels of [`Taggram::write_png`]'s picture.
    pub fn picture_size(&self) -> (u32, u32) {
        let cols = self.picture_columns().0.len();
        crate::plot::labelled_heatmap_size(
            cols,
            self.tags.len(),
            Self::picture_px_per_col(cols),
            PICTURE_ROW_PX,
        )
    }

    /// Draws the taggram as a PNG heat map (the bytes): tags on the y axis (first tag at the
    /// top), time in seconds on the x axis, probability 0 (dark blue) to 1 (yellow) in viridis,
    /// `title` above.
    pub fn png(&self, title: &str) -> Result<Vec<u8>, PlotError> {
        let (cols, secs_per_col) = self.picture_columns();
        let axes = HeatmapAxes {
            title: title.to_string(),
            row_labels: self.tags.clone(),
            secs_per_col,
            value_range: Some((0.0, 1.0)),
        };
        render_labelled_heatmap(
            &cols,
            Self::picture_px_per_col(cols.len()),
            PICTURE_ROW_PX,
            &axes,
        )
    }

    /// [`Taggram::png`] written to the file `path`.
    pub fn write_png(&self, path: &Path, title: &str) -> Result<(), PlotError> {
        write_png(path, &self.png(title)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::png_size;

    fn example(patches: usize) -> Taggram {
        let tags: Vec<String> = ["rock", "piano", "female vocals"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let values = (0..patches * 3)
            .map(|i| ((i * 37 % 101) as f32) / 100.0)
            .collect();
        Taggram::new(tags, 3.0, values).unwrap()
    }

    #[test]
    fn max_is_at_least_mean_for_every_tag() {
        let t = example(17);
        let mean = t.aggregate(Aggregate::Mean);
        let max = t.aggregate(Aggregate::Max);
        assert_eq!(mean.len(), 3);
        for (tag, (a, m)) in t.tags().iter().zip(mean.iter().zip(&max)) {
            assert!(m >= a, "{tag}: max {m} < mean {a}");
        }
        // Exact values for the first tag.
        let col0: Vec<f32> = t.patches().map(|p| p[0]).collect();
        let expect_mean = col0.iter().sum::<f32>() / col0.len() as f32;
        assert!((mean[0] - expect_mean).abs() < 1e-6);
        assert_eq!(max[0], col0.iter().copied().fold(f32::MIN, f32::max));
    }

    #[test]
    fn ranked_is_sorted_and_parses() {
        let t = example(5);
        let r = t.ranked(Aggregate::Max);
        assert!(r.windows(2).all(|w| w[0].1 >= w[1].1));
        assert_eq!("MAX".parse::<Aggregate>(), Ok(Aggregate::Max));
        assert_eq!("mean".parse::<Aggregate>(), Ok(Aggregate::Mean));
        assert!("median".parse::<Aggregate>().is_err());
    }

    #[test]
    fn bad_shapes_are_refused() {
        assert!(Taggram::new(vec!["a".into(), "b".into()], 3.0, vec![0.0; 3]).is_err());
        assert!(Taggram::new(vec![], 3.0, vec![]).is_err());
        let empty = Taggram::new(vec!["a".into()], 3.0, vec![]).unwrap();
        assert_eq!(empty.aggregate(Aggregate::Max), [0.0]);
    }

    #[test]
    fn picture_has_the_right_size() {
        let dir = tempfile::tempdir().unwrap();
        for patches in [1, 10, 2500] {
            let t = example(patches);
            let path = dir.path().join(format!("t{patches}.png"));
            t.write_png(&path, "example").unwrap();
            let size = png_size(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(size, t.picture_size(), "{patches} patches");
            // 3 tag rows of 12 px; the time axis stays within about 1000 px even for 2 h.
            assert_eq!(
                size.1,
                crate::plot::LABEL_AREA_TOP + 36 + crate::plot::LABEL_AREA_BOTTOM
            );
            assert!(size.0 <= crate::plot::LABEL_AREA_LEFT + 1000 + crate::plot::MARGIN_RIGHT);
        }
        // 100 patches: 10 px each; 10 patches: 24 px each would be too narrow, 30 px each.
        let width = |patches| example(patches).picture_size().0 - crate::plot::LABEL_AREA_LEFT;
        assert_eq!(width(100), 1000 + crate::plot::MARGIN_RIGHT);
        assert_eq!(width(10), 300 + crate::plot::MARGIN_RIGHT);
    }
}
