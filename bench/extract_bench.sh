#!/usr/bin/env bash
# End-to-end extraction speed and memory, against the engine alone and the Python way, in one run.
#
#   bench/extract_bench.sh [IMAGES=2000] [LARGE=20000]      (after scripts/build.sh release)
#
# 1. `fruits extract` on IMAGES synthetic 100x100 JPEGs (fruits dataset sample), MobileNetV2 at
#    224x224 (fruits model init), 2 workers, batch 32: img/s from its manifest.
# 2. Backend::Run alone at the same batch and workers (build/bench/backend_bench, TwoWorkers/32,
#    the default backend: XNNPACK).
# 3. The Python way on the same images and weights (bench/python_extract.py: Pillow + torchvision).
# 4. Peak memory of `fruits extract` on IMAGES and on LARGE images: it must not grow with the input.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-2000}
large=${2:-20000}
fruits=build/src/cli/fruits
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$fruits model init --seed 0 -o "$work/model.onnx" >/dev/null
sample() {  # IMAGES FOLDER: 10 labels
  $fruits dataset sample -o "$2" --classes 10 --per-class $(($1 / 10)) --test-per-class 0 \
    --multi-fruit 0 --seed 1 >/dev/null
}
extract() {  # FOLDER OUT
  $fruits extract --input "$1/Training" --model "$work/model.onnx" -o "$2" --threads 2 \
    --batch-size 32 --shard-size 10000 -q >/dev/null
}
sample "$images" "$work/small"
extract "$work/small" "$work/out_small"
build/bench/backend_bench --benchmark_filter='BM_TwoWorkers/batch:32/opencv:0' --benchmark_min_time=5 \
  --benchmark_format=json >"$work/engine.json"
/usr/bin/python3 bench/python_extract.py "$work/small/Training" "$work/model.onnx" --threads 2 \
  >"$work/python.json"
sample "$large" "$work/large"
extract "$work/large" "$work/out_large"

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
small = json.load(open(f"{work}/out_small/manifest.json"))
large = json.load(open(f"{work}/out_large/manifest.json"))
engine = json.load(open(f"{work}/engine.json"))["benchmarks"][0]["items_per_second"]
python = json.load(open(f"{work}/python.json"))
rate = small["images_per_second"]
print(f"fruits extract, {small['input']['images']} images: {rate:.1f} img/s "
      f"({small['seconds']['total']:.1f} s; model load {small['seconds']['model_load']:.2f} s)")
print(f"  stages (worker-seconds): read {small['seconds']['read']:.1f}, decode+preprocess "
      f"{small['seconds']['decode_preprocess']:.1f}, infer {small['seconds']['infer']:.1f}, "
      f"write {small['seconds']['write']:.1f}")
print(f"Backend::Run alone, 2 workers, batch 32: {engine:.1f} img/s -> pipeline at {100 * rate / engine:.0f}%")
print(f"Python way (Pillow + torchvision, {python['threads']} threads): {python['img_per_s']:.1f} img/s "
      f"-> fruits is {rate / python['img_per_s']:.2f}x faster")
print(f"peak memory: {small['peak_memory_mib']:.0f} MiB on {small['input']['images']} images, "
      f"{large['peak_memory_mib']:.0f} MiB on {large['input']['images']} images "
      f"({large['images_per_second']:.1f} img/s)")
PY
