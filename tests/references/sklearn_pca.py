"""Reference PCA fits from scikit-learn, for the fruits PCA tests.

    /usr/bin/python3 sklearn_pca.py CASES.json OUTDIR

CASES.json: {"data": {NAME: {"file": PATH, "n": N, "d": D}},
             "fits": [{"name": FIT, "data": NAME, "n_components": INT or FLOAT, "whiten": BOOL}]}
Each data file is a raw little-endian float32 matrix, N x D, row-major. It is converted to
float64 before fitting: scikit-learn keeps float32 input in float32, and the tests compare with
float64 arithmetic on the same values.

For each fit, PCA(n_components, svd_solver="full", whiten) is fitted and OUTDIR gets FIT.json
({"k": number of components, "n": N, "d": D}) and raw little-endian float64 files:
FIT.mean (D), FIT.components (k x D), FIT.explained_variance (k),
FIT.explained_variance_ratio (k), FIT.transform (N x k: transform() of the data) and, when
n_components is a fraction, FIT.cumulative (D' = min(N, D): the cumulative explained variance
ratio of every component, which k was chosen from). Components keep scikit-learn's own sign
(svd_flip), which differs from fruits': compare up to sign.

Only numpy and scikit-learn are used: no project code.
"""
import json
import os
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.extmath import stable_cumsum


def save(path, array):
    np.ascontiguousarray(array, dtype="<f8").tofile(path)


def main():
    cases_path, out_dir = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        cases = json.load(f)
    data = {}
    for name, spec in cases["data"].items():
        x = np.fromfile(spec["file"], dtype="<f4").reshape(spec["n"], spec["d"])
        data[name] = x.astype(np.float64)
    for fit in cases["fits"]:
        x = data[fit["data"]]
        n_components = fit["n_components"]
        pca = PCA(n_components=n_components, svd_solver="full", whiten=fit.get("whiten", False))
        projected = pca.fit(x).transform(x)
        prefix = os.path.join(out_dir, fit["name"])
        with open(prefix + ".json", "w") as f:
            json.dump({"k": int(pca.n_components_), "n": x.shape[0], "d": x.shape[1]}, f)
        save(prefix + ".mean", pca.mean_)
        save(prefix + ".components", pca.components_)
        save(prefix + ".explained_variance", pca.explained_variance_)
        save(prefix + ".explained_variance_ratio", pca.explained_variance_ratio_)
        save(prefix + ".transform", projected)
        if isinstance(n_components, float):
            full = PCA(svd_solver="full").fit(x)
            save(prefix + ".cumulative", stable_cumsum(full.explained_variance_ratio_))


if __name__ == "__main__":
    main()
