#!/usr/bin/env bash
# Stops the k8s tier's cluster (k8s-up.sh): only the PIDs it recorded, the containers of its own containerd, the mounts
# under its run directory, the bridge and cgroups it made, /var/log/{pods,containers} only if it made them.
# Keeps $R/log (for a failed run's post-mortem), $R/images and the cache.
R=${DSD_K8S_RUN:-/tmp/dsd-k8s}
P=${DSD_K8S_CACHE:-/var/cache/deepseek-deploy/k8s/v1.20.2}
CTR=("$P/root/usr/bin/ctr" --address "$R/containerd/containerd.sock" -n k8s.io)
rm -f "$R/READY"
stop() { # name: SIGTERM, then SIGKILL after 10 s
  local f=$R/pids/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    echo "k8s-down: stopped $1"
  fi
  rm -f "$f"
}
for n in kubelet kube-scheduler kube-controller-manager kube-apiserver; do stop $n; done
# the pods' containers (and their shims) through our own containerd, before stopping it
if [ -S "$R/containerd/containerd.sock" ]; then
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s KILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 1 20); do [ -z "$("${CTR[@]}" tasks ls -q 2>/dev/null)" ] && break; sleep 0.25; done
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do "${CTR[@]}" containers delete "$c" >/dev/null 2>&1; done
fi
stop containerd
stop etcd
# mounts under our run dir (kubelet volumes, overlay rootfs, shm, pod netns), deepest first
grep -oE " $R/[^ ]+" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
if [ -f "$R/bridge-created" ]; then ip link del dsdk8s0 2>/dev/null && echo "k8s-down: removed bridge dsdk8s0"; rm -f "$R/bridge-created"; fi
if [ -f "$R/varlog-created" ]; then rm -rf /var/log/pods /var/log/containers; rm -f "$R/varlog-created"; fi
# cgroups the kubelet made under its root /dsd-k8s, deepest first
for c in /sys/fs/cgroup/*/dsd-k8s /sys/fs/cgroup/dsd-k8s; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
rm -rf "$R/containerd" "$R/kubelet" "$R/etcd" "$R/cni"
exit 0
