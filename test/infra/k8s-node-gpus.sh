#!/usr/bin/env bash
# Sets how many GPUs the k8s tier's node advertises: status.capacity["nvidia.com/gpu"] = N (the scheduler derives
# allocatable from it), written to the node's status subresource as a device plugin's registration would
# (kubernetes.io/docs/tasks/administer-cluster/extended-resource-node). N = 0 removes the resource.
# Usage: k8s-node-gpus.sh N [RESOURCE_NAME]     (after k8s-up.sh; RESOURCE_NAME defaults to nvidia.com/gpu)
set -euo pipefail
N=${1:?usage: k8s-node-gpus.sh N [RESOURCE_NAME]}; RES=${2:-nvidia.com/gpu}
[[ $N =~ ^[0-9]+$ ]] || { echo "k8s-node-gpus: N must be a whole number, got '$N'" >&2; exit 2; }
[[ $RES =~ ^[a-z0-9.-]+/[a-z0-9._-]+$ ]] || { echo "k8s-node-gpus: bad resource name '$RES'" >&2; exit 2; }
R=${DSD_K8S_RUN:-/tmp/dsd-k8s}
# shellcheck source=/dev/null
. "$R/env.sh"
PKI=$(dirname "$KUBECONFIG")
SERVER=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
PATH_ESC=${RES//\//\~1}
if [ "$N" = 0 ]; then
  body="[{\"op\":\"remove\",\"path\":\"/status/capacity/$PATH_ESC\"}]"
else
  body="[{\"op\":\"add\",\"path\":\"/status/capacity/$PATH_ESC\",\"value\":\"$N\"}]"
fi
out=$(curl -sS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" -X PATCH \
  -H 'Content-Type: application/json-patch+json' --data "$body" -w '\n%{http_code}' "$SERVER/api/v1/nodes/$DSD_K8S_NODE/status")
code=${out##*$'\n'}
case $code in
  2*) ;;
  422) [ "$N" = 0 ] || { echo "k8s-node-gpus: $out" >&2; exit 1; } ;;  # removing a resource that is not there
  *) echo "k8s-node-gpus: HTTP $code: ${out%$'\n'*}" >&2; exit 1 ;;
esac
# the scheduler sees it once allocatable shows it (the kubelet copies capacity to allocatable every 10 s)
for _ in $(seq 1 100); do
  got=$(kubectl get node "$DSD_K8S_NODE" -o "jsonpath={.status.allocatable.${RES//./\\.}}")
  [ "${got:-0}" = "$N" ] && { echo "node $DSD_K8S_NODE: $RES allocatable $N"; exit 0; }
  sleep 0.25
done
echo "k8s-node-gpus: allocatable $RES is '${got:-}' after 25 s, expected $N" >&2; exit 1
