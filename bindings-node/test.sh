#!/usr/bin/env bash
# Builds the Node package and runs its checks and tests: install the npm
# dev dependencies from the lock file, build the native module in release
# mode, run clippy on the crate, type-check the declarations, run node --test.
set -euo pipefail

cd "$(dirname "$0")"

npm ci --no-audit --no-fund
npm run build
# --release reuses the build scripts (the bundled SQLite) of the release build above.
cargo clippy --release -p ingate-node -- -D warnings
npm run typecheck
npm test
