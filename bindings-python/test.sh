#!/usr/bin/env bash
# Builds the Python package into a venv under target/, lints the binding crate,
# checks the stubs against the compiled module and runs the pytest suite.
# Run from the repository root or from bindings-python/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/target/venv-python"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bindings-python/requirements-test.txt

# A PEP 517 build of the wheel, as a user's `pip install ./bindings-python` does;
# it reuses target/release, so only the binding crate compiles after the first run.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings-python

cargo clippy -p ingate-python --release -- -D warnings

# Stubtest imports the installed package; the allowlist names runtime-only dunders.
(cd bindings-python && "$venv/bin/python" -m mypy.stubtest ingate ingate._native ingate.errors ingate._aio \
    --allowlist stubtest-allowlist.txt)
(cd bindings-python && "$venv/bin/python" -m mypy --strict tests/typing_check.py)

cd bindings-python
"$venv/bin/python" -m pytest -q tests "$@"
