#!/usr/bin/env bash
# Inference speed of our backend against torchvision eager, in the same run, on this machine.
#
#   bench/backend_vs_torch.sh [MIN_SECONDS]        (after scripts/build.sh; needs python3-torch)
#   BUILD_DIR=build-xnn bench/backend_vs_torch.sh  (another build folder)
#
# Runs BUILD_DIR/bench/backend_bench (XNNPACK and OpenCV), then bench/torch_backend_bench.py with 1 and 2 threads, and
# prints img/s for each batch size and thread count, XNNPACK/OpenCV and XNNPACK/torch, the fraction of the
# CPU's peak FLOP/s reached (MobileNetV2-224: 300 million multiply-adds = 0.6 GFLOP per image;
# peak = threads x clock x FLOP per cycle, 64 with AVX-512 and two FMA pipes, else 32 with AVX2).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build=${BUILD_DIR:-build}
"$build"/bench/backend_bench --benchmark_min_time="$seconds" --benchmark_format=json \
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
print(f"{'batch':>5} {'threads':>7} {'xnnpack':>8} {'opencv':>7} {'torch':>7} {'x/cv':>5} {'x/torch':>7} {'% peak':>7}")
for threads in (1, 2):
    for batch in (1, 8, 32, 64):
        x = rate(f"BM_Run/batch:{batch}/threads:{threads}/opencv:0/")
        cv = rate(f"BM_Run/batch:{batch}/threads:{threads}/opencv:1/")
        t = torch[threads][batch]
        peak = threads * mhz * 1e6 * per_cycle
        print(f"{batch:>5} {threads:>7} {x:>8.1f} {cv:>7.1f} {t:>7.1f} {x / cv:>5.2f} {x / t:>7.2f}"
              f" {100 * x * 0.6e9 / peak:>6.1f}%")
print("two workers, one engine instance each, 1 thread each (img/s, both together):")
for batch in (1, 8, 32, 64):
    x = rate(f"BM_TwoWorkers/batch:{batch}/opencv:0/")
    cv = rate(f"BM_TwoWorkers/batch:{batch}/opencv:1/")
    print(f"{batch:>5} {'2x1':>7} {x:>8.1f} {cv:>7.1f} {'':>7} {x / cv:>5.2f}")
PY
