//! The knobs of the query → tag mapping: the tuned method and the seed baseline.

/// Knobs of the query → tag mapping. [`TagSpaceConfig::default`] is the tuned method;
/// [`TagSpaceConfig::seed`] the baseline (mean word vector, nearest tags by cosine).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TagSpaceConfig {
    /// Weight of the tag name's words in the tag vector.
    pub name_weight: f32,
    /// Weight of the gloss words in the tag vector (0: names only).
    pub gloss_weight: f32,
    /// Weight of the listening-context words (`data/tag_contexts.tsv`) in the tag vector;
    /// when above 0 they also join the tag's words for word-level matching and the gloss
    /// classifier (0: contexts unused).
    pub context_weight: f32,
    /// Smooth-inverse-frequency constant for gloss words (0: plain mean).
    pub sif_a: f32,
    /// Subtract the mean tag vector before comparing (hubness correction).
    pub center: bool,
    /// How many of the most frequent vocabulary words form the pool for the z-score
    /// statistics (and the gloss classifier's background examples).
    pub hub_pool: usize,
    /// Weight of word-level matching: a term's similarity to a tag also counts its mean
    /// similarity to the `maxsim_top` closest words of the tag's name and gloss (0: centroid
    /// only, 1: words only).
    pub maxsim_weight: f32,
    /// How many of a tag's closest words count in word-level matching.
    pub maxsim_top: usize,
    /// Standardise each tag's similarity by its mean and spread over the pool of frequent
    /// words (a z-score: hubness reduction by local scaling); 0 = off, 1 = full.
    pub zscore: f32,
    /// Score added to a tag the query names literally.
    pub literal_boost: f32,
    /// Weight of a negated term's similarity, subtracted.
    pub negation_weight: f32,
    /// Weight given to "absence" tags (`no vocals`) by a negated term.
    pub absence_weight: f32,
    /// Weight given to the opposites of a negated tag.
    pub negated_opposite_weight: f32,
    /// Synonym lift: a tag rises by this share of its gap to the best tag of its synonym
    /// group (`data/tag_synonyms.tsv`).
    pub synonym_lift: f32,
    /// Weight of the gloss classifier: a ridge regression from word vectors to tags, trained on
    /// the tag names and gloss words (each word labelled with its tags); its per-term outputs,
    /// standardised across tags, are blended with the similarities (0 = off, 1 = only it).
    pub ridge_weight: f32,
    /// Ridge penalty of the gloss classifier.
    pub ridge_lambda: f32,
    /// Background examples for the gloss classifier: this many frequent vocabulary words
    /// (evenly spaced over the hub pool) with no tag, so that generic words map to nothing.
    pub ridge_background: usize,
    /// Standardise each positive term's similarities across tags before averaging terms
    /// (0 = off, 1 = full z-scores).
    pub term_standardize: f32,
    /// Smooth-inverse-frequency constant for weighting query words (0: all equal).
    pub query_sif_a: f32,
    /// A negated word at least this similar to a tag counts as naming that tag.
    pub anchor_similarity: f32,
    /// Antonym push: the weaker of an opposite pair loses this share of the stronger's score.
    pub antonym_weight: f32,
    /// Average per-term similarities (true) or compare tags with the mean query vector (false).
    pub per_term: bool,
    /// Pseudo-relevance feedback in the tag space: the `feedback_k` best tags of the first
    /// pass lift the tags close to them (by tag-vector cosine); 0 = off.
    pub feedback_k: usize,
    /// Weight of the feedback, in units of the spread of the first-pass scores.
    pub feedback_weight: f32,
    /// Parse the query ([`crate::query::QueryParser`]: stop words, phrases, negation); false:
    /// every known token counts and none is negated, as the seed does.
    pub parse_query: bool,
    /// Average the source's raw vectors (true, as spaCy's `Doc.vector` does) or unit vectors.
    pub raw_vectors: bool,
}

impl Default for TagSpaceConfig {
    /// The tuned method (chosen on `shared/eval/queries-dev.tsv`, checked on the held-out
    /// `fixtures/eval/queries-heldout.tsv`; see `docs/BENCHMARKS.md`).
    fn default() -> Self {
        TagSpaceConfig {
            name_weight: 1.0,
            gloss_weight: 2.0,
            context_weight: 1.0,
            sif_a: 1e-3,
            center: true,
            hub_pool: 50_000,
            zscore: 0.5,
            maxsim_weight: 0.4,
            maxsim_top: 2,
            literal_boost: 0.5,
            negation_weight: 1.0,
            absence_weight: 1.0,
            negated_opposite_weight: 0.5,
            anchor_similarity: 0.7,
            query_sif_a: 1e-4,
            ridge_weight: 0.6,
            ridge_lambda: 3.0,
            ridge_background: 10_000,
            term_standardize: 1.0,
            synonym_lift: 0.5,
            antonym_weight: 0.5,
            per_term: true,
            feedback_k: 3,
            feedback_weight: 1.0,
            parse_query: true,
            raw_vectors: false,
        }
    }
}

impl TagSpaceConfig {
    /// The seed method: tag vector = mean of its name's word vectors; query vector = mean of
    /// its known tokens' vectors; tags ranked by cosine. No glosses, no corrections.
    pub fn seed() -> Self {
        TagSpaceConfig {
            name_weight: 1.0,
            gloss_weight: 0.0,
            context_weight: 0.0,
            sif_a: 0.0,
            center: false,
            hub_pool: 0,
            zscore: 0.0,
            maxsim_weight: 0.0,
            maxsim_top: 2,
            literal_boost: 0.0,
            negation_weight: 0.0,
            absence_weight: 0.0,
            negated_opposite_weight: 0.0,
            anchor_similarity: 2.0,
            query_sif_a: 0.0,
            ridge_weight: 0.0,
            ridge_lambda: 1.0,
            ridge_background: 0,
            term_standardize: 0.0,
            synonym_lift: 0.0,
            antonym_weight: 0.0,
            per_term: false,
            feedback_k: 0,
            feedback_weight: 0.0,
            parse_query: false,
            raw_vectors: true,
        }
    }
}
