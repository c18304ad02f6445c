#!/usr/bin/env bash
# Benchmark ingate's token counting against Python tiktoken on the same texts.
#
# Runs the criterion bench core/benches/tokens.rs (about 1 minute once built),
# which also writes its token counts, then scripts/bench_tokens.py, which times
# Python tiktoken on the same texts, checks that the counts are identical and
# prints the throughput ratio. Needs Python tiktoken (`pip install tiktoken`).
set -euo pipefail

cd "$(dirname "$0")/.."
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
INGATE_BENCH_COUNTS="$work_dir/rust_counts.json" cargo bench -p ingate --bench tokens "$@"
python3 scripts/bench_tokens.py "$work_dir/rust_counts.json" target/criterion
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
