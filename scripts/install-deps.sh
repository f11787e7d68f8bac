#!/usr/bin/env bash
# Installs every Debian and npm package fruits needs to build, run and test, on Debian 12.
# Idempotent and quiet: apt-get runs (with one update) only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run.
packages=(
  build-essential cmake pkg-config git
  libcli11-dev libfmt-dev nlohmann-json3-dev
  libsnappy-dev libzstd-dev
  libopencv-dev libwebp-dev libonnx-dev libprotobuf-dev libtbb-dev libxnnpack-dev libpthreadpool-dev
  libopenblas-dev liblapacke-dev
  libcurl4-openssl-dev libssl-dev libpugixml-dev
  libopenmpi-dev openmpi-bin
  libcpp-httplib-dev
)
# Tests, benchmarks and formatting.
packages+=(libgtest-dev libgmock-dev libbenchmark-dev clang clang-format nodejs ccache ninja-build)
# Independent references the tests compare against, under /usr/bin/python3: torchvision for
# model numerics, Pillow for decoding and resizing, scikit-learn for PCA.
if [ "${1:-}" = "--tests" ]; then
  packages+=(python3-torch python3-torchvision python3-onnx python3-numpy python3-pil python3-sklearn)
  # Network namespaces as two test hosts for the MPI tests.
  packages+=(iproute2)
  # curl asks the S3 tests' fault proxy for its counts.
  packages+=(curl)
  # The web page of `fruits serve` is tested in a real browser (driven by npm puppeteer-core).
  packages+=(chromium)
fi
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Independent references the tests compare against (DuckDB reads our Parquet files, onnxruntime
# runs our exported ONNX files).
# Installed again only when the lock file's content changed (timestamps differ between clones).
if [ "${1:-}" = "--tests" ]; then
  lock_sum=$(sha256sum tests/references/package-lock.json | cut -d' ' -f1)
  stamp=tests/references/node_modules/.fruits-lock.sha256
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    # onnxruntime-node's install script would download GPU binaries: the CPU build it ships is
    # all the tests use, and the machine has no internet.
    ONNXRUNTIME_NODE_INSTALL=skip \
      npm ci --prefix tests/references --no-audit --no-fund --loglevel=error
    echo "$lock_sum" >"$stamp"
  fi
fi
