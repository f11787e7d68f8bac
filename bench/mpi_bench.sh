#!/usr/bin/env bash
# One process against two (one worker thread each), and what distribution costs, on this machine.
#
#   bench/mpi_bench.sh [IMAGES=2000]      (after scripts/build.sh release; needs openmpi-bin)
#
# Runs `fruits run` on IMAGES sample images at 224x224 (MobileNetV2, k = 70) without mpirun and
# under `mpirun -np 1` and `-np 2`, --threads 1 each, and prints img/s and the seconds spent
# listing and sending the catalog, sending the model, and reducing the PCA moments, as a share
# of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-2000}
fruits=build/src/cli/fruits
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

$fruits model init --seed 0 -o "$work/model.onnx" >/dev/null
$fruits dataset sample -o "$work/data" --classes 10 --per-class $((images / 10)) \
  --test-per-class 0 --multi-fruit 0 >/dev/null
flags=(run --input "$work/data/Training" --model "$work/model.onnx" --k 70 --threads 1
       --shard-size 250 -q)
$fruits "${flags[@]}" -o "$work/plain"
mpirun --oversubscribe -np 1 $fruits "${flags[@]}" -o "$work/np1"
mpirun --oversubscribe -np 2 $fruits "${flags[@]}" -o "$work/np2"

/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for name in ("plain", "np1", "np2"):
    m = json.load(open(f"{work}/{name}/manifest.json"))
    s, steps = m["seconds"], m["step_seconds"]
    total = steps["extract"] + steps["pca_moments"] + steps["pca_reduce"] + steps["pca_fit"] + \
        steps["pca_transform"]
    distribution = s["catalog"] + s["model_broadcast"] + steps["pca_reduce"]
    print(f"{name:>5}: {m['settings']['processes']} process(es), {m['images_per_second']:.1f} img/s, "
          f"run {total:.1f} s; catalog {s['catalog']:.3f} s, model broadcast "
          f"{s['model_broadcast']:.3f} s, PCA reduction {steps['pca_reduce']:.3f} s = "
          f"{100 * distribution / total:.2f}% of the run")
    for r in m.get("ranks", []):
        print(f"        rank {r['rank']}: {r['shards']} shards, {r['images']} images, "
              f"{r['images_per_second']} img/s, waiting {r['seconds_waiting']} s")
PY
