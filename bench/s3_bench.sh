#!/usr/bin/env bash
# `fruits run` with input, model and output on S3 (s3rver on loopback) against the same run on
# local disk, in one session, alternating to even out the machine's noise.
#
#   bench/s3_bench.sh [IMAGES=2000] [ROUNDS=2]        (after scripts/build.sh release and npm ci
#                                                      in tests/references)
#
# Both runs: IMAGES synthetic 100x100 JPEGs (fruits dataset sample, the same bytes in both
# places), MobileNetV2 at 224x224 (fruits model init), 2 workers, batch 32, --k 70. The figure is
# the whole command's wall time (list, read, infer, write the parts, fit, project, manifest);
# s3rver runs on the same two cores, so it competes with inference for CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-2000}
rounds=${2:-2}
fruits=$PWD/build/src/cli/fruits
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

node --openssl-legacy-provider tests/references/s3_server.mjs --directory "$work/s3" \
  --bucket bench >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q '^listening ' "$work/server.log" && break; sleep 0.1; done
port=$(sed -n 's/^listening //p' "$work/server.log")
[ -n "$port" ] || { cat "$work/server.log"; exit 1; }
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port

for place in "$work/local" s3://bench; do
  $fruits dataset sample -o "$place/sample" --classes 10 --per-class $((images / 10)) \
    --test-per-class 0 --multi-fruit 0 --seed 1 >/dev/null
  $fruits model init --seed 0 -o "$place/model.onnx" >/dev/null
done

run() {  # PLACE OUT: prints the wall milliseconds
  local start
  start=$(date +%s%N)
  $fruits run --input "$1/sample/Training" --model "$1/model.onnx" -o "$2" --threads 2 \
    --batch-size 32 --k 70 -q >/dev/null
  echo $((($(date +%s%N) - start) / 1000000))
}
: >"$work/times"
for round in $(seq "$rounds"); do
  echo "local $(run "$work/local" "$work/local/out$round")" >>"$work/times"
  echo "s3 $(run s3://bench "s3://bench/out$round")" >>"$work/times"
done

/usr/bin/python3 - "$work/times" "$images" <<'PY'
import statistics, sys
times = {"local": [], "s3": []}
for line in open(sys.argv[1]):
    place, milliseconds = line.split()
    times[place].append(int(milliseconds) / 1000)
images = int(sys.argv[2])
for place, runs in times.items():
    best = min(runs)
    print(f"fruits run, {place:5s}: {images / best:6.1f} img/s (best of {len(runs)}: "
          f"{', '.join(f'{t:.2f}' for t in runs)} s)")
ratio = min(times["local"]) / min(times["s3"])
print(f"S3 throughput / local throughput: {ratio:.3f} ({100 * (1 - ratio):+.1f}% slower on S3)")
PY
