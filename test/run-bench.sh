#!/usr/bin/env bash
# `npm run bench`: production bundles, then timings: extension activation in the real extension host, and the
# simulator's token timing under 512/1024 concurrent streams against a naive baseline measured in the same run, and
# our benchmark client's accuracy and CPU against a load server's real write times (naive undici control), the SSE
# reader's linearity and memory on 1/10/100 MB single events (every client), the chat
# webview rendering a 20,000-token stream in Chromium (against a naive re-render-everything peer), and
# 100 sequential SSH commands over our pooled connection against OpenSSH (new connection; ControlMaster), and Tune
# Deployment on the simulator (a 3×3 grid, 4 load points each: wall time and the tuner's own overhead).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/infra/provision-vscode-host.sh
node build.mjs --production
node build.mjs --tests
node test/infra/bench.js
node test/infra/bench-launch.js
node test/infra/bench-tune.js
node test/infra/bench-simulator.js
node test/infra/bench-chat-render.js
node test/infra/bench-client.js
node test/infra/bench-sse.js
bash test/infra/ssh-up.sh
node test/infra/bench-ssh.js
bash test/infra/ssh-down.sh
