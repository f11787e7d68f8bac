"""scikit-learn's PCA on the rows pca_bench writes, for comparison with fruits' figures.

    build/bench/pca_bench --features_out=/tmp/pca_bench.f32
    /usr/bin/python3 bench/sklearn_pca_bench.py /tmp/pca_bench.f32 150000 1280 70 [ROWS]

Times PCA(n_components=K, svd_solver="full").fit (on float64, as fruits accumulates; the
conversion from float32 is not timed), transform of every row, and IncrementalPCA(K) fed in
batches of 1,000 rows (the streaming alternative). With ROWS, only the first ROWS rows are used.
Prints the seconds, the process's peak memory and the BLAS threading in use.
"""
import resource
import sys
import time

import numpy as np
from sklearn.decomposition import PCA, IncrementalPCA
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
    incremental = IncrementalPCA(n_components=k)
    start = time.perf_counter()
    for at in range(0, rows, 1000):
        incremental.partial_fit(x[at:at + 1000])
    fit = time.perf_counter() - start
    print(f"sklearn IncrementalPCA, batches of 1000: fit {fit:.2f} s, variance kept "
          f"{incremental.explained_variance_ratio_.sum():.4f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sklearn peak memory: {peak:.0f} MiB (the float64 matrix alone is "
          f"{rows * d * 8 / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
