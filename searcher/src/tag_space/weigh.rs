//! Weighing a query: free text → a weight for every tag of a [`TagSpace`].

use super::{add_scaled, dot, mean_sd, normalize, QueryTags, TagSpace, WeightedTag};
use crate::query::{ParsedQuery, TermKind};

impl TagSpace {
    /// Weight of a query word: smooth inverse frequency `a / (a + p(w))` with `p` from the
    /// word's frequency rank (Zipf), so that generic words ("day", "shop") count less than
    /// specific ones; 1 when `query_sif_a` is 0.
    fn query_weight(&self, word: &str) -> f32 {
        let a = self.config.query_sif_a;
        if a <= 0.0 {
            return 1.0;
        }
        let n = self.vectors.len().max(2) as f32;
        let rank = self.vectors.index(word).unwrap_or(self.vectors.len()) as f32;
        let p = 1.0 / ((rank + 1.0) * n.ln());
        a / (a + p)
    }

    /// Similarity of a term vector (tag-space coordinates) to every tag: cosine to the tag
    /// vector, blended with the mean of its best word-level matches among the tag's words.
    fn similarities(&self, v: &[f32]) -> Vec<f32> {
        let w = self.config.maxsim_weight;
        let word_sims: Vec<f32> = if w > 0.0 {
            self.word_rows
                .chunks_exact(self.vectors.dims())
                .map(|row| dot(v, row))
                .collect()
        } else {
            Vec::new()
        };
        self.tag_vecs
            .iter()
            .zip(&self.tag_word_rows)
            .map(|(t, rows)| {
                let centroid = dot(v, t);
                if w <= 0.0 || rows.is_empty() {
                    return centroid;
                }
                let words = mean_of_top(
                    rows.iter().map(|&r| word_sims[r as usize]),
                    self.config.maxsim_top,
                );
                (1.0 - w) * centroid + w * words
            })
            .collect()
    }

    /// One positive term's scores over the tags: [`Self::similarities`] blended with the gloss
    /// classifier, then standardised across tags (`term_standardize`).
    fn term_scores(&self, v: &[f32]) -> Vec<f32> {
        let cfg = &self.config;
        let mut sims = self.similarities(v);
        if let Some(ridge) = &self.ridge {
            let r = crate::ridge::apply(ridge, v);
            let (rm, rsd) = mean_sd(&r);
            let (sm, ssd) = mean_sd(&sims);
            let b = cfg.ridge_weight;
            for (x, ri) in sims.iter_mut().zip(&r) {
                // Blend on the similarities' scale.
                *x = (1.0 - b) * *x + b * (sm + ssd * (ri - rm) / rsd);
            }
        }
        if cfg.term_standardize > 0.0 {
            // Put every term on the same scale across tags, so that a word close to all tags
            // ("day") does not outweigh a discriminating one.
            let (m, sd) = mean_sd(&sims);
            let t = cfg.term_standardize;
            for x in &mut sims {
                *x = (1.0 - t) * *x + t * 0.1 * (*x - m) / sd;
            }
        }
        sims
    }

    /// Pseudo-relevance feedback: every tag rises by the mean cosine between its vector and
    /// the vectors of the `feedback_k` best-scoring tags, times `feedback_weight` and the
    /// spread of `scores` (so the lift is on the scores' own scale).
    fn feedback(&self, scores: &mut [f32]) {
        let k = self.config.feedback_k.min(scores.len());
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let top = &order[..k];
        let (_, sd) = mean_sd(scores);
        let lift: Vec<f32> = (0..scores.len())
            .map(|t| {
                let sum: f32 = top
                    .iter()
                    .map(|&u| dot(&self.tag_vecs[u], &self.tag_vecs[t]))
                    .sum();
                self.config.feedback_weight * sd * sum / k.max(1) as f32
            })
            .collect();
        for (s, l) in scores.iter_mut().zip(lift) {
            *s += l;
        }
    }

    /// Map `query` to weights over every tag, best first.
    pub fn weigh(&self, query: &str) -> QueryTags {
        let cfg = &self.config;
        let known = |w: &str| self.vectors.contains(w);
        let parsed = if cfg.parse_query {
            self.parser.parse(query, &known)
        } else {
            seed_parse(query, &known)
        };
        let n = self.tags.len();
        let mut pos = vec![0.0f32; n];
        let mut neg = vec![0.0f32; n];
        let mut bonus = vec![0.0f32; n];
        let mut placed = 0usize;

        let term_vector = |kind: TermKind, text: &str, words: &[String]| -> Option<Vec<f32>> {
            if kind == TermKind::Tag {
                if let Some(i) = self.tags.iter().position(|t| t == text) {
                    if dot(&self.tag_vecs[i], &self.tag_vecs[i]) > 0.0 {
                        return Some(self.tag_vecs[i].clone());
                    }
                }
            }
            let mut v = vec![0.0; self.vectors.dims()];
            let mut any = false;
            for w in words {
                if let Some(x) = self.lookup(w) {
                    add_scaled(&mut v, &x, 1.0);
                    any = true;
                }
            }
            if !any {
                return None;
            }
            Some(self.to_space(&v))
        };

        // Positive term vectors with their weights.
        let mut positives: Vec<(Vec<f32>, f32)> = Vec::new();
        // The seed's pooled query vector: the sum of the words' (raw) vectors.
        let mut pooled = vec![0.0; self.vectors.dims()];
        for term in &parsed.terms {
            let literal = (term.kind == TermKind::Tag)
                .then(|| self.tags.iter().position(|t| *t == term.text))
                .flatten();
            let vec = term_vector(term.kind, &term.text, &term.words);
            if vec.is_some() || literal.is_some() {
                placed += 1;
            }
            if term.negated {
                // The tag the negated term names: itself when literal, else the nearest tag
                // when the term is almost a tag name ("quick" → fast). Its opposites are the
                // meaning of the negation ("not sad" → happy), not tags to push down.
                let anchor = literal.or_else(|| {
                    let v = vec.as_ref()?;
                    let (best, sim) = self
                        .tag_vecs
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (i, dot(v, t)))
                        .max_by(|a, b| a.1.total_cmp(&b.1))?;
                    (sim >= cfg.anchor_similarity).then_some(best)
                });
                let exempt: &[usize] = anchor.map_or(&[], |a| &self.opposites[a]);
                if let Some(v) = &vec {
                    let mut raw = vec![0.0; self.vectors.dims()];
                    for x in term.words.iter().filter_map(|w| self.vectors.get(w)) {
                        add_scaled(&mut raw, &x, 1.0);
                    }
                    normalize(&mut raw);
                    for (i, t) in self.tag_vecs.iter().enumerate() {
                        if !exempt.contains(&i) {
                            neg[i] = neg[i].max(dot(v, t));
                        }
                        if let Some(a) = &self.absence[i] {
                            // Only a term that names what the tag is the absence of
                            // ("vocals", "singing") counts: similarity above 0.5, rescaled.
                            let sim = (dot(&raw, a) - 0.5).max(0.0) * 2.0;
                            bonus[i] = bonus[i].max(cfg.absence_weight * sim);
                        }
                    }
                }
                if let Some(a) = anchor {
                    neg[a] = neg[a].max(1.0);
                    // "not sad" asks for the opposite: its tags become positive terms.
                    for &o in &self.opposites[a] {
                        bonus[o] = bonus[o].max(cfg.negated_opposite_weight);
                        if dot(&self.tag_vecs[o], &self.tag_vecs[o]) > 0.0 {
                            positives.push((self.tag_vecs[o].clone(), cfg.negated_opposite_weight));
                        }
                    }
                }
            } else {
                if let Some(v) = vec {
                    let weight = match term.kind {
                        TermKind::Tag => 1.0,
                        _ => {
                            let w: Vec<f32> =
                                term.words.iter().map(|w| self.query_weight(w)).collect();
                            w.iter().sum::<f32>() / w.len().max(1) as f32
                        }
                    };
                    positives.push((v, weight));
                }
                for w in &term.words {
                    if let Some(x) = self.lookup(w) {
                        add_scaled(&mut pooled, &x, 1.0);
                    }
                }
                if let Some(l) = literal {
                    pos[l] += cfg.literal_boost;
                }
            }
        }

        if !positives.is_empty() {
            if cfg.per_term {
                let total: f32 = positives.iter().map(|(_, w)| w).sum::<f32>().max(1e-6);
                for (v, w) in &positives {
                    for (p, x) in pos.iter_mut().zip(self.term_scores(v)) {
                        *p += w * x / total;
                    }
                }
            } else {
                let q = self.to_space(&pooled);
                for (i, t) in self.tag_vecs.iter().enumerate() {
                    pos[i] += dot(&q, t);
                }
            }
        }

        if cfg.zscore > 0.0 && !positives.is_empty() {
            for (i, p) in pos.iter_mut().enumerate() {
                let (mean, sd) = self.stats[i];
                let z = (*p - mean) / sd;
                // Blend raw cosine and z-score (z is rescaled to cosine-like magnitudes).
                *p = (1.0 - cfg.zscore) * *p + cfg.zscore * z * 0.1;
            }
        }
        if cfg.feedback_k > 0 && cfg.feedback_weight != 0.0 && !positives.is_empty() {
            self.feedback(&mut pos);
        }
        let mut score: Vec<f32> = (0..n)
            .map(|i| pos[i] - cfg.negation_weight * neg[i].max(0.0) + bonus[i])
            .collect();
        if cfg.antonym_weight > 0.0 {
            let before = score.clone();
            // Of two opposite tags, the weaker loses a share of the stronger's score: word
            // vectors place antonyms so close that a query rarely separates them by itself.
            for (i, opp) in self.opposites.iter().enumerate() {
                for &o in opp {
                    if before[o] > before[i] {
                        score[i] -= cfg.antonym_weight * before[o].abs();
                    }
                }
            }
        }
        if cfg.synonym_lift > 0.0 {
            let before = score.clone();
            for (i, group) in self.synonyms.iter().enumerate() {
                let best = group.iter().map(|&j| before[j]).fold(f32::MIN, f32::max);
                if best > before[i] {
                    score[i] += cfg.synonym_lift * (best - before[i]);
                }
            }
        }
        let mut tags: Vec<WeightedTag> = self
            .tags
            .iter()
            .zip(score)
            .map(|(t, w)| WeightedTag {
                tag: t.clone(),
                weight: w,
            })
            .collect();
        tags.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        QueryTags {
            parsed,
            tags,
            text_only: placed == 0,
        }
    }
}

/// The seed method's reading of a query: every token the vectors know, none negated.
fn seed_parse(query: &str, known: &dyn Fn(&str) -> bool) -> ParsedQuery {
    let terms = crate::query::tokenize(query)
        .into_iter()
        .filter_map(crate::query::Token::word)
        .flat_map(|w| {
            if known(&w) {
                vec![w]
            } else {
                w.split('-').map(str::to_owned).collect()
            }
        })
        .map(|w| crate::query::Term {
            kind: if known(&w) {
                TermKind::Word
            } else {
                TermKind::Unknown
            },
            words: vec![w.clone()],
            text: w,
            negated: false,
        })
        .collect();
    ParsedQuery { terms }
}

/// The mean of the `m` largest of `values` (at least one; all of them when there are fewer),
/// without allocating for the usual small `m`. Empty input gives 0.
fn mean_of_top(values: impl Iterator<Item = f32>, m: usize) -> f32 {
    const SMALL: usize = 8;
    let m = m.max(1);
    if m > SMALL {
        let mut all: Vec<f32> = values.collect();
        all.sort_unstable_by(|a, b| b.total_cmp(a));
        let m = m.min(all.len()).max(1);
        return all.iter().take(m).sum::<f32>() / m as f32;
    }
    // best[..kept], largest first.
    let mut best = [f32::NEG_INFINITY; SMALL];
    let mut kept = 0;
    for x in values {
        if kept == m && x <= best[m - 1] {
            continue;
        }
        let mut j = kept.min(m - 1);
        while j > 0 && best[j - 1] < x {
            best[j] = best[j - 1];
            j -= 1;
        }
        best[j] = x;
        kept = (kept + 1).min(m);
    }
    if kept == 0 {
        return 0.0;
    }
    best[..kept].iter().sum::<f32>() / kept as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag_space::{default_glosses, TagSpaceConfig};
    use crate::vectors::WordVectors;

    #[test]
    fn mean_of_top_matches_sorting() {
        let values: [f32; 7] = [0.3, -1.0, 0.9, 0.9, 0.1, 2.5, -0.2];
        for m in 0..12 {
            let mut sorted = values.to_vec();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let k = m.clamp(1, values.len());
            let expected = sorted[..k].iter().sum::<f32>() / k as f32;
            let got = mean_of_top(values.iter().copied(), m);
            assert!(
                (got - expected).abs() < 1e-6,
                "m = {m}: {got} vs {expected}"
            );
        }
        assert_eq!(mean_of_top(std::iter::empty(), 2), 0.0);
    }

    fn tiny_space(config: TagSpaceConfig) -> TagSpace {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/vectors/glove-50d-tiny.fifu");
        let vectors = WordVectors::open(&path).expect("fixtures/vectors/glove-50d-tiny.fifu");
        let tags = musearch_models::tags::union_vocabulary();
        TagSpace::new(vectors, &tags, &default_glosses(), config)
    }

    #[test]
    fn feedback_lifts_the_neighbours_of_the_best_tags() {
        // Without the rank-based post-steps the feedback is the only difference.
        let base = TagSpaceConfig {
            antonym_weight: 0.0,
            synonym_lift: 0.0,
            ..TagSpaceConfig::default()
        };
        let off = tiny_space(TagSpaceConfig {
            feedback_k: 0,
            ..base.clone()
        });
        let on = tiny_space(TagSpaceConfig {
            feedback_k: 3,
            feedback_weight: 1.0,
            ..base
        });
        for query in ["calm piano", "loud guitars", "sad"] {
            let a = off.weigh(query);
            let b = on.weigh(query);
            let top: Vec<usize> = a.tags[..3]
                .iter()
                .map(|t| off.tags().iter().position(|x| *x == t.tag).unwrap())
                .collect();
            let lift: Vec<f32> = off
                .tags()
                .iter()
                .map(|t| b.weight(t).unwrap() - a.weight(t).unwrap())
                .collect();
            // The lift of a tag is proportional to its mean cosine with the three best tags.
            let cos: Vec<f32> = (0..lift.len())
                .map(|t| {
                    top.iter()
                        .map(|&u| dot(off.tag_vector(u), off.tag_vector(t)))
                        .sum::<f32>()
                })
                .collect();
            let best_lift = (0..lift.len())
                .max_by(|&x, &y| lift[x].total_cmp(&lift[y]))
                .unwrap();
            let best_cos = (0..cos.len())
                .max_by(|&x, &y| cos[x].total_cmp(&cos[y]))
                .unwrap();
            assert_eq!(best_lift, best_cos, "{query}");
            for &u in &top {
                assert!(lift[u] > 0.0, "{query}: {} not lifted", off.tags()[u]);
            }
            let worst = (0..cos.len())
                .min_by(|&x, &y| cos[x].total_cmp(&cos[y]))
                .unwrap();
            assert!(lift[worst] < lift[best_lift], "{query}");
        }
    }

    #[test]
    fn negation_still_pushes_down_with_feedback() {
        let space = tiny_space(TagSpaceConfig::default());
        assert!(space.config().feedback_k > 0);
        let n = space.tags().len();
        for (query, tag) in [
            ("calm music without piano", "piano"),
            ("not sad", "sad"),
            ("happy but not loud", "loud"),
        ] {
            let r = space.weigh(query);
            assert!(r.weight(tag).unwrap() < 0.0, "{query}: {tag}");
            assert!(r.rank(tag).unwrap() > n / 2, "{query}: {tag}");
        }
        // An antonym of the named tag is what "not X" asks for.
        assert_eq!(space.weigh("not slow").tags[0].tag, "fast");
    }
}
