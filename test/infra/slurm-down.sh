#!/usr/bin/env bash
# Stops the test SLURM daemons started by slurm-up.sh, by pidfile only (munged keeps running: harmless).
BASE=${DSD_INFRA:-/tmp/dsd-infra}
for D in "$BASE/slurm" "$BASE/slurm-multi"; do
  for f in "$D"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
done
sleep 0.5
exit 0
