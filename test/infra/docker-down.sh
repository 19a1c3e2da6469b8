#!/usr/bin/env bash
# Stops the test dockerd started by docker-up.sh (its containers first), by pidfile only.
BASE=${DSD_INFRA:-/tmp/dsd-infra}
DK=$BASE/docker
export DOCKER_HOST=unix://$DK/docker.sock
if [ -f "$DK/dockerd.pid" ]; then
  ids=$(docker ps -aq --filter label=deepseek-deploy.managed=true 2>/dev/null); [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
  kill "$(cat "$DK/dockerd.pid")" 2>/dev/null
  for _ in $(seq 1 40); do [ -f "$DK/dockerd.pid" ] || break; kill -0 "$(cat "$DK/dockerd.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.25; done
  rm -f "$DK/dockerd.pid"
fi
exit 0
