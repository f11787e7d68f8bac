#!/usr/bin/env bash
# `fruits run` with input, model and output on S3 (s3rver on loopback) against the same run on
# local disk, in one session, alternating to even out the machine's noise.
#
#   bench/s3_bench.sh [IMAGES=2000] [ROUNDS=2]        (after scripts/build.sh release and npm ci
#                                                      in tests/references)
#
# Both runs: IMAGES synthetic 100x100 JPEGs (fruits dataset sample, the same bytes in both
# places), MobileNetV2 at 224x224 (fruits model init), batch 32, --k 70, with --threads 2 (every
# core) and --threads 1 (a core left to the server, as when S3 is elsewhere). The figure is the
# whole command's wall time (list, read, infer, write the parts, fit, project, manifest), with
# the CPU time of fruits and of s3rver, which runs on the same cores and competes with inference.
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

# Alternating runs, each timed (wall, and CPU of fruits and of s3rver, which shares the cores).
/usr/bin/python3 - "$fruits" "$work" "$images" "$rounds" "$server_pid" <<'PY'
import resource, subprocess, sys, time

fruits, work, images, rounds, server_pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def server_cpu():
    fields = open(f"/proc/{server_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks

def run(place, out, threads):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu()
    start = time.monotonic()
    subprocess.run([fruits, "run", "--input", f"{place}/sample/Training", "--model",
                    f"{place}/model.onnx", "-o", out, "--threads", str(threads), "--batch-size",
                    "32", "--k", "70", "-q"], check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, server_cpu() - server_before

for threads in (2, 1):
    best = {}
    for round in range(rounds):
        for name, place in (("local", f"{work}/local"), ("s3", "s3://bench")):
            result = run(place, f"{place}/out-{threads}-{round}", threads)
            if name not in best or result[0] < best[name][0]:
                best[name] = result
    print(f"--threads {threads} (best of {rounds}):")
    for name, (wall, cpu, server) in best.items():
        print(f"  fruits run, {name:5s}: {images / wall:6.1f} img/s ({wall:.2f} s; fruits CPU "
              f"{cpu:.2f} s, s3rver CPU {server:.2f} s)")
    ratio = best["local"][0] / best["s3"][0]
    print(f"  S3 throughput / local: {ratio:.3f}; fruits' own CPU on S3 / local: "
          f"{best['s3'][1] / best['local'][1]:.3f}")
PY
