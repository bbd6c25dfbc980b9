#!/usr/bin/env bash
# The whole test suite: builds a Release and a Debug configuration with AddressSanitizer
# and UndefinedBehaviorSanitizer (warnings are errors in both: the presets ci and dev) and
# runs every test with ctest.
#   tools/run-tests.sh [--release-only]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Leaks are errors, except OpenMPI's own (it keeps allocations until exit by design):
# tests/lsan-openmpi.supp; the slow unwinder gives the full stacks its patterns match.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan-openmpi.supp:print_suppressions=0
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
