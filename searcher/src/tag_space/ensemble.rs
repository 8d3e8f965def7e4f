//! Several tag spaces (one per word-vector set) combined into one weighing.

use std::collections::HashMap;

use super::{mean_sd, QueryTags, TagSpace, WeightedTag};

/// Combine several tag spaces (e.g. over spaCy and GloVe vectors): each space's weights are
/// standardised across tags (z-scores) and summed. The parse of the first space is returned;
/// `text_only` holds when no space could place a term. `spaces` must share one tag vocabulary.
pub fn weigh_ensemble(spaces: &[TagSpace], query: &str) -> Option<QueryTags> {
    let mut results = spaces.iter().map(|s| s.weigh(query));
    let first = results.next()?;
    let mut total: HashMap<String, f32> = HashMap::new();
    let mut text_only = first.text_only;
    let mut add = |r: &QueryTags| {
        let w: Vec<f32> = r.tags.iter().map(|t| t.weight).collect();
        let (m, sd) = mean_sd(&w);
        for t in &r.tags {
            *total.entry(t.tag.clone()).or_default() += (t.weight - m) / sd;
        }
    };
    add(&first);
    for r in results {
        add(&r);
        text_only &= r.text_only;
    }
    let mut tags: Vec<WeightedTag> = total
        .into_iter()
        .map(|(tag, weight)| WeightedTag { tag, weight })
        .collect();
    tags.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.tag.cmp(&b.tag))
    });
    Some(QueryTags {
        parsed: first.parsed,
        tags,
        text_only,
    })
}
