//! An HNSW index ([`UnitHnsw`]) over the most frequent words of the vocabulary and over the
//! tags: nearest neighbours of a word, and "did you mean" for words the vectors do not know.

use crate::ann::{HnswParams, UnitHnsw};
use crate::tag_space::{normalize, TagSpace};

/// Which kind of item a neighbour is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A tag of the vocabulary.
    Tag,
    /// A word of the word vectors.
    Word,
}

/// One neighbour: a word or tag and its cosine similarity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neighbour {
    /// The word or tag.
    pub item: String,
    /// Tag or word.
    pub kind: ItemKind,
    /// Cosine similarity in tag-space coordinates.
    pub similarity: f32,
}

/// HNSW over the tag vectors and the `n` most frequent query words.
pub struct VocabIndex {
    hnsw: UnitHnsw,
    items: Vec<(String, ItemKind)>,
}

impl std::fmt::Debug for VocabIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VocabIndex")
            .field("items", &self.items.len())
            .finish()
    }
}

/// The vocabulary graph's parameters (searches widen the candidate list to `4k`).
const VOCAB_HNSW: HnswParams = HnswParams {
    max_connections: 24,
    ef_construction: 200,
    ef_search: 64,
};

impl VocabIndex {
    /// Index every tag of `space` and its vectors' `n_words` most frequent words, stop words
    /// left out (vectors in tag-space coordinates: centred, unit length).
    pub fn build(space: &TagSpace, n_words: usize) -> Self {
        let vectors = space.vectors();
        let dims = vectors.dims();
        let n_words = n_words.min(vectors.len());
        let mut items = Vec::with_capacity(space.tags().len() + n_words);
        let mut rows: Vec<f32> = Vec::with_capacity(items.capacity() * dims);
        for (i, tag) in space.tags().iter().enumerate() {
            let v = space.tag_vector(i);
            if v.iter().any(|&x| x != 0.0) {
                items.push((tag.clone(), ItemKind::Tag));
                rows.extend_from_slice(v);
            }
        }
        for (i, word) in vectors
            .words()
            .iter()
            .take(n_words)
            .enumerate()
            .filter(|(_, w)| !crate::query::is_stop_word(w))
        {
            let mut v = space.word_vector(word).unwrap_or_else(|| vectors.row(i));
            normalize(&mut v);
            if v.iter().any(|&x| x != 0.0) {
                items.push((word.clone(), ItemKind::Word));
                rows.extend_from_slice(&v);
            }
        }
        let hnsw = UnitHnsw::build(&rows, dims, VOCAB_HNSW);
        VocabIndex { hnsw, items }
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `k` nearest items to `vector` (tag-space coordinates, unit length).
    pub fn nearest(&self, vector: &[f32], k: usize) -> Vec<Neighbour> {
        self.hnsw
            .search_with_ef(vector, k, (4 * k).max(VOCAB_HNSW.ef_search))
            .into_iter()
            .map(|(id, similarity)| {
                let (item, kind) = self.items[id].clone();
                Neighbour {
                    item,
                    kind,
                    similarity,
                }
            })
            .collect()
    }

    /// The `k` nearest words and tags to `word` (each name once), without `word` itself;
    /// empty when the vectors do not know the word.
    pub fn neighbours(&self, space: &TagSpace, word: &str, k: usize) -> Vec<Neighbour> {
        match space.word_vector(word) {
            Some(v) => {
                // A name may be indexed twice (as a word and as a tag): ask for twice as many.
                let mut seen = std::collections::HashSet::new();
                self.nearest(&v, 2 * k + 2)
                    .into_iter()
                    .filter(|n| n.item != word && seen.insert(n.item.clone()))
                    .take(k)
                    .collect()
            }
            None => Vec::new(),
        }
    }

    /// "Did you mean": indexed words and tags within a small edit distance of `word` (at
    /// most 1 for words up to 4 letters, 2 beyond), closest and most frequent first.
    pub fn did_you_mean(&self, word: &str, k: usize) -> Vec<String> {
        let max = if word.chars().count() <= 4 { 1 } else { 2 };
        let mut found: Vec<(usize, usize, &str)> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, (item, _))| item != word)
            .filter_map(|(i, (item, _))| {
                let d = bounded_levenshtein(word, item, max)?;
                Some((d, i, item.as_str()))
            })
            .collect();
        found.sort();
        found
            .into_iter()
            .take(k)
            .map(|(_, _, w)| w.to_string())
            .collect()
    }
}

/// Levenshtein distance between `a` and `b` if it is at most `max`.
pub fn bounded_levenshtein(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[b.len()] <= max).then_some(prev[b.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein() {
        assert_eq!(bounded_levenshtein("piano", "piano", 2), Some(0));
        assert_eq!(bounded_levenshtein("pianno", "piano", 2), Some(1));
        assert_eq!(bounded_levenshtein("jaz", "jazz", 1), Some(1));
        assert_eq!(bounded_levenshtein("techno", "house", 2), None);
        assert_eq!(bounded_levenshtein("", "ab", 2), Some(2));
    }
}
