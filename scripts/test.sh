#!/usr/bin/env bash
# The README's second command: installs, builds, and runs every test.
#   1. the release build: unit and integration tests (DuckDB reads what we write)
#   2. the sanitizer build (ASan + UBSan): the unit tests again
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/build.sh release
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
scripts/build.sh asan
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -L unit --timeout 1800
