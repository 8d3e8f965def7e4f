//! `musearch_models::metrics` against scikit-learn 1.9.1 (`roc_auc_score`,
//! `average_precision_score`) on the fixtures of `scripts/reference/metrics_sklearn.py`.

use std::path::PathBuf;

use musearch_models::metrics::{average_precision, evaluate, roc_auc};
use musearch_models::npy::read_npy_f32;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/reference/metrics")
}

fn close(a: Option<f64>, b: &serde_json::Value, what: &str) {
    match (a, b.as_f64()) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{what}: {a} vs sklearn {b}"),
        (a, _) => panic!("{what}: {a:?} vs sklearn {b}"),
    }
}

fn check_case(name: &str) {
    let (shape, scores) = read_npy_f32(&dir().join(format!("{name}.scores.npy"))).unwrap();
    let (lshape, labels) = read_npy_f32(&dir().join(format!("{name}.labels.npy"))).unwrap();
    assert_eq!(shape, lshape);
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap())
            .unwrap();
    let (n, k) = (shape[0], shape[1]);
    let labels: Vec<bool> = labels.iter().map(|&v| v > 0.5).collect();
    let tags: Vec<String> = (0..k).map(|j| format!("t{j}")).collect();
    let report = evaluate(&tags, &labels, &scores).unwrap();
    assert_eq!(report.clips, n);
    for j in 0..k {
        let y: Vec<bool> = (0..n).map(|i| labels[i * k + j]).collect();
        let s: Vec<f64> = (0..n).map(|i| f64::from(scores[i * k + j])).collect();
        close(
            roc_auc(&y, &s).unwrap(),
            &expected["roc_auc"][j],
            &format!("{name} roc {j}"),
        );
        close(
            average_precision(&y, &s).unwrap(),
            &expected["average_precision"][j],
            &format!("{name} ap {j}"),
        );
        close(report.tags[j].roc_auc, &expected["roc_auc"][j], name);
        close(
            report.tags[j].pr_auc,
            &expected["average_precision"][j],
            name,
        );
    }
    close(report.macro_roc_auc, &expected["macro_roc_auc"], name);
    close(
        report.macro_pr_auc,
        &expected["macro_average_precision"],
        name,
    );
}

#[test]
fn continuous_scores_match_sklearn() {
    check_case("continuous");
}

#[test]
fn tied_scores_and_single_class_columns_match_sklearn() {
    check_case("ties");
    let (shape, _) = read_npy_f32(&dir().join("ties.labels.npy")).unwrap();
    assert_eq!(shape, vec![120, 6]);
}

#[test]
fn small_hand_made_case_matches_sklearn() {
    check_case("small");
}
