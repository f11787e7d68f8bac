#!/usr/bin/env bash
# Runs one fuzz target for a bounded time over its seed corpus, then prints one summary line.
# Usage: fuzz/run_fuzzer.sh BINARY SEED_CORPUS WORK_DIR SECONDS MAX_LEN [RUNS]
#   WORK_DIR receives the inputs found (corpus/), crash files (artifacts/) and the log (log.txt);
#   the seed corpus is only read. Exits non-zero when the target found something.
#   RUNS (the CI mode): start from the seeds alone and stop after RUNS seeded mutations
#   (-seed=1), so a run's length does not depend on the machine's speed: SECONDS only bounds it.
#   The inputs tried are not exactly the same on every run: libFuzzer steers by coverage, and
#   inlined library code that compares pointers (std::string's overlap checks) covers other edges
#   under other heap addresses. A finding is replayed from its crash file.
set -uo pipefail
binary=$1 seeds=$2 work=$3 seconds=$4 max_len=$5 runs=${6:-}
repeatable=()
if [ -n "$runs" ]; then
  rm -rf "$work"
  repeatable=(-runs="$runs" -seed=1)
fi
mkdir -p "$work/corpus" "$work/artifacts"
# -rss_limit_mb/-malloc_limit_mb: an input that makes us allocate gigabytes is a finding too.
# -timeout: one input running this long is a hang (sanitizer builds are slow, so not too short).
"$binary" "$work/corpus" "$seeds" -max_total_time="$seconds" -max_len="$max_len" \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "${repeatable[@]}" >"$work/log.txt" 2>&1
status=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log.txt" | grep -o '[0-9]*$')
speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/log.txt" | grep -o '[0-9]*$')
last=$(grep -E '^#[0-9]+' "$work/log.txt" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
found=$(find "$work/artifacts" -type f | wc -l)
echo "$(basename "$binary"): ${runs:-?} executions, ${speed:-?} exec/s, cov ${cov:-?} ft ${ft:-?}," \
  "$(find "$work/corpus" -type f | wc -l) inputs in $work/corpus, $found findings" \
  "(exit $status)"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
  echo "  log: $work/log.txt; crash files: $work/artifacts" >&2
  grep -m 5 -E 'ERROR|SUMMARY|==[0-9]+==' "$work/log.txt" >&2
  exit 1
fi
