#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the main job on a sample:
# a synthetic Fruits-360-like set (fruits dataset sample) through the demo MobileNetV2 (fruits
# model init: random weights, for demos only) into Parquet features, an exact PCA and the PCA
# coordinates (fruits run), then shows the run's summary (fruits inspect).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
fruits=build/src/cli/fruits
out=${FRUITS_DEMO_OUT:-out/demo}
rm -rf "$out"
mkdir -p "$out"
$fruits --version
$fruits dataset sample -o "$out/fruits-sample" --classes 10 --per-class 30 --seed 0
$fruits model init --seed 0 -o "$out/demo.onnx"
$fruits run --input "$out/fruits-sample/Training" --model "$out/demo.onnx" -o "$out/run" --k 70
$fruits inspect "$out/run"
$fruits inspect "$out/run/pca/part-00000.parquet" --rows 2
cat <<TEXT

Results: $out/run/features/*.parquet (path, label, features: 1280 floats per image),
         $out/run/pca/*.parquet (path, label, pca: 70 floats), $out/run/pca_model/ (numpy .npy),
         $out/run/errors/*.parquet (inputs that failed), $out/run/manifest.json.
Read them with DuckDB:  SELECT label, count(*) FROM '$out/run/pca/*.parquet' GROUP BY label
       or pandas:       pandas.read_parquet('$out/run/pca')
       and numpy:       numpy.load('$out/run/pca_model/components.npy')
TEXT
