//! Evaluating rankings with graded relevance: nDCG@k, precision@k and reciprocal rank (for the
//! query → tag step here, and for whole searches in [`crate::search_eval`]).
//!
//! The judgement file is tab-separated: a query, a tab, then `tag:grade` items separated by
//! spaces (`the query<TAB>chill:2 easy listening:1`). Tags may contain spaces; grade 2 is
//! highly relevant, 1 relevant. Lines starting with `#` and blank lines are skipped.
//!
//! Gains are exponential, `2^grade − 1`, discounted by `log2(rank + 1)` (Burges et al. 2005);
//! nDCG@k divides by the DCG@k of the ideal ordering of the judged tags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, LineError};

/// What can go wrong reading a judgement file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line does not parse.
    #[error("{path}:{}: {}", .error.line, .error.message)]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong with it.
        error: LineError,
    },
}

impl EvalError {
    /// What kind of failure this is: a missing file is [`ErrorKind::NotFound`], a bad line
    /// [`ErrorKind::Invalid`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            EvalError::Io { source, .. } => ErrorKind::of_io(source),
            EvalError::Parse { .. } => ErrorKind::Invalid,
        }
    }
}

/// One judged query.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The query text.
    pub query: String,
    /// Graded relevance per tag (tags absent here have grade 0).
    pub grades: HashMap<String, u32>,
}

/// Read a judgement file (format in the module documentation).
pub fn read_judgements(path: &Path) -> Result<Vec<Judgement>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_judgements(&text).map_err(|error| EvalError::Parse {
        path: path.to_path_buf(),
        error,
    })
}

/// Parse judgements from text; the error names the first bad line.
pub fn parse_judgements(text: &str) -> Result<Vec<Judgement>, LineError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (query, rest) = line
            .split_once('\t')
            .ok_or_else(|| LineError::new(line_no, "expected `query<TAB>tag:grade …`"))?;
        let mut grades = HashMap::new();
        let mut pending: Vec<&str> = Vec::new();
        for token in rest.split_whitespace() {
            match token.rsplit_once(':') {
                Some((head, grade))
                    if !grade.is_empty() && grade.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    pending.push(head);
                    let tag = pending.join(" ").to_lowercase();
                    pending.clear();
                    if tag.is_empty() {
                        return Err(LineError::new(line_no, format!("empty tag in `{token}`")));
                    }
                    let grade: u32 = grade
                        .parse()
                        .map_err(|_| LineError::new(line_no, format!("bad grade in `{token}`")))?;
                    grades.insert(tag, grade);
                }
                _ => pending.push(token),
            }
        }
        if !pending.is_empty() {
            return Err(LineError::new(
                line_no,
                format!("`{}` has no `:grade`", pending.join(" ")),
            ));
        }
        out.push(Judgement {
            query: query.trim().to_string(),
            grades,
        });
    }
    Ok(out)
}

fn gain(grade: u32) -> f64 {
    (2f64).powi(grade as i32) - 1.0
}

fn discount(rank0: usize) -> f64 {
    1.0 / ((rank0 + 2) as f64).log2()
}

/// DCG@k of `ranking` (best first) under `grades`.
pub fn dcg_at(ranking: &[String], grades: &HashMap<String, u32>, k: usize) -> f64 {
    ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, tag)| gain(grades.get(tag).copied().unwrap_or(0)) * discount(i))
        .sum()
}

/// nDCG@k of `ranking` (best first): DCG@k over the ideal DCG@k. A query with no relevant
/// tag scores 0.
pub fn ndcg_at(ranking: &[String], grades: &HashMap<String, u32>, k: usize) -> f64 {
    let mut ideal: Vec<u32> = grades.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| gain(g) * discount(i))
        .sum();
    if idcg == 0.0 {
        return 0.0;
    }
    dcg_at(ranking, grades, k) / idcg
}

/// Precision@k of `ranking` (best first): the share of its first `k` places held by items of
/// grade `min_grade` or more (places past the ranking's end count as misses).
pub fn precision_at(
    ranking: &[String],
    grades: &HashMap<String, u32>,
    k: usize,
    min_grade: u32,
) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let hits = ranking
        .iter()
        .take(k)
        .filter(|item| grades.get(*item).copied().unwrap_or(0) >= min_grade)
        .count();
    hits as f64 / k as f64
}

/// Reciprocal rank: 1 / (1-based rank of the first item of grade `min_grade` or more), 0 when
/// none is ranked.
pub fn reciprocal_rank(ranking: &[String], grades: &HashMap<String, u32>, min_grade: u32) -> f64 {
    ranking
        .iter()
        .position(|item| grades.get(item).copied().unwrap_or(0) >= min_grade)
        .map_or(0.0, |r| 1.0 / (r + 1) as f64)
}

/// The scores of one query.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryScore {
    /// The query text.
    pub query: String,
    /// nDCG@5.
    pub ndcg5: f64,
    /// nDCG@10.
    pub ndcg10: f64,
    /// The top ten tags of the ranking that was scored.
    pub top: Vec<String>,
}

/// Scores over a judgement set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalSummary {
    /// Mean nDCG@5 over queries.
    pub ndcg5: f64,
    /// Mean nDCG@10 over queries.
    pub ndcg10: f64,
    /// Per-query scores, in file order.
    pub queries: Vec<QueryScore>,
}

/// Score `rank` (a function from query text to a tag ranking, best first) on `judgements`.
pub fn evaluate<F>(judgements: &[Judgement], mut rank: F) -> EvalSummary
where
    F: FnMut(&str) -> Vec<String>,
{
    let queries: Vec<QueryScore> = judgements
        .iter()
        .map(|j| {
            let ranking = rank(&j.query);
            QueryScore {
                query: j.query.clone(),
                ndcg5: ndcg_at(&ranking, &j.grades, 5),
                ndcg10: ndcg_at(&ranking, &j.grades, 10),
                top: ranking.into_iter().take(10).collect(),
            }
        })
        .collect();
    let n = queries.len().max(1) as f64;
    EvalSummary {
        ndcg5: queries.iter().map(|q| q.ndcg5).sum::<f64>() / n,
        ndcg10: queries.iter().map(|q| q.ndcg10).sum::<f64>() / n,
        queries,
    }
}

/// Mean nDCG@5 and nDCG@10 of each of `folds` interleaved folds of `summary`'s queries (query
/// `i`, in file order, falls in fold `i mod folds`), to check that a figure tuned on one fold
/// holds on the others. Empty when `folds` is 0; a fold with no query scores 0.
pub fn fold_means(summary: &EvalSummary, folds: usize) -> Vec<(f64, f64)> {
    (0..folds)
        .map(|f| {
            let fold: Vec<&QueryScore> = summary.queries.iter().skip(f).step_by(folds).collect();
            let n = fold.len().max(1) as f64;
            (
                fold.iter().map(|q| q.ndcg5).sum::<f64>() / n,
                fold.iter().map(|q| q.ndcg10).sum::<f64>() / n,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_multi_word_tags_and_comments() {
        let text = "# comment\nbeach vibes\tchill:2 easy listening:1 happy:2\n\n";
        let j = parse_judgements(text).unwrap();
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].query, "beach vibes");
        assert_eq!(j[0].grades["easy listening"], 1);
        assert_eq!(j[0].grades["chill"], 2);
        assert_eq!(j[0].grades.len(), 3);
        assert!(parse_judgements("q\tchill").is_err());
        assert!(parse_judgements("no tab here").is_err());
    }

    #[test]
    fn perfect_ranking_scores_one() {
        let g: HashMap<String, u32> = [("a".to_string(), 2), ("b".to_string(), 1)].into();
        assert!((ndcg_at(&s(&["a", "b", "x"]), &g, 5) - 1.0).abs() < 1e-12);
        assert_eq!(ndcg_at(&s(&["x", "y"]), &g, 5), 0.0);
    }

    #[test]
    fn hand_computed_cases() {
        // grades a:2 b:1 c:1; ranking x a c b.
        // DCG@5 = 3/log2(3) + 1/log2(4) + 1/log2(5) = 1.892789 + 0.5 + 0.430677 = 2.823466
        // IDCG@5 = 3/log2(2) + 1/log2(3) + 1/log2(4) = 3 + 0.630930 + 0.5 = 4.130930
        let g: HashMap<String, u32> = [
            ("a".to_string(), 2),
            ("b".to_string(), 1),
            ("c".to_string(), 1),
        ]
        .into();
        let r = s(&["x", "a", "c", "b"]);
        assert!((dcg_at(&r, &g, 5) - 2.823466).abs() < 1e-5);
        assert!((ndcg_at(&r, &g, 5) - 2.823466 / 4.130930).abs() < 1e-5);
        // @2 cuts after "a": DCG = 1.892789, IDCG = 3 + 0.630930.
        assert!((ndcg_at(&r, &g, 2) - 1.892789 / 3.630930).abs() < 1e-5);
        // @1: x is irrelevant.
        assert_eq!(ndcg_at(&r, &g, 1), 0.0);
    }

    #[test]
    fn precision_and_reciprocal_rank() {
        let g: HashMap<String, u32> = [
            ("a".to_string(), 3),
            ("b".to_string(), 1),
            ("c".to_string(), 2),
        ]
        .into();
        let r = s(&["x", "b", "c", "a"]);
        // Grade >= 2: c (rank 3) and a (rank 4).
        assert!((precision_at(&r, &g, 4, 2) - 0.5).abs() < 1e-12);
        assert!((precision_at(&r, &g, 10, 2) - 0.2).abs() < 1e-12);
        assert!((precision_at(&r, &g, 4, 1) - 0.75).abs() < 1e-12);
        assert!((reciprocal_rank(&r, &g, 2) - 1.0 / 3.0).abs() < 1e-12);
        assert!((reciprocal_rank(&r, &g, 1) - 0.5).abs() < 1e-12);
        assert_eq!(reciprocal_rank(&s(&["x"]), &g, 1), 0.0);
        assert_eq!(precision_at(&r, &g, 0, 1), 0.0);
    }

    #[test]
    fn evaluate_averages_queries() {
        let j = parse_judgements("q1\ta:1\nq2\tb:1\n").unwrap();
        let sum = evaluate(&j, |_| s(&["a"]));
        assert!((sum.ndcg5 - 0.5).abs() < 1e-12);
        assert_eq!(sum.queries.len(), 2);
    }

    #[test]
    fn interleaved_folds() {
        let j = parse_judgements("q1\ta:1\nq2\tb:1\nq3\ta:1\n").unwrap();
        let sum = evaluate(&j, |_| s(&["a"]));
        // Fold 0 holds q1 and q3 (both hit), fold 1 holds q2 (a miss).
        assert_eq!(fold_means(&sum, 2), vec![(1.0, 1.0), (0.0, 0.0)]);
        assert!(fold_means(&sum, 0).is_empty());
        // More folds than queries: the empty fold scores 0.
        assert_eq!(fold_means(&sum, 4)[3], (0.0, 0.0));
    }
}
