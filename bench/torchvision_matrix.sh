#!/usr/bin/env bash
# The whole torchvision matrix the CI samples: every ImageNet family x opsets 11, 13 and 17 x NCHW
# and NHWC x batches 1 and 32, each on XNNPACK (no fallback) and OpenCV, against torch's
# features within 1e-4 of the largest magnitude (tests/integration/torchvision_reference_test.cc).
#
#   bench/torchvision_matrix.sh [FIXTURES_DIR] [NAME_PREFIX]   (after scripts/build.sh)
#
# Writes the fixtures (about 12 GB, 30 to 60 minutes on 2 cores) into FIXTURES_DIR (default
# build/full_fixtures) unless its manifest is there, then runs the reference test on them and
# prints one line per case and backend; the gtest XML report goes to FIXTURES_DIR/results.xml.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${1:-build/full_fixtures}
prefix=${2:-}
build=${BUILD_DIR:-build}

if [ ! -f "$fixtures/manifest.json" ]; then
  /usr/bin/python3 tests/references/torch_models.py fixtures "$fixtures" --matrix full \
    ${prefix:+--only "$prefix"}
fi
FRUITS_TORCH_FIXTURES="$fixtures" "$build"/tests/torchvision_reference_tests \
  --gtest_filter='Manifest/*' --gtest_output="xml:$fixtures/results.xml" |
  grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' || true
/usr/bin/python3 - "$fixtures/results.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
suites = ET.parse(sys.argv[1]).getroot()
cases = list(suites.iter("testcase"))
failed = [c.get("name") for c in cases if c.find("failure") is not None]
skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
print(f"{len(cases)} checks: {len(cases) - len(failed) - len(skipped)} passed, "
      f"{len(skipped)} skipped, {len(failed)} failed")
for name in failed:
    print("FAILED", name)
sys.exit(1 if failed else 0)
PY
