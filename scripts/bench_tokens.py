#!/usr/bin/env python3
"""Compare ingate's token counting throughput with Python tiktoken on the same texts.

scripts/bench_tokens.sh runs this after `cargo bench --bench tokens`. It reads
the counts that the Rust bench wrote (INGATE_BENCH_COUNTS) and criterion's mean
times, then times Python tiktoken's `encode_ordinary` on the same texts in this
process. It checks that every count is identical and prints the throughput ratio.

Usage: bench_tokens.py RUST_COUNTS_JSON CRITERION_DIR
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiktoken_cache  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_CSV = REPO_ROOT.parent / "shared/data/prompts/awesome-chatgpt-prompts.csv"
ENCODINGS = ["o200k_base", "cl100k_base"]
MEASURE_SECONDS = 2.0

# The same cases as adversarial() in core/benches/tokens.rs.
ADVERSARIAL = {
    "punct_100kb": "!" * 100_000,
    "punct_10kb": "!" * 10_000,
    "spaces_1mb": " " * 1_000_000,
    "spaces_100kb": " " * 100_000,
}


def read_prompts() -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with open(PROMPTS_CSV, newline="", encoding="utf-8") as file:
        return [row["prompt"] for row in csv.DictReader(file)]


def mean_seconds(run) -> float:
    """Return the mean time of `run()` over about MEASURE_SECONDS, after one warm-up call."""
    run()
    iterations = 0
    start = time.perf_counter()
    while True:
        run()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= MEASURE_SECONDS and iterations >= 3:
            return elapsed / iterations


def criterion_mean_seconds(criterion_dir: Path, group: str, bench: str) -> float:
    path = criterion_dir / group / bench.replace("/", "_") / "new" / "estimates.json"
    estimates = json.loads(path.read_text())
    return estimates["mean"]["point_estimate"] / 1e9


def main() -> None:
    rust_counts_path, criterion_dir = Path(sys.argv[1]), Path(sys.argv[2])
    rust_counts = json.loads(rust_counts_path.read_text())
    prompts = read_prompts()
    prompt_bytes = sum(len(prompt.encode("utf-8")) for prompt in prompts)

    with tempfile.TemporaryDirectory(prefix="tiktoken-cache-") as directory:
        cache_dir = Path(directory)
        tiktoken_cache.fill_cache(cache_dir)
        tiktoken = tiktoken_cache.load_tiktoken(cache_dir)

        rows = []
        mismatches = []
        for name in ENCODINGS:
            encoding = tiktoken.get_encoding(name)

            cases = [("prompts", f"ingate/{name}", prompts, prompt_bytes, f"prompts/{name}")]
            for case, text in ADVERSARIAL.items():
                cases.append(("adversarial", f"{case}/{name}", [text], len(text), f"adversarial/{case}/{name}"))

            for group, bench, texts, size, key in cases:
                try:
                    python_counts = [len(encoding.encode_ordinary(text)) for text in texts]
                except BaseException as error:  # tiktoken panics surface as PanicException
                    rows.append((group, bench, size, None, criterion_mean_seconds(criterion_dir, group, bench)))
                    mismatches.append(f"{key}: tiktoken failed ({type(error).__name__})")
                    continue
                if python_counts != rust_counts[key]:
                    mismatches.append(f"{key}: counts differ")
                python_seconds = mean_seconds(lambda: [encoding.encode_ordinary(text) for text in texts])
                rust_seconds = criterion_mean_seconds(criterion_dir, group, bench)
                rows.append((group, bench, size, python_seconds, rust_seconds))

    print(f"{'case':<32} {'bytes':>9} {'ingate MB/s':>12} {'tiktoken MB/s':>14} {'ratio':>6}")
    for group, bench, size, python_seconds, rust_seconds in rows:
        rust_mbps = size / rust_seconds / 1e6
        if python_seconds is None:
            print(f"{group + '/' + bench:<32} {size:>9} {rust_mbps:>12.1f} {'failed':>14} {'-':>6}")
            continue
        python_mbps = size / python_seconds / 1e6
        ratio = python_seconds / rust_seconds
        print(f"{group + '/' + bench:<32} {size:>9} {rust_mbps:>12.1f} {python_mbps:>14.1f} {ratio:>5.2f}x")

    for mismatch in mismatches:
        print(f"note: {mismatch}")
    if any("differ" in mismatch for mismatch in mismatches):
        raise SystemExit("token counts differ between ingate and tiktoken")
    print("counts: identical to tiktoken on every case that tiktoken completes")


if __name__ == "__main__":
    main()
