#!/usr/bin/env bash
# Regenerates the binary seeds of fuzz/corpus: Parquet and .npy with our own writers
# (fuzz/make_seeds.cc, from a build configured with FRUITS_FUZZ=ON, default build-fuzz/), images
# and ONNX models with Pillow and onnx (fuzz/make_seeds.py). The text seeds (S3 XML answers, AWS
# files, input lists) are written by hand and kept as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
cmake --build "$dir" --target fuzz_make_seeds
mkdir -p fuzz/corpus/{parquet,npy,onnx,image}
"$dir/fuzz/fuzz_make_seeds" fuzz/corpus
/usr/bin/python3 fuzz/make_seeds.py fuzz/corpus
du -sh fuzz/corpus
