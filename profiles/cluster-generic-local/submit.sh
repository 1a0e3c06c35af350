#!/bin/sh
# A local stand-in for a cluster's submit command (sbatch, qsub, ...), for
# Snakemake's cluster-generic executor. Snakemake calls
#
#     submit.sh [--name RULE] [--mem MB] [--time MINUTES] JOBSCRIPT
#
# and reads a job id from the first line of its output. Like a batch system,
# this starts the job script in a process of its own, detached from Snakemake
# (new session, no terminal, working directory /, its own log) and returns at
# once; the job script itself runs a separate `snakemake` for its one job and
# leaves the finished/failed marker that the executor polls for.
#
# --time is enforced with timeout(1); --mem is only recorded (no limit).
# Environment (optional):
#   LOCAL_CLUSTER_LOGDIR      where job logs go (default: .snakemake/local-cluster)
#   LOCAL_CLUSTER_ACCOUNTING  file to append "id<TAB>rule<TAB>mem_mb<TAB>runtime" to
set -eu

name=job mem="" time=""
while [ $# -gt 1 ]; do
    case "$1" in
        --name) name=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --time) time=$2; shift 2 ;;
        *) echo "submit.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 1 ] || { echo "usage: submit.sh [--name N] [--mem MB] [--time MIN] JOBSCRIPT" >&2; exit 2; }
jobscript=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

logdir=${LOCAL_CLUSTER_LOGDIR:-.snakemake/local-cluster}
mkdir -p "$logdir"
logdir=$(cd "$logdir" && pwd)
id="local-$(date +%s)-$$"

if [ -n "${LOCAL_CLUSTER_ACCOUNTING:-}" ]; then
    printf '%s\t%s\t%s\t%s\n' "$id" "$name" "$mem" "$time" >> "$LOCAL_CLUSTER_ACCOUNTING"
fi

limit=""
case "$time" in
    ''|*[!0-9]*) ;;
    *) limit="timeout $((time * 60))" ;;
esac

# Detach: new session, stdin from /dev/null, output to the job's log, so that
# Snakemake's call returns as soon as the id is printed.
(
    cd /
    exec setsid $limit sh "$jobscript" </dev/null >"$logdir/$id.log" 2>&1
) &
echo "$id"
