#!/usr/bin/env bash
# `npm run bench`: production bundles, then timings in the real extension host.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/infra/provision-vscode-host.sh
node build.mjs --production
node build.mjs --tests
node test/infra/bench.js
