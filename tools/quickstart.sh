#!/usr/bin/env bash
# From a fresh Debian 12 machine to a first result: installs what is missing, builds dislo,
# runs the built-in default study on 2 ranks and draws the densities.
#   tools/quickstart.sh            -> dislo.h5, dislo.xmf, dislo.png in the current directory
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
bash "$src/tools/install-deps.sh"
cmake -S "$src" -B "$src/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$src/build/release" -j "$(nproc)" --target dislo
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec -n 2 --oversubscribe "$src/build/release/drivers/dislo" run -o dislo.h5 --overwrite
/usr/bin/python3 "$src/tools/dislo-plot" dislo.h5 -o dislo.png
echo "wrote dislo.h5 (with dislo.xmf for ParaView) and dislo.png"
