//! Building a [`TagSpace`]: one vector per tag from the words of its name, gloss and listening
//! contexts (SIF-weighted, then centred), each tag's own words for word-level matching, the
//! relations between tags (opposites, synonym groups, what a tag is the absence of), the z-score
//! statistics over the frequent vocabulary and the gloss classifier.

use std::collections::HashMap;

use super::data::{parse_synonyms, TagGloss, SYNONYMS_TSV};
use super::{add_scaled, dot, lookup, mean_sd, normalize, TagSpace, TagSpaceConfig};
use crate::query::QueryParser;
use crate::vectors::WordVectors;

/// What the text of one tag gives: its vector (unit length, not centred) and its known words,
/// each once.
struct TagText {
    vector: Vec<f32>,
    words: Vec<String>,
}

/// Reads the text of tags (names, glosses, contexts) into vectors and word lists.
struct TextReader<'a> {
    vectors: &'a WordVectors,
    parser: &'a QueryParser,
    config: &'a TagSpaceConfig,
}

impl TextReader<'_> {
    /// The smooth-inverse-frequency weight of a gloss or context word (1 when `sif_a` is 0).
    fn sif(&self, word: &str) -> f32 {
        let a = self.config.sif_a;
        if a <= 0.0 {
            return 1.0;
        }
        let n_words = self.vectors.len().max(1) as f32;
        let rank = self.vectors.index(word).unwrap_or(self.vectors.len()) as f32;
        let p = 1.0 / ((rank + 1.0) * n_words.ln().max(1.0));
        a / (a + p)
    }

    fn known(&self, word: &str) -> bool {
        self.vectors.contains(word)
    }

    /// The known words of `text` (negated ones left out): each SIF-weighted into `acc`, and
    /// added once to `words` (for word-level matching and the classifier).
    fn add_text_words(&self, text: &str, acc: &mut [f32], words: &mut Vec<String>) {
        let parsed = self.parser.parse(text, &|w| self.known(w));
        for term in parsed.terms.iter().filter(|t| !t.negated) {
            for w in &term.words {
                if self.known(w) && !words.contains(w) {
                    words.push(w.clone());
                }
                if let Some(v) = lookup(self.vectors, self.config.raw_vectors, w) {
                    add_scaled(acc, &v, self.sif(w));
                }
            }
        }
    }

    /// The vector and words of `tag`: its name's words, its gloss and its contexts, each part
    /// normalised and weighted by the configuration.
    fn tag_text(&self, tag: &str, gloss: Option<&TagGloss>) -> TagText {
        let config = self.config;
        let dims = self.vectors.dims();
        let mut words: Vec<String> = Vec::new();
        // Name words: the words of the tag. When the tag has a gloss and its name is a
        // negation ("no vocals"), the name's words mean the opposite of the tag, so only the
        // gloss counts.
        let negated_name = config.gloss_weight > 0.0
            && gloss.is_some()
            && tag.split_whitespace().any(crate::query::is_negation_cue);
        let mut name = vec![0.0; dims];
        if !negated_name {
            for word in tag.split(|c: char| c.is_whitespace()) {
                let parts: Vec<&str> = if self.known(word) {
                    vec![word]
                } else {
                    word.split('-').collect()
                };
                for p in parts {
                    if self.known(p) && !crate::query::is_stop_word(p) {
                        words.push(p.to_string());
                    }
                    if let Some(v) = lookup(self.vectors, config.raw_vectors, p) {
                        add_scaled(&mut name, &v, 1.0);
                    }
                }
            }
        }
        normalize(&mut name);
        let mut gl = vec![0.0; dims];
        if let Some(g) = gloss.filter(|_| config.gloss_weight > 0.0) {
            self.add_text_words(&g.gloss, &mut gl, &mut words);
        }
        normalize(&mut gl);
        let mut ctx = vec![0.0; dims];
        if let Some(g) = gloss.filter(|_| config.context_weight > 0.0) {
            for phrase in &g.contexts {
                self.add_text_words(phrase, &mut ctx, &mut words);
            }
        }
        normalize(&mut ctx);
        let mut vector = vec![0.0; dims];
        add_scaled(&mut vector, &name, config.name_weight);
        add_scaled(&mut vector, &gl, config.gloss_weight);
        add_scaled(&mut vector, &ctx, config.context_weight);
        normalize(&mut vector);
        TagText { vector, words }
    }
}

/// The relations between tags, by index.
struct Relations {
    /// Opposite tags (from the glosses).
    opposites: Vec<Vec<usize>>,
    /// Synonymous tags (from the synonym groups), without the tag itself.
    synonyms: Vec<Vec<usize>>,
    /// Unit vectors of what each tag is the absence of (none for most tags).
    absence: Vec<Option<Vec<f32>>>,
}

impl Relations {
    fn new(tags: &[String], gloss_of: &HashMap<&str, &TagGloss>, vectors: &WordVectors) -> Self {
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
                let mut v = vec![0.0; vectors.dims()];
                for w in &g.absence_of {
                    if let Some(x) = vectors.get(w) {
                        add_scaled(&mut v, &x, 1.0);
                    }
                }
                normalize(&mut v);
                (dot(&v, &v) > 0.0).then_some(v)
            })
            .collect();
        Relations {
            opposites,
            synonyms,
            absence,
        }
    }
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
        let texts: Vec<TagText> = {
            let reader = TextReader {
                vectors: &vectors,
                parser: &parser,
                config: &config,
            };
            tags.iter()
                .map(|t| reader.tag_text(t, gloss_of.get(t.as_str()).copied()))
                .collect()
        };

        let mut mean = vec![0.0; dims];
        if config.center {
            for t in &texts {
                add_scaled(&mut mean, &t.vector, 1.0 / texts.len().max(1) as f32);
            }
        }
        let tag_vecs: Vec<Vec<f32>> = texts
            .iter()
            .map(|t| {
                let mut c: Vec<f32> = t.vector.iter().zip(&mean).map(|(x, m)| x - m).collect();
                normalize(&mut c);
                c
            })
            .collect();
        let relations = Relations::new(tags, &gloss_of, &vectors);

        let mut space = TagSpace {
            vectors,
            parser,
            tags: tags.to_vec(),
            tag_vecs,
            mean,
            word_rows: Vec::new(),
            tag_word_rows: Vec::new(),
            ridge: None,
            stats: Vec::new(),
            opposites: relations.opposites,
            synonyms: relations.synonyms,
            absence: relations.absence,
            config,
        };
        let mut row_of: HashMap<String, u32> = HashMap::new();
        for (i, t) in texts.iter().enumerate() {
            space.tag_word_rows.push(Vec::new());
            for w in &t.words {
                space.add_tag_word(i, w, &mut row_of);
            }
        }
        space.stats = space.pool_statistics();
        if space.config.ridge_weight > 0.0 {
            space.ridge = Some(space.fit_gloss_classifier());
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

    /// Mean and standard deviation of each tag's similarity to the `hub_pool` most frequent
    /// vocabulary words (stop words left out), for the z-score; `(0, 1)` for every tag when the
    /// z-score is off or the pool is empty.
    fn pool_statistics(&self) -> Vec<(f32, f32)> {
        let pool_end = self.config.hub_pool.min(self.vectors.len());
        if pool_end == 0 || self.config.zscore == 0.0 {
            return vec![(0.0, 1.0); self.tags.len()];
        }
        let words: Vec<Vec<f32>> = (0..pool_end)
            .filter(|&i| !crate::query::is_stop_word(&self.vectors.words()[i]))
            .map(|i| self.to_space(&self.vectors.row(i)))
            .collect();
        self.tag_vecs
            .iter()
            .map(|t| {
                let sims: Vec<f32> = words.iter().map(|w| dot(t, w)).collect();
                mean_sd(&sims)
            })
            .collect()
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
}
