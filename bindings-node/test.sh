#!/usr/bin/env bash
# Builds the Node package and runs its checks and tests: install the npm
# dev dependencies from the lock file, build the native module in release
# mode, run clippy on the crate, type-check the declarations, run node --test.
set -euo pipefail

cd "$(dirname "$0")"

npm ci --no-audit --no-fund
npm run build
# The dev profile shares its dependencies' check results with the core's
# clippy run in scripts/test.sh. INGATE_SKIP_LINT=1 skips clippy, as there.
if [ "${INGATE_SKIP_LINT:-0}" != 1 ]; then
  cargo clippy -p ingate-node -- -D warnings
fi
npm run typecheck
npm test
