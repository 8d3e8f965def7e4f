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
    out.query = columns_of(&tags, catalog);
    out.tags = tags;
    out
}

/// The (model, tag) columns of weighted tags: a tag's weight shared equally among its models.
fn columns_of(tags: &[TagWeight], catalog: &Catalog) -> SparseQuery {
    let mut query = SparseQuery::default();
    for t in tags {
        let columns = catalog.tag_columns(&t.tag);
        let share = t.weight / columns.len() as f32;
        query.terms.extend(columns.iter().map(|&c| (c, share)));
    }
    query
}

/// The literal tags (not negated, in the catalog) of `parsed`, and its other positive terms
/// the word vectors know.
fn concepts<'a>(
    parsed: &'a crate::query::ParsedQuery,
    catalog: &Catalog,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let positive = parsed.terms.iter().filter(|t| !t.negated);
    let literal = positive
        .clone()
        .filter(|t| t.kind == TermKind::Tag && !catalog.tag_columns(&t.text).is_empty())
        .map(|t| t.text.as_str())
        .collect();
    let other = positive
        .filter(|t| t.kind == TermKind::Word)
        .map(|t| t.text.as_str())
        .collect();
    (literal, other)
}

/// The query made of the other concepts when `parsed` names a tag literally and has other
/// known positive terms too ("calm piano for a rainy day" → "calm rainy day"); `None` otherwise.
pub fn remainder_query(parsed: &crate::query::ParsedQuery, catalog: &Catalog) -> Option<String> {
    let (literal, other) = concepts(parsed, catalog);
    (!literal.is_empty() && !other.is_empty()).then(|| other.join(" "))
}

/// The plan of a query that may mix literal tags with other words: [`plan`] of the whole
/// query, and, when `rest` (the other words weighed on their own, see [`remainder_query`])
/// is given, its positive tags added to the literal ones. Weighed together, a literal tag's
/// boost makes every other tag look weak next to it and the plan would keep it alone; here
/// each concept keeps its tags: the literal tags weigh 1.0, the other words' tags are scaled
/// so that their best weighs the other words' share of the query's concepts (two words
/// beside one tag: 2/3).
pub fn plan_concepts(
    whole: &QueryTags,
    rest: Option<&QueryTags>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> QueryPlan {
    let mut out = plan(whole, catalog, options);
    let Some(rest) = rest else {
        return out;
    };
    let (literal, other) = concepts(&whole.parsed, catalog);
    if literal.is_empty() || other.is_empty() {
        return out;
    }
    let share = other.len() as f32 / (other.len() + literal.len()) as f32;
    let extra = plan(rest, catalog, options);
    let positives = out.tags.iter().filter(|t| t.weight > 0.0).count();
    let room = (options.max_positive + literal.len()).saturating_sub(positives);
    let mut added: Vec<TagWeight> = extra
        .tags
        .iter()
        .filter(|t| t.weight > 0.0)
        .filter(|t| !out.tags.iter().any(|o| o.tag == t.tag))
        .take(room)
        .map(|t| TagWeight {
            tag: t.tag.clone(),
            weight: t.weight * share,
        })
        .collect();
    if added.is_empty() {
        return out;
    }
    // Positive tags first, then the negative ones, as `plan` orders them.
    let split = out
        .tags
        .iter()
        .position(|t| t.weight < 0.0)
        .unwrap_or(out.tags.len());
    let negatives = out.tags.split_off(split);
    out.tags.append(&mut added);
    out.tags.extend(negatives);
    out.query = columns_of(&out.tags, catalog);
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

/// How deep into the tag ranking reciprocal rank fusion looks: a text hit outside the tag
/// ranking's first `RRF_WINDOW` tracks (or first `depth + text hits`, when more) gets no tag
/// credit, as in the usual windowed RRF. The credit it could have had is below
/// `1 / (RRF_K + RRF_WINDOW)` ≈ 0.00094, under the gap between two neighbouring text ranks
/// among the first 25.
pub const RRF_WINDOW: usize = 1000;

/// Fuses a tag ranking (`tag`, best first: the window) with text hits (best first), by
/// reciprocal rank fusion, and returns the first `depth` tracks, best first; equal fused scores
/// keep the tag order, then the text order. A text hit outside the window gets no tag credit;
/// `outside_tag_score` gives its tag score (shown, not credited).
pub fn fuse(
    tag: &[Scored],
    text: &[(usize, f32)],
    outside_tag_score: impl Fn(usize) -> f32,
    depth: usize,
) -> Vec<Fused> {
    let text_rank: HashMap<usize, usize> = text
        .iter()
        .enumerate()
        .map(|(r, &(id, _))| (id, r))
        .collect();
    let credit = |rank0: usize| 1.0 / (RRF_K + (rank0 + 1) as f32);
    let mut in_window = vec![false; text.len()];
    let mut out: Vec<(usize, Fused)> = Vec::with_capacity(tag.len() + text.len());
    for (r, s) in tag.iter().enumerate() {
        let mut fused = Fused {
            id: s.id,
            score: credit(r),
            tag_score: s.score,
            text: None,
        };
        if let Some(&t) = text_rank.get(&s.id) {
            in_window[t] = true;
            fused.score += credit(t);
            fused.text = Some((t + 1, text[t].1));
        }
        out.push((out.len(), fused));
    }
    for (t, &(id, bm25)) in text.iter().enumerate() {
        if !in_window[t] {
            let fused = Fused {
                id,
                score: credit(t),
                tag_score: outside_tag_score(id),
                text: Some((t + 1, bm25)),
            };
            out.push((out.len(), fused));
        }
    }
    let best_first = |a: &(usize, Fused), b: &(usize, Fused)| {
        b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0))
    };
    if depth < out.len() {
        out.select_nth_unstable_by(depth, best_first);
        out.truncate(depth);
    }
    out.sort_unstable_by(best_first);
    out.into_iter().map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogBuilder;
    use crate::query::{ParsedQuery, Term};
    use crate::tag_space::WeightedTag;
    use musearch_index::ModelSpec;

    fn tag_catalog() -> Catalog {
        let spec = |name: &str, tags: &[&str]| ModelSpec {
            name: name.into(),
            version: "1".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            embedding_dim: 0,
        };
        CatalogBuilder::new(&[
            spec(
                "MTT_musicnn",
                &["piano", "guitar", "rock", "drums", "techno", "loud"],
            ),
            spec("MSD_musicnn", &["mellow", "chill", "guitar", "party"]),
        ])
        .build()
    }

    fn term(text: &str, kind: TermKind) -> Term {
        Term {
            text: text.into(),
            words: text.split(' ').map(String::from).collect(),
            kind,
            negated: false,
        }
    }

    fn weighed(terms: Vec<Term>, weights: &[(&str, f32)]) -> QueryTags {
        QueryTags {
            parsed: ParsedQuery { terms },
            tags: weights
                .iter()
                .map(|&(tag, weight)| WeightedTag {
                    tag: tag.into(),
                    weight,
                })
                .collect(),
            text_only: false,
        }
    }

    #[test]
    fn a_literal_tag_keeps_the_other_words_concepts() {
        let catalog = tag_catalog();
        let terms = vec![
            term("calm", TermKind::Word),
            term("piano", TermKind::Tag),
            term("rainy day", TermKind::Word),
        ];
        // Weighed together, the literal boost makes piano tower over everything else.
        let whole = weighed(
            terms.clone(),
            &[
                ("piano", 1.5),
                ("mellow", 0.30),
                ("chill", 0.28),
                ("guitar", 0.1),
                ("rock", 0.02),
                ("drums", 0.0),
                ("techno", -0.05),
                ("loud", -0.1),
                ("party", -0.1),
            ],
        );
        let alone = plan(&whole, &catalog, &PlanOptions::default());
        let names = |p: &QueryPlan| p.tags.iter().map(|t| t.tag.clone()).collect::<Vec<_>>();
        assert_eq!(names(&alone), ["piano"]);

        // The other words weighed on their own.
        let rest_terms = vec![
            term("calm", TermKind::Word),
            term("rainy day", TermKind::Word),
        ];
        let rest = weighed(
            rest_terms,
            &[
                ("mellow", 0.9),
                ("chill", 0.85),
                ("piano", 0.3),
                ("guitar", 0.1),
                ("rock", 0.0),
                ("drums", -0.1),
                ("techno", -0.2),
                ("loud", -0.3),
                ("party", -0.3),
            ],
        );
        let parsed = ParsedQuery { terms };
        assert_eq!(
            remainder_query(&parsed, &catalog).as_deref(),
            Some("calm rainy day")
        );
        let both = plan_concepts(&whole, Some(&rest), &catalog, &PlanOptions::default());
        assert_eq!(names(&both), ["piano", "mellow", "chill"]);
        assert_eq!(both.tags[0].weight, 1.0);
        // Two words beside one tag: their best tag weighs 2/3.
        assert!((both.tags[1].weight - 2.0 / 3.0).abs() < 1e-6);
        assert!(both.tags[2].weight < both.tags[1].weight);
        // The columns follow: piano (MTT), mellow (MSD), chill (MSD).
        assert_eq!(both.query.terms.len(), 3);

        // A query of one literal tag, or of words only, has no remainder.
        let only = ParsedQuery {
            terms: vec![term("piano", TermKind::Tag)],
        };
        assert_eq!(remainder_query(&only, &catalog), None);
        let words = ParsedQuery {
            terms: vec![term("calm", TermKind::Word)],
        };
        assert_eq!(remainder_query(&words, &catalog), None);
        assert_eq!(
            plan_concepts(&whole, None, &catalog, &PlanOptions::default()),
            alone
        );
    }

    #[test]
    fn fusion_lifts_a_track_found_by_both() {
        let tag = [
            Scored { id: 0, score: 3.0 },
            Scored { id: 1, score: 2.0 },
            Scored { id: 2, score: 1.0 },
        ];
        let fused = fuse(&tag, &[(2, 5.0), (7, 1.0)], |_| -0.5, 10);
        let ids: Vec<usize> = fused.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![2, 0, 1, 7]);
        assert_eq!(fused[0].text, Some((1, 5.0)));
        // Outside the tag window: its tag score is shown, not credited.
        assert_eq!(fused[3].tag_score, -0.5);
        assert_eq!(fused[3].score, 1.0 / (RRF_K + 2.0));
        // The first `depth` only, in the same order.
        let first = fuse(&tag, &[(2, 5.0), (7, 1.0)], |_| 0.0, 2);
        assert_eq!(first, fused[..2].to_vec());
    }

    #[test]
    fn fusion_equals_sorting_everything_and_keeps_ties_in_tag_order() {
        // Ties everywhere: equal tag ranks cannot happen, but equal fused scores can.
        let tag: Vec<Scored> = (0..300)
            .map(|id| Scored {
                id,
                score: 1.0 - id as f32 / 300.0,
            })
            .collect();
        let text: Vec<(usize, f32)> =
            [(5, 9.0), (250, 8.0), (1000, 7.0), (3, 6.0), (999, 5.0)].to_vec();
        let all = fuse(&tag, &text, |i| i as f32, usize::MAX);
        assert_eq!(all.len(), 302);
        for w in all.windows(2) {
            assert!(w[0].score >= w[1].score);
        }
        for depth in [0, 1, 7, 50, 301, 302, 400] {
            let first = fuse(&tag, &text, |i| i as f32, depth);
            assert_eq!(first, all[..depth.min(all.len())].to_vec(), "depth {depth}");
        }
        // Track 1000 is outside the window: text credit only, its own tag score shown.
        let outside = all.iter().find(|f| f.id == 1000).unwrap();
        assert_eq!(outside.tag_score, 1000.0);
        assert_eq!(outside.score, 1.0 / (RRF_K + 3.0));
    }
}
