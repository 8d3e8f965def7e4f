#!/usr/bin/env python3
"""Reference values for models/src/metrics.rs from scikit-learn.

Writes fixtures/reference/metrics/<case>.scores.npy (float32, clips x tags),
<case>.labels.npy (float32 0/1, clips x tags) and <case>.json with sklearn's per-tag
roc_auc_score and average_precision_score and their macro means.

Macro means are taken over the tags that have at least one positive and one negative clip,
the convention musearch documents (sklearn's own average="macro" raises on a column with a
single class for ROC-AUC). Tags that have no positives get null.

Run with the reference environment (scikit-learn==1.9.1, numpy==1.26.4):
    .venv-ref/bin/python scripts/reference/metrics_sklearn.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "reference", "metrics")


def case(name, scores, labels):
    scores = scores.astype(np.float32)
    labels = labels.astype(np.float32)
    roc, ap = [], []
    for j in range(labels.shape[1]):
        y = labels[:, j]
        s = scores[:, j].astype(np.float64)
        if y.min() == y.max():
            roc.append(None)
            ap.append(None)
            continue
        roc.append(float(roc_auc_score(y, s)))
        ap.append(float(average_precision_score(y, s)))
    valid = [r for r in roc if r is not None]
    valid_ap = [a for a in ap if a is not None]
    np.save(os.path.join(OUT, f"{name}.scores.npy"), scores)
    np.save(os.path.join(OUT, f"{name}.labels.npy"), labels)
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(
            {
                "sklearn": sklearn.__version__,
                "roc_auc": roc,
                "average_precision": ap,
                "macro_roc_auc": float(np.mean(valid)),
                "macro_average_precision": float(np.mean(valid_ap)),
            },
            f,
            indent=1,
        )
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261121)

    # Continuous scores, no ties, labels correlated with the scores.
    n, k = 200, 6
    labels = rng.random((n, k)) < np.array([0.05, 0.1, 0.3, 0.5, 0.7, 0.02])
    scores = 1 / (1 + np.exp(-(labels * 1.2 + rng.normal(size=(n, k)))))
    case("continuous", scores, labels)

    # Heavy ties: scores quantised to 5 levels, some ties across positives and negatives;
    # column 3 all negative, column 4 all positive (both skipped).
    n, k = 120, 6
    labels = rng.random((n, k)) < 0.35
    labels[:, 3] = False
    labels[:, 4] = True
    scores = np.round(np.clip(labels * 0.3 + rng.random((n, k)) * 0.7, 0, 1) * 4) / 4
    case("ties", scores, labels)

    # Tiny hand-made case: constant scores, a single positive, and a perfect ranking.
    labels = np.array([[1, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 1]])
    scores = np.array(
        [
            [0.5, 0.1, 0.9, 0.2],
            [0.5, 0.2, 0.8, 0.9],
            [0.5, 0.3, 0.7, 0.9],
            [0.5, 0.4, 0.7, 0.1],
            [0.5, 0.5, 0.1, 0.9],
        ]
    )
    case("small", scores, labels)


if __name__ == "__main__":
    main()
