#!/usr/bin/env bash
# Stops the test sshds started by ssh-up.sh (by pidfile only; never touches a system sshd).
BASE=${DSD_INFRA:-/tmp/dsd-infra}
for d in gpu bastion; do
  f=$BASE/$d/sshd.pid
  [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  rm -f "$f"
done
exit 0
