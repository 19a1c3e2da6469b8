#!/usr/bin/env bash
# Stops what slurm-acct-up.sh started (slurmctld, slurmd, slurmdbd, MariaDB of cluster "dsdacct"), by pidfile only;
# a daemon still alive 10 s after SIGTERM gets SIGKILL (a slurmd busy with a job can ignore the first signal).
BASE=${DSD_INFRA:-/tmp/dsd-infra}
D=$BASE/slurm-acct
pids=()
for f in "$D"/run/slurmctld.pid "$D"/run/slurmd-*.pid "$D"/run/slurmdbd.pid "$D"/mysqld/mysqld.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f"); rm -f "$f"
  [ -n "$p" ] && kill "$p" 2>/dev/null && pids+=("$p")
done
for _ in $(seq 1 40); do
  alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break; sleep 0.25
done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
exit 0
