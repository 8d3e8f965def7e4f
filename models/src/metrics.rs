//! Evaluation metrics of multi-label tagging: ROC-AUC and average precision (PR-AUC) per tag,
//! their macro averages, and a per-tag table.
//!
//! These are the figures the music auto-tagging literature reports on MagnaTagATune (Choi et al.
//! 2016, "Automatic tagging using deep convolutional neural networks"; Pons et al. 2018, musicnn;
//! Won et al. 2020, "Evaluation of CNN-based automatic music tagging models"): the area under
//! the ROC curve and the area under the precision-recall curve of every tag, averaged over tags
//! with equal weight ("macro").
//!
//! Both definitions follow scikit-learn exactly, and `models/tests/metrics_sklearn.rs` checks
//! them against `sklearn.metrics` on fixtures made by `scripts/reference/metrics_sklearn.py`:
//!
//! * [`roc_auc`] equals `sklearn.metrics.roc_auc_score`: the trapezoidal area under the ROC
//!   curve, where tied scores form a single threshold. That area is the Mann-Whitney U
//!   statistic with ties given their *average rank*, which is how it is computed here (exact in
//!   `f64` for any realistic number of clips).
//! * [`average_precision`] equals `sklearn.metrics.average_precision_score`: the step-wise sum
//!   `AP = Σₙ (Rₙ − Rₙ₋₁) · Pₙ` over the distinct score thresholds in decreasing order, with
//!   precision `Pₙ` and recall `Rₙ` at the n-th threshold (no interpolation; tied scores form a
//!   single threshold).
//!
//! **Tags without positives.** A tag that no clip of the evaluation set carries (or that every
//! clip carries) has no ROC curve; scikit-learn raises an error for it. Here its per-tag values
//! are `None` and the macro averages *skip* it: they are means over the tags that have at least
//! one positive and one negative clip. [`EvalReport::skipped`] lists the skipped tags so that a
//! report can say so.

use std::fmt::Write as _;

/// Errors of the metric functions: inputs that do not describe a labelled score matrix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Labels and scores do not have the same number of values.
    #[error("{what}: {left} labels but {right} scores")]
    LengthMismatch {
        /// Which input (a tag name or "matrix").
        what: String,
        /// Number of labels.
        left: usize,
        /// Number of scores.
        right: usize,
    },
    /// The matrix size does not match the number of tags.
    #[error("{len} values are not a whole number of rows of {tags} tags")]
    Shape {
        /// Number of values.
        len: usize,
        /// Number of tags (columns).
        tags: usize,
    },
    /// A score is NaN or infinite.
    #[error("score {index} of {what} is not finite ({value})")]
    NonFinite {
        /// Which input.
        what: String,
        /// The position of the score.
        index: usize,
        /// The score.
        value: f64,
    },
}

fn check(labels: &[bool], scores: &[f64], what: &str) -> Result<(), MetricsError> {
    if labels.len() != scores.len() {
        return Err(MetricsError::LengthMismatch {
            what: what.to_string(),
            left: labels.len(),
            right: scores.len(),
        });
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(MetricsError::NonFinite {
            what: what.to_string(),
            index,
            value,
        });
    }
    Ok(())
}

/// Indices of `scores` sorted by decreasing score (ties keep their input order).
fn order_descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Area under the ROC curve of one tag, as `sklearn.metrics.roc_auc_score`.
///
/// `labels[i]` says whether clip `i` carries the tag, `scores[i]` is the model's score for it
/// (any monotone scale: probabilities or logits give the same value). Tied scores count as
/// half-correct pairs (average ranks), as the trapezoidal rule over sklearn's ROC curve does.
///
/// Returns `Ok(None)` when the clips are all positive or all negative: the curve is undefined.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Result<Option<f64>, MetricsError> {
    check(labels, scores, "roc_auc")?;
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Ok(None);
    }
    // Ascending ranks (1-based); a group of tied scores shares the mean of its ranks.
    let mut order = order_descending(scores);
    order.reverse();
    let mut rank_sum_pos = 0.0f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end, mean (start + 1 + end) / 2.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let pos_in_group = order[start..end].iter().filter(|&&i| labels[i]).count();
        rank_sum_pos += mean_rank * pos_in_group as f64;
        start = end;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    let u = rank_sum_pos - p * (p + 1.0) / 2.0;
    Ok(Some(u / (p * n)))
}

/// Average precision (area under the precision-recall curve) of one tag, as
/// `sklearn.metrics.average_precision_score`: `Σₙ (Rₙ − Rₙ₋₁) · Pₙ` over the distinct
/// thresholds in decreasing order.
///
/// Returns `Ok(None)` when the clips are all positive or all negative, the same tags
/// [`roc_auc`] leaves out (with no positives recall is undefined; with no negatives AP is 1
/// for any model and says nothing).
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Result<Option<f64>, MetricsError> {
    check(labels, scores, "average_precision")?;
    let n_pos = labels.iter().filter(|&&l| l).count();
    if n_pos == 0 || n_pos == labels.len() {
        return Ok(None);
    }
    let order = order_descending(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut prev_recall = 0.0f64;
    let mut ap = 0.0f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            if labels[order[end]] {
                tp += 1;
            } else {
                fp += 1;
            }
            end += 1;
        }
        let recall = tp as f64 / n_pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        start = end;
    }
    Ok(Some(ap))
}

/// The metrics of one tag.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TagMetrics {
    /// The tag.
    pub tag: String,
    /// Number of clips carrying the tag.
    pub positives: usize,
    /// ROC-AUC ([`roc_auc`]); `None` if the tag has no positive or no negative clip.
    pub roc_auc: Option<f64>,
    /// PR-AUC ([`average_precision`]); `None` when `roc_auc` is.
    pub pr_auc: Option<f64>,
}

/// Per-tag metrics and their macro averages over an evaluation set.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalReport {
    /// Number of clips evaluated.
    pub clips: usize,
    /// One entry per tag, in the order of the columns.
    pub tags: Vec<TagMetrics>,
    /// Mean ROC-AUC over the tags that have one (see the module documentation); `None` if
    /// no tag has one.
    pub macro_roc_auc: Option<f64>,
    /// Mean PR-AUC over the same tags.
    pub macro_pr_auc: Option<f64>,
}

impl EvalReport {
    /// The tags left out of the macro averages (no positive or no negative clip).
    pub fn skipped(&self) -> Vec<&str> {
        self.tags
            .iter()
            .filter(|t| t.roc_auc.is_none())
            .map(|t| t.tag.as_str())
            .collect()
    }

    /// A plain-text table, one line per tag (sorted by decreasing ROC-AUC, undefined last),
    /// then the macro averages and the skipped tags.
    pub fn table(&self) -> String {
        let width = self
            .tags
            .iter()
            .map(|t| t.tag.chars().count())
            .max()
            .unwrap_or(3)
            .max(3);
        let mut rows: Vec<&TagMetrics> = self.tags.iter().collect();
        rows.sort_by(|a, b| {
            let key = |t: &TagMetrics| t.roc_auc.unwrap_or(f64::NEG_INFINITY);
            key(b).total_cmp(&key(a))
        });
        let fmt = |v: Option<f64>| v.map_or_else(|| "    -".to_string(), |v| format!("{v:.4}"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>7}  {:>7}",
            "tag", "positives", "ROC-AUC", "PR-AUC"
        );
        for t in rows {
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>7}  {:>7}",
                t.tag,
                t.positives,
                fmt(t.roc_auc),
                fmt(t.pr_auc)
            );
        }
        let used = self.tags.len() - self.skipped().len();
        let _ = writeln!(
            out,
            "macro ROC-AUC {}  macro PR-AUC {}  ({} clips, {} of {} tags)",
            fmt(self.macro_roc_auc),
            fmt(self.macro_pr_auc),
            self.clips,
            used,
            self.tags.len()
        );
        let skipped = self.skipped();
        if !skipped.is_empty() {
            let _ = writeln!(
                out,
                "skipped (no positive or no negative clip): {}",
                skipped.join(", ")
            );
        }
        out
    }
}

/// Evaluates a score matrix against a label matrix.
///
/// `labels` and `scores` are row-major `clips × tags.len()` matrices (one row per clip, one
/// column per tag, in the order of `tags`). Returns per-tag ROC-AUC and PR-AUC and their macro
/// averages over the tags that have both positive and negative clips.
pub fn evaluate<S: AsRef<str>>(
    tags: &[S],
    labels: &[bool],
    scores: &[f32],
) -> Result<EvalReport, MetricsError> {
    let k = tags.len();
    if labels.len() != scores.len() {
        return Err(MetricsError::LengthMismatch {
            what: "matrix".to_string(),
            left: labels.len(),
            right: scores.len(),
        });
    }
    if k == 0 || labels.len() % k != 0 {
        return Err(MetricsError::Shape {
            len: labels.len(),
            tags: k,
        });
    }
    let clips = labels.len() / k;
    let mut out = Vec::with_capacity(k);
    for (j, tag) in tags.iter().enumerate() {
        let tag = tag.as_ref();
        let y: Vec<bool> = (0..clips).map(|i| labels[i * k + j]).collect();
        let s: Vec<f64> = (0..clips).map(|i| f64::from(scores[i * k + j])).collect();
        let roc = roc_auc(&y, &s).map_err(|e| rename(e, tag))?;
        let pr = average_precision(&y, &s).map_err(|e| rename(e, tag))?;
        out.push(TagMetrics {
            tag: tag.to_string(),
            positives: y.iter().filter(|&&l| l).count(),
            roc_auc: roc,
            pr_auc: pr,
        });
    }
    let mean = |f: fn(&TagMetrics) -> Option<f64>| {
        let v: Vec<f64> = out.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    Ok(EvalReport {
        clips,
        macro_roc_auc: mean(|t| t.roc_auc),
        macro_pr_auc: mean(|t| t.pr_auc),
        tags: out,
    })
}

fn rename(e: MetricsError, tag: &str) -> MetricsError {
    match e {
        MetricsError::NonFinite { index, value, .. } => MetricsError::NonFinite {
            what: format!("tag '{tag}'"),
            index,
            value,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_rankings() {
        let y = [true, true, false, false];
        let s = [0.9, 0.8, 0.2, 0.1];
        assert_eq!(roc_auc(&y, &s).unwrap(), Some(1.0));
        assert_eq!(average_precision(&y, &s).unwrap(), Some(1.0));
        let r: Vec<f64> = s.iter().map(|v| -v).collect();
        assert_eq!(roc_auc(&y, &r).unwrap(), Some(0.0));
        // Positives at ranks 3 and 4: AP = 0.5·(1/3) + 0.5·(2/4).
        let ap = average_precision(&y, &r).unwrap().unwrap();
        assert!((ap - (0.5 / 3.0 + 0.25)).abs() < 1e-15, "{ap}");
    }

    #[test]
    fn ties_count_half() {
        // One positive tied with one negative, a second negative below: 1.5 of 2 pairs.
        let y = [true, false, false];
        let s = [0.5, 0.5, 0.1];
        assert_eq!(roc_auc(&y, &s).unwrap(), Some(0.75));
        // A single threshold reaches recall 1 at precision 1/2.
        assert_eq!(average_precision(&y, &s).unwrap(), Some(0.5));
    }

    #[test]
    fn single_class_is_undefined_and_skipped() {
        let tags = ["a", "none"];
        let labels = [true, false, false, false, true, false];
        let scores = [0.9, 0.1, 0.2, 0.3, 0.7, 0.5];
        let r = evaluate(&tags, &labels, &scores).unwrap();
        assert_eq!(r.clips, 3);
        assert_eq!(r.tags[1].roc_auc, None);
        assert_eq!(r.skipped(), vec!["none"]);
        assert_eq!(r.macro_roc_auc, Some(1.0));
        assert!(r
            .table()
            .contains("skipped (no positive or no negative clip): none"));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            roc_auc(&[true], &[0.1, 0.2]),
            Err(MetricsError::LengthMismatch { .. })
        ));
        assert!(matches!(
            average_precision(&[true, false], &[f64::NAN, 0.2]),
            Err(MetricsError::NonFinite { index: 0, .. })
        ));
        assert!(matches!(
            evaluate(&["a", "b"], &[true, false, true], &[0.1, 0.2, 0.3]),
            Err(MetricsError::Shape { .. })
        ));
    }
}
