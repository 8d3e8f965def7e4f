//! Training curves: the loss and the validation ROC-AUC per epoch as PNG line charts, drawn
//! next to the JSONL log after every epoch ([`crate::plot::line_chart_png`]).

use std::path::{Path, PathBuf};

use super::{EpochRecord, TrainError};
use crate::plot::{line_chart_png, Line};

/// The loss chart of a run directory (training and validation loss per epoch).
pub const LOSS_PNG: &str = "loss.png";
/// The ROC-AUC chart of a run directory (validation macro ROC-AUC and PR-AUC per epoch).
pub const ROC_AUC_PNG: &str = "roc_auc.png";

const SIZE: (u32, u32) = (640, 400);

/// The points `(epoch, value)` of one field of the history.
fn series(history: &[EpochRecord], value: impl Fn(&EpochRecord) -> Option<f64>) -> Vec<(f64, f64)> {
    history
        .iter()
        .filter_map(|r| value(r).map(|v| (r.epoch as f64, v)))
        .collect()
}

/// Draws [`LOSS_PNG`] and, once an epoch was validated, [`ROC_AUC_PNG`] into `dir`; returns
/// the files written.
pub fn write_curves(history: &[EpochRecord], dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut written = Vec::new();
    if history.is_empty() {
        return Ok(written);
    }
    let loss = [
        Line {
            name: "training loss".into(),
            points: series(history, |r| Some(r.train_loss)),
        },
        Line {
            name: "validation loss".into(),
            points: series(history, |r| r.val_loss),
        },
    ];
    let path = dir.join(LOSS_PNG);
    line_chart_png(
        &path,
        "binary cross-entropy per epoch",
        ("epoch", "loss"),
        &loss,
        SIZE,
    )?;
    written.push(path);
    let auc = [
        Line {
            name: "validation ROC-AUC".into(),
            points: series(history, |r| r.val_roc_auc),
        },
        Line {
            name: "validation PR-AUC".into(),
            points: series(history, |r| r.val_pr_auc),
        },
    ];
    if auc.iter().any(|l| !l.points.is_empty()) {
        let path = dir.join(ROC_AUC_PNG);
        line_chart_png(
            &path,
            "validation macro ROC-AUC and PR-AUC per epoch",
            ("epoch", "area under the curve"),
            &auc,
            SIZE,
        )?;
        written.push(path);
    }
    Ok(written)
}
