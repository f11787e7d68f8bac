#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the main job on a sample.
# Until the extraction engine lands, the main job is a Parquet round trip: write a features
# table like the one `fruits extract` will produce, then inspect it with `fruits inspect`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
out=${FRUITS_DEMO_OUT:-out/demo}
mkdir -p "$out"
build/src/cli/fruits --version
build/examples/write_features "$out/features.parquet" 1000 1280
build/src/cli/fruits inspect "$out/features.parquet" --rows 3
