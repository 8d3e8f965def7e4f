//! The tag space: one vector per tag, and free-text queries mapped to weighted tags.
//!
//! A tag's vector mixes the word vectors of its name with those of a short gloss written for
//! musearch (`data/tag_glosses.tsv`: "slow: slow tempo, unhurried, calm and gentle …"). Glosses
//! pull apart tags whose names alone sit close in word space and give one-word tags a context.
//! A second list per tag (`data/tag_contexts.tsv`) names the situations people choose that
//! music for ("ambient: sleep, meditation, studying …"); its words join the tag vector with their
//! own weight and the tag's words, so that situational queries ("snowy winter night", "yoga
//! class") reach tags no word of theirs resembles.
//!
//! A query ([`TagSpace::weigh`]) is parsed ([`crate::query`]). Each positive term is compared
//! with each tag by
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
//! the frequent vocabulary (a z-score), optionally also by a CSLS penalty (Conneau et al.
//! 2018). Per-term scores are standardised across tags and averaged with smooth-inverse-
//! frequency weights (generic words such as "day" count less). A pseudo-relevance feedback
//! step then lifts the tags whose vectors are close to the three best (a query that finds
//! `quiet` also lifts `soft` and `ambient`), on the scale of the scores' spread.
//!
//! Negated terms subtract their similarity, give weight to the tags that mean their absence
//! ("without vocals" → `no vocals`, `instrumental`), and turn the opposites of the tag they
//! name into positive terms ("not sad" → `happy`). Antonym pairs from the gloss file (slow/fast,
//! happy/sad, male/female …) are pushed apart, as word vectors put antonyms close together;
//! tags of a synonym group (`data/tag_synonyms.tsv`: `no vocals`/`no vocal`/`instrumental` …)
//! are lifted towards the best of their group.

use std::collections::HashMap;

use crate::query::{ParsedQuery, QueryParser, TermKind};
use crate::vectors::WordVectors;

/// The glosses shipped with musearch, one line per tag of `union_vocabulary()`.
pub const GLOSSES_TSV: &str = include_str!("../data/tag_glosses.tsv");

/// Typical listening contexts of each tag shipped with musearch (`data/tag_contexts.tsv`:
/// "ambient: sleep, meditation, studying …"), written without sight of any evaluation query.
pub const CONTEXTS_TSV: &str = include_str!("../data/tag_contexts.tsv");

/// Groups of synonymous tags shipped with musearch (`data/tag_synonyms.tsv`).
pub const SYNONYMS_TSV: &str = include_str!("../data/tag_synonyms.tsv");

/// Parse the synonym file: one tab-separated group of tags per line, `#` comments.
pub fn parse_synonyms(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split('\t')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A tag's description for the tag space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagGloss {
    /// Canonical tag name.
    pub tag: String,
    /// Short description in general musical terms.
    pub gloss: String,
    /// Tags with the opposite meaning (slow ↔ fast).
    pub opposites: Vec<String>,
    /// Words whose absence this tag means (`no vocals`: vocals, singing …).
    pub absence_of: Vec<String>,
    /// Typical listening contexts (activities, times, places, occasions, moods), each a word
    /// or a short phrase; empty when none are known.
    pub contexts: Vec<String>,
}

/// Parse the gloss file format: `tag<TAB>gloss<TAB>opposites<TAB>absence_of`, the last two
/// comma-separated and optional; `#` starts a comment line.
pub fn parse_glosses(text: &str) -> Result<Vec<TagGloss>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or("").trim();
        let gloss = fields
            .next()
            .ok_or((i + 1, format!("tag `{tag}` has no gloss")))?
            .trim();
        let list = |f: Option<&str>| -> Vec<String> {
            f.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let opposites = list(fields.next());
        let absence_of = list(fields.next());
        if tag.is_empty() || gloss.is_empty() {
            return Err((i + 1, "empty tag or gloss".into()));
        }
        out.push(TagGloss {
            tag: tag.to_string(),
            gloss: gloss.to_string(),
            opposites,
            absence_of,
            contexts: Vec::new(),
        });
    }
    Ok(out)
}

/// One line of the contexts file: a tag and its listening contexts.
pub type TagContexts = (String, Vec<String>);

/// Parse the contexts file format: `tag<TAB>context, context, …`; `#` starts a comment line.
/// Returns `(tag, contexts)` pairs in file order, or the first bad line's number and why.
pub fn parse_contexts(text: &str) -> Result<Vec<TagContexts>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, list) = line
            .split_once('\t')
            .ok_or((i + 1, "expected `tag<TAB>contexts`".to_string()))?;
        let contexts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if tag.trim().is_empty() || contexts.is_empty() {
            return Err((i + 1, "empty tag or context list".into()));
        }
        out.push((tag.trim().to_string(), contexts));
    }
    Ok(out)
}

/// The shipped glosses ([`GLOSSES_TSV`]) with the shipped listening contexts
/// ([`CONTEXTS_TSV`]) attached.
pub fn default_glosses() -> Vec<TagGloss> {
    let mut glosses =
        parse_glosses(GLOSSES_TSV).expect("data/tag_glosses.tsv is valid (checked by a test)");
    let contexts =
        parse_contexts(CONTEXTS_TSV).expect("data/tag_contexts.tsv is valid (checked by a test)");
    for (tag, list) in contexts {
        if let Some(g) = glosses.iter_mut().find(|g| g.tag == tag) {
            g.contexts = list;
        }
    }
    glosses
}

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
    /// CSLS neighbourhood size (0: off).
    pub csls_k: usize,
    /// How many of the most frequent vocabulary words form the pool for the hubness
    /// corrections (CSLS neighbourhoods, z-score statistics).
    pub hub_pool: usize,
    /// Weight of the CSLS penalty.
    pub csls_weight: f32,
    /// Weight of word-level matching: a term's similarity to a tag also counts its mean
    /// similarity to the `maxsim_top` closest words of the tag's name and gloss (0: centroid
    /// only, 1: words only).
    pub maxsim_weight: f32,
    /// How many of a tag's closest words count in word-level matching.
    pub maxsim_top: usize,
    /// Standardise each tag's similarity by its mean and spread over the pool of frequent
    /// words (a z-score: hubness reduction by local scaling); 0 = off, 1 = full.
    pub zscore: f32,
    /// Skip this many of the most frequent words (function words) in the pool.
    pub pool_skip: usize,
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
    /// Query expansion: each known query word is blended with the mean of its
    /// `expansion_k` nearest vocabulary words (HNSW over the `expansion_pool` most frequent
    /// words); 0 = off.
    pub expansion_k: usize,
    /// Weight of the neighbours' mean in an expanded word vector.
    pub expansion_weight: f32,
    /// How many frequent words the expansion index holds.
    pub expansion_pool: usize,
    /// Tag expansion: each tag's word list (for word-level matching) also gets its
    /// `tag_expansion_k` nearest vocabulary words (HNSW over `expansion_pool` frequent words).
    pub tag_expansion_k: usize,
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
    /// Drop stop words from the query (false: every known token counts, as the seed does).
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
            csls_k: 10,
            hub_pool: 50_000,
            csls_weight: 0.0,
            zscore: 0.5,
            pool_skip: 0,
            maxsim_weight: 0.4,
            maxsim_top: 2,
            literal_boost: 0.5,
            negation_weight: 1.0,
            absence_weight: 1.0,
            negated_opposite_weight: 0.5,
            anchor_similarity: 0.7,
            query_sif_a: 1e-4,
            tag_expansion_k: 0,
            ridge_weight: 0.6,
            ridge_lambda: 3.0,
            ridge_background: 10_000,
            term_standardize: 1.0,
            synonym_lift: 0.5,
            expansion_k: 0,
            expansion_weight: 0.5,
            expansion_pool: 30_000,
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
            csls_k: 0,
            hub_pool: 0,
            csls_weight: 0.0,
            zscore: 0.0,
            pool_skip: 0,
            maxsim_weight: 0.0,
            maxsim_top: 2,
            literal_boost: 0.0,
            negation_weight: 0.0,
            absence_weight: 0.0,
            negated_opposite_weight: 0.0,
            anchor_similarity: 2.0,
            query_sif_a: 0.0,
            tag_expansion_k: 0,
            ridge_weight: 0.0,
            ridge_lambda: 1.0,
            ridge_background: 0,
            term_standardize: 0.0,
            synonym_lift: 0.0,
            expansion_k: 0,
            expansion_weight: 0.0,
            expansion_pool: 0,
            antonym_weight: 0.0,
            per_term: false,
            feedback_k: 0,
            feedback_weight: 0.0,
            parse_query: false,
            raw_vectors: true,
        }
    }
}

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
    /// CSLS penalty per tag.
    hub: Vec<f32>,
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
    /// HNSW index for query expansion (when configured).
    expansion: Option<crate::neighbours::VocabIndex>,
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

fn add_scaled(acc: &mut [f32], v: &[f32], w: f32) {
    acc.iter_mut().zip(v).for_each(|(a, x)| *a += w * x);
}

impl TagSpace {
    /// Build the tag space for `tags` (canonical names) over `vectors`. A tag without a gloss
    /// is represented by its name alone; a tag none of whose words the vectors know gets a
    /// zero vector (it can still be named literally).
    pub fn new(
        vectors: WordVectors,
        tags: &[String],
        glosses: &[TagGloss],
        config: TagSpaceConfig,
    ) -> Self {
        let parser = QueryParser::new(tags);
        let dims = vectors.dims();
        let gloss_of: HashMap<&str, &TagGloss> =
            glosses.iter().map(|g| (g.tag.as_str(), g)).collect();
        let n_words = vectors.len().max(1) as f32;
        let sif = |word: &str| -> f32 {
            if config.sif_a <= 0.0 {
                return 1.0;
            }
            let rank = vectors.index(word).unwrap_or(vectors.len()) as f32;
            let p = 1.0 / ((rank + 1.0) * n_words.ln().max(1.0));
            config.sif_a / (config.sif_a + p)
        };
        let known = |w: &str| vectors.contains(w);
        let lookup = |w: &str| {
            if config.raw_vectors {
                vectors.get_raw(w)
            } else {
                vectors.get(w)
            }
        };

        // The known words of `text` (negated ones left out): each SIF-weighted into `acc`, and
        // added once to the tag's word list (for word-level matching and the classifier).
        let add_text_words = |text: &str, acc: &mut Vec<f32>, word_list: &mut Vec<String>| {
            let parsed = parser.parse(text, &known);
            for term in parsed.terms.iter().filter(|t| !t.negated) {
                for w in &term.words {
                    if known(w) && !word_list.contains(w) {
                        word_list.push(w.clone());
                    }
                    if let Some(v) = lookup(w) {
                        add_scaled(acc, &v, sif(w));
                    }
                }
            }
        };

        let mut raw: Vec<Vec<f32>> = Vec::with_capacity(tags.len());
        let mut word_lists: Vec<Vec<String>> = Vec::with_capacity(tags.len());
        for tag in tags {
            let mut word_list: Vec<String> = Vec::new();
            let gloss = gloss_of.get(tag.as_str());
            // Name words: the words of the tag. When the tag has a gloss and its name is a
            // negation ("no vocals"), the name's words mean the opposite of the tag, so only
            // the gloss counts.
            let negated_name = config.gloss_weight > 0.0
                && gloss.is_some()
                && tag.split_whitespace().any(crate::query::is_negation_cue);
            let mut name = vec![0.0; dims];
            if !negated_name {
                for word in tag.split(|c: char| c.is_whitespace()) {
                    let parts: Vec<&str> = if known(word) {
                        vec![word]
                    } else {
                        word.split('-').collect()
                    };
                    for p in parts {
                        if known(p) && !crate::query::is_stop_word(p) {
                            word_list.push(p.to_string());
                        }
                        if let Some(v) = lookup(p) {
                            add_scaled(&mut name, &v, 1.0);
                        }
                    }
                }
            }
            normalize(&mut name);
            let mut gl = vec![0.0; dims];
            if let Some(g) = gloss.filter(|_| config.gloss_weight > 0.0) {
                add_text_words(&g.gloss, &mut gl, &mut word_list);
            }
            normalize(&mut gl);
            let mut ctx = vec![0.0; dims];
            if let Some(g) = gloss.filter(|_| config.context_weight > 0.0) {
                for phrase in &g.contexts {
                    add_text_words(phrase, &mut ctx, &mut word_list);
                }
            }
            normalize(&mut ctx);
            let mut v = vec![0.0; dims];
            add_scaled(&mut v, &name, config.name_weight);
            add_scaled(&mut v, &gl, config.gloss_weight);
            add_scaled(&mut v, &ctx, config.context_weight);
            normalize(&mut v);
            raw.push(v);
            word_lists.push(word_list);
        }

        let mut mean = vec![0.0; dims];
        if config.center {
            for v in &raw {
                add_scaled(&mut mean, v, 1.0 / raw.len().max(1) as f32);
            }
        }
        let tag_vecs: Vec<Vec<f32>> = raw
            .iter()
            .map(|v| {
                let mut c: Vec<f32> = v.iter().zip(&mean).map(|(x, m)| x - m).collect();
                normalize(&mut c);
                c
            })
            .collect();

        let index_of: HashMap<&str, usize> = tags
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let opposites = tags
            .iter()
            .map(|t| {
                gloss_of
                    .get(t.as_str())
                    .map(|g| {
                        g.opposites
                            .iter()
                            .filter_map(|o| index_of.get(o.as_str()).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let groups = parse_synonyms(SYNONYMS_TSV);
        let synonyms = (0..tags.len())
            .map(|i| {
                groups
                    .iter()
                    .filter(|g| g.contains(&tags[i]))
                    .flatten()
                    .filter_map(|t| index_of.get(t.as_str()).copied())
                    .filter(|&j| j != i)
                    .collect()
            })
            .collect();
        let absence = tags
            .iter()
            .map(|t| {
                let g = gloss_of.get(t.as_str())?;
                let mut v = vec![0.0; dims];
                for w in &g.absence_of {
                    if let Some(x) = vectors.get(w) {
                        add_scaled(&mut v, &x, 1.0);
                    }
                }
                normalize(&mut v);
                (dot(&v, &v) > 0.0).then_some(v)
            })
            .collect();

        let mut space = TagSpace {
            vectors,
            parser,
            tags: tags.to_vec(),
            tag_vecs,
            mean,
            hub: vec![0.0; tags.len()],
            word_rows: Vec::new(),
            tag_word_rows: Vec::new(),
            ridge: None,
            stats: vec![(0.0, 1.0); tags.len()],
            opposites,
            expansion: None,
            synonyms,
            absence,
            config,
        };
        let mut row_of: HashMap<String, u32> = HashMap::new();
        for (i, ws) in word_lists.iter().enumerate() {
            space.tag_word_rows.push(Vec::new());
            for w in ws {
                space.add_tag_word(i, w, &mut row_of);
            }
        }
        space.hub = space.csls_penalties();
        let needs_index = (space.config.expansion_k > 0 && space.config.expansion_weight > 0.0)
            || space.config.tag_expansion_k > 0;
        if needs_index {
            let pool = space.config.expansion_pool;
            space.expansion = Some(crate::neighbours::VocabIndex::build_words(&space, pool));
        }
        if space.config.ridge_weight > 0.0 {
            space.ridge = Some(space.fit_gloss_classifier());
        }
        if let (Some(index), k) = (&space.expansion, space.config.tag_expansion_k) {
            if k > 0 {
                let near: Vec<Vec<String>> = (0..space.tags.len())
                    .map(|i| {
                        let found = index.nearest(&space.tag_vecs[i], k);
                        found.into_iter().map(|n| n.item).collect()
                    })
                    .collect();
                for (i, words) in near.iter().enumerate() {
                    for w in words {
                        space.add_tag_word(i, w, &mut row_of);
                    }
                }
            }
        }
        space
    }

    /// Adds `word` to tag `tag`'s words (a new row of `word_rows` the first time any tag has
    /// it; `row_of` maps words to rows). Unknown words are skipped.
    fn add_tag_word(&mut self, tag: usize, word: &str, row_of: &mut HashMap<String, u32>) {
        let row = match row_of.get(word) {
            Some(&r) => r,
            None => {
                let Some(v) = self.word_vector(word) else {
                    return;
                };
                let r = (self.word_rows.len() / v.len().max(1)) as u32;
                self.word_rows.extend_from_slice(&v);
                row_of.insert(word.to_string(), r);
                r
            }
        };
        self.tag_word_rows[tag].push(row);
    }

    /// Row `r` of `word_rows`.
    fn word_row(&self, r: u32) -> &[f32] {
        let dims = self.vectors.dims();
        &self.word_rows[r as usize * dims..(r as usize + 1) * dims]
    }

    fn lookup(&self, word: &str) -> Option<Vec<f32>> {
        if self.config.raw_vectors {
            self.vectors.get_raw(word)
        } else {
            self.vectors.get(word)
        }
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

    fn to_space(&self, v: &[f32]) -> Vec<f32> {
        let mut c: Vec<f32> = v.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        normalize(&mut c);
        c
    }

    /// Mean similarity of each tag to its `csls_k` nearest words among the `hub_pool` most
    /// frequent vocabulary words, times `csls_weight`.
    fn csls_penalties(&mut self) -> Vec<f32> {
        let k = self.config.csls_k;
        let pool_end = self.config.hub_pool.min(self.vectors.len());
        let skip = self.config.pool_skip.min(pool_end);
        let use_csls = k > 0 && self.config.csls_weight != 0.0;
        if pool_end == 0 || (!use_csls && self.config.zscore == 0.0) {
            return vec![0.0; self.tags.len()];
        }
        let words: Vec<Vec<f32>> = (skip..pool_end)
            .filter(|&i| !crate::query::is_stop_word(&self.vectors.words()[i]))
            .map(|i| self.to_space(&self.vectors.row(i)))
            .collect();
        let mut hub = Vec::with_capacity(self.tags.len());
        let mut stats = Vec::with_capacity(self.tags.len());
        for t in &self.tag_vecs {
            let mut sims: Vec<f32> = words.iter().map(|w| dot(t, w)).collect();
            let n = sims.len().max(1) as f32;
            let mean = sims.iter().sum::<f32>() / n;
            let var = sims.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
            stats.push((mean, var.sqrt().max(1e-6)));
            if use_csls {
                let k = k.min(sims.len()).max(1);
                sims.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
                hub.push(self.config.csls_weight * sims[..k].iter().sum::<f32>() / k as f32);
            } else {
                hub.push(0.0);
            }
        }
        self.stats = stats;
        hub
    }

    /// Train the gloss classifier: every name or gloss word of a tag is an example labelled
    /// with that tag (a word in several glosses gets several labels).
    fn fit_gloss_classifier(&self) -> Vec<Vec<f32>> {
        let n = self.tags.len();
        let mut xs: Vec<Vec<f32>> = Vec::new();
        let mut ys: Vec<Vec<f32>> = Vec::new();
        for (i, rows) in self.tag_word_rows.iter().enumerate() {
            for &r in rows {
                let mut y = vec![0.0; n];
                y[i] = 1.0;
                xs.push(self.word_row(r).to_vec());
                ys.push(y);
            }
        }
        let bg = self.config.ridge_background;
        let pool = self.config.hub_pool.min(self.vectors.len());
        if bg > 0 && pool > 0 {
            let step = (pool / bg).max(1);
            for i in (0..pool).step_by(step).take(bg) {
                if crate::query::is_stop_word(&self.vectors.words()[i]) {
                    continue;
                }
                xs.push(self.to_space(&self.vectors.row(i)));
                ys.push(vec![0.0; n]);
            }
        }
        crate::ridge::fit(&xs, &ys, f64::from(self.config.ridge_lambda))
    }

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
            let mut v = self.to_space(&v);
            if let (Some(index), TermKind::Word) = (&self.expansion, kind) {
                let k = cfg.expansion_k;
                let near: Vec<_> = index
                    .nearest(&v, k + 1)
                    .into_iter()
                    .filter(|n| !words.contains(&n.item))
                    .take(k)
                    .collect();
                let mut mean = vec![0.0; v.len()];
                for n in &near {
                    if let Some(x) = self.word_vector(&n.item) {
                        add_scaled(&mut mean, &x, 1.0);
                    }
                }
                normalize(&mut mean);
                add_scaled(&mut v, &mean, cfg.expansion_weight);
                normalize(&mut v);
            }
            Some(v)
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
            .map(|i| pos[i] - self.hub[i] - cfg.negation_weight * neg[i].max(0.0) + bonus[i])
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

/// Mean and standard deviation (at least 1e-6) of `v`.
fn mean_sd(v: &[f32]) -> (f32, f32) {
    let n = v.len().max(1) as f32;
    let m = v.iter().sum::<f32>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / n;
    (m, var.sqrt().max(1e-6))
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

    #[test]
    fn tag_space_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TagSpace>();
        assert_send_sync::<crate::neighbours::VocabIndex>();
    }

    #[test]
    fn shipped_glosses_cover_the_union_vocabulary() {
        let glosses = default_glosses();
        let vocab = musearch_models::tags::union_vocabulary();
        let tags: Vec<&str> = glosses.iter().map(|g| g.tag.as_str()).collect();
        for t in &vocab {
            assert!(tags.contains(&t.as_str()), "no gloss for {t}");
        }
        assert_eq!(glosses.len(), vocab.len());
        for g in &glosses {
            for o in &g.opposites {
                assert!(vocab.contains(o), "{}: unknown opposite {o}", g.tag);
                let back = glosses.iter().find(|x| &x.tag == o).unwrap();
                assert!(
                    back.opposites.contains(&g.tag),
                    "{} -> {o} is not symmetric",
                    g.tag
                );
            }
        }
    }

    #[test]
    fn shipped_contexts_cover_every_tag_once() {
        let contexts = parse_contexts(CONTEXTS_TSV).unwrap();
        let vocab = musearch_models::tags::union_vocabulary();
        assert_eq!(contexts.len(), vocab.len());
        for t in &vocab {
            let n = contexts.iter().filter(|(tag, _)| tag == t).count();
            assert_eq!(n, 1, "{t} has {n} context lines");
        }
        let glosses = default_glosses();
        assert!(glosses.iter().all(|g| g.contexts.len() >= 5));
        let ambient = glosses.iter().find(|g| g.tag == "ambient").unwrap();
        assert!(ambient.contexts.iter().any(|c| c == "sleep"));
    }

    #[test]
    fn malformed_context_lines_are_rejected_with_their_line_number() {
        assert_eq!(parse_contexts("# c\nambient\n").unwrap_err().0, 2);
        assert_eq!(parse_contexts("ambient\t , \n").unwrap_err().0, 1);
        let ok = parse_contexts("jazz\tbar, late night\n").unwrap();
        assert_eq!(
            ok,
            vec![("jazz".into(), vec!["bar".into(), "late night".into()])]
        );
    }
}

#[cfg(test)]
mod feedback_tests {
    use super::*;

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
