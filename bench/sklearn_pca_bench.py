"""scikit-learn's PCA on the rows pca_bench writes, for comparison with fruits' figures.

    build/bench/pca_bench --features_out=/tmp/pca_bench.f32
    /usr/bin/python3 bench/sklearn_pca_bench.py /tmp/pca_bench.f32 150000 1280 70 [ROWS]

Times PCA(n_components=K, svd_solver="full").fit (on float64, as fruits accumulates; the
conversion from float32 is not timed) and transform of every row. With ROWS, only the first ROWS
rows are used: the full SVD of the whole matrix can take minutes on two cores. Prints the
seconds and the BLAS threading in use.
"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_info


def main():
    path, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rows = int(sys.argv[5]) if len(sys.argv) > 5 else n
    x = np.fromfile(path, dtype="<f4", count=rows * d).reshape(rows, d).astype(np.float64)
    for pool in threadpool_info():
        print(f"blas: {pool['internal_api']} {pool.get('version')} threads {pool['num_threads']}")
    pca = PCA(n_components=k, svd_solver="full")
    start = time.perf_counter()
    pca.fit(x)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    projected = pca.transform(x)
    transform = time.perf_counter() - start
    print(f"sklearn {rows} x {d} -> {k}: fit (full SVD) {fit:.2f} s, transform {transform:.2f} s,"
          f" variance kept {pca.explained_variance_ratio_.sum():.4f}, {projected.shape}")


if __name__ == "__main__":
    main()
