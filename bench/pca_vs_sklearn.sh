#!/usr/bin/env bash
# PCA at Fruits-360 scale (150,000 x 1280 -> 70) against scikit-learn, in one run.
#
#   bench/pca_vs_sklearn.sh            (after scripts/build.sh release; needs python3-sklearn)
#
# 1. build/bench/pca_bench: moments, eigen-decomposition, transform (in memory).
# 2. bench/sklearn_pca_bench.py on the same rows: PCA(svd_solver="full"), IncrementalPCA.
# 3. `fruits pca fit` on the same size of Parquet features (examples/write_features), under
#    /usr/bin/time: its peak memory is O(d^2) plus one row group, not O(n x d).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build/bench/pca_bench --features_out="$work/rows.f32" --benchmark_format=console 2>&1 |
  grep -E "^BM_.*_mean|^BM_.*(Moments|Fit|Transform)/" || true
/usr/bin/python3 bench/sklearn_pca_bench.py "$work/rows.f32" 150000 1280 70
rm -f "$work/rows.f32"
build/examples/write_features "$work/features/part-00000.parquet" 150000 1280 >/dev/null
/usr/bin/time -f "fruits pca fit (150000 x 1280 Parquet -> 70): %e s, peak memory %M KiB" \
  build/src/cli/fruits pca fit --features "$work/features" -o "$work/model" --k 70 -q
