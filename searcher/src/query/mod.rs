//! Query understanding: from free text to terms the tag space can score.
//!
//! 1. [`tokenize`]: lower case, words with inner `-`, `'`, `&` kept whole, punctuation that
//!    ends a clause kept as a boundary.
//! 2. [`QueryParser::parse`]: multi-word tags and spelling variants of tag names are joined
//!    into one term ("heavy metal", "hip hop" → `hip-hop`); stop words are dropped; a negation
//!    cue (`no`, `not`, `without`, `non-`, `-free`, `n't` …) marks the terms in its scope;
//!    every term is classified as a literal tag, a word the vectors know, or an unknown word
//!    (kept as a metadata text term so that the search can fall back to full-text search).
//!
//! Negation scope: a cue negates the next content term, and further terms joined to it by
//! `or` / `nor` / `and` ("without drums or bass"); stop words in between do not end it
//! ("not too sad"), a clause boundary (`,` `;` `.` `but` `with` …) or a new cue does.
//! A cue that is part of a tag name ("no vocals") is read as that tag.

mod stopwords;
mod tokenize;

pub use stopwords::{is_negation_cue, is_stop_word};
pub use tokenize::{tokenize, Token};

use std::collections::HashMap;

/// What a query term is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// A tag of the vocabulary, named literally ("piano", "heavy metal").
    Tag,
    /// A word (or phrase) the word vectors know.
    Word,
    /// A word the word vectors do not know: only full-text search over metadata can use it.
    Unknown,
}

/// One content term of a parsed query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Term {
    /// The term as normalised (a tag name for [`TermKind::Tag`]).
    pub text: String,
    /// The words of the term (several for a phrase).
    pub words: Vec<String>,
    /// Literal tag, known word or unknown word.
    pub kind: TermKind,
    /// True when the term is in the scope of a negation cue.
    pub negated: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ParsedQuery {
    /// Content terms in query order.
    pub terms: Vec<Term>,
}

impl ParsedQuery {
    /// Terms for full-text search over metadata: every non-negated term the tag space cannot
    /// place (unknown words), in query order.
    pub fn text_terms(&self) -> Vec<&str> {
        self.terms
            .iter()
            .filter(|t| t.kind == TermKind::Unknown && !t.negated)
            .map(|t| t.text.as_str())
            .collect()
    }

    /// Terms negated by the query.
    pub fn negated(&self) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(|t| t.negated)
    }

    /// True when the query has no content term at all.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Spelling variants of tag names that are not the tag's own spelling: written forms of the
/// same name, not synonyms (those come from word vectors).
const TAG_SPELLINGS: &[(&str, &str)] = &[
    ("hip hop", "hip-hop"),
    ("hiphop", "hip-hop"),
    ("r&b", "rnb"),
    ("r'n'b", "rnb"),
    ("rhythm and blues", "rnb"),
    ("newage", "new age"),
    ("new-age", "new age"),
    ("prog rock", "progressive rock"),
    ("chill out", "chillout"),
    ("chill-out", "chillout"),
    ("2000s", "00s"),
    ("1960s", "60s"),
    ("1970s", "70s"),
    ("1980s", "80s"),
    ("1990s", "90s"),
    ("electronic music", "electronic"),
    ("classical music", "classical"),
];

/// Turns query text into [`ParsedQuery`] terms for one tag vocabulary.
#[derive(Debug, Clone)]
pub struct QueryParser {
    /// Token sequence of every tag name and spelling variant → the tag.
    phrases: HashMap<Vec<String>, String>,
    /// Longest phrase length in tokens.
    max_phrase: usize,
}

impl QueryParser {
    /// A parser that recognises the tags in `tags` (canonical lower-case names).
    pub fn new<S: AsRef<str>>(tags: &[S]) -> Self {
        let mut phrases = HashMap::new();
        for tag in tags {
            let tag = tag.as_ref();
            let toks: Vec<String> = tokenize(tag).into_iter().filter_map(Token::word).collect();
            phrases.insert(toks, tag.to_string());
        }
        for (variant, tag) in TAG_SPELLINGS {
            if phrases.values().any(|t| t == tag) {
                let toks: Vec<String> = tokenize(variant)
                    .into_iter()
                    .filter_map(Token::word)
                    .collect();
                phrases.entry(toks).or_insert_with(|| tag.to_string());
            }
        }
        let max_phrase = phrases.keys().map(Vec::len).max().unwrap_or(1);
        QueryParser {
            phrases,
            max_phrase,
        }
    }

    /// The tag named by exactly these words, if any.
    pub fn tag_for(&self, words: &[String]) -> Option<&str> {
        self.phrases.get(words).map(String::as_str)
    }

    /// Parse `text`. `known` says whether the word vectors know a word.
    pub fn parse(&self, text: &str, known: &dyn Fn(&str) -> bool) -> ParsedQuery {
        let tokens = self.split_unknown_compounds(tokenize(text), known);
        let mut terms = Vec::new();
        let mut scope = Scope::None;
        let mut i = 0;
        while i < tokens.len() {
            let word = match &tokens[i] {
                Token::Boundary => {
                    scope = Scope::None;
                    i += 1;
                    continue;
                }
                Token::Word(w) => w.clone(),
            };
            // Longest tag phrase starting here (a tag name wins over a negation cue: "no vocals").
            if let Some((len, tag)) = self.longest_phrase(&tokens[i..]) {
                let negated = scope.is_open();
                terms.push(Term {
                    text: tag.to_string(),
                    words: tokens[i..i + len]
                        .iter()
                        .filter_map(|t| t.clone().word())
                        .collect(),
                    kind: TermKind::Tag,
                    negated,
                });
                scope = scope.after_term();
                i += len;
                continue;
            }
            i += 1;
            if is_negation_cue(&word) {
                scope = Scope::Open;
                continue;
            }
            if CLAUSE_BREAKS.contains(&word.as_str()) {
                scope = Scope::None;
                continue;
            }
            if SCOPE_JOINERS.contains(&word.as_str()) {
                if scope == Scope::Closing {
                    scope = Scope::Open;
                }
                continue;
            }
            if is_stop_word(&word) {
                continue;
            }
            let kind = if known(&word) {
                TermKind::Word
            } else {
                TermKind::Unknown
            };
            terms.push(Term {
                text: word.clone(),
                words: vec![word],
                kind,
                negated: scope.is_open(),
            });
            scope = scope.after_term();
        }
        ParsedQuery { terms }
    }

    fn longest_phrase<'a>(&'a self, tokens: &[Token]) -> Option<(usize, &'a str)> {
        let mut words: Vec<String> = Vec::new();
        let mut best = None;
        for tok in tokens.iter().take(self.max_phrase) {
            match tok {
                Token::Word(w) => words.push(w.clone()),
                Token::Boundary => break,
            }
            if let Some(tag) = self.phrases.get(&words) {
                best = Some((words.len(), tag.as_str()));
            }
        }
        best
    }

    /// Hyphenated words that are neither tags nor known words are read as their parts
    /// ("synth-pop" → "synth pop"); `non-X` and `X-free` / `X-less` become negations of X.
    fn split_unknown_compounds(
        &self,
        tokens: Vec<Token>,
        known: &dyn Fn(&str) -> bool,
    ) -> Vec<Token> {
        let mut out = Vec::with_capacity(tokens.len());
        for tok in tokens {
            let Token::Word(w) = &tok else {
                out.push(tok);
                continue;
            };
            if !w.contains('-') || self.phrases.contains_key(std::slice::from_ref(w)) {
                out.push(tok);
                continue;
            }
            if let Some(rest) = w.strip_prefix("non-") {
                out.push(Token::Word("non".into()));
                out.push(Token::Word(rest.into()));
                continue;
            }
            if let Some(head) = w.strip_suffix("-free").or_else(|| w.strip_suffix("-less")) {
                out.push(Token::Word("without".into()));
                out.push(Token::Word(head.into()));
                out.push(Token::Boundary);
                continue;
            }
            if known(w) {
                out.push(tok);
                continue;
            }
            out.extend(
                w.split('-')
                    .filter(|p| !p.is_empty())
                    .map(|p| Token::Word(p.to_string())),
            );
        }
        out
    }
}

/// Words that end a negation scope (a new clause starts).
const CLAUSE_BREAKS: &[&str] = &[
    "but", "with", "yet", "though", "although", "however", "instead", "rather", "just", "only",
    "plus",
];

/// Words that carry a negation on to the next term ("no drums or bass").
const SCOPE_JOINERS: &[&str] = &["or", "nor", "and", "&"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No negation in force.
    None,
    /// A cue was seen: the next content term is negated.
    Open,
    /// A negated term was seen: a joiner reopens the scope, anything else closes it.
    Closing,
}

impl Scope {
    fn is_open(self) -> bool {
        self == Scope::Open
    }

    fn after_term(self) -> Scope {
        match self {
            Scope::Open => Scope::Closing,
            _ => Scope::None,
        }
    }
}

#[cfg(test)]
mod tests;
