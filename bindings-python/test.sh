#!/usr/bin/env bash
# Builds the Python package into a venv under target/, lints the binding crate,
# checks the stubs against the compiled module and runs the pytest suite.
# Run from the repository root or from bindings-python/. INGATE_SKIP_LINT=1
# skips clippy; INGATE_TEST_REDIS_URL (set by scripts/test.sh) adds the tests
# against a live Redis server.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/target/venv-python"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bindings-python/requirements-test.txt

# A PEP 517 build of the wheel, as a user's `pip install ./bindings-python` does;
# it reuses target/release, so only the binding crate compiles after the first run.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings-python

# The dev profile shares its checked dependencies with the core's clippy run in scripts/test.sh.
if [ "${INGATE_SKIP_LINT:-0}" != 1 ]; then
    cargo clippy -p ingate-python -- -D warnings
fi

# Stubtest imports the installed package and checks every submodule, the compiled one included.
(cd bindings-python && "$venv/bin/python" -m mypy.stubtest ingate)
(cd bindings-python && "$venv/bin/python" -m mypy --strict tests/typing_check.py python/ingate/openai.py python/ingate/anthropic.py)

cd bindings-python
"$venv/bin/python" -m pytest -q tests "$@"
