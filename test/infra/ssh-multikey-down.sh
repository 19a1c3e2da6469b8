#!/usr/bin/env bash
# Stops the sshds started by ssh-multikey-up.sh (by pidfile only; never touches another sshd).
BASE=${DSD_INFRA:-/tmp/dsd-infra}
for d in multikey rsaonly; do
  f=$BASE/multikey/$d.pid
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  rm -f "$f"
done
exit 0
