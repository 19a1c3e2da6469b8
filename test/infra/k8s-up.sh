#!/usr/bin/env bash
# A real one-node Kubernetes v1.20.2 for the k8s tier, every path under $R (/tmp/dsd-k8s), every daemon on 127.0.0.1
# except the kubelet, which listens on the node IP 10.244.78.1 of our own bridge dsdk8s0 (the kubelet refuses a
# loopback node IP; the address is local, so apiserver → kubelet traffic for logs/exec/port-forward stays here):
#   etcd 127.0.0.1:24379 → kube-apiserver 127.0.0.1:16443 → kube-controller-manager → kube-scheduler
#   → containerd ($R/containerd, its own socket; CNI bridge + host-local) → kubelet (CRI, cgroupfs, cgroup root /dsd-k8s)
# SAFETY: pods get NO default route (IPAM without routes): they reach only the pod subnet 10.244.78.0/24 and this host,
# so nothing a pod sends (e.g. to a ClusterIP: there is no kube-proxy) can leave the machine. No cluster DNS either
# (multi-node releases use the chart's multiNode.leaderDiscovery=configMap).
# The node advertises nvidia.com/gpu: 8 (an extended resource set through the node's status, as a device plugin
# would; k8s-node-gpus.sh N changes it). Images: k8s-images.sh tarballs, imported into containerd here.
# Writes $R/env.sh (KUBECONFIG, PATH with kubectl 1.20 + helm 3, image names) and touches $R/READY when the node is
# Ready. Needs k8s-build.sh (cache) and k8s-images.sh first. Stop with k8s-down.sh (only what this started).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=${DSD_K8S_CACHE:-/var/cache/deepseek-deploy/k8s/v1.20.2}
R=${DSD_K8S_RUN:-/tmp/dsd-k8s}
B=$P/bin; RB=$P/root
NODE=dsd-k8s-node; NODE_IP=10.244.78.1; BR=dsdk8s0; POD_CIDR=10.244.78.0/24
API_PORT=16443; ETCD_PORT=24379
export PATH=$B:$RB/usr/bin:$RB/usr/sbin:$PATH
T0=$(date +%s%N)
ts() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[k8s-up %d.%ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"; }
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl helm; do
  [ -x "$B/$b" ] || { echo "k8s-up: $B/$b is missing (run test/infra/k8s-build.sh)" >&2; exit 1; }
done
[ -f "$R/images/pause.tar" ] && [ -f "$R/images/engine.tar" ] || { echo "k8s-up: images missing (run test/infra/k8s-images.sh)" >&2; exit 1; }
if [ -f "$R/pids/kube-apiserver.pid" ] && kill -0 "$(cat "$R/pids/kube-apiserver.pid")" 2>/dev/null; then
  echo "k8s-up: a cluster from $R is already running (k8s-down.sh stops it)" >&2; exit 1
fi
rm -f "$R/READY"
rm -rf "$R/etcd" "$R/kubelet" "$R/cni" "$R/containerd" "$R/log"
mkdir -p "$R/log" "$R/pids" "$R/etcd" "$R/cni/net.d" "$R/containerd" "$R/kubelet" "$R/helm"

start() { # name cmd… (PID recorded for k8s-down.sh)
  local n=$1; shift
  nohup "$@" > "$R/log/$n.log" 2>&1 &
  echo $! > "$R/pids/$n.pid"
}
waitfor() { # what seconds cmd…
  local w=$1 s=$2; shift 2
  for _ in $(seq 1 $((s * 2))); do "$@" >/dev/null 2>&1 && { ts "$w ready"; return 0; }; sleep 0.5; done
  echo "k8s-up: timeout waiting for $w; last log lines:" >&2; tail -15 "$R/log/"*.log >&2; return 1
}

# PKI: a CA, serving certs, client certs and kubeconfigs for every component, made once per run directory.
PKI=$R/pki
if [ ! -f "$PKI/admin.kubeconfig" ]; then
  rm -rf "$PKI"; mkdir -p "$PKI"; (
    cd "$PKI"; umask 077
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -key ca.key -subj "/CN=dsd-k8s-ca" -days 3650 -out ca.crt 2>/dev/null
    sign() { # name CN O [subjectAltName]
      openssl genrsa -out "$1.key" 2048 2>/dev/null
      openssl req -new -key "$1.key" -subj "/CN=$2${3:+/O=$3}" -out "$1.csr" 2>/dev/null
      if [ -n "${4:-}" ]; then printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$4" > "$1.ext"
      else printf 'extendedKeyUsage=clientAuth\n' > "$1.ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver kube-apiserver "" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
    sign admin admin system:masters
    sign controller-manager system:kube-controller-manager ""
    sign scheduler system:kube-scheduler ""
    sign kubelet "system:node:$NODE" system:nodes
    sign kubelet-serving "system:node:$NODE" system:nodes "IP:127.0.0.1,IP:$NODE_IP,DNS:localhost,DNS:$NODE"
    openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    kc() { # file user cert
      cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dsd-k8s
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$PKI/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$PKI/$3.crt", client-key: "$PKI/$3.key"}
contexts:
- name: dsd-k8s
  context: {cluster: dsd-k8s, user: $2}
current-context: dsd-k8s
EOF
    }
    kc admin.kubeconfig admin admin
    kc controller-manager.kubeconfig kcm controller-manager
    kc scheduler.kubeconfig scheduler scheduler
    kc kubelet.kubeconfig kubelet kubelet
  )
fi
export KUBECONFIG=$PKI/admin.kubeconfig

start etcd "$RB/usr/bin/etcd" --name dsd-k8s --data-dir "$R/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls http://127.0.0.1:24380 --initial-advertise-peer-urls http://127.0.0.1:24380 \
  --initial-cluster dsd-k8s=http://127.0.0.1:24380 --listen-metrics-urls http://127.0.0.1:24381
waitfor etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$B/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range 10.96.0.0/24 --authorization-mode Node,RBAC \
  --enable-admission-plugins NodeRestriction --allow-privileged=true
waitfor kube-apiserver 120 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT/readyz"

start kube-controller-manager "$B/kube-controller-manager" --kubeconfig "$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$PKI/controller-manager.kubeconfig" --authorization-kubeconfig "$PKI/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 20257 --port 0 --leader-elect=false \
  --use-service-account-credentials --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --controllers '*,-nodeipam,-cloud-node-lifecycle,-service,-route'
start kube-scheduler "$B/kube-scheduler" --kubeconfig "$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig "$PKI/scheduler.kubeconfig" --authorization-kubeconfig "$PKI/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 20259 --port 0 --leader-elect=false
waitfor "default serviceaccount (controller-manager working)" 120 kubectl get serviceaccount default -n default

# Pod network: our bridge, host-local IPAM WITHOUT routes (no default route in pods), no masquerade.
ip link show "$BR" >/dev/null 2>&1 || { ip link add "$BR" type bridge; touch "$R/bridge-created"; }
ip addr replace "$NODE_IP/24" dev "$BR"; ip link set "$BR" up
cat > "$R/cni/net.d/10-dsd-k8s.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "dsd-k8s", "plugins": [
  {"type": "bridge", "bridge": "$BR", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]], "dataDir": "$R/cni/ipam"}},
  {"type": "loopback"}]}
EOF
cat > "$R/containerd.toml" <<EOF
version = 2
root = "$R/containerd/root"
state = "$R/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$R/containerd/containerd.sock"
[ttrpc]
  address = "$R/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$R/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "k8s.local/pause:3.4"
  stream_server_address = "127.0.0.1"
  stream_server_port = "20010"
  # root here may lack CAP_SYS_RESOURCE: oom_score_adj below the current one is refused, so clamp instead of failing
  restrict_oom_score_adj = true
  # pod network namespaces under our state dir instead of /var/run/netns (k8s-down.sh unmounts them)
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$RB/usr/lib/cni"
    conf_dir = "$R/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$RB/usr/sbin/runc"
        Root = "$R/containerd/runc"
EOF
start containerd "$RB/usr/bin/containerd" --config "$R/containerd.toml"
CTR=("$RB/usr/bin/ctr" --address "$R/containerd/containerd.sock" -n k8s.io)
waitfor containerd 60 "${CTR[@]}" version
for img in "$R"/images/*.tar; do "${CTR[@]}" images import --all-platforms "$img" >/dev/null; ts "imported $(basename "$img")"; done

cat > "$R/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 20250
healthzBindAddress: 127.0.0.1
healthzPort: 20248
readOnlyPort: 0
cgroupDriver: cgroupfs
cgroupRoot: /dsd-k8s
failSwapOn: false
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# pods resync (and refresh ConfigMap volumes, e.g. a multi-node release's leader address) every 10 s, not every minute
syncFrequency: 10s
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%"}
imageGCHighThresholdPercent: 100
serializeImagePulls: false
# no KUBE-* chains or rules in the host's iptables
makeIPTablesUtilChains: false
EOF
# the kubelet wants its cgroup root in every mounted hierarchy (cgroup v1/hybrid: each controller + name=systemd +
# unified; cpuset needs cpus/mems copied from the parent); on a pure cgroup v2 host it is one directory
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mkdir -p /sys/fs/cgroup/dsd-k8s
else
  for c in /sys/fs/cgroup/*/; do mkdir -p "${c}dsd-k8s"; done
  if [ -f /sys/fs/cgroup/cpuset/dsd-k8s/cpuset.cpus ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus > /sys/fs/cgroup/cpuset/dsd-k8s/cpuset.cpus
    cat /sys/fs/cgroup/cpuset/cpuset.mems > /sys/fs/cgroup/cpuset/dsd-k8s/cpuset.mems
  fi
fi
# kubelet 1.20 hard-codes /var/log/pods and /var/log/containers: note whether they existed, so k8s-down.sh removes
# them only if we made them
for d in /var/log/pods /var/log/containers; do [ -e "$d" ] || touch "$R/varlog-created"; done
start kubelet "$B/kubelet" --config "$R/kubelet/config.yaml" --kubeconfig "$PKI/kubelet.kubeconfig" \
  --root-dir "$R/kubelet/root" --cert-dir "$R/kubelet/pki" --hostname-override "$NODE" --node-ip "$NODE_IP" \
  --container-runtime remote --container-runtime-endpoint "unix://$R/containerd/containerd.sock" \
  --pod-infra-container-image k8s.local/pause:3.4 --v=1
waitfor "node $NODE Ready" 120 bash -c "kubectl get node $NODE -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

cat > "$R/env.sh" <<EOF
# Written by test/infra/k8s-up.sh: the k8s tier's one-node cluster (source this file).
export KUBECONFIG=$PKI/admin.kubeconfig
export PATH=$B:\$PATH
export HELM_CONFIG_HOME=$R/helm/config HELM_CACHE_HOME=$R/helm/cache HELM_DATA_HOME=$R/helm/data
export DSD_K8S_RUN=$R
export DSD_K8S_CACHE=$P
export DSD_K8S_NODE=$NODE
export DSD_K8S_NODE_IP=$NODE_IP
export DSD_K8S_POD_CIDR=$POD_CIDR
export DSD_K8S_CHART=$ROOT/charts/deepseek-deploy
export DSD_K8S_IMAGE_VLLM=vllm/vllm-openai:v0.9.0
export DSD_K8S_IMAGE_SGLANG=lmsysorg/sglang:latest
EOF
bash "$ROOT/test/infra/k8s-node-gpus.sh" 8 >/dev/null
ts "node advertises nvidia.com/gpu: 8"
touch "$R/READY"
ts "cluster up: source $R/env.sh (KUBECONFIG=$PKI/admin.kubeconfig)"
