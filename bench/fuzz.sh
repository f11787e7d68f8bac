#!/usr/bin/env bash
# Builds the fuzz targets (clang, sanitizers, libFuzzer) into build-fuzz/ if needed and runs each
# for SECONDS, one after the other, over its seed corpus in fuzz/corpus/.
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]   (default 600 s; all targets, in fuzz/CMakeLists.txt
# order). Per target it prints executions, exec/s, coverage (cov/ft at the end), the inputs found
# and the findings. Everything it writes goes under build-fuzz/fuzz-results/TARGET/ (found inputs
# in corpus/, crash files in artifacts/, the log in log.txt); the repository's seeds are only read.
# FRUITS_FUZZ_JOBS sets the build's parallelism (default: all cores).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
dir=build-fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parquet npy image onnx s3_xml aws_config input_list)
fi
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DFRUITS_SANITIZE=ON
       -DFRUITS_FUZZ=ON -DFRUITS_BUILD_TESTS=OFF -DFRUITS_BUILD_BENCHMARKS=OFF)
command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ] && flags+=(-G Ninja)
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
[ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" "${flags[@]}" >/dev/null || exit 1
cmake --build "$dir" -j "${FRUITS_FUZZ_JOBS:-$(nproc)}" \
  --target "${targets[@]/%/_fuzzer}" || exit 1
max_len() { grep -o "fruits_fuzzer($1 [0-9]*" fuzz/CMakeLists.txt | grep -o '[0-9]*$'; }
failed=0
for target in "${targets[@]}"; do
  fuzz/run_fuzzer.sh "$dir/fuzz/${target}_fuzzer" "fuzz/corpus/$target" \
    "$dir/fuzz-results/$target" "$seconds" "$(max_len "$target")" || failed=1
done
exit $failed
