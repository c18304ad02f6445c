#!/usr/bin/env bash
# Runs every test suite that exists in this repository, in one command.
#
# Installs what the suites need and is missing: the Rust components rustfmt
# and clippy, and a Python virtual environment (target/venv) with the packages
# in tests/requirements.txt, and redis-server (Debian package) for the budget
# store tests, which it starts on 127.0.0.1:6390 and stops at the end. Set
# INGATE_SKIP_LINT=1 to skip fmt and clippy.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

step "python test environment (target/venv)"
venv="$root/target/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export PATH="$venv/bin:$PATH"

step "redis-server for the budget store tests (127.0.0.1:6390)"
if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server
fi
redis_dir="$root/target/redis"
rm -rf "$redis_dir"
mkdir -p "$redis_dir"
redis-server --bind 127.0.0.1 --port 6390 --daemonize yes --appendonly yes \
  --save "" --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
stop_redis() {
  if [ -f "$redis_dir/redis.pid" ]; then
    kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
  fi
}
trap stop_redis EXIT
for _ in $(seq 1 50); do
  [ -f "$redis_dir/redis.pid" ] && break
  sleep 0.1
done
export INGATE_TEST_REDIS_URL="redis://127.0.0.1:6390/0"
INGATE_TEST_REDIS_SERVER=$(command -v redis-server)
export INGATE_TEST_REDIS_SERVER

if [ "${INGATE_SKIP_LINT:-0}" != 1 ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy"
  cargo clippy -p ingate -p ingate-cli --all-targets -- -D warnings
fi

step "cargo test (core and cli)"
cargo test -p ingate -p ingate-cli

step "example: the README's first Rust call"
cargo run --quiet -p ingate --example first_call > target/first-call-record.json
grep -q '"decision":"allowed"' target/first-call-record.json

step "example: ingate replay on the example traffic"
# The dev profile reuses the test build; its dependencies are optimized.
cargo run --quiet -p ingate-cli -- replay examples/traffic.jsonl \
  --policy examples/policy.toml --records target/example-records.jsonl
test "$(wc -l < target/example-records.jsonl)" -eq "$(grep -c . examples/traffic.jsonl)"

# The bindings build their native libraries in the release profile. Here they
# skip its link-time optimization, which changes no behavior and saves minutes
# of linking on two cores.
export CARGO_PROFILE_RELEASE_LTO=false
for binding in python node kotlin; do
  if [ -x "bindings-$binding/test.sh" ]; then
    step "bindings-$binding"
    "bindings-$binding/test.sh"
  fi
done

step "all suites passed"
