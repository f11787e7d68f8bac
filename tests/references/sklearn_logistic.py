"""Reference fits of scikit-learn's LogisticRegression, for the fruits classifier tests.

    /usr/bin/python3 sklearn_logistic.py CASES.json OUT.json

CASES.json: {"cases": [{"name": NAME, "train": PATH, "test": PATH, "n": N, "n_test": M, "d": D,
                        "train_labels": PATH, "test_labels": PATH, "k": K, "C": C,
                        "ours": {"weights": PATH, "bias": PATH}}]}
Matrices are raw little-endian float32, row-major (N x D); labels raw little-endian int32;
our weights (labels x K) and bias (labels) raw float64. Each case fits
LogisticRegression(C=C, max_iter=10000, tol=1e-8) (multinomial, lbfgs: scikit-learn 1.2's
default solver) on the first K columns, converted to float64, and reports, for scikit-learn's
model and for ours, the objective sum_i -log p(y_i | x_i) + |W|^2 / (2 C) computed here in
float64, the test predictions (the most probable label), and the test accuracy.

Only numpy and scikit-learn are used: no project code.
"""
import json
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from scipy.special import logsumexp


def matrix(path, rows, cols):
    return np.fromfile(path, dtype="<f4").reshape(rows, cols).astype(np.float64)


def objective(x, y, weights, bias, c):
    logits = x @ weights.T + bias
    log_p = logits - logsumexp(logits, axis=1, keepdims=True)
    return float(-log_p[np.arange(len(y)), y].sum() + (weights ** 2).sum() / (2 * c))


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    out = {}
    for case in cases:
        k = case["k"]
        x = matrix(case["train"], case["n"], case["d"])[:, :k]
        x_test = matrix(case["test"], case["n_test"], case["d"])[:, :k]
        y = np.fromfile(case["train_labels"], dtype="<i4")
        y_test = np.fromfile(case["test_labels"], dtype="<i4")
        labels = int(y.max()) + 1
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model = LogisticRegression(C=case["C"], max_iter=10000, tol=1e-8).fit(x, y)
        assert list(model.classes_) == list(range(labels)), "every label must occur"
        ours_w = np.fromfile(case["ours"]["weights"], dtype="<f8").reshape(labels, k)
        ours_b = np.fromfile(case["ours"]["bias"], dtype="<f8")
        ours_pred = np.argmax(x_test @ ours_w.T + ours_b, axis=1)
        sk_pred = model.predict(x_test)
        out[case["name"]] = {
            "sklearn_objective": objective(x, y, model.coef_, model.intercept_, case["C"]),
            "ours_objective": objective(x, y, ours_w, ours_b, case["C"]),
            "sklearn_iterations": int(model.n_iter_[0]),
            "sklearn_test_accuracy": float((sk_pred == y_test).mean()),
            "ours_test_accuracy": float((ours_pred == y_test).mean()),
            "same_prediction": float((sk_pred == ours_pred).mean()),
        }
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
