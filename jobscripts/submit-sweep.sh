#!/bin/bash
# Submits a sweep: one job-array task per point (sweep.sbatch), then the collect job
# (collect.sbatch) that starts once every point succeeded.
#
# Usage: jobscripts/submit-sweep.sh STUDY [sbatch options for the points ...]
#   e.g. jobscripts/submit-sweep.sh sweep.toml --ntasks=4 --time=02:00:00
# Environment: DISLO (the dislo executable, default: dislo on PATH), MAX_PARALLEL
#   (optional: at most this many points at once, Slurm's --array=...%N).
# Prints: "array JOBID points N" and "collect JOBID". Produces what sweep.sbatch and
#   collect.sbatch produce: one file per point and the study's run.output as the table.
set -euo pipefail
STUDY=${1:?usage: submit-sweep.sh STUDY [sbatch options]}
shift
DISLO=${DISLO:-dislo}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# "# sweep of N points into TABLE; ..." from dislo check; refuses a study without [sweep].
POINTS=$("$DISLO" check "$STUDY" | sed -n 's/^# sweep of \([0-9]*\) points.*/\1/p')
if [[ -z "$POINTS" ]]; then
  echo "submit-sweep.sh: $STUDY has no [sweep] section" >&2
  exit 2
fi
RANGE="0-$((POINTS - 1))${MAX_PARALLEL:+%$MAX_PARALLEL}"
ARRAY=$(sbatch --parsable --array="$RANGE" --export="ALL,STUDY=$STUDY,DISLO=$DISLO" "$@" \
  "$HERE/sweep.sbatch")
ARRAY=${ARRAY%%;*}
COLLECT=$(sbatch --parsable --dependency="afterok:$ARRAY" \
  --export="ALL,STUDY=$STUDY,DISLO=$DISLO" "$HERE/collect.sbatch")
echo "array ${ARRAY} points ${POINTS}"
echo "collect ${COLLECT%%;*}"
