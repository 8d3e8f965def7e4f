//! The tag space: one vector per tag, and free-text queries mapped to weighted tags.
//!
//! A tag's vector mixes the word vectors of its name with those of a short gloss written for
//! musearch ([`data`]: "slow: slow tempo, unhurried, calm and gentle …"). Glosses pull apart
//! tags whose names alone sit close in word space and give one-word tags a context. A second
//! list per tag names the situations people choose that music for (activities, times, places,
//! occasions); its words join the tag vector with their own weight and the tag's words, so that
//! a query about a situation reaches tags no word of it resembles.
//!
//! A query ([`TagSpace::weigh`], in [`weigh`]) is parsed ([`crate::query`]). Each positive term
//! is compared with each tag by
//!
//! * cosine similarity after *centering* (the mean tag vector is subtracted from tags and
//!   terms, removing the direction all music words share), blended with the mean of the
//!   term's best matches among the tag's own name and gloss words (word-level matching);
//! * a *gloss classifier*: a ridge regression from word vectors to tags trained on the gloss
//!   words (each labelled with its tag) and on frequent vocabulary words labelled with no tag,
//!   so that generic words map to nothing;
//!
//! and the two are blended. Hubness (tags close to everything, such as "beautiful" or
//! "chillout") is reduced by standardising each tag's similarity with its mean and spread over
//! the frequent vocabulary (a z-score). Per-term scores are standardised across tags and
//! averaged with smooth-inverse-frequency weights (generic words such as "day" count less). A
//! pseudo-relevance feedback step then lifts the tags whose vectors are close to the three best
//! (a query that finds `quiet` also lifts `soft` and `ambient`), on the scale of the scores'
//! spread.
//!
//! Negated terms subtract their similarity, give weight to the tags that mean their absence
//! (`no vocals`, `instrumental` for a negated "vocals"), and turn the opposites of the tag they
//! name into positive terms (a negated `slow` asks for `fast`). Antonym pairs from the gloss
//! file (slow/fast, happy/sad, male/female …) are pushed apart, as word vectors put antonyms
//! close together; tags of a synonym group (`no vocals`/`no vocal`/`instrumental` …) are lifted
//! towards the best of their group.
//!
//! The files: [`data`] (the shipped glosses, contexts and synonyms), [`config`] (the knobs:
//! the tuned method and the seed baseline, mean word vector → nearest tags by cosine),
//! [`build`] (the tag vectors), [`weigh`] (query → weighted tags), [`ensemble`] (several word-
//! vector sets combined).

pub mod build;
pub mod config;
pub mod data;
pub mod ensemble;
pub mod weigh;

pub use config::TagSpaceConfig;
pub use data::{
    default_glosses, parse_contexts, parse_glosses, parse_synonyms, TagContexts, TagGloss,
    CONTEXTS_TSV, GLOSSES_TSV, SYNONYMS_TSV,
};
pub use ensemble::weigh_ensemble;

use crate::query::{ParsedQuery, QueryParser};
use crate::vectors::WordVectors;

/// A tag with its weight for a query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WeightedTag {
    /// Canonical tag name.
    pub tag: String,
    /// Score: higher is more relevant; negative means the query pushes the tag down.
    pub weight: f32,
}

/// A query mapped onto the tag space.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryTags {
    /// The parsed query.
    pub parsed: ParsedQuery,
    /// Every tag with its weight, best first.
    pub tags: Vec<WeightedTag>,
    /// True when no term could be placed in the tag space: rank by full-text search over
    /// metadata with [`ParsedQuery::text_terms`] instead.
    pub text_only: bool,
}

impl QueryTags {
    /// The tag names, best first.
    pub fn ranking(&self) -> Vec<String> {
        self.tags.iter().map(|t| t.tag.clone()).collect()
    }

    /// The weight of `tag`.
    pub fn weight(&self, tag: &str) -> Option<f32> {
        self.tags.iter().find(|t| t.tag == tag).map(|t| t.weight)
    }

    /// The rank (0 = best) of `tag`.
    pub fn rank(&self, tag: &str) -> Option<usize> {
        self.tags.iter().position(|t| t.tag == tag)
    }
}

/// Tag vectors over a word-vector space, and the query → weighted tags mapping.
pub struct TagSpace {
    vectors: WordVectors,
    parser: QueryParser,
    tags: Vec<String>,
    /// Unit tag vectors (centred when configured).
    tag_vecs: Vec<Vec<f32>>,
    /// Mean of the raw tag vectors (subtracted when centering).
    mean: Vec<f32>,
    /// The words of every tag (name, gloss, contexts), each word once: unit (centred)
    /// vectors, row after row, for word-level matching. A word several tags share (many
    /// glosses say "calm") is compared with a query term once.
    word_rows: Vec<f32>,
    /// The rows in `word_rows` of each tag's words.
    tag_word_rows: Vec<Vec<u32>>,
    /// The gloss classifier (dims × tags), when configured.
    ridge: Option<Vec<Vec<f32>>>,
    /// Mean and standard deviation of each tag's similarity over the word pool.
    stats: Vec<(f32, f32)>,
    /// Opposite tags, by index.
    opposites: Vec<Vec<usize>>,
    /// Synonymous tags, by index (without the tag itself).
    synonyms: Vec<Vec<usize>>,
    /// Unit vectors of what each tag is the absence of (none for most tags).
    absence: Vec<Option<Vec<f32>>>,
    config: TagSpaceConfig,
}

impl std::fmt::Debug for TagSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagSpace")
            .field("vectors", &self.vectors)
            .field("tags", &self.tags.len())
            .field("config", &self.config)
            .finish()
    }
}

pub use crate::ann::dot;

/// Scale `v` to unit length in place (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// `acc += w·v`.
fn add_scaled(acc: &mut [f32], v: &[f32], w: f32) {
    acc.iter_mut().zip(v).for_each(|(a, x)| *a += w * x);
}

impl TagSpace {
    /// Row `r` of `word_rows`.
    fn word_row(&self, r: u32) -> &[f32] {
        let dims = self.vectors.dims();
        &self.word_rows[r as usize * dims..(r as usize + 1) * dims]
    }

    /// A word's vector as the configuration reads them (raw or unit length).
    fn lookup(&self, word: &str) -> Option<Vec<f32>> {
        lookup(&self.vectors, self.config.raw_vectors, word)
    }

    /// The word vectors underneath.
    pub fn vectors(&self) -> &WordVectors {
        &self.vectors
    }

    /// The query parser for this tag vocabulary.
    pub fn parser(&self) -> &QueryParser {
        &self.parser
    }

    /// The tags, in vocabulary order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The configuration in use.
    pub fn config(&self) -> &TagSpaceConfig {
        &self.config
    }

    /// The (centred, unit) vector of tag `index`.
    pub fn tag_vector(&self, index: usize) -> &[f32] {
        &self.tag_vecs[index]
    }

    /// A word's vector in tag-space coordinates (centred, unit), if known.
    pub fn word_vector(&self, word: &str) -> Option<Vec<f32>> {
        self.vectors.get(word).map(|v| self.to_space(&v))
    }

    /// `v` in tag-space coordinates: centred, unit length.
    fn to_space(&self, v: &[f32]) -> Vec<f32> {
        let mut c: Vec<f32> = v.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        normalize(&mut c);
        c
    }
}

/// The vector of `word`: the source's raw vector when `raw` (as spaCy's `Doc.vector` averages
/// them), else the unit-length one.
fn lookup(vectors: &WordVectors, raw: bool, word: &str) -> Option<Vec<f32>> {
    if raw {
        vectors.get_raw(word)
    } else {
        vectors.get(word)
    }
}

/// Mean and standard deviation (at least 1e-6) of `v`.
fn mean_sd(v: &[f32]) -> (f32, f32) {
    let n = v.len().max(1) as f32;
    let m = v.iter().sum::<f32>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / n;
    (m, var.sqrt().max(1e-6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_space_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TagSpace>();
        assert_send_sync::<crate::neighbours::VocabIndex>();
    }
}
