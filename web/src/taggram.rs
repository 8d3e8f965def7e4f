//! The taggram picture of a track: the stored (compact) taggram of its first model, drawn in
//! memory by the models' taggram heat map (the same picture as `musearch tag --taggram`),
//! through the searcher's `plot` feature.

use musearch_searcher::response::{TaggramData, TrackDetail};
use musearch_searcher::taggram::Taggram;

use crate::error::ApiError;

/// The PNG bytes of `detail`'s taggram, titled with the track and the model.
pub fn render(detail: &TrackDetail) -> Result<Vec<u8>, ApiError> {
    let data = detail.taggram.as_ref().ok_or_else(|| {
        ApiError::not_found("taggram_not_found", "this track has no stored taggram")
    })?;
    if data.values.first().is_none_or(Vec::is_empty) {
        return Err(ApiError::not_found(
            "taggram_not_found",
            "this track's stored taggram is empty",
        ));
    }
    let taggram = to_taggram(data).map_err(|err| {
        tracing::error!(id = %detail.track.id, %err, "a stored taggram is malformed");
        ApiError::internal()
    })?;
    let title = format!("{} — {}", detail.track.title, data.model);
    taggram.png(&title).map_err(|err| {
        tracing::error!(id = %detail.track.id, %err, "drawing a taggram failed");
        ApiError::internal()
    })
}

/// A stored taggram whose values do not fit its tags.
#[derive(Debug, thiserror::Error)]
enum MalformedTaggram {
    /// Not one row of equal length per tag.
    #[error("{rows} rows of values for {tags} tags, or rows of unequal length")]
    Rows {
        /// Rows of values.
        rows: usize,
        /// Tags.
        tags: usize,
    },
    /// The models' taggram refused the values.
    #[error(transparent)]
    Taggram(#[from] musearch_searcher::taggram::TaggramError),
}

/// The engine's `values[tag][column]` as a [`Taggram`] (rows are time steps).
fn to_taggram(data: &TaggramData) -> Result<Taggram, MalformedTaggram> {
    let columns = data.values.first().map_or(0, Vec::len);
    if data.values.len() != data.tags.len() || data.values.iter().any(|r| r.len() != columns) {
        return Err(MalformedTaggram::Rows {
            rows: data.values.len(),
            tags: data.tags.len(),
        });
    }
    let mut values = Vec::with_capacity(columns * data.tags.len());
    for c in 0..columns {
        values.extend(data.values.iter().map(|row| row[c]));
    }
    Ok(Taggram::new(
        data.tags.clone(),
        data.seconds_per_column,
        values,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_tag_become_rows_by_time() {
        let data = TaggramData {
            model: "m".into(),
            tags: vec!["a".into(), "b".into()],
            seconds_per_column: 3.0,
            values: vec![vec![0.1, 0.2, 0.3], vec![0.9, 0.8, 0.7]],
        };
        let t = to_taggram(&data).unwrap();
        assert_eq!(t.n_patches(), 3);
        assert_eq!(t.patch(1), &[0.2, 0.8]);
        assert_eq!(t.patch_secs(), 3.0);
    }

    #[test]
    fn ragged_values_are_an_error() {
        let data = TaggramData {
            model: "m".into(),
            tags: vec!["a".into(), "b".into()],
            seconds_per_column: 3.0,
            values: vec![vec![0.1, 0.2], vec![0.9]],
        };
        assert!(to_taggram(&data).is_err());
    }
}
