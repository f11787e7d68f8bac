#!/usr/bin/env bash
# Configures and builds fruits. Usage: scripts/build.sh [release|asan]
#   release  build/       optimised, the binary users run (default)
#   asan     build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, for the unit tests
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFRUITS_SANITIZE=ON
                               -DFRUITS_BUILD_BENCHMARKS=OFF) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 2 ;;
esac
# Ninja when installed; ccache (CMakeLists.txt) with paths taken relative to the checkout, so a
# second clone or worktree reuses the objects of the first.
command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/Makefile" ] && flags+=(-G Ninja)
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
