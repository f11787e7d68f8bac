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
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
