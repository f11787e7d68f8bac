"""scikit-learn's view of a classifier folder fruits trained, for the `fruits train` and
`fruits evaluate` end-to-end tests.

    /usr/bin/python3 sklearn_classifier.py CASES.json OUT.json

CASES.json: {"cases": [{"name": NAME, "classifier": CLF, "C": C, "top": TOP,
                        "train": {"features": PATH, "n": N, "d": D, "labels": [LABEL, ...]},
                        "test": {"features": PATH, "n": M, "d": D, "labels": [LABEL, ...]}}]}
The features are raw little-endian float32 matrices (row-major, N x D), as the features parts
hold them; the labels are each row's label. CLF is the folder `fruits train` wrote.

Each case reads only CLF's files (pca_model/mean.npy, components.npy, explained_variance.npy,
model.json; weights.npy, bias.npy, labels.txt, model.json), with numpy:
- the PCA coordinates, computed here in float64: (features - mean) @ components.T, divided by
  sqrt(explained_variance[:k]) when model.json says whiten;
- LogisticRegression(C, max_iter=10000, tol=1e-8) (multinomial, lbfgs) fitted on the training
  coordinates; the objective sum_i -log p(y_i) + |W|^2 / (2 C) of its coef_/intercept_ and of
  our weights/bias, both in float64 on the same coordinates;
- on the test rows: scikit-learn's predictions and ours (argmax of our logits), and our
  probabilities (softmax in float64), from which sklearn_metrics.expected_metrics gives the
  metrics.json every figure of which scikit-learn computes.
OUT.json: {NAME: {"k", "labels", "whiten", "sklearn_objective", "ours_objective",
  "model_json_objective", "sklearn_iterations", "sklearn_predicted": [...],
  "ours_predicted": [...], "ours_top_probability": [...], "expected_metrics": {...}}}.

Only numpy, scipy and scikit-learn are used: no project code.
"""
import json
import os
import sys
import warnings

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import sklearn_metrics


def features(part):
    return np.fromfile(part["features"], dtype="<f4").reshape(part["n"], part["d"]).astype(
        np.float64)


def objective(x, y, weights, bias, c):
    logits = x @ weights.T + bias
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    return float(-log_p[np.arange(len(y)), y].sum() + (weights ** 2).sum() / (2 * c))


def run_case(case):
    folder = case["classifier"]
    pca_folder = os.path.join(folder, "pca_model")
    with open(os.path.join(folder, "model.json")) as f:
        description = json.load(f)
    with open(os.path.join(folder, "labels.txt")) as f:
        labels = f.read().splitlines()
    weights = np.load(os.path.join(folder, "weights.npy")).astype(np.float64)
    bias = np.load(os.path.join(folder, "bias.npy")).astype(np.float64)
    k = weights.shape[1]
    mean = np.load(os.path.join(pca_folder, "mean.npy")).astype(np.float64)
    components = np.load(os.path.join(pca_folder, "components.npy")).astype(np.float64)[:k]
    scale = np.ones(k)
    if description["whiten"]:
        scale = np.sqrt(np.load(os.path.join(pca_folder, "explained_variance.npy"))
                        .astype(np.float64)[:k])

    def coordinates(part):
        return ((features(part) - mean) @ components.T) / scale

    index = {label: i for i, label in enumerate(labels)}
    x = coordinates(case["train"])
    y = np.array([index[label] for label in case["train"]["labels"]])
    assert len(labels) >= 3, "scikit-learn fits two labels as one binary model: not comparable"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LogisticRegression(C=case["C"], max_iter=10000, tol=1e-8).fit(x, y)
    assert list(model.classes_) == list(range(len(labels))), "every label must occur"

    x_test = coordinates(case["test"])
    probabilities = softmax(x_test @ weights.T + bias, axis=1)
    ours = probabilities.argmax(axis=1)
    metrics_case = {"labels": labels, "top_k": case["top"], "y_true": case["test"]["labels"]}
    return {
        "k": k,
        "labels": labels,
        "whiten": description["whiten"],
        "sklearn_objective": objective(x, y, model.coef_, model.intercept_, case["C"]),
        "ours_objective": objective(x, y, weights, bias, case["C"]),
        "model_json_objective": description["training"]["objective"],
        "sklearn_iterations": int(model.n_iter_[0]),
        "sklearn_predicted": [labels[i] for i in model.predict(x_test)],
        "ours_predicted": [labels[i] for i in ours],
        "ours_top_probability": [float(p) for p in probabilities.max(axis=1)],
        "expected_metrics": sklearn_metrics.expected_metrics(metrics_case, probabilities),
    }


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    out = {case["name"]: run_case(case) for case in cases}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
