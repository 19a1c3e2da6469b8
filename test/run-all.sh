#!/usr/bin/env bash
# `npm test`: every tier, in order, each with its own summary, then one total line. Provisions what it needs when run
# as root; fails loudly (never skips) when it cannot.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGS=$ROOT/test-results/logs
mkdir -p "$LOGS"

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "npm test: Node >= 20.19 is required (found $(node --version))" >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing dependencies (npm ci)"
  npm ci --no-audit --no-fund || { echo "npm test: npm ci failed" >&2; exit 1; }
fi
echo "== provisioning VS Code host tools (code-server, Node 24, Chromium, playwright-core)"
bash test/infra/provision-vscode-host.sh || { echo "npm test: provisioning failed; the vscode and ui tiers cannot run (see above)" >&2; exit 1; }

TOTAL_PASS=0; TOTAL_FAIL=0; FAILED_TIERS=()
SUITE_START=$SECONDS; TIER_START=$SECONDS
tier() { # name, pass-count, fail-count, exit code; prints the tier's wall time (since the previous tier ended)
  local name=$1 p=$2 f=$3 rc=$4 took=$((SECONDS - TIER_START))
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a crash with no test counted still fails the tier
  TOTAL_PASS=$((TOTAL_PASS + p)); TOTAL_FAIL=$((TOTAL_FAIL + f))
  [ "$rc" -ne 0 ] && FAILED_TIERS+=("$name")
  printf '== tier %-7s %s: %d passed, %d failed (%dm%02ds)\n' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$p" "$f" $((took / 60)) $((took % 60))
  TIER_START=$SECONDS
}
# After each tier, before any teardown: anything of ours still running (simulators, `tail -F`, engine containers,
# SLURM jobs) fails that tier's leftover check.
leftovers() { local rc; bash test/infra/check-leftovers.sh "$1" 2>&1 | tee -a "$LOGS/leftovers.log"; rc=${PIPESTATUS[0]}; tier "left-$1" $([ $rc -eq 0 ] && echo 1 || echo 0) $([ $rc -eq 0 ] && echo 0 || echo 1) $rc; }
num() { local v; v=$(grep -oE "$1" "$2" | tail -1 | grep -oE "[0-9]+" | tail -1); echo "${v:-0}"; }

echo "== tier lint: eslint + tsc --noEmit (extension/core/tests, and webview/ as browser ESM)"
rc=0; { npx eslint . && npx tsc --noEmit -p . && npx tsc --noEmit -p webview ; } 2>&1 | grep -v 'Unknown user config "nodedir"' | tee "$LOGS/lint.log"; rc=${PIPESTATUS[0]}
tier lint $([ $rc -eq 0 ] && echo 1 || echo 0) $([ $rc -eq 0 ] && echo 0 || echo 1) $rc

echo "== build (esbuild: extension, webview, cli, simulator, tests)"
node build.mjs && node build.mjs --tests || { echo "npm test: build failed" >&2; exit 1; }

echo "== tier unit: node:test on core and the simulator"
node --test --test-reporter=spec out/test/unit/ 2>&1 | tee "$LOGS/unit.log"; rc=${PIPESTATUS[0]}
tier unit "$(num '(ℹ )?pass [0-9]+' "$LOGS/unit.log")" "$(num '(ℹ )?fail [0-9]+' "$LOGS/unit.log")" $rc
leftovers unit

echo "== tier integration: real sshd (ssh-up.sh; ssh-multikey-up.sh: ed25519+ecdsa+rsa and rsa-only host keys), dockerd with simulator engine images (docker-up.sh), SLURM 1- and 2-node clusters (slurm-up.sh), SLURM with slurmdbd accounting (slurm-acct-up.sh)"
if bash test/infra/ssh-up.sh 2>&1 | tee "$LOGS/infra.log" && bash test/infra/ssh-multikey-up.sh 2>&1 | tee -a "$LOGS/infra.log" \
   && bash test/infra/docker-up.sh 2>&1 | tee -a "$LOGS/infra.log" \
   && bash test/infra/slurm-up.sh 2>&1 | tee -a "$LOGS/infra.log" && bash test/infra/slurm-acct-up.sh 2>&1 | tee -a "$LOGS/infra.log"; then
  node --test --test-reporter=spec --test-concurrency=1 out/test/integration/ 2>&1 | tee "$LOGS/integration.log"; rc=${PIPESTATUS[0]}
  tier integ "$(num '(ℹ )?pass [0-9]+' "$LOGS/integration.log")" "$(num '(ℹ )?fail [0-9]+' "$LOGS/integration.log")" $rc
  leftovers integ
else
  echo "npm test: the test sshd, dockerd or SLURM could not be started (see above)" >&2
  tier integ 0 1 1
fi

echo "== tier hostile: injection corpus, hostile HTTP servers (memory-capped children), redaction, symlinks, cancel"
node --test --test-reporter=spec --test-concurrency=1 out/test/hostile/ 2>&1 | tee "$LOGS/hostile.log"; rc=${PIPESTATUS[0]}
tier hostile "$(num '(ℹ )?pass [0-9]+' "$LOGS/hostile.log")" "$(num '(ℹ )?fail [0-9]+' "$LOGS/hostile.log")" $rc
leftovers hostile

echo "== tier vscode: extension tests inside code-server's extension host"
node test/infra/run-vscode-tests.js 2>&1 | tee "$LOGS/vscode.log"; rc=${PIPESTATUS[0]}
tier vscode "$(num '[0-9]+ passing' "$LOGS/vscode.log")" "$(num '[0-9]+ failing' "$LOGS/vscode.log")" $rc
leftovers vscode

echo "== tier ui: Playwright drives the workbench; a server outlives a code-server restart and is found again (screenshots in test-results/)"
node test/ui/workbench.ui.js 2>&1 | tee "$LOGS/ui.log"; rc=${PIPESTATUS[0]}
# restart.ui.js stops only the simulators it launched: what workbench.ui.js leaves still fails the leftover check below.
node test/ui/restart.ui.js 2>&1 | tee "$LOGS/ui-restart.log"; rc2=${PIPESTATUS[0]}; [ "$rc" -eq 0 ] && rc=$rc2
tier ui "$(( $(num '[0-9]+ passed' "$LOGS/ui.log") + $(num '[0-9]+ passed' "$LOGS/ui-restart.log") ))" "$(( $(num '[0-9]+ failed' "$LOGS/ui.log") + $(num '[0-9]+ failed' "$LOGS/ui-restart.log") ))" $rc
leftovers ui

echo "== tier chatui: Playwright drives the chat webview against the simulator (XSS corpus, Stop, reload; thinking control, tool calls, V4 reasoning passback; screenshots)"
node test/ui/chat.ui.js 2>&1 | tee "$LOGS/chatui.log"; rc=${PIPESTATUS[0]}
node test/ui/chatThinking.ui.js 2>&1 | tee "$LOGS/chatui-thinking.log"; rc2=${PIPESTATUS[0]}; [ "$rc" -eq 0 ] && rc=$rc2
tier chatui "$(( $(num '[0-9]+ passed' "$LOGS/chatui.log") + $(num '[0-9]+ passed' "$LOGS/chatui-thinking.log") ))" "$(( $(num '[0-9]+ failed' "$LOGS/chatui.log") + $(num '[0-9]+ failed' "$LOGS/chatui-thinking.log") ))" $rc
leftovers chatui

echo "== tier tune: Playwright runs Tune Deployment against the simulator: Pareto chart, misfits, Apply to Profile, Explorer, cancel"
node test/ui/tune.ui.js 2>&1 | tee "$LOGS/tune.log"; rc=${PIPESTATUS[0]}
tier tune "$(num '[0-9]+ passed' "$LOGS/tune.log")" "$(num '[0-9]+ failed' "$LOGS/tune.log")" $rc
leftovers tune

echo "== tier firstrun: the npm run demo workbench (Workspace Trust on): view in front, trust gate, Add Host, walkthrough, chat"
node test/ui/firstRun.ui.js 2>&1 | tee "$LOGS/firstrun.log"; rc=${PIPESTATUS[0]}
tier firstrun "$(num '[0-9]+ passed' "$LOGS/firstrun.log")" "$(num '[0-9]+ failed' "$LOGS/firstrun.log")" $rc
leftovers firstrun

echo "== tier k8s: a real one-node Kubernetes v1.20.2 (k8s-build.sh: binaries cached in \${DSD_K8S_CACHE:-/var/cache/deepseek-deploy/k8s/v1.20.2}, cold build ≈ 8.5 min; k8s-images.sh: simulator images; k8s-up.sh), the project's Helm chart and the kubernetes runtime"
K8S_START=$SECONDS
if bash test/infra/k8s-build.sh 2>&1 | tee "$LOGS/k8s-infra.log" && bash test/infra/k8s-images.sh 2>&1 | tee -a "$LOGS/k8s-infra.log" \
   && bash test/infra/k8s-up.sh 2>&1 | tee -a "$LOGS/k8s-infra.log"; then
  echo "== k8s cluster ready after $((SECONDS - K8S_START))s (build, images, start)"
  node --test --test-reporter=spec --test-concurrency=1 out/test/k8s/*.test.js 2>&1 | tee "$LOGS/k8s.log"; rc=${PIPESTATUS[0]}
  tier k8s "$(num '(ℹ )?pass [0-9]+' "$LOGS/k8s.log")" "$(num '(ℹ )?fail [0-9]+' "$LOGS/k8s.log")" $rc
  leftovers k8s
else
  echo "npm test: the k8s tier's cluster could not be built or started (see above and $LOGS/k8s-infra.log)" >&2
  tier k8s 0 1 1
fi
bash test/infra/k8s-down.sh

bash test/infra/slurm-acct-down.sh
bash test/infra/slurm-down.sh
bash test/infra/docker-down.sh
bash test/infra/ssh-multikey-down.sh
bash test/infra/ssh-down.sh
[ ${#FAILED_TIERS[@]} -gt 0 ] && echo "failed tiers: ${FAILED_TIERS[*]}"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed (total $(( (SECONDS - SUITE_START) / 60 ))m$(( (SECONDS - SUITE_START) % 60 ))s)"
[ "$TOTAL_FAIL" -eq 0 ] && [ ${#FAILED_TIERS[@]} -eq 0 ]
