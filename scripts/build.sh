#!/usr/bin/env bash
# Configures and builds fruits. Usage: scripts/build.sh [release|asan] [TARGET...]
#   release  build/       optimised, the binary users run (default); every target
#   asan     build-asan/  clang, AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's
#                         coverage: the unit tests and the fuzz targets only (fruits_unit_tests,
#                         fruits_fuzzers), unless targets are named
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
shift || true
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release); targets=("$@") ;;
  asan) dir=build-asan
        # -O1 and line tables: sanitizer reports keep file:line, and the build costs half of
        # RelWithDebInfo's.
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++
               "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
               -DFRUITS_SANITIZE=ON -DFRUITS_FUZZ=ON -DFRUITS_BUILD_BENCHMARKS=OFF)
        targets=("$@")
        ((${#targets[@]})) || targets=(fruits_unit_tests fruits_fuzzers) ;;
  *) echo "usage: $0 [release|asan] [TARGET...]" >&2; exit 2 ;;
esac
# Ninja when installed; ccache (CMakeLists.txt) with paths taken relative to the checkout, so a
# second clone or worktree reuses the objects of the first.
command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ] && flags+=(-G Ninja)
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
target_flags=()
for t in "${targets[@]}"; do target_flags+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${target_flags[@]}"
