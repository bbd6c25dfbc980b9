#!/usr/bin/env bash
# Weak scaling of particle ensembles: the example ensemble study with 16 replicas per rank
# of SDE and RW, on 1 and on 2 ranks, in one invocation; prints replicas per second and the
# efficiency rate(2 ranks) / (2 rate(1 rank)). Run after building (build/release).
#   tools/weak-scaling.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-build/release}/drivers/dislo-bench
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rate() {
  mpiexec -n "$1" --oversubscribe "$bench" --benchmark_filter=ensemble_study \
    --benchmark_out="$out/r$1.json" --benchmark_out_format=json >/dev/null 2>&1
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["benchmarks"][0]["rate"])' "$out/r$1.json"
}
r1=$(rate 1)
r2=$(rate 2)
/usr/bin/python3 - "$r1" "$r2" <<'PY'
import sys
r1, r2 = float(sys.argv[1]), float(sys.argv[2])
print(f"1 rank: {r1:.3f} replicas/s; 2 ranks: {r2:.3f} replicas/s; weak-scaling efficiency {r2 / (2 * r1):.3f}")
PY
