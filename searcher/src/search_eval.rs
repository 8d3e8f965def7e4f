//! End-to-end search evaluation: whole searches scored against graded judgements of files.
//!
//! A judgement file (JSON, written by `scripts/eval/judge_search.py`; see docs/EVALUATION.md,
//! "End-to-end search") names files by their path relative to the evaluation catalog, gives
//! each query's graded files (0–3) and the facts the bad-result rates need (duration,
//! near-silence, album, which file a copy duplicates). [`TrackKeys`] resolves those paths to
//! the index's tracks through the tracks' file paths (a track's path ends with the relative
//! path), so judgements do not depend on track ids.
//!
//! Two rankings are scored: [`Method::Current`], the engine's own search (the ranking the
//! server returns), and [`Method::Seed`], the seed ranking: the query's mean word vector, its
//! [`SEED_TAGS`] nearest tags by cosine ([`TagSpaceConfig::seed`], as `musearch eval-queries
//! --method seed` maps queries), and tracks ranked by the cosine-weighted sum of their raw
//! probabilities for those tags. nDCG, precision and reciprocal rank come from [`crate::eval`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::engine::{open_tag_spaces, Engine, EngineOptions, Result as EngineResult};
use crate::error::ErrorKind;
use crate::eval::{ndcg_at, precision_at, reciprocal_rank};
use crate::response::SearchRequest;
use crate::tag_space::{weigh_ensemble, QueryTags, TagSpace, TagSpaceConfig};

/// Tags the seed ranking keeps: the query's nearest tags by cosine.
pub const SEED_TAGS: usize = 3;

/// The grade from which a file counts as relevant for precision and reciprocal rank.
pub const RELEVANT_GRADE: u32 = 2;

/// What can go wrong reading a search judgement file.
#[derive(Debug, thiserror::Error)]
pub enum SearchEvalError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a judgement document.
    #[error("{path}: not a search judgement file: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The document parses but says something impossible.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl SearchEvalError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SearchEvalError::Io { source, .. } => ErrorKind::of_io(source),
            _ => ErrorKind::Invalid,
        }
    }
}

/// What the bad-result rates need to know of a catalog file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Duration in seconds.
    pub duration_s: f64,
    /// Whether the file is near-silent (the rule is in docs/EVALUATION.md).
    #[serde(default)]
    pub near_silent: bool,
    /// The album (soundtrack, drum kit, sample pack) it belongs to, if any.
    #[serde(default)]
    pub album: Option<String>,
    /// The file (relative path) this one is a copy of, if it is one.
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

/// One judged query.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JudgedQuery {
    /// The query text.
    pub query: String,
    /// Whether the query asks for short clips (one-shots, jingles): then short results are not
    /// counted as bad.
    #[serde(default)]
    pub allows_short: bool,
    /// Grade (1–3) per relative path; files not listed have grade 0.
    pub grades: BTreeMap<String, u32>,
}

/// A search judgement file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchJudgements {
    /// Name of the set (`search-dev` …).
    pub name: String,
    /// Results per first page (10).
    pub first_page: usize,
    /// Clips shorter than this (seconds) are "short".
    pub short_secs: f64,
    /// Facts of every catalog file, by relative path.
    pub files: BTreeMap<String, FileFacts>,
    /// The queries, in file order.
    pub queries: Vec<JudgedQuery>,
}

impl SearchJudgements {
    /// Reads and checks a judgement file.
    pub fn read(path: &Path) -> Result<SearchJudgements, SearchEvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| SearchEvalError::Io {
            path: path.to_owned(),
            source,
        })?;
        let judgements: SearchJudgements =
            serde_json::from_str(&text).map_err(|source| SearchEvalError::Parse {
                path: path.to_owned(),
                source,
            })?;
        judgements
            .check()
            .map_err(|message| SearchEvalError::Invalid {
                path: path.to_owned(),
                message,
            })?;
        Ok(judgements)
    }

    /// Every graded file must be a known file, every grade 1–3, the page at least one result.
    fn check(&self) -> Result<(), String> {
        if self.first_page == 0 {
            return Err("first_page must be at least 1".into());
        }
        if self.queries.is_empty() {
            return Err("no queries".into());
        }
        for q in &self.queries {
            for (file, &grade) in &q.grades {
                if !self.files.contains_key(file) {
                    return Err(format!("query {:?} grades an unknown file {file}", q.query));
                }
                if !(1..=3).contains(&grade) {
                    return Err(format!(
                        "query {:?} gives {file} grade {grade} (1–3 allowed)",
                        q.query
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The judgement file's relative path of each catalog track (by catalog index), found by
/// matching the end of the track's file paths.
#[derive(Debug, Clone)]
pub struct TrackKeys {
    keys: Vec<Option<String>>,
    /// Each judged file found in the index → its track's key.
    aliases: HashMap<String, String>,
    /// Judged files found in the index.
    pub files_found: usize,
    /// Judged files not found in the index.
    pub files_missing: usize,
}

impl TrackKeys {
    /// Resolves `files` (relative paths) against `engine`'s tracks. A track whose content two
    /// files share (the index keeps one track per content) takes the first path in sorted order.
    pub fn resolve(engine: &Engine, files: &BTreeMap<String, FileFacts>) -> TrackKeys {
        let mut aliases: HashMap<String, String> = HashMap::new();
        let keys = engine
            .catalog()
            .tracks()
            .iter()
            .map(|track| {
                let mut matched: Vec<&str> = track
                    .paths
                    .iter()
                    .flat_map(|p| path_suffixes(p))
                    .filter_map(|s| files.get_key_value(s).map(|(k, _)| k.as_str()))
                    .collect();
                matched.sort_unstable();
                matched.dedup();
                let key = matched.first().map(|s| s.to_string());
                if let Some(key) = &key {
                    for m in &matched {
                        aliases.insert(m.to_string(), key.clone());
                    }
                }
                key
            })
            .collect();
        TrackKeys {
            keys,
            files_found: aliases.len(),
            files_missing: files.len() - aliases.len(),
            aliases,
        }
    }

    /// The key of catalog track `i`.
    pub fn key(&self, i: usize) -> Option<&str> {
        self.keys.get(i).and_then(|k| k.as_deref())
    }
}

/// Every suffix of `path` made of whole components (`a/b/c` → `c`, `b/c`, `a/b/c`).
fn path_suffixes(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.trim_end_matches('/');
    std::iter::once(trimmed).chain(
        trimmed
            .char_indices()
            .filter(|&(_, c)| c == '/' || c == '\\')
            .map(move |(i, _)| &trimmed[i + 1..]),
    )
}

/// Which ranking is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The seed ranking (module documentation).
    Seed,
    /// The engine's search, as the server runs it.
    Current,
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "seed" => Ok(Method::Seed),
            "current" => Ok(Method::Current),
            other => Err(format!("unknown method `{other}` (seed or current)")),
        }
    }
}

/// The seed ranking's query → tag step: the seed tag spaces over the engine's word vectors.
pub struct SeedRanker {
    spaces: Vec<TagSpace>,
}

impl SeedRanker {
    /// Opens the word vectors of `options` with [`TagSpaceConfig::seed`].
    pub fn open(options: &EngineOptions) -> EngineResult<SeedRanker> {
        let options = EngineOptions {
            tag_space: TagSpaceConfig::seed(),
            ..options.clone()
        };
        Ok(SeedRanker {
            spaces: open_tag_spaces(&options)?,
        })
    }

    fn weigh(&self, query: &str) -> Option<QueryTags> {
        match &self.spaces[..] {
            [one] => Some(one.weigh(query)),
            many => weigh_ensemble(many, query),
        }
    }

    /// The first `k` tracks (catalog indices) of the seed ranking, best first: the query's
    /// [`SEED_TAGS`] nearest tags with positive cosine, each track scored by the sum of
    /// cosine × its mean probability over the models that have the tag. Ties keep catalog order.
    pub fn rank(&self, engine: &Engine, query: &str, k: usize) -> Vec<usize> {
        let Some(weighed) = self.weigh(query) else {
            return Vec::new();
        };
        let catalog = engine.catalog();
        let tags: Vec<(&[usize], f32)> = weighed
            .tags
            .iter()
            .filter(|t| t.weight > 0.0)
            .map(|t| (catalog.tag_columns(&t.tag), t.weight))
            .filter(|(cols, _)| !cols.is_empty())
            .take(SEED_TAGS)
            .collect();
        if tags.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = (0..catalog.len())
            .map(|i| {
                let probs = catalog.probabilities(i);
                let score = tags
                    .iter()
                    .map(|(cols, w)| {
                        let (sum, n) = cols
                            .iter()
                            .map(|&c| probs[c])
                            .filter(|p| p.is_finite())
                            .fold((0.0f32, 0usize), |(s, n), p| (s + p, n + 1));
                        if n == 0 {
                            0.0
                        } else {
                            w * sum / n as f32
                        }
                    })
                    .sum();
                (i, score)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.into_iter().take(k).map(|(i, _)| i).collect()
    }
}

/// One result of a first page, as judged.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageEntry {
    /// The judged file's relative path (`None`: a track the judgements do not know).
    pub file: Option<String>,
    /// Its grade for the query.
    pub grade: u32,
}

/// The scores of one query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryOutcome {
    /// The query text.
    pub query: String,
    /// Whether it was scored (some file of grade ≥ 1 is in the index).
    pub scored: bool,
    /// Whether the query asks for short clips (its short results are not counted).
    pub allows_short: bool,
    /// Files of grade ≥ 1 found in the index.
    pub judged: usize,
    /// nDCG at the first page's length.
    pub ndcg: f64,
    /// Precision at the first page's length (grade ≥ [`RELEVANT_GRADE`]).
    pub precision: f64,
    /// Reciprocal rank of the first file of grade ≥ [`RELEVANT_GRADE`] within the first page.
    pub reciprocal_rank: f64,
    /// Near-silent results on the first page.
    pub near_silent: usize,
    /// Short results on the first page (0 when the query asks for short clips).
    pub short: usize,
    /// Results that duplicate an earlier result of the first page.
    pub duplicates: usize,
    /// The most results of the first page from one album.
    pub album_max: usize,
    /// The first page.
    pub page: Vec<PageEntry>,
}

/// Bad-result rates over the first pages of the scored queries (docs/EVALUATION.md).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BadResults {
    /// Near-silent results / results.
    pub near_silent_rate: f64,
    /// Short results / results, over queries that do not ask for short clips.
    pub short_rate: f64,
    /// Duplicate results / results.
    pub duplicate_rate: f64,
    /// Pages with a near-silent result.
    pub pages_with_near_silent: usize,
    /// Pages with a duplicate result.
    pub pages_with_duplicate: usize,
    /// Mean over pages of the most results from one album.
    pub album_max_mean: f64,
    /// Pages with more than [`ALBUM_LIMIT`] results from one album.
    pub pages_over_album_limit: usize,
}

/// Results from one album a first page may hold before it counts as over the limit.
pub const ALBUM_LIMIT: usize = 3;

/// The scores of one judgement set under one method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchEvalReport {
    /// The set's name.
    pub name: String,
    /// The method scored.
    pub method: Method,
    /// The first page's length (the k of nDCG@k and P@k).
    pub k: usize,
    /// Queries in the set.
    pub queries_total: usize,
    /// Queries scored (with a judged file in the index).
    pub queries_scored: usize,
    /// Judged files found in the index.
    pub files_found: usize,
    /// Judged files missing from the index.
    pub files_missing: usize,
    /// Mean nDCG@k over scored queries.
    pub ndcg: f64,
    /// Mean precision@k over scored queries.
    pub precision: f64,
    /// Mean reciprocal rank over scored queries.
    pub mrr: f64,
    /// Bad-result rates.
    pub bad: BadResults,
    /// Per query, in file order.
    pub queries: Vec<QueryOutcome>,
}

/// Runs every query of `judgements` through `method` and scores the first pages.
/// `seed` is needed for [`Method::Seed`] (an error otherwise).
pub fn evaluate_search(
    engine: &Engine,
    judgements: &SearchJudgements,
    method: Method,
    seed: Option<&SeedRanker>,
) -> EngineResult<SearchEvalReport> {
    let keys = TrackKeys::resolve(engine, &judgements.files);
    let k = judgements.first_page;
    let mut queries = Vec::with_capacity(judgements.queries.len());
    for q in &judgements.queries {
        let ranked: Vec<usize> = match method {
            Method::Current => {
                let request = SearchRequest {
                    limit: k,
                    ..SearchRequest::new(q.query.clone())
                };
                engine
                    .search(&request)?
                    .results
                    .iter()
                    .filter_map(|hit| engine.resolve(&hit.track.id))
                    .collect()
            }
            Method::Seed => {
                let seed = seed.ok_or_else(|| {
                    crate::engine::EngineError::invalid(
                        "no_seed_ranker",
                        "the seed method needs its tag spaces",
                    )
                })?;
                seed.rank(engine, &q.query, k)
            }
        };
        queries.push(score_query(judgements, &keys, q, &ranked, k));
    }
    let scored: Vec<&QueryOutcome> = queries.iter().filter(|q| q.scored).collect();
    let n = scored.len().max(1) as f64;
    let mean = |f: &dyn Fn(&QueryOutcome) -> f64| scored.iter().map(|q| f(q)).sum::<f64>() / n;
    let results: usize = scored.iter().map(|q| q.page.len()).sum();
    let short_pages: Vec<&&QueryOutcome> = scored.iter().filter(|q| !q.allows_short).collect();
    let short_results: usize = short_pages.iter().map(|q| q.page.len()).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let bad = BadResults {
        near_silent_rate: ratio(scored.iter().map(|q| q.near_silent).sum(), results),
        short_rate: ratio(short_pages.iter().map(|q| q.short).sum(), short_results),
        duplicate_rate: ratio(scored.iter().map(|q| q.duplicates).sum(), results),
        pages_with_near_silent: scored.iter().filter(|q| q.near_silent > 0).count(),
        pages_with_duplicate: scored.iter().filter(|q| q.duplicates > 0).count(),
        album_max_mean: mean(&|q| q.album_max as f64),
        pages_over_album_limit: scored.iter().filter(|q| q.album_max > ALBUM_LIMIT).count(),
    };
    Ok(SearchEvalReport {
        name: judgements.name.clone(),
        method,
        k,
        queries_total: queries.len(),
        queries_scored: scored.len(),
        files_found: keys.files_found,
        files_missing: keys.files_missing,
        ndcg: mean(&|q| q.ndcg),
        precision: mean(&|q| q.precision),
        mrr: mean(&|q| q.reciprocal_rank),
        bad,
        queries,
    })
}

/// Scores one first page (`ranked`: catalog indices, best first).
fn score_query(
    judgements: &SearchJudgements,
    keys: &TrackKeys,
    query: &JudgedQuery,
    ranked: &[usize],
    k: usize,
) -> QueryOutcome {
    // Grades per track key: a track two judged files share takes the higher grade.
    let mut grades: HashMap<String, u32> = HashMap::new();
    for (file, &grade) in &query.grades {
        if let Some(key) = keys.aliases.get(file) {
            let g = grades.entry(key.to_string()).or_insert(0);
            *g = (*g).max(grade);
        }
    }
    let ranking: Vec<String> = ranked
        .iter()
        .take(k)
        .map(|&i| {
            keys.key(i)
                .map(str::to_string)
                .unwrap_or_else(|| format!("#track{i}"))
        })
        .collect();
    let page: Vec<PageEntry> = ranked
        .iter()
        .take(k)
        .zip(&ranking)
        .map(|(&i, key)| PageEntry {
            file: keys.key(i).map(str::to_string),
            grade: grades.get(key).copied().unwrap_or(0),
        })
        .collect();
    let facts = |e: &PageEntry| e.file.as_deref().and_then(|f| judgements.files.get(f));
    let near_silent = page
        .iter()
        .filter(|e| facts(e).is_some_and(|f| f.near_silent))
        .count();
    let short = if query.allows_short {
        0
    } else {
        page.iter()
            .filter(|e| facts(e).is_some_and(|f| f.duration_s < judgements.short_secs))
            .count()
    };
    let mut seen_recordings: Vec<&str> = Vec::new();
    let mut duplicates = 0;
    let mut albums: HashMap<&str, usize> = HashMap::new();
    for e in &page {
        let (Some(file), Some(f)) = (e.file.as_deref(), facts(e)) else {
            continue;
        };
        let recording = f.duplicate_of.as_deref().unwrap_or(file);
        if seen_recordings.contains(&recording) {
            duplicates += 1;
        } else {
            seen_recordings.push(recording);
        }
        if let Some(album) = f.album.as_deref().filter(|a| !a.is_empty()) {
            *albums.entry(album).or_insert(0) += 1;
        }
    }
    let judged = grades.values().filter(|&&g| g > 0).count();
    QueryOutcome {
        query: query.query.clone(),
        scored: judged > 0,
        allows_short: query.allows_short,
        judged,
        ndcg: ndcg_at(&ranking, &grades, k),
        precision: precision_at(&ranking, &grades, k, RELEVANT_GRADE),
        reciprocal_rank: reciprocal_rank(&ranking, &grades, RELEVANT_GRADE),
        near_silent,
        short,
        duplicates,
        album_max: albums.values().copied().max().unwrap_or(0),
        page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_whole_components() {
        let s: Vec<&str> = path_suffixes("/tmp/cat/midi/a.ogg").collect();
        assert_eq!(
            s,
            vec![
                "/tmp/cat/midi/a.ogg",
                "tmp/cat/midi/a.ogg",
                "cat/midi/a.ogg",
                "midi/a.ogg",
                "a.ogg"
            ]
        );
    }

    fn facts(duration_s: f64, album: Option<&str>, duplicate_of: Option<&str>) -> FileFacts {
        FileFacts {
            duration_s,
            near_silent: false,
            album: album.map(str::to_string),
            duplicate_of: duplicate_of.map(str::to_string),
        }
    }

    #[test]
    fn a_first_page_is_scored_and_its_bad_results_counted() {
        let mut files = BTreeMap::new();
        files.insert("g/a.ogg".to_string(), facts(60.0, Some("game"), None));
        files.insert(
            "d/a.mp3".to_string(),
            facts(60.0, Some("game"), Some("g/a.ogg")),
        );
        files.insert("s/hit.flac".to_string(), facts(0.5, Some("kit"), None));
        files.insert(
            "q/silent.ogg".to_string(),
            FileFacts {
                near_silent: true,
                ..facts(24.0, None, None)
            },
        );
        files.insert("m/piece.ogg".to_string(), facts(25.0, None, None));
        let judgements = SearchJudgements {
            name: "t".into(),
            first_page: 4,
            short_secs: 10.0,
            files: files.clone(),
            queries: Vec::new(),
        };
        // Tracks 0..5 in catalog order; track 5 is not a judged file.
        let order = [
            "g/a.ogg",
            "d/a.mp3",
            "s/hit.flac",
            "q/silent.ogg",
            "m/piece.ogg",
        ];
        let keys = TrackKeys {
            keys: order
                .iter()
                .map(|k| Some(k.to_string()))
                .chain([None])
                .collect(),
            aliases: order
                .iter()
                .map(|k| (k.to_string(), k.to_string()))
                .collect(),
            files_found: 5,
            files_missing: 0,
        };
        let query = JudgedQuery {
            query: "q".into(),
            allows_short: false,
            grades: [
                ("g/a.ogg".to_string(), 3),
                ("d/a.mp3".to_string(), 3),
                ("m/piece.ogg".to_string(), 2),
            ]
            .into(),
        };
        // Page: unjudged track, the original, its copy, the one-shot (piece and silence cut off).
        let out = score_query(&judgements, &keys, &query, &[5, 0, 1, 2, 4, 3], 4);
        assert!(out.scored);
        assert_eq!(out.judged, 3);
        assert_eq!(out.page.len(), 4);
        assert_eq!(out.page[0].file, None);
        assert_eq!(out.duplicates, 1);
        assert_eq!(out.short, 1);
        assert_eq!(out.near_silent, 0);
        assert_eq!(out.album_max, 2);
        assert!((out.precision - 0.5).abs() < 1e-12);
        assert!((out.reciprocal_rank - 0.5).abs() < 1e-12);
        // DCG = 7/log2(3) + 7/log2(4); ideal = 7 + 7/log2(3) + 3/log2(4).
        let dcg = 7.0 / 3f64.log2() + 3.5;
        let ideal = 7.0 + 7.0 / 3f64.log2() + 1.5;
        assert!((out.ndcg - dcg / ideal).abs() < 1e-12);
        // A query that asks for short clips does not count them; a page reaching the silence does.
        let short_ok = JudgedQuery {
            allows_short: true,
            ..query
        };
        let out = score_query(&judgements, &keys, &short_ok, &[3, 2], 4);
        assert_eq!((out.short, out.near_silent), (0, 1));
    }

    #[test]
    fn judgement_files_are_checked() {
        let doc = |grades: &str| {
            format!(
                r#"{{"name":"t","first_page":10,"short_secs":10.0,
                   "files":{{"a/x.ogg":{{"duration_s":30.0}}}},
                   "queries":[{{"query":"q","grades":{grades}}}]}}"#
            )
        };
        let ok: SearchJudgements = serde_json::from_str(&doc(r#"{"a/x.ogg":3}"#)).unwrap();
        assert!(ok.check().is_ok());
        let unknown: SearchJudgements = serde_json::from_str(&doc(r#"{"b/y.ogg":3}"#)).unwrap();
        assert!(unknown
            .check()
            .unwrap_err()
            .contains("unknown file b/y.ogg"));
        let bad: SearchJudgements = serde_json::from_str(&doc(r#"{"a/x.ogg":4}"#)).unwrap();
        assert!(bad.check().unwrap_err().contains("grade 4"));
    }
}
