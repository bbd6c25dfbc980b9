#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, built with -DDISLO_FUZZ=ON and clang) for a fixed number of
# executions from a seed corpus of valid inputs made here: the example studies; the
# checkpoint of a real run stopped part-way (whole, with a recomputed checksum, and its
# body after the target's own header); the HDF5 readers' target generates its files.
# Fixed seeds: the same executions on every run. A crash, leak, undefined behaviour or an
# exception other than InputError fails it, leaving the input under the work directory.
#   tools/run-fuzz.sh BUILD_DIR [SCALE]
# SCALE (default 1) multiplies the executions per target: 100000 of the study parser,
# 20000 of the checkpoint reader (its seeds are whole checkpoints, 8-9 kB) and 5000 of the
# HDF5 readers (each execution writes and reads HDF5 files): about 1.5 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "$1" && pwd)
scale=${2:-1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d /tmp/dislo-fuzz-XXXXXX)
mkdir -p "$work/study" "$work/checkpoint" "$work/hdf5_inputs"
cp examples/*.toml examples/validation/*.toml "$work/study/"

cat > "$work/seed.toml" <<'TOML'
[model]
n = 40
lattice = 16
T = 0.1
[run]
models = ["sde", "rw"]
replicas = 8
times = [0.0, 0.1]
output = "seed.h5"
[mf]
M = 32
[metrics]
grid = 8
law_bins = 8
TOML
status=0
(cd "$work" && "$build/drivers/dislo" run seed.toml --set run.stop_after=3 >/dev/null 2>&1) || status=$?
[ "$status" -eq 3 ] || { echo "run-fuzz: the seed run did not stop with a checkpoint ($status)"; exit 1; }
/usr/bin/python3 - "$work" <<'PY'
import struct, sys
work = sys.argv[1]
data = open(f"{work}/seed.h5.checkpoint", "rb").read()
identity_length = struct.unpack_from("<Q", data, 12)[0]
body = data[20 + identity_length:-8]
for mode, seed in ((0, data), (1, data), (2, body)):
    open(f"{work}/checkpoint/seed-{mode}", "wb").write(bytes([mode]) + seed)
PY

for spec in study:100000 checkpoint:20000 hdf5_inputs:5000; do
  target=${spec%%:*}
  runs=$((${spec##*:} * scale))
  echo "== fuzz_$target: $runs executions"
  if ! "$build/fuzz/fuzz_$target" -runs="$runs" -seed=1 -max_len=16384 -timeout=60 \
      -artifact_prefix="$work/" -print_final_stats=1 "$work/$target" >"$work/$target.log" 2>&1; then
    tail -60 "$work/$target.log"
    echo "fuzz_$target failed: its input and log are under $work"
    exit 1
  fi
  grep -E "^(INFO: seed corpus|Done|stat::number_of_executed_units|stat::peak_rss_mb)" \
    "$work/$target.log" || true
done
rm -rf "$work"
echo "fuzzing: no failure"
