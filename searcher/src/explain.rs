//! Explanations: which of the query's tags a track has, and how much each adds to its score.

use crate::catalog::Catalog;
use crate::response::{Explanation, ModelEvidence, TagContribution, TagEvidence, TextMatch};
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
    let by_tag = group_by_tag(catalog, &tags);
    Explanation {
        tags,
        by_tag,
        text: text.map(|(rank, score)| TextMatch { rank, score }),
    }
}

/// The contributions grouped by tag name (one entry per tag, its models in catalog order),
/// largest total contribution (in absolute value) first.
pub fn group_by_tag(catalog: &Catalog, tags: &[TagContribution]) -> Vec<TagEvidence> {
    let order = |model: &str| catalog.models().iter().position(|m| m.name == model);
    let mut out: Vec<TagEvidence> = Vec::new();
    for c in tags {
        let evidence = ModelEvidence {
            model: c.model.clone(),
            probability: c.probability,
            calibrated: c.calibrated,
            contribution: c.contribution,
        };
        match out.iter_mut().find(|e| e.tag == c.tag) {
            Some(e) => {
                e.weight += c.weight;
                e.contribution += c.contribution;
                e.probability = e.probability.max(c.probability);
                e.models.push(evidence);
                e.models.sort_by_key(|m| order(&m.model));
            }
            None => out.push(TagEvidence {
                tag: c.tag.clone(),
                weight: c.weight,
                contribution: c.contribution,
                probability: c.probability,
                models: vec![evidence],
            }),
        }
    }
    out.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    out
}
