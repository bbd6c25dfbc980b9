#!/usr/bin/env bash
# From a fresh Debian 12 machine to a first result: installs what is missing, builds dislo,
# runs the built-in study on 2 ranks (examples/default.toml: all four models at n = 4, 16,
# 64, about a minute) and draws what it computed.
#   tools/quickstart.sh   -> dislo.h5 (the table), dislo-0.h5 ... dislo-2.h5 (one per n) and
#                            their figures dislo-*.png in the current directory
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
bash "$src/tools/install-deps.sh"
cmake -S "$src" -B "$src/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$src/build/release" -j "$(nproc)" --target dislo
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec -n 2 --oversubscribe "$src/build/release/drivers/dislo" run -o dislo.h5 --overwrite
plot=(/usr/bin/python3 "$src/tools/dislo-plot")
for point in 0 1 2; do "${plot[@]}" "dislo-$point.h5" -o "dislo-$point.png"; done
"${plot[@]}" dislo.h5 -o dislo-table.png --figures 'sde_chaos_coupling_mean-n' \
  --figures 'rw_chaos_veto_mean-n' --figures 'sde_metrics_bl_plus_mean-n'
echo "wrote dislo.h5 (the table over n), dislo-0.h5 ... dislo-2.h5 (n = 4, 16, 64, with .xmf"
echo "for ParaView) and their figures dislo-*.png"
