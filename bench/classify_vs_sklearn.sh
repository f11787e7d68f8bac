#!/usr/bin/env bash
# `fruits train` and `fruits evaluate` against scikit-learn at Fruits-360's size and shape
# (150,000 x 1280 features, 131 labels), 2 threads, in one run.
#
#   bench/classify_vs_sklearn.sh [--rows N] [--test-rows M] [--seed S] [--threads T] [--keep DIR]
#
# Builds nothing: expects build/src/cli/fruits and build/bench/classify_bench_data
# (scripts/build.sh release); FRUITS=path/to/fruits picks another binary. Needs /usr/bin/time
# and Debian's python3-sklearn.
#
# 1. classify_bench_data writes the synthetic rows once: Parquet features parts for fruits, raw
#    float32 + labels for Python.
# 2. `fruits train --k 70` and `--k auto`, end to end (reads the parts, moments, fit, projection,
#    training, writes CLF/), each under /usr/bin/time: wall seconds and peak memory.
# 3. `fruits evaluate` of each classifier on the test parts: test accuracy, rows/s.
# 4. bench/sklearn_classify_bench.py: PCA(70, svd_solver="full") + LogisticRegression(), and the
#    Python way of k auto (PCA(256), 10% stratified holdout, one fit per k), one process each.
#    Its seconds leave out loading the rows (fruits' include reading Parquet); its peak memory
#    includes the loaded float32 rows.
# Prints a table: seconds, peak MiB, test accuracy, fruits' speed-up, and whether the two test
# accuracies are within 0.2 points.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=150000
test_rows=25000
seed=0
threads=2
keep=""
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --test-rows) test_rows=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '/^set -euo/q;2,$p' "$0"; exit 0 ;;
    *) echo "classify_vs_sklearn.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "classify_vs_sklearn.sh: $*" >&2; exit 1; }
fruits=${FRUITS:-build/src/cli/fruits}
generator=build/bench/classify_bench_data
python=/usr/bin/python3
[ -x "$fruits" ] || die "no $fruits: build it first (scripts/build.sh release)"
[ -x "$generator" ] || die "no $generator: build it first (scripts/build.sh release)"
# An unknown subcommand's --help prints the top-level help, which names no --features flag.
for command in train evaluate; do
  help=$("$fruits" "$command" --help 2>&1 || true)
  grep -q -e "--features" <<<"$help" ||
    die "$fruits has no '$command' command (a build from before issue 14?)"
done
[ -x /usr/bin/time ] || die "no /usr/bin/time: install it (apt-get install time)"
"$python" -c "import sklearn, numpy, threadpoolctl" 2>/dev/null ||
  die "$python lacks scikit-learn: install it (apt-get install python3-sklearn)"

if [ -n "$keep" ]; then
  work=$keep
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

# Runs a command under /usr/bin/time; NAME.time gets "wall_seconds peak_kib".
timed() {
  local name=$1
  shift
  if ! /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    die "'$*' failed (its output is above)"
  fi
}

echo "data: $rows training + $test_rows test rows x 1280, 131 labels, seed $seed -> $work/data"
timed generate "$generator" --rows "$rows" --test-rows "$test_rows" --dim 1280 --labels 131 \
  --seed "$seed" -o "$work/data"
echo "  written in $(cut -d' ' -f1 "$work/generate.time") s"

# fruits' GEMMs and eigen-decomposition run on OpenBLAS's threads, its softmax on --threads.
export OPENBLAS_NUM_THREADS=$threads
for k in 70 auto; do
  echo "fruits train --k $k --threads $threads"
  timed "train_$k" "$fruits" train --features "$work/data/train/features" \
    --output "$work/clf_$k" --k "$k" --threads "$threads" -q
  echo "fruits evaluate ($k)"
  timed "evaluate_$k" "$fruits" evaluate --classifier "$work/clf_$k" \
    --features "$work/data/test/features" --output "$work/eval_$k"
done
for mode in k70 auto; do
  echo "scikit-learn $mode"
  "$python" bench/sklearn_classify_bench.py "$work/data" --mode "$mode" --dim 1280 \
    --threads "$threads" >"$work/sklearn_$mode.json" 2>"$work/sklearn_$mode.log" || {
    cat "$work/sklearn_$mode.log" >&2
    die "bench/sklearn_classify_bench.py --mode $mode failed"
  }
done

"$python" - "$work" "$test_rows" "$threads" <<'EOF'
import json
import sys

work, test_rows, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def timing(name):
    seconds, kib = open(f"{work}/{name}.time").read().split()
    # /usr/bin/time counts hundredths: a faster command reads as 0.
    return max(float(seconds), 0.01), int(kib) / 1024


print(f"\n{test_rows} test rows, {threads} threads; fruits: end to end under /usr/bin/time; "
      "scikit-learn: fit + predict, loading not timed")
print(f"{'':28} {'seconds':>8} {'peak MiB':>9} {'test acc %':>10} {'k':>4}")
verdicts = []
for k, mode in (("70", "k70"), ("auto", "auto")):
    seconds, mib = timing(f"train_{k}")
    ours = json.load(open(f"{work}/eval_{k}/metrics.json"))["accuracy"]
    chosen = json.load(open(f"{work}/clf_{k}/model.json"))["k"]
    theirs = json.load(open(f"{work}/sklearn_{mode}.json"))
    print(f"{'fruits train --k ' + k:28} {seconds:8.2f} {mib:9.0f} {100 * ours:10.2f} {chosen:>4}")
    print(f"{'scikit-learn ' + mode:28} {theirs['seconds']['total']:8.2f} "
          f"{theirs['peak_rss_mib']:9.0f} {100 * theirs['test_accuracy']:10.2f} {theirs['k']:>4}")
    gap = 100 * abs(ours - theirs["test_accuracy"])
    verdicts.append(f"k {k}: fruits {theirs['seconds']['total'] / seconds:.1f}x faster; "
                    f"accuracies {gap:.2f} points apart: "
                    f"{'within' if gap <= 0.2 + 1e-9 else 'NOT within'} 0.2")
for k in ("70", "auto"):
    seconds, mib = timing(f"evaluate_{k}")
    print(f"{'fruits evaluate (' + k + ')':28} {seconds:8.2f} {mib:9.0f}"
          f"   {test_rows / seconds:,.0f} rows/s")
print()
print("\n".join(verdicts))
for mode in ("k70", "auto"):
    theirs = json.load(open(f"{work}/sklearn_{mode}.json"))
    print(f"scikit-learn {mode}: phases {theirs['seconds']}, lbfgs iterations "
          f"{theirs['lbfgs_iterations']}, {theirs['convergence_warnings']} convergence warnings, "
          f"its rows in memory {theirs['data_mib']} MiB; {'; '.join(theirs['blas'])}")
EOF
