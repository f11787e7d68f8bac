#!/usr/bin/env bash
# The README's first command: installs what is needed, builds, and runs the main job on a sample:
# a synthetic Fruits-360-like set (fruits dataset sample) through the demo MobileNetV2 (fruits
# model init: random weights, for demos only) into Parquet features, an exact PCA and the PCA
# coordinates, then a classifier with k chosen on a holdout of the training images and its
# accuracy on the test images (fruits run --test) and the run's report page (OUT/report.html),
# shows the run's summary (fruits inspect), and
# exports the app model (one ONNX file, image -> label) and classifies a few test photos with it.
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
$fruits export --model "$out/demo.onnx" --classifier "$out/run/classifier" \
               -o "$out/fruit_classifier.onnx"
$fruits classify --model "$out/fruit_classifier.onnx" --top 3 \
                 "$out/fruits-sample/Test/Banana/0_100.jpg" "$out/fruits-sample/Test/Orange/0_100.jpg"
cat <<TEXT

Results: $out/run/features/*.parquet (path, label, features: 1280 floats per image),
         $out/run/pca/*.parquet (path, label, pca: k floats), $out/run/pca_model/ (numpy .npy),
         $out/run/errors/*.parquet (inputs that failed), $out/run/test/ (the same for Test),
         $out/run/classifier/ (PCA, weights.npy, bias.npy, labels.txt, model.json),
         $out/run/evaluation/ (predictions/*.parquet, metrics.json), $out/run/manifest.json,
         $out/run/report.html (the run as one page: open it in a browser),
         $out/fruit_classifier.onnx (the app model: docs/app.md; serve it with
         build/src/cli/fruits serve --model $out/fruit_classifier.onnx, then open
         http://127.0.0.1:8080/).
The demo model has random weights: its test accuracy says nothing of a trained MobileNetV2's.
Read them with DuckDB:  SELECT label, count(*) FROM '$out/run/pca/*.parquet' GROUP BY label
       or pandas:       pandas.read_parquet('$out/run/pca')
       and numpy:       numpy.load('$out/run/pca_model/components.npy')
TEXT
