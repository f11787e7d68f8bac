#!/usr/bin/env bash
# Inference speed of our backend against torchvision eager, in the same run, on this machine.
#
#   bench/backend_vs_torch.sh [MIN_SECONDS]        (after scripts/build.sh; needs python3-torch)
#
# Runs build/bench/backend_bench, then bench/torch_backend_bench.py with 1 and 2 threads, and
# prints img/s for each batch size and thread count, our ratio to torch, and the fraction of the
# CPU's peak FLOP/s reached (MobileNetV2-224: 300 million multiply-adds = 0.6 GFLOP per image;
# peak = threads x clock x FLOP per cycle, 64 with AVX-512 and two FMA pipes, else 32 with AVX2).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build/bench/backend_bench --benchmark_min_time="$seconds" --benchmark_format=json \
  >"$work/ours.json"
for threads in 1 2; do
  /usr/bin/python3 bench/torch_backend_bench.py --threads "$threads" --min-seconds "$seconds" \
    >"$work/torch$threads.json"
done
mhz=$(awk -F: '/cpu MHz/ {print $2; exit}' /proc/cpuinfo)
flop_per_cycle=$(grep -q avx512f /proc/cpuinfo && echo 64 || echo 32)

/usr/bin/python3 - "$work" "$mhz" "$flop_per_cycle" <<'PY'
import json, sys
work, mhz, per_cycle = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ours = json.load(open(f"{work}/ours.json"))["benchmarks"]
torch = {t: {r["batch"]: r["img_per_s"] for r in json.load(open(f"{work}/torch{t}.json"))["results"]}
         for t in (1, 2)}
def rate(name):
    return next(b["items_per_second"] for b in ours if b["name"].startswith(name))
print(f"peak assumed: {mhz:.0f} MHz x {per_cycle} FLOP/cycle per thread; 0.6 GFLOP per image")
print(f"{'batch':>5} {'threads':>7} {'fruits img/s':>12} {'torch img/s':>11} {'ratio':>6} {'% peak':>7}")
for threads in (1, 2):
    for batch in (1, 8, 32, 64):
        r = rate(f"BM_Run/batch:{batch}/threads:{threads}/")
        t = torch[threads][batch]
        peak = threads * mhz * 1e6 * per_cycle
        print(f"{batch:>5} {threads:>7} {r:>12.1f} {t:>11.1f} {r / t:>6.2f} {100 * r * 0.6e9 / peak:>6.1f}%")
print("two workers, one network each, 1 thread each (img/s, both together):")
for batch in (1, 8, 32, 64):
    r = rate(f"BM_TwoWorkers/batch:{batch}/")
    print(f"{batch:>5} {'2x1':>7} {r:>12.1f}")
PY
