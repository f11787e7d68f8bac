#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the main job on a sample.
# Until the extraction engine lands, the main job is a Parquet round trip (write a features
# table like the one `fruits extract` will produce, inspect it with `fruits inspect`), then the
# demo model: `fruits model init` writes it and `fruits model inspect` shows what fruits reads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
out=${FRUITS_DEMO_OUT:-out/demo}
mkdir -p "$out"
build/src/cli/fruits --version
build/examples/write_features "$out/features.parquet" 1000 1280
build/src/cli/fruits inspect "$out/features.parquet" --rows 3
build/src/cli/fruits model init --seed 0 -o "$out/demo.onnx"
build/src/cli/fruits model inspect "$out/demo.onnx"
