#!/usr/bin/env bash
# Installs every Debian package dislo needs to build, test and plot.
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git ninja-build
  libopenmpi-dev openmpi-bin
  libfftw3-dev libfftw3-mpi-dev
  petsc-dev libpetsc64-real3.18-dev
  libhdf5-openmpi-dev hdf5-tools
  libgtest-dev libbenchmark-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev librandom123-dev liblemon-dev libboost-dev
  python3-h5py python3-matplotlib python3-scipy python3-numpy python3-pot
  clang-format clang
  slurmctld slurmd slurm-client munge
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
