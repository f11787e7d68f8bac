#!/usr/bin/env bash
# The README's second command: installs, builds, and runs every test.
#   1. the release build: unit and integration tests (DuckDB reads what we write, mpirun jobs)
#   2. the sanitizer build (clang, ASan + UBSan): the unit tests again, and each fuzz target for
#      a bounded time over its seed corpus
# Builds go through ccache when it is installed (install-deps installs it), so a second run
# recompiles only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "== $1 ($((SECONDS / 60)) min $((SECONDS % 60)) s so far)"; }
scripts/install-deps.sh --tests
phase "release build"
scripts/build.sh release
phase "release tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
phase "sanitizer build"
scripts/build.sh asan
phase "sanitizer tests"
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -L 'unit|fuzz' --timeout 1800
phase "done"
