#!/usr/bin/env bash
# The whole test suite: builds a Release and a Debug configuration with AddressSanitizer
# and UndefinedBehaviorSanitizer (warnings are errors in both: the presets ci and dev) and
# runs every test with ctest.
#   tools/run-tests.sh [--release-only]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI keeps allocations until exit by design; leak reports would be about it, not us.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The configurations are CMakePresets.json's "ci" (build/ci) and "dev" (build/asan).
echo "== Release (preset ci) =="
cmake --preset ci >/dev/null
cmake --build build/ci -j "$jobs"
(cd build/ci && ctest --output-on-failure -j "$jobs")

if [ "${1:-}" != "--release-only" ]; then
  echo "== Debug + AddressSanitizer + UndefinedBehaviorSanitizer (preset dev) =="
  cmake --preset dev -DDISLO_BUILD_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  # The order-of-convergence study is numerics, not memory safety; the Slurm job scripts
  # and the signal-driven checkpoint runs exercise the same code as faster tests
  # (test_checkpoint, ensemble) and take minutes under the sanitizer: Release covers them.
  (cd build/asan && ctest --output-on-failure -j "$jobs" -LE "validation|slurm" -E "^checkpoint$")
fi
echo "all tests passed"
