#!/usr/bin/env bash
# The whole test suite: builds a Release configuration (64-bit PETSc) and a Debug one (-O1)
# with AddressSanitizer and UndefinedBehaviorSanitizer (warnings are errors in both: the
# presets ci-petsc64 and dev) and runs every test with ctest in both; then builds the fuzz
# targets with clang (preset fuzz) and runs each for a fixed number of executions
# (tools/run-fuzz.sh).
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

# The configurations are CMakePresets.json's "ci-petsc64" (build/ci64: Release with Debian's
# 64-bit-index PETSc found through PETSC_DIR alone and HDF5 through FindHDF5, Debian's
# pkg-config names hidden; its tests include `cmake --install` and a downstream
# find_package(dislo) project) and "dev" (build/asan: Debug with the sanitizers and the
# default 32-bit PETSc found by pkg-config). The two together cover both index sizes and
# both ways of finding the dependencies.
echo "== Release, 64-bit PETSc through PETSC_DIR (preset ci-petsc64) =="
cmake --preset ci-petsc64 >/dev/null
cmake --build build/ci64 -j "$jobs"
build/ci64/drivers/dislo info | grep -q "PETSc: .*(64-bit indices" ||
  { echo "build/ci64 is not built with 64-bit PETSc indices"; exit 1; }
(cd build/ci64 && ctest --output-on-failure -j "$jobs")

if [ "${1:-}" != "--release-only" ]; then
  echo "== Debug + AddressSanitizer + UndefinedBehaviorSanitizer (preset dev) =="
  cmake --preset dev -DDISLO_BUILD_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  # Every test, the run-heavy scripts (checkpoint, fault, slurm) in their reduced case
  # (n = 20: the same events; tests/integration.cmake).
  (cd build/asan && ctest --output-on-failure -j "$jobs")
  echo "== Fuzz targets: clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer (preset fuzz) =="
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j "$jobs"
  bash tools/run-fuzz.sh build/fuzz
fi
echo "all tests passed"
