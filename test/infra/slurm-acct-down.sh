#!/usr/bin/env bash
# Stops what slurm-acct-up.sh started (slurmctld, slurmd, slurmdbd, MariaDB of cluster "dsdacct"), by pidfile only.
BASE=${DSD_INFRA:-/tmp/dsd-infra}
D=$BASE/slurm-acct
for f in "$D"/run/slurmctld.pid "$D"/run/slurmd-*.pid "$D"/run/slurmdbd.pid "$D"/mysqld/mysqld.pid; do
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"
done
sleep 0.5
exit 0
