#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the main job on a sample:
# a synthetic Fruits-360-like set (fruits dataset sample) through the demo MobileNetV2 (fruits
# model init: random weights, for demos only) into Parquet features, an exact PCA and the PCA
# coordinates, then a classifier with k chosen on a holdout of the training images and its
# accuracy on the test images (fruits run --test), then shows the run's summary (fruits inspect).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
fruits=build/src/cli/fruits
out=${FRUITS_DEMO_OUT:-out/demo}
rm -rf "$out"
mkdir -p "$out"
$fruits --version
$fruits dataset sample -o "$out/fruits-sample" --classes 10 --per-class 30 --test-per-class 10 \
                      --seed 0
$fruits model init --seed 0 -o "$out/demo.onnx"
$fruits run --input "$out/fruits-sample/Training" --test "$out/fruits-sample/Test" \
            --model "$out/demo.onnx" -o "$out/run" --k auto
$fruits inspect "$out/run"
$fruits inspect "$out/run/pca/part-00000.parquet" --rows 2
cat <<TEXT

Results: $out/run/features/*.parquet (path, label, features: 1280 floats per image),
         $out/run/pca/*.parquet (path, label, pca: k floats), $out/run/pca_model/ (numpy .npy),
         $out/run/errors/*.parquet (inputs that failed), $out/run/test/ (the same for Test),
         $out/run/classifier/ (PCA, weights.npy, bias.npy, labels.txt, model.json),
         $out/run/evaluation/ (predictions/*.parquet, metrics.json), $out/run/manifest.json.
The demo model has random weights: its test accuracy says nothing of a trained MobileNetV2's.
Read them with DuckDB:  SELECT label, count(*) FROM '$out/run/pca/*.parquet' GROUP BY label
       or pandas:       pandas.read_parquet('$out/run/pca')
       and numpy:       numpy.load('$out/run/pca_model/components.npy')
TEXT
