//! From a query's weights over every tag to what the ranking uses: a few strongly weighted
//! tags (a [`QueryPlan`]), and the fusion of tag and text rankings.
//!
//! [`crate::tag_space::TagSpace::weigh`] gives every tag of the vocabulary a weight. Most are
//! noise for ranking, so the plan keeps the tags that stand out: weights are standardised over
//! the catalog's tags, the best [`PlanOptions::max_positive`] with a z-score of at least
//! [`PlanOptions::min_z`] (and within [`PlanOptions::relative`] of the best; the best one
//! always) are kept, with
//! weights relative to the best (1.0). Tags named literally are always kept. When the query
//! negates something, the tags it pushes down furthest (z ≤ −[`PlanOptions::negative_z`]) are
//! kept with negative weights (within [`PlanOptions::relative`] of the lowest), so tracks that
//! have them sink.

use std::collections::HashMap;

use crate::ann::Scored;
use crate::catalog::Catalog;
use crate::query::TermKind;
use crate::response::TagWeight;
use crate::tag_space::QueryTags;
use crate::track_index::SparseQuery;

/// How many tags a plan keeps, and how strong they must be.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanOptions {
    /// Most positive tags kept.
    pub max_positive: usize,
    /// Smallest z-score (over the catalog's tags) of a kept positive tag.
    pub min_z: f32,
    /// A kept positive tag's z-score is at least this share of the best one's.
    pub relative: f32,
    /// Most negative tags kept (only when the query negates a term).
    pub max_negative: usize,
    /// A negative tag is kept from a z-score of −`negative_z` down.
    pub negative_z: f32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            max_positive: 5,
            min_z: 1.5,
            relative: 0.6,
            max_negative: 3,
            negative_z: 2.0,
        }
    }
}

/// What the ranking does with a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryPlan {
    /// The kept tags with their weights, positive first.
    pub tags: Vec<TagWeight>,
    /// The same over (model, tag) columns: a tag's weight shared equally among its models.
    pub query: SparseQuery,
    /// The negated terms, as normalised.
    pub negated: Vec<String>,
    /// Terms the word vectors do not know.
    pub unknown: Vec<String>,
    /// Words for full-text search over metadata: every non-negated term's words.
    pub text_words: Vec<String>,
    /// True when no term could be placed among the tags.
    pub text_only: bool,
}

/// The plan of `weighed` over the tags `catalog` has.
pub fn plan(weighed: &QueryTags, catalog: &Catalog, options: &PlanOptions) -> QueryPlan {
    let parsed = &weighed.parsed;
    let negated: Vec<String> = parsed.negated().map(|t| t.text.clone()).collect();
    let unknown: Vec<String> = parsed
        .terms
        .iter()
        .filter(|t| t.kind == TermKind::Unknown)
        .map(|t| t.text.clone())
        .collect();
    let mut text_words: Vec<String> = Vec::new();
    for term in parsed.terms.iter().filter(|t| !t.negated) {
        for w in &term.words {
            if !text_words.contains(w) {
                text_words.push(w.clone());
            }
        }
    }
    let mut out = QueryPlan {
        negated,
        unknown,
        text_words,
        text_only: weighed.text_only,
        ..QueryPlan::default()
    };
    if weighed.text_only {
        return out;
    }
    let known: Vec<(&str, f32)> = weighed
        .tags
        .iter()
        .filter(|t| !catalog.tag_columns(&t.tag).is_empty() && t.weight.is_finite())
        .map(|t| (t.tag.as_str(), t.weight))
        .collect();
    if known.is_empty() {
        return out;
    }
    let n = known.len() as f32;
    let mean = known.iter().map(|t| t.1).sum::<f32>() / n;
    let sd = (known.iter().map(|t| (t.1 - mean).powi(2)).sum::<f32>() / n)
        .sqrt()
        .max(1e-6);
    let z = |w: f32| (w - mean) / sd;
    let literal = |negated: bool| -> Vec<&str> {
        parsed
            .terms
            .iter()
            .filter(|t| t.kind == TermKind::Tag && t.negated == negated)
            .filter(|t| !catalog.tag_columns(&t.text).is_empty())
            .map(|t| t.text.as_str())
            .collect()
    };

    let mut by_z: Vec<(&str, f32)> = known.iter().map(|&(t, w)| (t, z(w))).collect();
    by_z.sort_by(|a, b| b.1.total_cmp(&a.1));
    let best = by_z[0].1;
    let mut tags: Vec<TagWeight> = Vec::new();
    for tag in literal(false) {
        if !tags.iter().any(|t| t.tag == tag) {
            tags.push(TagWeight {
                tag: tag.to_string(),
                weight: 1.0,
            });
        }
    }
    // The best tag is kept even below `min_z` (a vague query still ranks by something).
    if best > 0.0 {
        for (k, &(tag, zt)) in by_z.iter().take(options.max_positive).enumerate() {
            if k > 0 && (zt < options.min_z || zt < options.relative * best) {
                break;
            }
            if tags.len() >= options.max_positive.max(1) {
                break;
            }
            if !tags.iter().any(|t| t.tag == tag) {
                tags.push(TagWeight {
                    tag: tag.to_string(),
                    weight: zt / best,
                });
            }
        }
    }
    if !out.negated.is_empty() {
        let negated_literals = literal(true);
        let worst = by_z.last().map_or(-1.0, |w| w.1).min(-1e-6);
        let mut negatives: Vec<TagWeight> = negated_literals
            .iter()
            .map(|t| TagWeight {
                tag: t.to_string(),
                weight: -1.0,
            })
            .collect();
        for &(tag, zt) in by_z.iter().rev() {
            if negatives.len() >= options.max_negative
                || zt > -options.negative_z
                || zt > options.relative * worst
            {
                break;
            }
            if !negatives.iter().any(|t| t.tag == tag) && !tags.iter().any(|t| t.tag == tag) {
                negatives.push(TagWeight {
                    tag: tag.to_string(),
                    weight: -(zt / worst).abs(),
                });
            }
        }
        tags.retain(|t| !negated_literals.contains(&t.tag.as_str()));
        tags.extend(negatives);
    }
    for t in &tags {
        let columns = catalog.tag_columns(&t.tag);
        let share = t.weight / columns.len() as f32;
        out.query.terms.extend(columns.iter().map(|&c| (c, share)));
    }
    out.tags = tags;
    out
}

/// Reciprocal rank fusion's constant: a result at rank `r` (1-based) of a list scores
/// `1 / (RRF_K + r)`.
pub const RRF_K: f32 = 60.0;

/// One track of a fused ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused {
    /// The track index.
    pub id: usize,
    /// `Σ 1 / (RRF_K + rank)` over the lists the track is in.
    pub score: f32,
    /// Its tag score.
    pub tag_score: f32,
    /// Its rank in the text results (1-based) and BM25 score, if it matched.
    pub text: Option<(usize, f32)>,
}

/// Fuses a tag ranking (`tag`, best first; `tag_ranks` gives the 1-based tag rank and score of
/// any text hit not in `tag`) with text hits (best first), by reciprocal rank fusion. Best
/// first; ties keep the tag order.
pub fn fuse(
    tag: &[Scored],
    text: &[(usize, f32)],
    extra_tag_ranks: &HashMap<usize, (usize, f32)>,
) -> Vec<Fused> {
    let mut out: Vec<Fused> = Vec::with_capacity(tag.len() + text.len());
    let mut position: HashMap<usize, usize> = HashMap::with_capacity(tag.len() + text.len());
    for (r, s) in tag.iter().enumerate() {
        position.insert(s.id, out.len());
        out.push(Fused {
            id: s.id,
            score: 1.0 / (RRF_K + (r + 1) as f32),
            tag_score: s.score,
            text: None,
        });
    }
    for (r, &(id, bm25)) in text.iter().enumerate() {
        let add = 1.0 / (RRF_K + (r + 1) as f32);
        match position.get(&id) {
            Some(&p) => {
                out[p].score += add;
                out[p].text = Some((r + 1, bm25));
            }
            None => {
                let (tag_score, tag_part) = match extra_tag_ranks.get(&id) {
                    Some(&(rank, s)) => (s, 1.0 / (RRF_K + rank as f32)),
                    None => (0.0, 0.0),
                };
                position.insert(id, out.len());
                out.push(Fused {
                    id,
                    score: add + tag_part,
                    tag_score,
                    text: Some((r + 1, bm25)),
                });
            }
        }
    }
    // A stable sort: equal fused scores keep the tag ranking's order.
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// The 1-based rank of each of `targets` in the ranking of `scores` restricted to `accept`
/// (ties ranked by the smaller index first, as [`crate::ann::TopK`] does).
///
/// One pass over `scores`. Each score finds how many targets rank below it through a table
/// indexed by the top 16 bits of an order-preserving integer image of the score (sign,
/// exponent, 7 mantissa bits), so only the few scores that share a bucket with a target are
/// compared with it one by one.
pub fn ranks_of(scores: &[f32], accept: Option<&[bool]>, targets: &[usize]) -> Vec<usize> {
    if targets.is_empty() {
        return Vec::new();
    }
    let mut sorted: Vec<(Scored, usize)> = targets
        .iter()
        .zip(0..)
        .map(|(&id, original)| {
            (
                Scored {
                    id,
                    score: scores[id],
                },
                original,
            )
        })
        .collect();
    sorted.sort_by_key(|a| a.0);
    let bucket = |score: f32| (order_key(score) >> 16) as usize;
    let lowest = bucket(sorted[0].0.score);
    let highest = bucket(sorted[sorted.len() - 1].0.score);
    // starts[b - lowest]: targets in buckets below b; the targets of bucket b are
    // sorted[starts[b - lowest]..starts[b - lowest + 1]].
    let mut starts = vec![0u32; highest - lowest + 2];
    for (key, _) in &sorted {
        starts[bucket(key.score) - lowest + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    // above[k]: tracks ranked above sorted[k] (counted through the smallest key it beats).
    let mut above = vec![0usize; sorted.len()];
    for (i, &s) in scores.iter().enumerate() {
        let b = bucket(s);
        if b < lowest || accept.is_some_and(|a| !a[i]) {
            continue;
        }
        // Targets ranked below this track: those whose key is smaller than its key.
        let below = if b > highest {
            sorted.len()
        } else {
            let (from, to) = (starts[b - lowest] as usize, starts[b - lowest + 1] as usize);
            let item = Scored { id: i, score: s };
            from + sorted[from..to].iter().filter(|(k, _)| *k < item).count()
        };
        if below > 0 {
            above[below - 1] += 1;
        }
    }
    // A track above target k is above every target smaller than k too: suffix sums.
    for k in (0..above.len().saturating_sub(1)).rev() {
        above[k] += above[k + 1];
    }
    let mut out = vec![0usize; targets.len()];
    for (k, &(_, original)) in sorted.iter().enumerate() {
        out[original] = above[k] + 1;
    }
    out
}

/// An integer whose order is `f32::total_cmp`'s order of the scores.
fn order_key(score: f32) -> u32 {
    let bits = score.to_bits();
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_of_counts_the_tracks_above() {
        let scores = [0.5, 0.9, 0.1, 0.7, 0.7];
        assert_eq!(
            ranks_of(&scores, None, &[1, 0, 2, 4, 3]),
            vec![1, 4, 5, 3, 2]
        );
        let accept = [true, false, true, true, true];
        assert_eq!(ranks_of(&scores, Some(&accept), &[0, 2]), vec![3, 4]);
    }

    #[test]
    fn ranks_of_matches_sorting_the_whole_ranking() {
        // Scores with many ties, both signs, zeros and near neighbours in one bucket.
        let n = 5000;
        let scores: Vec<f32> = (0..n)
            .map(|i| {
                let x = ((i * 2654435761usize) % 1009) as f32;
                (x - 500.0) / 37.0 + if i % 7 == 0 { 1e-6 } else { 0.0 }
            })
            .chain([0.0, -0.0, 1.0, 1.0])
            .collect();
        let accept: Vec<bool> = (0..scores.len()).map(|i| i % 5 != 3).collect();
        let targets: Vec<usize> = (0..scores.len())
            .step_by(97)
            .chain([n, n + 1, n + 2])
            .collect();
        for mask in [None, Some(&accept[..])] {
            let mut ranking: Vec<Scored> = (0..scores.len())
                .filter(|&i| mask.is_none_or(|m| m[i]))
                .map(|id| Scored {
                    id,
                    score: scores[id],
                })
                .collect();
            ranking.sort_by(|a, b| b.cmp(a));
            let expected: Vec<usize> = targets
                .iter()
                .map(|&t| {
                    let key = Scored {
                        id: t,
                        score: scores[t],
                    };
                    ranking.iter().filter(|s| **s > key).count() + 1
                })
                .collect();
            assert_eq!(ranks_of(&scores, mask, &targets), expected);
        }
        assert!(ranks_of(&scores, None, &[]).is_empty());
    }

    #[test]
    fn fusion_lifts_a_track_found_by_both() {
        let tag = [
            Scored { id: 0, score: 3.0 },
            Scored { id: 1, score: 2.0 },
            Scored { id: 2, score: 1.0 },
        ];
        let fused = fuse(&tag, &[(2, 5.0), (7, 1.0)], &HashMap::new());
        let ids: Vec<usize> = fused.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![2, 0, 1, 7]);
        assert_eq!(fused[0].text, Some((1, 5.0)));
        assert_eq!(fused[3].tag_score, 0.0);
    }
}
