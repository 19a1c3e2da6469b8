#!/usr/bin/env bash
# Runs after each test tier, before any teardown: fails (exit 1, listing them) when the tier left anything of ours
# running: a simulator (`cli.js simulate`), a log follower (`tail … -F`, our `docker logs -f`), an engine container
# labelled deepseek-deploy.managed=true on the test dockerd, a SLURM job named dsd-* on the test clusters, an object
# labelled app.kubernetes.io/managed-by=deepseek-deploy on the k8s tier's cluster, or a kubectl port-forward/logs -f.
# It only reports: stopping is each tier's own job (and only for PIDs it recorded).
set -uo pipefail
TIER=${1:-tier}
BASE=${DSD_INFRA:-/tmp/dsd-infra}
scan() {
  left=()
  while IFS= read -r l; do [ -n "$l" ] && left+=("process: $l"); done < <(ps -eo pid=,args= | grep -E 'cli\.js simulate|tail -n \+[0-9]+ -F|docker logs -f dsd-' | grep -v -E 'grep -E|check-leftovers')
  if [ -S "$BASE/docker/docker.sock" ]; then
    while IFS= read -r l; do [ -n "$l" ] && left+=("container: $l"); done < <(DOCKER_HOST="unix://$BASE/docker/docker.sock" docker ps -a --filter label=deepseek-deploy.managed=true --format '{{.Names}} ({{.Status}})' 2>/dev/null)
  fi
  # the k8s tier's cluster (k8s-up.sh): our releases' objects, and kubectl port-forwards or log followers
  while IFS= read -r l; do [ -n "$l" ] && left+=("process: $l"); done < <(ps -eo pid=,args= | grep -E 'kubectl .*(port-forward|logs .*-f)' | grep -v -E 'grep -E|check-leftovers')
  if [ -f "${DSD_K8S_RUN:-/tmp/dsd-k8s}/READY" ]; then
    while IFS= read -r l; do [ -n "$l" ] && left+=("kubernetes: $l"); done < <(. "${DSD_K8S_RUN:-/tmp/dsd-k8s}/env.sh" && kubectl get deployments,statefulsets,jobs,pods,services,configmaps -A -l app.kubernetes.io/managed-by=deepseek-deploy --no-headers -o custom-columns=KIND:.kind,NS:.metadata.namespace,NAME:.metadata.name 2>/dev/null)
  fi
  for conf in "$BASE/slurm/slurm.conf" "$BASE/slurm-multi/slurm.conf"; do
    [ -f "$conf" ] || continue
    while IFS= read -r l; do [ -n "$l" ] && left+=("slurm job: $l"); done < <(SLURM_CONF=$conf squeue -h -o '%i %j %u %T' 2>/dev/null | awk '$2 ~ /^dsd-/')
  done
}
scan
# A simulator bound to a window (--parent-pid) notices within a second that the window's process is gone: one grace
# re-check 3 s later, so a tier is blamed only for what really stays behind.
if [ ${#left[@]} -gt 0 ]; then sleep 3; scan; fi
if [ ${#left[@]} -gt 0 ]; then
  echo "leftovers after the $TIER tier (${#left[@]}):"
  printf '  %s\n' "${left[@]}"
  exit 1
fi
echo "leftovers after the $TIER tier: none"
