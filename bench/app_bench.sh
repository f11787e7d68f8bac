#!/usr/bin/env bash
# The exported app model's speed, in one run on this machine:
#   1. the file in onnxruntime (npm onnxruntime-node, the engine of onnxruntime-mobile, -react-native
#      and -web) against our engine (AppModel: XNNPACK backbone + head), on the same pre-resized
#      images: throughput in batches of 32 on all cores, and one image alone;
#   2. `fruits classify` end to end (read, decode, resize, run) over the same images' files;
#   3. `fruits serve` under load from build/bench/serve_load (keep-alive clients on loopback, one
#      JPEG per request) at concurrency 1, 8 and 32: img/s, p50 and p99 latency, and the mean
#      batch the engines ran (from /metrics). The load generator shares the machine's cores.
#
#   bench/app_bench.sh [--images N] [--size S] [--requests R] [--keep DIR]
#
# The model is the built-in MobileNetV2 (`fruits model init`, S x S, default 224: the real
# network's cost; random weights do not change it), with a classifier trained on the synthetic
# sample set and exported. Builds nothing: expects build/src/cli/fruits and
# build/bench/app_engine_bench and build/bench/serve_load (scripts/build.sh release) and the test references' node_modules
# (scripts/install-deps.sh --tests). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

images=512
size=224
requests=600
keep=""
while (($#)); do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '/^set -euo/q;2,$p' "$0"; exit 0 ;;
    *) echo "app_bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "app_bench.sh: $*" >&2; exit 1; }
fruits=${FRUITS:-build/src/cli/fruits}
engine=build/bench/app_engine_bench
load=build/bench/serve_load
for program in "$fruits" "$engine" "$load"; do
  [ -x "$program" ] || die "no $program: build it first (scripts/build.sh release)"
done
[ -d tests/references/node_modules/onnxruntime-node ] ||
  die "no onnxruntime-node: run scripts/install-deps.sh --tests"

if [ -n "$keep" ]; then work=$keep; mkdir -p "$work"; else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
cores=$(nproc --all)
export OMP_NUM_THREADS=1

# An app model: a classifier trained on the sample set's features, exported with the model.
if [ ! -f "$work/app.onnx" ]; then
  per_class=$(((images + 7) / 8))
  "$fruits" model init --seed 0 --image-size "$size" -o "$work/model.onnx" >/dev/null
  "$fruits" dataset sample -o "$work/data" --classes 8 --per-class 30 \
    --test-per-class "$per_class" --multi-fruit 0 >/dev/null
  "$fruits" run --input "$work/data/Training" --test "$work/data/Test" --model "$work/model.onnx" \
    -o "$work/run" --k auto -q
  "$fruits" export --model "$work/model.onnx" --classifier "$work/run/classifier" \
    -o "$work/app.onnx" -q
fi
mapfile -t files < <(find "$work/data/Test" -type f -name '*.jpg' | sort | head -n "$images")
n=${#files[@]}
/usr/bin/python3 tests/references/app_reference.py pixels "$work/pixels.u8" "$size" "$size" \
  "${files[@]}"

echo "app model: MobileNetV2 ${size}x${size} + PCA + softmax regression, $n images, $cores cores"
ours=$("$engine" "$work/app.onnx" "$work/pixels.u8" "$n" --batch 32 --repeat 3)
ort=$(node bench/onnxruntime_bench.mjs "$work/app.onnx" "$work/pixels.u8" "$n" "$size" "$size" \
  32 3 "$cores")
start=$EPOCHREALTIME
"$fruits" classify --model "$work/app.onnx" "$work/data/Test" >/dev/null
end=$EPOCHREALTIME

# The server on a free port; its first line says which.
"$fruits" serve --model "$work/app.onnx" --port 0 -q >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true; [ -n "$keep" ] || rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  grep -q listening "$work/serve.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || die "fruits serve failed: $(cat "$work/serve.err")"
  sleep 0.1
done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/serve.out" | head -1)
[ -n "$port" ] || die "fruits serve did not start: $(cat "$work/serve.err")"
batch_sums() {  # the batch-size histogram's sum and count
  curl -s "http://127.0.0.1:$port/metrics" |
    awk '/^fruits_batch_size_sum/ {s=$2} /^fruits_batch_size_count/ {c=$2} END {print s, c}'
}
serve_results=()
"$load" 127.0.0.1 "$port" 4 64 "${files[@]}" >/dev/null  # warm-up: every batch size's runtime
for concurrency in 1 8 32; do
  read -r sum0 count0 < <(batch_sums)
  result=$("$load" 127.0.0.1 "$port" "$concurrency" "$requests" "${files[@]}")
  read -r sum1 count1 < <(batch_sums)
  serve_results+=("$result|$sum0 $count0 $sum1 $count1")
done
kill -TERM "$server"
wait "$server" || die "fruits serve exited with status $? after SIGTERM"

/usr/bin/python3 - "$ours" "$ort" "$n" "$start" "$end" "${serve_results[@]}" <<'PY'
import json, sys
ours, ort = json.loads(sys.argv[1]), json.loads(sys.argv[2])
n, classify_s = int(sys.argv[3]), float(sys.argv[5]) - float(sys.argv[4])
print(f"{'':34} {'img/s (batch 32)':>17} {'1 image (ms)':>13}")
print(f"{'fruits engine (' + ours['backend'] + ')':34} {ours['images_per_second']:17.1f} "
      f"{ours['single_image_ms_median']:13.2f}")
print(f"{'onnxruntime-node ' + str(ort['threads']) + ' threads':34} "
      f"{ort['images_per_second']:17.1f} {ort['single_image_ms_median']:13.2f}")
print(f"ratio (fruits / onnxruntime): {ours['images_per_second'] / ort['images_per_second']:.2f}x "
      f"throughput, {ort['single_image_ms_median'] / ours['single_image_ms_median']:.2f}x latency")
classify_rate = n / classify_s
print(f"fruits classify end to end (read, decode, resize, run, print): {classify_rate:.1f} img/s")
print()
print(f"fruits serve   {'img/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'mean batch':>11} {'vs classify':>12}")
for item in sys.argv[6:]:
    result, sums = item.split("|")
    r = json.loads(result)
    s0, c0, s1, c1 = map(float, sums.split())
    batch = (s1 - s0) / (c1 - c0) if c1 > c0 else float("nan")
    print(f"concurrency {r['concurrency']:<3}{r['images_per_second']:8.1f} {r['p50_ms']:8.2f} "
          f"{r['p99_ms']:8.2f} {batch:11.2f} {r['images_per_second'] / classify_rate:11.2f}x"
          + (f"  ({r['errors']} errors)" if r['errors'] else ""))
PY
