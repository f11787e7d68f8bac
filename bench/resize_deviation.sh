#!/usr/bin/env bash
# What an app pays for resizing photos differently from training: the Test images' features made
# with each other resize filter, classified by the classifier trained on bicubic features, against
# the bicubic predictions (the exported file's contract, docs/app.md).
#
#   bench/resize_deviation.sh [--keep DIR]
#
# Uses the built-in MobileNetV2 (random weights) on the synthetic sample set: the figures show the
# size of the effect, not a trained model's. Prints, per filter: the share of images whose top-1
# label changes, the mean and largest change of the bicubic top-1's probability, and the test
# accuracy. Builds nothing: expects build/src/cli/fruits.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=""
while (($#)); do
  case "$1" in
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '/^set -euo/q;2,$p' "$0"; exit 0 ;;
    *) echo "resize_deviation.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
fruits=${FRUITS:-build/src/cli/fruits}
[ -x "$fruits" ] || { echo "resize_deviation.sh: no $fruits: build it first" >&2; exit 1; }
if [ -n "$keep" ]; then work=$keep; mkdir -p "$work"; else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi

"$fruits" model init --seed 0 -o "$work/model.onnx" >/dev/null
"$fruits" dataset sample -o "$work/data" --classes 8 --per-class 40 --test-per-class 40 \
  --multi-fruit 0 >/dev/null
"$fruits" run --input "$work/data/Training" --test "$work/data/Test" --model "$work/model.onnx" \
  -o "$work/run" --k auto -q
for filter in bilinear area nearest; do
  "$fruits" extract --input "$work/data/Test" --model "$work/model.onnx" --resize "$filter" \
    -o "$work/$filter" -q
  "$fruits" evaluate --classifier "$work/run/classifier" --features "$work/$filter/features" \
    -o "$work/$filter/evaluation" -q
done

node --input-type=module - "$work" <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(`${process.cwd()}/tests/references/package.json`);
const { DuckDBInstance } = require('@duckdb/node-api');
const work = process.argv[2];
const db = await (await DuckDBInstance.create(':memory:')).connect();
const read = async (run) => (await db.runAndReadAll(
  `SELECT path, label, predicted, top_labels, top_probabilities FROM
   '${run}/predictions/*.parquet' ORDER BY path`)).getRowObjects();
const reference = await read(`${work}/run/evaluation`);
console.log(`${reference.length} test images; bicubic (training's filter): accuracy ` +
  (reference.filter((r) => r.label === r.predicted).length / reference.length).toFixed(3));
console.log('filter     top-1 changed  mean |dp|  max |dp|  accuracy');
for (const filter of ['bilinear', 'area', 'nearest']) {
  const rows = await read(`${work}/${filter}/evaluation`);
  let changed = 0; let sum = 0; let max = 0; let correct = 0;
  rows.forEach((row, i) => {
    const ref = reference[i];
    if (row.predicted !== ref.predicted) changed += 1;
    if (row.label === row.predicted) correct += 1;
    const labels = row.top_labels.items; const probs = row.top_probabilities.items;
    const at = labels.indexOf(ref.predicted);
    const p = at >= 0 ? probs[at] : 0;
    const d = Math.abs(p - ref.top_probabilities.items[0]);
    sum += d; max = Math.max(max, d);
  });
  console.log(`${filter.padEnd(10)} ${(100 * changed / rows.length).toFixed(1).padStart(12)}%` +
    ` ${(sum / rows.length).toFixed(4).padStart(10)} ${max.toFixed(4).padStart(9)}` +
    ` ${(correct / rows.length).toFixed(3).padStart(9)}`);
}
JS
