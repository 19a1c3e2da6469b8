#!/usr/bin/env bash
# A real dockerd on this machine for the runtime tests (Debian 12, root, no systemd), reachable by the SSH test user:
#   * dockerd with its own data-root/socket under $DSD_INFRA/docker (overlay2, no iptables), group dsd-gpu
#   * a fake nvidia-container-runtime-hook on dockerd's PATH, so `docker run --gpus …` works as on a GPU host
#   * `docker compose` through a CLI-plugin shim to docker-compose v1 (compose v2 is not packaged for Debian 12)
#   * engine images built from OUR simulator, tagged like the real ones (vllm/vllm-openai:*, lmsysorg/sglang:*),
#     labelled deepseek-deploy.simulator=true: the vLLM one has the API-server entrypoint (args = `--model …`), the
#     SGLang one has none and a `python3` that runs `-m sglang.launch_server …`. DSD_SIM_OPTS passes sim options.
# Needs dist/ built (node build.mjs). Writes $DSD_INFRA/docker/env.sh.
set -euo pipefail
BASE=${DSD_INFRA:-/tmp/dsd-infra}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DK=$BASE/docker
export DOCKER_HOST=unix://$DK/docker.sock

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; }
fi
[ -f "$ROOT/dist/cli.js" ] && [ -f "$ROOT/dist/simulator.js" ] || { echo "docker-up: build first (node build.mjs)" >&2; exit 1; }
id dsd-gpu >/dev/null 2>&1 || { echo "docker-up: run ssh-up.sh first (creates the dsd-gpu user)" >&2; exit 1; }

mkdir -p "$DK/bin"
cat > "$DK/bin/nvidia-container-runtime-hook" <<'EOF'
#!/bin/sh
# Fake NVIDIA OCI hook: dockerd enables its nvidia device driver when this exists; the hook itself does nothing.
cat >/dev/null
exit 0
EOF
chmod 755 "$DK/bin/nvidia-container-runtime-hook"

if ! docker info >/dev/null 2>&1; then
  PATH=$DK/bin:$PATH nohup /usr/sbin/dockerd --data-root "$DK/root" --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" \
    -H "unix://$DK/docker.sock" --group dsd-gpu --iptables=false --ip6tables=false --ip-masq=false \
    --bip 172.31.251.1/24 --storage-driver=overlay2 > "$DK/dockerd.log" 2>&1 &
  for _ in $(seq 1 80); do docker info >/dev/null 2>&1 && break; sleep 0.25; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:" >&2; tail -20 "$DK/dockerd.log" >&2; exit 1; }
fi

# compose v2 CLI plugin shim → docker-compose v1, for the SSH test user and root.
for h in /home/dsd-gpu /root; do
  mkdir -p "$h/.docker/cli-plugins"
  cat > "$h/.docker/cli-plugins/docker-compose" <<'EOF'
#!/bin/sh
if [ "$1" = docker-cli-plugin-metadata ]; then echo '{"SchemaVersion":"0.1.0","Vendor":"deepseek-deploy tests","Version":"v1.29.2-shim","ShortDescription":"compose v1 shim"}'; exit 0; fi
shift; exec docker-compose "$@"
EOF
  chmod 755 "$h/.docker/cli-plugins/docker-compose"
done
chown -R dsd-gpu:dsd-gpu /home/dsd-gpu/.docker

# Engine images from the simulator (engine-rootfs.sh: busybox, this machine's node, dist/, the real images' entry points).
R=$DK/rootfs
bash "$ROOT/test/infra/engine-rootfs.sh" "$R"
tar -C "$R" -cf "$DK/engine-rootfs.tar" .
LABEL='LABEL deepseek-deploy.simulator=true'
docker import -c "$LABEL" -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'ENTRYPOINT ["/opt/dsd/vllm-entrypoint"]' "$DK/engine-rootfs.tar" vllm/vllm-openai:v0.9.0 >/dev/null
docker tag vllm/vllm-openai:v0.9.0 vllm/vllm-openai:latest
# The first vLLM release that serves DeepSeek-V4 (catalog minVersion.vllm of V4-Flash/V4-Pro): the V4 presets' default image.
docker tag vllm/vllm-openai:v0.9.0 vllm/vllm-openai:v0.20.0
docker import -c "$LABEL" -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'CMD ["/bin/sh"]' "$DK/engine-rootfs.tar" lmsysorg/sglang:latest >/dev/null
rm -f "$DK/engine-rootfs.tar"; rm -rf "$R"
docker image prune -f >/dev/null 2>&1 || true   # the previous run's images, untagged by the imports above

echo "export DOCKER_HOST=unix://$DK/docker.sock" > "$DK/env.sh"
echo "dockerd up ($DOCKER_HOST); simulator images: $(docker images --format '{{.Repository}}:{{.Tag}}' | tr '\n' ' ')"
