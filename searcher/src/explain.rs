//! Explanations: which of the query's tags a track has, and how much each adds to its score.

use crate::catalog::Catalog;
use crate::response::{Explanation, TagContribution, TextMatch};
use crate::track_index::{contribution, SparseQuery, TrackIndex};

/// The explanation of track `i` for `query` and its text match (`(rank, BM25 score)`).
pub fn explain(
    catalog: &Catalog,
    index: &TrackIndex,
    query: &SparseQuery,
    i: usize,
    text: Option<(usize, f32)>,
) -> Explanation {
    let probabilities = catalog.probabilities(i);
    let mut tags: Vec<TagContribution> = query
        .terms
        .iter()
        .filter(|&&(c, _)| !probabilities[c].is_nan())
        .map(|&(c, weight)| {
            let column = &catalog.columns()[c];
            let calibrated = index.calibrated(c, i);
            TagContribution {
                tag: column.tag.clone(),
                model: catalog.models()[column.model].name.clone(),
                weight,
                probability: probabilities[c],
                calibrated,
                contribution: contribution(weight, calibrated),
            }
        })
        .collect();
    tags.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    Explanation {
        tags,
        text: text.map(|(rank, score)| TextMatch { rank, score }),
    }
}
