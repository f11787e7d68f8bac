#!/usr/bin/env bash
# int8 against float32, in one run: torchvision's MobileNetV2 and ResNet-50 quantized by
# `fruits model quantize` on synthetic fruit images, each timed at batch 1 and 32 with 1 and 2
# threads on our XNNPACK backend (float32 file and int8 file) and on onnxruntime-node (the same
# two files); then `fruits extract` end to end on the int8 MobileNetV2 against its engine alone.
#
#   bench/int8_bench.sh OUT.md [REPEATS=5] [IMAGES=2000]      (after scripts/build.sh)
#   BUILD_DIR=build FIXTURES=DIR bench/int8_bench.sh OUT.md
#
# The float models: FIXTURES/<family>/ (default build/int8_fixtures), exported first by
# tests/references/torch_models.py when missing (weights random, BatchNorm statistics set so that
# activations stay O(1): quantization meets realistic ranges). Calibration: 500 images of
# `fruits dataset sample` (minmax), 200 held out; the quantize reports go to OUT.md too.
# Speed: img/s at the median of REPEATS runs after a warm-up (backend_bench --model and
# bench/onnxruntime_bench.mjs --float: the whole classifier, whose head is under 3% of the work).
# Extract: IMAGES 100x100 JPEGs resized to 224, 2 workers, batch 32, img/s from the manifest,
# against the engine alone run the same way (backend_bench's BM_Model workers:2: two callers of
# one thread each, at batch 32).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/int8_bench.sh OUT.md [REPEATS] [IMAGES]}
repeats=${2:-5}
images=${3:-2000}
build=${BUILD_DIR:-build}
fruits=$build/src/cli/fruits
fixtures=${FIXTURES:-build/int8_fixtures}
# WORK=DIR keeps the intermediate files there (and reuses the quantized files found in it).
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

families="mobilenet_v2 resnet50"
for family in $families; do
  if [ ! -f "$fixtures/$family/manifest.json" ]; then
    /usr/bin/python3 tests/references/torch_models.py fixtures "$fixtures/$family" \
      --matrix bench --only "${family}_nchw_op13"
  fi
done

$fruits dataset sample -o "$work/calibration" --classes 10 --per-class 70 --test-per-class 0 \
  --multi-fruit 0 --seed 3 >/dev/null
for family in $families; do
  model=$(ls "$fixtures/$family"/*.onnx | head -1)
  cp "$model" "$work/$family.onnx"
  echo "quantizing $family" >&2
  if [ ! -f "$work/$family.int8.onnx" ]; then
    $fruits model quantize --model "$work/$family.onnx" --calibration "$work/calibration/Training" \
      --images 500 --holdout 200 -o "$work/$family.int8.onnx" \
      --report "$work/$family.report.json" >/dev/null
  fi
  for precision in float int8; do
    file=$work/$family.onnx
    [ "$precision" = int8 ] && file=$work/$family.int8.onnx
    for batch in 1 32; do
      echo "timing $family $precision batch $batch" >&2
      "$build"/bench/backend_bench --model="$file" --batch="$batch" \
        --benchmark_filter='BM_Model/xnnpack' --benchmark_repetitions="$repeats" \
        --benchmark_format=json >"$work/$family.$precision.$batch.ours.json"
      for threads in 1 2; do
        node bench/onnxruntime_bench.mjs --float "$file" "$batch,3,224,224" "$repeats" "$threads" \
          >"$work/$family.$precision.$batch.ort$threads.json" 2>/dev/null
      done
    done
  done
done

echo "extracting" >&2
$fruits dataset sample -o "$work/extract" --classes 10 --per-class $((images / 10)) \
  --test-per-class 0 --multi-fruit 0 --seed 1 >/dev/null
rm -rf "$work/extract_out"
$fruits extract --input "$work/extract/Training" --model "$work/mobilenet_v2.int8.onnx" \
  -o "$work/extract_out" --threads 2 --batch-size 32 --shard-size 10000 -q >/dev/null

/usr/bin/python3 - "$work" "$families" >"$out" <<'PY'
import json, statistics, sys
work, families = sys.argv[1], sys.argv[2].split()

def ours(family, precision, batch, threads):
    runs = json.load(open(f"{work}/{family}.{precision}.{batch}.ours.json"))["benchmarks"]
    rates = [r["items_per_second"] for r in runs if r["run_type"] == "iteration"
             and r["run_name"].startswith(f"BM_Model/xnnpack/threads:{threads}/")]
    return statistics.median(rates)

def ort(family, precision, batch, threads):
    return json.load(open(f"{work}/{family}.{precision}.{batch}.ort{threads}.json"))["images_per_second"]

print("## int8 against float32 (img/s; ours = XNNPACK backend, ORT = onnxruntime-node, same files)\n")
print("| model | batch | threads | ours float | ours int8 | int8/float | ORT float | ORT int8 | ours int8 / ORT int8 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for family in families:
    for batch in (1, 32):
        for threads in (1, 2):
            f, q = ours(family, "float", batch, threads), ours(family, "int8", batch, threads)
            of, oq = ort(family, "float", batch, threads), ort(family, "int8", batch, threads)
            print(f"| {family} | {batch} | {threads} | {f:.1f} | {q:.1f} | {q / f:.2f} | "
                  f"{of:.1f} | {oq:.1f} | {q / oq:.2f} |")

print("\n## Accuracy (fruits model quantize's report, held-out images)\n")
print("| model | calibration | held out | cosine median | cosine 1st pct | cosine min | float acc | int8 acc | float MB | int8 MB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for family in families:
    r = json.load(open(f"{work}/{family}.report.json"))
    cosine, accuracy = r["cosine"], r["nearest_centroid_accuracy"] or {"float": None, "int8": None}
    percent = lambda a: "-" if a is None else f"{100 * a:.1f}%"
    print(f"| {family} | {r['calibration_images']} | {r['holdout_images']} | "
          f"{cosine['median']:.4f} | {cosine['p1']:.4f} | {cosine['min']:.4f} | "
          f"{percent(accuracy['float'])} | {percent(accuracy['int8'])} | "
          f"{r['float_bytes'] / 1e6:.1f} | {r['int8_bytes'] / 1e6:.1f} |")

manifest = json.load(open(f"{work}/extract_out/manifest.json"))
end_to_end = manifest["images_per_second"]
runs = json.load(open(f"{work}/mobilenet_v2.int8.32.ours.json"))["benchmarks"]
workers = statistics.median(r["items_per_second"] for r in runs if r["run_type"] == "iteration"
                            and r["run_name"].startswith("BM_Model/xnnpack/workers:2/"))
threads = ours("mobilenet_v2", "int8", 32, 2)
print(f"\n## fruits extract, int8 MobileNetV2, 2 workers, batch 32\n")
print(f"end to end {end_to_end:.1f} img/s; the engine alone: {workers:.1f} img/s as extract runs "
      f"it (two workers of one thread; ratio {end_to_end / workers:.2f}), {threads:.1f} img/s "
      f"with one caller of two threads (ratio {end_to_end / threads:.2f})")
PY
cat "$out"
