"""Reference evaluation metrics from scikit-learn, for the fruits metrics tests.

    /usr/bin/python3 sklearn_metrics.py CASES.json OUTDIR

CASES.json: [{"name": CASE, "labels": [LABEL, ...], "top_k": INT, "y_true": [LABEL, ...],
              "probabilities": PATH}]
The probabilities are a raw little-endian float64 matrix, len(y_true) x len(labels), row-major,
columns in "labels" order. Rows whose true label is not in "labels" are only counted.

OUTDIR/CASE.json is the metrics.json fruits should write for the case (the layout of
src/classify/metrics.h), every figure computed here: accuracy_score, top_k_accuracy_score,
log_loss(eps=1e-15), precision_recall_fscore_support (per label over all labels; macro and
weighted with labels=None, as sklearn averages by default) and confusion_matrix; the most confused
pairs and the expected calibration error (Guo et al. 2017) from their definitions, in numpy.
Labels are passed to scikit-learn as their indices, so its sorted label order is index order.

Only numpy and scikit-learn are used: no project code.
"""
import collections
import json
import os
import sys
import warnings

import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, log_loss,
                             precision_recall_fscore_support, top_k_accuracy_score)

BINS = 15
MOST_CONFUSED = 10
EPS = 1e-15


def calibration(probabilities, y_true, predicted):
    n = len(y_true)
    confidence = probabilities.max(axis=1)
    edges = np.arange(BINS + 1) / BINS
    # Bin i holds (edges[i], edges[i + 1]]; 0 goes in the first bin, 1 in the last.
    bins = np.searchsorted(edges[1:-1], confidence, side="left")
    correct = predicted == y_true
    per_bin, ece = [], 0.0
    for i in range(BINS):
        inside = bins == i
        count = int(inside.sum())
        mean_confidence = float(confidence[inside].mean()) if count else None
        accuracy = float(correct[inside].mean()) if count else None
        if count:
            ece += abs(accuracy - mean_confidence) * count / n
        per_bin.append({"lower": float(edges[i]), "upper": float(edges[i + 1]), "count": count,
                        "confidence": mean_confidence, "accuracy": accuracy})
    return {"bins": BINS, "expected_calibration_error": ece, "per_bin": per_bin}


def expected_metrics(case, probabilities):
    labels = case["labels"]
    k_labels = len(labels)
    index = {label: i for i, label in enumerate(labels)}
    known = np.array([label in index for label in case["y_true"]], dtype=bool)
    y_true = np.array([index[label] for label in case["y_true"] if label in index], dtype=np.int64)
    probabilities = probabilities[known]
    unknown = collections.Counter(label for label in case["y_true"] if label not in index)
    n = len(y_true)
    ids = np.arange(k_labels)
    predicted = probabilities.argmax(axis=1)
    top_k = min(case["top_k"], k_labels)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k == number of labels: "a perfect score"
        top_k_accuracy = top_k_accuracy_score(y_true, probabilities, k=top_k, labels=ids)

    loss = log_loss(y_true, probabilities, eps=EPS, labels=ids)
    # log_loss renormalises the clipped rows; fruits does not (its rows sum to 1): the two must
    # agree, or the comparison below would test the wrong definition.
    p_true = np.clip(probabilities[np.arange(n), y_true], EPS, 1 - EPS)
    unnormalised = float(np.mean(-np.log(p_true)))
    assert abs(unnormalised - loss) <= 1e-13 * loss, (unnormalised, loss)

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, predicted, labels=ids, average=None, zero_division=0)
    averages = {}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, predicted, average=average,
                                                     zero_division=0)
        averages[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}

    matrix = confusion_matrix(y_true, predicted, labels=ids)
    cells = sorted((-int(matrix[t, p]), t, p) for t in range(k_labels) for p in range(k_labels)
                   if t != p and matrix[t, p] > 0)
    most_confused = [{"true": labels[t], "predicted": labels[p], "count": -negated,
                      "share_of_true": -negated / int(matrix[t].sum())}
                     for negated, t, p in cells[:MOST_CONFUSED]]

    return {
        "format": "fruits.metrics",
        "version": 1,
        "n": n,
        "accuracy": float(accuracy_score(y_true, predicted)),
        "top_k": top_k,
        "top_k_accuracy": float(top_k_accuracy),
        "log_loss": float(loss),
        "macro": averages["macro"],
        "weighted": averages["weighted"],
        "per_label": [{"label": labels[i], "precision": float(precision[i]),
                       "recall": float(recall[i]), "f1": float(f1[i]),
                       "support": int(support[i])} for i in range(k_labels)],
        "labels": labels,
        "confusion_matrix": matrix.tolist(),
        "most_confused": most_confused,
        "calibration": calibration(probabilities, y_true, predicted),
        "unknown_labels": {"rows": sum(unknown.values()),
                           "labels": {label: unknown[label] for label in sorted(unknown)}},
    }


def main():
    cases_path, out_dir = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        cases = json.load(f)
    for case in cases:
        probabilities = np.fromfile(case["probabilities"], dtype="<f8").reshape(
            len(case["y_true"]), len(case["labels"]))
        expected = expected_metrics(case, probabilities)
        with open(os.path.join(out_dir, case["name"] + ".json"), "w") as f:
            json.dump(expected, f)


if __name__ == "__main__":
    main()
