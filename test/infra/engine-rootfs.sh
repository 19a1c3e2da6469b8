#!/usr/bin/env bash
# The root filesystem of our simulator engine images (used by docker-up.sh for dockerd and k8s-images.sh for the
# Kubernetes node's containerd): busybox, this machine's node and its libraries, dist/{cli,simulator,bench}.js, and
# the entry points of the real images it stands for:
#   /opt/dsd/vllm-entrypoint   where vllm/vllm-openai has `python3 -m vllm.entrypoints.openai.api_server` (args = its own)
#   /usr/bin/python3           `python3 -m sglang.launch_server …` (lmsysorg/sglang) runs the simulator imitating SGLang
#   /usr/local/bin/vllm        `vllm serve …` runs the simulator; `vllm bench serve …` is deepseek-deploy bench
# DSD_SIM_OPTS (container env) passes simulator options (--startup-speed, --gpus …).
# Usage: engine-rootfs.sh DIR      (DIR is emptied first; needs dist/ built and /bin/busybox from busybox-static)
set -euo pipefail
R=${1:?usage: engine-rootfs.sh DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$ROOT/dist/cli.js" ] && [ -f "$ROOT/dist/simulator.js" ] || { echo "engine-rootfs: build first (node build.mjs)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "engine-rootfs: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$R"; mkdir -p "$R"/{bin,usr/bin,usr/local/bin,tmp,etc,proc,sys,dev,root/.cache/huggingface,opt/dsd,lib64,lib/x86_64-linux-gnu}
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/"
for a in sh echo cat sleep ls env mkdir rm tail; do ln -sf busybox "$R/bin/$a"; done
NODE=$(readlink -f "$(command -v node)")
cp "$NODE" "$R/usr/local/bin/node"
for lib in $(ldd "$NODE" | grep -oE '/[^ ]+\.so[^ ]*'); do mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; done
cp "$ROOT/dist/cli.js" "$ROOT/dist/simulator.js" "$ROOT/dist/bench.js" "$R/opt/dsd/"
echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
echo 'root:x:0:' > "$R/etc/group"
cat > "$R/opt/dsd/vllm-entrypoint" <<'EOS'
#!/bin/sh
# Stands where vllm/vllm-openai has `python3 -m vllm.entrypoints.openai.api_server`: the args are that server's.
exec /usr/local/bin/node /opt/dsd/cli.js simulate $DSD_SIM_OPTS -- "$@"
EOS
cat > "$R/usr/bin/python3" <<'EOS'
#!/bin/sh
# Stands for the SGLang image's python3: `python3 -m sglang.launch_server …` runs the simulator imitating SGLang.
exec /usr/local/bin/node /opt/dsd/cli.js simulate $DSD_SIM_OPTS -- python3 "$@"
EOS
cat > "$R/usr/local/bin/vllm" <<'EOS'
#!/bin/sh
# Stands for the image's `vllm` CLI: `vllm bench serve …` is deepseek-deploy bench (it takes vllm bench serve's flags
# and prints its "Serving Benchmark Result" block); anything else runs the simulator.
if [ "$1" = bench ] && [ "$2" = serve ]; then shift 2; exec /usr/local/bin/node /opt/dsd/cli.js bench "$@"; fi
exec /usr/local/bin/node /opt/dsd/cli.js simulate $DSD_SIM_OPTS -- vllm "$@"
EOS
chmod 755 "$R/opt/dsd/vllm-entrypoint" "$R/usr/bin/python3" "$R/usr/local/bin/vllm"
