#!/usr/bin/env bash
# Inference speed of every torchvision family on our XNNPACK backend, OpenCV DNN and onnxruntime
# (npm onnxruntime-node, CPU), on the same ONNX files, in the same run.
#
#   bench/families_bench.sh OUT.md [REPEATS] [NAME_PREFIX]   (after scripts/build.sh)
#   BUILD_DIR=build-xnn FIXTURES=DIR bench/families_bench.sh OUT.md
#
# The models: the opset 13 NCHW cases of FIXTURES/manifest.json (default build/bench_fixtures,
# written first by `torch_models.py fixtures FIXTURES --matrix bench` when it has no manifest; a
# folder of the full matrix serves too), those whose name starts with NAME_PREFIX if given. For
# each: img/s at batch 32, median of REPEATS (default 5) batches after a warm-up batch, with 1
# and 2 threads, from BUILD_DIR/bench/backend_bench --model (XNNPACK, OpenCV) and
# bench/onnxruntime_bench.mjs --float (intra-op threads). Prints a Markdown table and writes it to
# OUT.md; a backend that cannot run a model says so in its cell.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/families_bench.sh OUT.md [REPEATS] [NAME_PREFIX]}
repeats=${2:-5}
prefix=${3:-}
build=${BUILD_DIR:-build}
fixtures=${FIXTURES:-build/bench_fixtures}
batch=32
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -f "$fixtures/manifest.json" ]; then
  /usr/bin/python3 tests/references/torch_models.py fixtures "$fixtures" --matrix bench \
    ${prefix:+--only "$prefix"}
fi

# name, model file and input size of each case to time, one a line.
/usr/bin/python3 - "$fixtures/manifest.json" "$prefix" >"$work/cases" <<'PY'
import json, sys
manifest, prefix = json.load(open(sys.argv[1])), sys.argv[2]
for c in manifest["cases"]:
    if (c["layout"], c["opset"]) == ("NCHW", 13) and c["arch"] == c["family"] \
            and c["name"].startswith(prefix):
        print(c["family"], c["model"], c["input_size"])
PY

while read -r family model size; do
  echo "timing $family" >&2
  "$build"/bench/backend_bench --model="$fixtures/$model" --batch="$batch" \
    --benchmark_filter='BM_Model/.*/threads' --benchmark_repetitions="$repeats" --benchmark_format=json \
    >"$work/$family.ours.json"
  for threads in 1 2; do
    node bench/onnxruntime_bench.mjs --float "$fixtures/$model" "$batch,3,$size,$size" \
      "$repeats" "$threads" >"$work/$family.ort$threads.json"
  done
done <"$work/cases"

/usr/bin/python3 - "$work" "$batch" "$repeats" >"$out" <<'PY'
import json, statistics, sys
work, batch, repeats = sys.argv[1], sys.argv[2], sys.argv[3]

def ours(runs, backend, threads):
    """Median img/s of the repetitions, or None with the error when the backend cannot run."""
    mine = [r for r in runs if r["run_type"] == "iteration"
            and r["run_name"].startswith(f"BM_Model/{backend}/threads:{threads}/")]
    errors = [r["error_message"] for r in mine if r.get("error_occurred")]
    if errors:
        return None, errors[0]
    return statistics.median(r["items_per_second"] for r in mine), None

def cell(rate):
    return f"{rate:.1f}" if rate is not None else "cannot run"

def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"

print(f"img/s at batch {batch}, median of {repeats} batches after a warm-up; ours: the XNNPACK "
      "backend, up to the feature layer; ORT: onnxruntime-node CPU (intra-op threads), the whole "
      "classifier (its dense head is under 3% of the multiply-adds, AlexNet's 8%).\n")
print("| family | ours 1t | ours 2t | OpenCV 1t/2t | ORT 1t | ORT 2t | ours/ORT 1t | ours/ORT 2t |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
notes = []
for line in open(f"{work}/cases"):
    family = line.split()[0]
    runs = json.load(open(f"{work}/{family}.ours.json"))["benchmarks"]
    x1, x1_error = ours(runs, "xnnpack", 1)
    x2, _ = ours(runs, "xnnpack", 2)
    cv1, cv_error = ours(runs, "opencv", 1)
    cv2, _ = ours(runs, "opencv", 2)
    ort1, ort2 = (json.load(open(f"{work}/{family}.ort{t}.json"))["images_per_second"]
                  for t in (1, 2))
    opencv = "cannot run" if cv_error else f"{cell(cv1)} / {cell(cv2)}"
    print(f"| {family} | {cell(x1)} | {cell(x2)} | {opencv} | {ort1:.1f} | {ort2:.1f} "
          f"| {ratio(x1, ort1)} | {ratio(x2, ort2)} |")
    for backend, error in (("ours", x1_error), ("OpenCV", cv_error)):
        if error:
            notes.append(f"- {family}, {backend}: {error.splitlines()[0][:300]}")
if notes:
    print("\nWhy a backend cannot run a model:\n")
    print("\n".join(notes))
PY
cat "$out"
