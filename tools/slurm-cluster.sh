#!/usr/bin/env bash
# A single-node Slurm (slurmctld, slurmd, munge) under a folder of its own, for testing
# the job scripts for real (../shared/notes/slurm.md has the facts this relies on).
#   tools/slurm-cluster.sh start DIR   # prints the line to source: export SLURM_CONF=...
#   tools/slurm-cluster.sh stop DIR    # cancels jobs, stops the daemons started from DIR
# Needs root and the Debian packages slurmctld slurmd slurm-client munge
# (tools/install-deps.sh installs them).
set -euo pipefail
cmd=${1:?start or stop}
dir=$(realpath -m "${2:?folder}")

stop_pid() {  # stop_pid FILE NAME: kill the recorded process if it is still NAME
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

case "$cmd" in
start)
  mkdir -p "$dir"/{munge,state,spool,log,run}
  chmod 700 "$dir/munge"
  host=$(hostname -s)
  [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
  munged --foreground --force --socket="$dir/munge/socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/seed" >/dev/null 2>&1 &
  echo $! >"$dir/run/munged.pid.launch"
  for _ in $(seq 100); do
    munge -n -S "$dir/munge/socket" 2>/dev/null | unmunge -S "$dir/munge/socket" >/dev/null 2>&1 && break
    sleep 0.1
  done
  node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
  cat >"$dir/slurm.conf" <<CONF
ClusterName=dislo-test
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket,cred_expire=10
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ReturnToService=2
MinJobAge=300
KillWait=5
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -D -c -f "$dir/slurm.conf" >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! >"$dir/run/slurmctld.launch"
  slurmd -D -f "$dir/slurm.conf" >>"$dir/log/slurmd.out" 2>&1 &
  echo $! >"$dir/run/slurmd.launch"
  export SLURM_CONF="$dir/slurm.conf"
  for _ in $(seq 300); do
    [ "$(sinfo -h -N -o %T 2>/dev/null)" = "idle" ] && break
    sleep 0.1
  done
  if [ "$(sinfo -h -N -o %T 2>/dev/null)" != "idle" ]; then
    echo "slurm-cluster: the node did not become idle; logs in $dir/log" >&2
    exit 1
  fi
  echo "export SLURM_CONF=$dir/slurm.conf"
  ;;
stop)
  if [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF="$dir/slurm.conf" scancel --user=root 2>/dev/null || true
  fi
  stop_pid "$dir/run/slurmd.launch" slurmd
  stop_pid "$dir/run/slurmctld.launch" slurmctld
  stop_pid "$dir/run/munged.pid.launch" munged
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
