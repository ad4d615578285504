#!/usr/bin/env bash
# Test-only tools from the npm registry, kept out of the repository: axe-core for accessibility checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .test-tools/node_modules/axe-core/axe.min.js ]; then
  npm install --silent --no-audit --no-fund --prefix .test-tools axe-core@4 >/dev/null
fi
