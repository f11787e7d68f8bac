#!/usr/bin/env bash
# `fruits report` at Fruits-360's size: how long the page takes to make and how large it is, for
# a 150,000-image run with 131 labels (issue target: under 2 s and under 5 MB).
#
#   bench/report_bench.sh [--rows N] [--test-rows M] [--labels L] [--k K] [--keep DIR]
#
# Builds nothing: expects build/src/cli/fruits and build/bench/classify_bench_data
# (scripts/build.sh release); FRUITS=path/to/fruits picks another binary. Needs /usr/bin/time.
#
# The run is synthetic where images would cost hours, real everywhere the report reads:
# 1. classify_bench_data writes 150,000 training and 25,000 test feature rows (1280 floats,
#    131 labels, Fruits-360's label sizes) as features parts.
# 2. Real steps over them: `fruits pca fit` and `transform` (OUT/pca_model, OUT/pca: 150,000 rows
#    of k floats, which the report samples for its scatter), `fruits train`, `fruits evaluate`
#    (OUT/classifier, OUT/evaluation: a 131 x 131 confusion matrix, 25,000 predictions).
# 3. A manifest.json as `fruits run` writes it, with this size of run.
# 4. The test images the report shows as thumbnails, as real 100x100 JPEGs (from `fruits dataset
#    sample`) at the paths of the most confused predictions, so the report reads and shrinks them.
# Then `fruits report OUT` three times: wall seconds (median), peak memory, page size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

rows=150000
test_rows=25000
labels=131
k=70
keep=""
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --test-rows) test_rows=$2; shift 2 ;;
    --labels) labels=$2; shift 2 ;;
    --k) k=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
fruits=${FRUITS:-$root/build/src/cli/fruits}
data_tool=$root/build/bench/classify_bench_data
for tool in "$fruits" "$data_tool" /usr/bin/time; do
  [[ -x $tool ]] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 1; }
done

work=${keep:-$(mktemp -d)}
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cd "$work"  # the synthetic rows' paths (Training/..., Test/...) are relative to here
out=$work/out

if [[ ! -f $out/evaluation/metrics.json ]]; then
  echo "== synthetic features: $rows training and $test_rows test rows, $labels labels"
  rm -rf data "$out"
  "$data_tool" --rows "$rows" --test-rows "$test_rows" --labels "$labels" --seed 0 -o data
  rm -f data/*.f32  # the raw copies are for scikit-learn; not needed here
  mkdir -p "$out/test"
  mv data/train/features "$out/features"
  mv data/test/features "$out/test/features"
  echo "== real steps: PCA fit and transform (k = $k), train, evaluate"
  "$fruits" pca fit --features "$out/features" -o "$out/pca_model" --k "$k" -q
  "$fruits" pca transform --features "$out/features" --pca-model "$out/pca_model" -o "$out" -q
  "$fruits" train --features "$out/features" -o "$out/classifier" --k "$k" -q
  "$fruits" evaluate --classifier "$out/classifier" --features "$out/test/features" \
                     -o "$out/evaluation" -q
  /usr/bin/python3 - "$out" "$rows" "$test_rows" "$labels" "$k" <<'PY'
import json, sys
out, rows, test_rows, labels, k = sys.argv[1], *map(int, sys.argv[2:])
pca = json.load(open(f"{out}/pca_model/model.json"))
metrics = json.load(open(f"{out}/evaluation/metrics.json"))
shards = (rows + 9999) // 10000
manifest = {
    "fruits": {"version": "bench", "git": "", "build": "Release"},
    "command": "run",
    "command_line": f"fruits run --input s3://bench/Training --test s3://bench/Test --model m.onnx -o {out} --k {k}",
    "finished_at": "2026-11-30T00:00:00Z",
    "status": "complete",
    "input": {"source": "s3://bench/Training", "kind": "folder", "labels": "parent folder",
              "images": rows, "skipped_files": 0, "shards": shards, "shard_size": 10000},
    "model": {"source": "m.onnx", "sha256": "0" * 64, "feature_layer": "features",
              "feature_layer_reason": "input of the final classifier Gemm 'logits'",
              "feature_dim": 1280, "backend": "xnnpack"},
    "preprocessing": {"normalization": "mobilenet", "resize": "bicubic", "max_pixels": 50000000},
    "settings": {"processes": 1, "threads": 16, "batch_size": 32, "resume": False},
    "results": {"ok": rows, "failed": 0, "shards_written": shards, "shards_resumed": 0},
    "seconds": {"total": rows / 1000.0, "catalog": 1.0, "model_load": 0.2, "model_broadcast": 0.0,
                "read": 20.0, "decode_preprocess": 300.0, "infer": 2000.0, "write": 5.0},
    "images_per_second": 1000.0,
    "test": {"input": {"source": "s3://bench/Test", "kind": "folder", "labels": "parent folder",
                       "images": test_rows, "skipped_files": 0,
                       "shards": (test_rows + 9999) // 10000, "shard_size": 10000},
             "results": {"ok": test_rows, "failed": 0, "shards_written": 3, "shards_resumed": 0},
             "images_per_second": 1000.0},
    "pca": {"rows": rows, "d_in": 1280, "k": k, "k_reason": pca["k_reason"],
            "variance_kept": pca["variance_kept"], "whiten": False, "model_reused": False,
            "parts_written": shards, "parts_resumed": 0},
    "evaluation": {"rows": metrics["n"], "accuracy": metrics["accuracy"], "top_k": 5,
                   "top_k_accuracy": metrics["top_k_accuracy"], "log_loss": metrics["log_loss"],
                   "macro_f1": metrics["macro"]["f1"], "unknown_label_rows": 0, "reused": False},
    "peak_memory_mib": 900.0,
    "outputs": {},
    "step_seconds": {"extract": rows / 1000.0, "extract_test": test_rows / 1000.0,
                     "pca_fit": 4.0, "pca_transform": 2.0, "evaluate": 0.5},
}
json.dump(manifest, open(f"{out}/manifest.json", "w"), indent=2)
PY
  echo "== thumbnails: real JPEGs at the most confused predictions' paths"
  "$fruits" dataset sample -o sample --classes 1 --per-class 1 --test-per-class 0 --seed 0 >/dev/null
  sample_jpeg=$(find sample -name '*.jpg' | head -1)
  "$fruits" report "$out" -o first.html -q
  /usr/bin/python3 - "$sample_jpeg" <<'PY'
import json, os, re, shutil, sys
html = open("first.html", encoding="utf-8").read()
data = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))
for pair in data["classifier"]["confused_examples"]:
    for example in pair["examples"]:
        os.makedirs(os.path.dirname(example["path"]), exist_ok=True)
        shutil.copyfile(sys.argv[1], example["path"])
PY
fi

echo "== fruits report $out (3 runs)"
times=()
for run in 1 2 3; do
  /usr/bin/time -f "%e %M" -o time.txt "$fruits" report "$out" -q
  read -r seconds kib <time.txt
  times+=("$seconds")
  echo "run $run: $seconds s, peak $((kib / 1024)) MiB"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
bytes=$(stat -c %s "$out/report.html")
/usr/bin/python3 - "$out/report.html" "$median" "$bytes" <<'PY'
import json, re, sys
page, median, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
data = json.loads(re.search(r'id="report-data">(.*?)</script>', open(page, encoding="utf-8").read(),
                            re.S).group(1))
scatter = data["pca"]["scatter"]
thumbnails = sum(e["thumbnail"] is not None for p in data["classifier"]["confused_examples"]
                 for e in p["examples"])
print(f"\nrows sampled for the scatter: {scatter['sample']} of {scatter['rows']}; "
      f"labels: {len(data['classifier']['metrics']['labels'])}; thumbnails: {thumbnails}")
print(f"| report of a {scatter['rows']:,}-row run | seconds (median of 3) | page MB |")
print("| --- | --- | --- |")
print(f"| fruits report | {median:.2f} | {size / 1e6:.2f} |")
print(f"target: under 2 s ({'met' if median < 2 else 'NOT met'}) and under 5 MB "
      f"({'met' if size < 5e6 else 'NOT met'})")
PY
