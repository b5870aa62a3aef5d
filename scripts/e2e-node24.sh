#!/usr/bin/env bash
# The action's end-to-end test under Node 24, the runtime action.yml declares. The binary comes
# from the npm package node@24 (through npm's own cache); when the registry cannot provide it,
# say so and skip rather than fail.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node24=$(npm exec --yes --package=node@24 -- node -p process.execPath 2>/dev/null) || [ ! -x "$node24" ]; then
  echo "e2e under Node 24: SKIPPED, could not get node@24 from the npm registry ($(npm config get registry))"
  exit 0
fi
echo "e2e under Node 24: $("$node24" --version) at $node24"
OCG_E2E_NODE="$node24" npx vitest run __tests__/action/node24.test.ts
