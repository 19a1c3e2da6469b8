#!/usr/bin/env bash
# Container images for the k8s tier's node, built locally (no registry is reachable, no Docker daemon needed) as
# docker-archive tarballs (the `docker save` format, which `ctr -n k8s.io images import` reads):
#   $R/images/pause.tar    k8s.local/pause:3.4 (the static pause k8s-build.sh compiled from the Kubernetes tree)
#   $R/images/engine.tar   our simulator (engine-rootfs.sh, the same rootfs as the docker tier's images), tagged like
#                          the real engines so the product's default images resolve on the node:
#                            vllm/vllm-openai:{v0.9.0,latest,v0.20.0}  ENTRYPOINT the API server (args = `--model M …`);
#                                                                      `vllm serve …` also works (PATH has vllm)
#                            lmsysorg/sglang:latest                    no entrypoint; `python3 -m sglang.launch_server …`
#                          labelled deepseek-deploy.simulator=true. DSD_SIM_OPTS (pod env) passes simulator options.
# When the cluster's containerd (k8s-up.sh) is running, the images are imported right away; otherwise k8s-up.sh
# imports them. Needs dist/ built (node build.mjs) and the k8s cache (k8s-build.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=${DSD_K8S_CACHE:-/var/cache/deepseek-deploy/k8s/v1.20.2}
R=${DSD_K8S_RUN:-/tmp/dsd-k8s}
T0=$(date +%s)
[ -x "$P/bin/pause" ] || { echo "k8s-images: $P/bin/pause is missing (run test/infra/k8s-build.sh)" >&2; exit 1; }
if [ ! -x /bin/busybox ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null; }
fi
W=$R/imgbuild; I=$R/images
rm -rf "$W"; mkdir -p "$W" "$I"
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac

# mkimage OUT.tar ROOTFS_DIR then one or more "TAG[,TAG…]|ENTRYPOINT_JSON|CMD_JSON" image specs sharing that one layer.
mkimage() {
  local out=$1 dir=$2; shift 2
  local d=$W/archive; rm -rf "$d"; mkdir -p "$d"
  tar --numeric-owner -C "$dir" -cf "$d/layer.tar" .
  local diff; diff=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
  mkdir -p "$d/$diff"; mv "$d/layer.tar" "$d/$diff/layer.tar"
  local manifest="" spec tags ep cmd cfg cname tagjson
  for spec in "$@"; do
    IFS='|' read -r tags ep cmd <<< "$spec"
    cfg="{\"architecture\":\"$ARCH\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/local/bin:/usr/bin:/bin\"],\"Entrypoint\":$ep,\"Cmd\":$cmd,\"Labels\":{\"deepseek-deploy.simulator\":\"true\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff\"]}}"
    cname=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1).json
    printf '%s' "$cfg" > "$d/$cname"
    tagjson=$(printf '"%s",' ${tags//,/ }); tagjson="[${tagjson%,}]"
    manifest="$manifest{\"Config\":\"$cname\",\"RepoTags\":$tagjson,\"Layers\":[\"$diff/layer.tar\"]},"
  done
  printf '[%s]' "${manifest%,}" > "$d/manifest.json"
  (cd "$d" && tar -cf "$out" -- *)   # member names without "./", as docker save writes them
  rm -rf "$d"
  printf 'k8s-images: %s (%d MiB):' "$(basename "$out")" $(( $(stat -c %s "$out") >> 20 ))
  for spec in "$@"; do printf ' %s' "${spec%%|*}"; done; echo
}

mkdir -p "$W/pause"; cp "$P/bin/pause" "$W/pause/pause"
mkimage "$I/pause.tar" "$W/pause" 'k8s.local/pause:3.4|["/pause"]|null'

bash "$ROOT/test/infra/engine-rootfs.sh" "$W/engine"
mkimage "$I/engine.tar" "$W/engine" \
  'docker.io/vllm/vllm-openai:v0.9.0,docker.io/vllm/vllm-openai:latest,docker.io/vllm/vllm-openai:v0.20.0|["/opt/dsd/vllm-entrypoint"]|null' \
  'docker.io/lmsysorg/sglang:latest|null|["/bin/sh"]'
rm -rf "$W"

SOCK=$R/containerd/containerd.sock
if [ -S "$SOCK" ] && "$P/root/usr/bin/ctr" --address "$SOCK" version >/dev/null 2>&1; then
  for img in "$I"/*.tar; do "$P/root/usr/bin/ctr" --address "$SOCK" -n k8s.io images import --all-platforms "$img" >/dev/null; done
  echo "k8s-images: imported into the running cluster's containerd"
fi
echo "k8s-images: done in $(( $(date +%s) - T0 ))s"
