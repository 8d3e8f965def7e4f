//! The data shipped with the tag space: glosses (`data/tag_glosses.tsv`), listening contexts
//! (`data/tag_contexts.tsv`) and synonym groups (`data/tag_synonyms.tsv`), and their parsers.
//! Every parser reports the first bad line by number ([`LineError`]).

use crate::error::LineError;

/// The glosses shipped with musearch, one line per tag of `union_vocabulary()`.
pub const GLOSSES_TSV: &str = include_str!("../../data/tag_glosses.tsv");

/// Typical listening contexts of each tag shipped with musearch (`data/tag_contexts.tsv`:
/// activities, times, places, occasions), written without sight of any evaluation query.
pub const CONTEXTS_TSV: &str = include_str!("../../data/tag_contexts.tsv");

/// Groups of synonymous tags shipped with musearch (`data/tag_synonyms.tsv`).
pub const SYNONYMS_TSV: &str = include_str!("../../data/tag_synonyms.tsv");

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
pub fn parse_glosses(text: &str) -> Result<Vec<TagGloss>, LineError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let tag = fields.next().unwrap_or("").trim();
        let gloss = fields
            .next()
            .ok_or_else(|| LineError::new(i + 1, format!("tag `{tag}` has no gloss")))?
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
            return Err(LineError::new(i + 1, "empty tag or gloss"));
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
pub fn parse_contexts(text: &str) -> Result<Vec<TagContexts>, LineError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, list) = line
            .split_once('\t')
            .ok_or_else(|| LineError::new(i + 1, "expected `tag<TAB>contexts`"))?;
        let contexts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if tag.trim().is_empty() || contexts.is_empty() {
            return Err(LineError::new(i + 1, "empty tag or context list"));
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(ambient.contexts.iter().any(|c| c == "airport lounge"));
    }

    #[test]
    fn malformed_context_lines_are_rejected_with_their_line_number() {
        assert_eq!(parse_contexts("# c\nambient\n").unwrap_err().line, 2);
        assert_eq!(parse_contexts("ambient\t , \n").unwrap_err().line, 1);
        let ok = parse_contexts("jazz\tbar, late night\n").unwrap();
        assert_eq!(
            ok,
            vec![("jazz".into(), vec!["bar".into(), "late night".into()])]
        );
    }
}
