#!/usr/bin/env python3
"""Compare the ingate Python package with tiktoken and LiteLLM in one process.

Cases, each over the prompts of the awesome-chatgpt-prompts data set:

1. `count_tokens` against tiktoken's `len(encoding.encode(text))`: the counts
   must be identical for every prompt; reports the throughput ratio.
2. `Policy.begin` plus `Call.finish` on a 2,048-byte chat request against
   tiktoken encoding the same text alone.
3. The same `begin` plus `finish` against LiteLLM's `token_counter` plus
   `cost_per_token` for the same requests.
4. Start-up in fresh interpreters: `import ingate`, `Policy.default()` and a
   first count, against `import litellm`.
5. Resident memory in fresh interpreters after `import ingate`,
   `Policy.default()` and one o200k_base count, against `import tiktoken`,
   `get_encoding("o200k_base")` and one encode.

tiktoken runs offline on the vocabularies shipped in the tiktoken-rs crate
(scripts/tiktoken_cache.py), and LiteLLM reads its bundled model catalog
(LITELLM_LOCAL_MODEL_COST_MAP=True). Run the script without network access,
for example under `unshare -n` (see docs/BENCHMARKS.md).

Usage: bench.py [--data DIR] [--seconds S] [--json PATH]   (S: seconds for the slowest side of each case, default 5)
The data directory defaults to $INGATE_DATA_DIR, else ../shared/data beside
the repository root.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import tiktoken_cache  # noqa: E402

# LiteLLM reads this when it is imported: use the catalog inside the wheel, not a download.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

MODEL = "gpt-4o"
REQUEST_BYTES = 2048
OUTPUT_TOKENS = 100
STARTUP_RUNS = 5
BATCH = 250
MIN_PASSES = 3

GOALS = {
    "count_tokens": "at least 2x tiktoken's throughput",
    "begin_finish_vs_tiktoken": "at most 1.0x tiktoken's encode time",
    "begin_finish_vs_litellm": "at least 4x faster than LiteLLM",
    "startup": "at most 1/20 of LiteLLM's",
    "memory": "at most 1.0x tiktoken's",
}


def data_dir(argument: str | None) -> Path:
    if argument:
        return Path(argument)
    if "INGATE_DATA_DIR" in os.environ:
        return Path(os.environ["INGATE_DATA_DIR"])
    return REPO_ROOT.parent / "shared" / "data"


def read_prompts(directory: Path) -> list[str]:
    path = directory / "prompts" / "awesome-chatgpt-prompts.csv"
    if not path.is_file():
        raise SystemExit(f"missing {path}; pass --data DIR or set INGATE_DATA_DIR to the data directory")
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as file:
        return [row["prompt"] for row in csv.DictReader(file)]


def request_texts(prompts: list[str]) -> list[str]:
    """Cut the joined prompts into texts of REQUEST_BYTES bytes of UTF-8, less a character cut at the end."""
    joined = "\n\n".join(prompts).encode("utf-8")
    texts = []
    for start in range(0, len(joined) - REQUEST_BYTES, REQUEST_BYTES):
        piece = joined[start : start + REQUEST_BYTES].decode("utf-8", errors="ignore")
        texts.append(piece)
    return texts


def best_seconds(
    sides: dict[str, Callable[[list[Any]], object]], items: list[Any], seconds: float
) -> dict[str, float]:
    """Return the time each side takes over all `items`, as the sum of per-batch minimums.

    The items are cut into batches of BATCH. Each pass runs every side on one
    batch before moving to the next batch, so the sides run within a fraction
    of a second of each other under the same load from other processes. A
    batch is large enough (tens of milliseconds) that each side runs with its
    own tables in the CPU caches, as in a benchmark of one side alone.
    Passes repeat until the slowest side has run for about `seconds`, and at
    least MIN_PASSES times. The fastest time of each batch is kept, as timeit
    does, because other processes only ever add time.
    """
    batches = [items[start : start + BATCH] for start in range(0, len(items), BATCH)]
    for run in sides.values():
        run(batches[0])
    best = {name: [float("inf")] * len(batches) for name in sides}
    spent = dict.fromkeys(sides, 0.0)
    passes = 0
    while passes < MIN_PASSES or max(spent.values()) < seconds:
        for index, batch in enumerate(batches):
            for name, run in sides.items():
                start = time.perf_counter()
                run(batch)
                elapsed = time.perf_counter() - start
                spent[name] += elapsed
                best[name][index] = min(best[name][index], elapsed)
        passes += 1
    return {name: sum(times) for name, times in best.items()}


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("ingate", "tiktoken", "litellm")}


def bench_count(ingate: Any, encoding: Any, prompts: list[str], seconds: float) -> dict[str, Any]:
    policy = ingate.Policy.default()
    mismatches = [
        index
        for index, text in enumerate(prompts)
        if policy.count_tokens(MODEL, text).tokens != len(encoding.encode(text))
    ]
    if mismatches:
        raise SystemExit(f"count mismatch with tiktoken on {len(mismatches)} prompts, first at prompt {mismatches[0] + 1}")

    def run_ingate(texts: list[str]) -> None:
        for text in texts:
            policy.count_tokens(MODEL, text)

    def run_tiktoken(texts: list[str]) -> None:
        for text in texts:
            len(encoding.encode(text))

    best = best_seconds({"ingate": run_ingate, "tiktoken": run_tiktoken}, prompts, seconds)
    ingate_s, tiktoken_s = best["ingate"], best["tiktoken"]

    # The binding's own cost per call: a count whose text takes no time to encode.
    calls = 20_000
    per_call_s = min(
        timeit.repeat(lambda: policy.count_tokens(MODEL, "hi"), number=calls, repeat=5)
    ) / calls
    total_bytes = sum(len(text.encode("utf-8")) for text in prompts)
    return {
        "prompts": len(prompts),
        "bytes": total_bytes,
        "identical_counts": True,
        "ingate_ms": ingate_s * 1e3,
        "tiktoken_ms": tiktoken_s * 1e3,
        "ingate_mb_s": total_bytes / ingate_s / 1e6,
        "tiktoken_mb_s": total_bytes / tiktoken_s / 1e6,
        "ratio": tiktoken_s / ingate_s,
        "per_call_us": per_call_s * 1e6,
    }


def bench_requests(
    ingate: Any, encoding: Any, litellm: Any, texts: list[str], seconds: float
) -> dict[str, Any]:
    policy = ingate.Policy.default()
    requests = [
        {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": 256}
        for text in texts
    ]

    def run_ingate(batch: list[int]) -> None:
        for index in batch:
            call = policy.begin(requests[index])
            call.finish(
                {"prompt_tokens": call.input_tokens.tokens, "completion_tokens": OUTPUT_TOKENS}
            )

    def run_tiktoken(batch: list[int]) -> None:
        for index in batch:
            len(encoding.encode(texts[index]))

    def run_litellm(batch: list[int]) -> None:
        for index in batch:
            messages = requests[index]["messages"]
            tokens = litellm.token_counter(model=MODEL, messages=messages)
            litellm.cost_per_token(model=MODEL, prompt_tokens=tokens, completion_tokens=OUTPUT_TOKENS)

    # Where the time of begin + finish goes: the parts it runs, timed alone.
    tiny = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 256}

    def run_count_chat(batch: list[int]) -> None:
        for index in batch:
            policy.count_chat(requests[index])

    def run_redact(batch: list[int]) -> None:
        for index in batch:
            policy.redact(texts[index])

    def run_fixed(batch: list[int]) -> None:
        for _ in batch:
            call = policy.begin(tiny)
            call.finish({"prompt_tokens": 8, "completion_tokens": OUTPUT_TOKENS})

    # How often LiteLLM's count of the whole request agrees with ingate's exact count.
    agree = sum(
        litellm.token_counter(model=MODEL, messages=request["messages"])
        == policy.count_chat(request).tokens
        for request in requests
    )

    best = best_seconds(
        {
            "ingate": run_ingate,
            "tiktoken": run_tiktoken,
            "litellm": run_litellm,
            "count_chat": run_count_chat,
            "redact": run_redact,
            "fixed": run_fixed,
        },
        list(range(len(requests))),
        seconds,
    )
    ingate_s, tiktoken_s, litellm_s = best["ingate"], best["tiktoken"], best["litellm"]
    count_chat_s, redact_s, fixed_s = best["count_chat"], best["redact"], best["fixed"]
    count = len(requests)
    return {
        "count_chat_us": count_chat_s / count * 1e6,
        "redact_us": redact_s / count * 1e6,
        "fixed_us": fixed_s / count * 1e6,
        "requests": count,
        "request_bytes": REQUEST_BYTES,
        "ingate_us": ingate_s / count * 1e6,
        "tiktoken_us": tiktoken_s / count * 1e6,
        "litellm_us": litellm_s / count * 1e6,
        "vs_tiktoken": ingate_s / tiktoken_s,
        "vs_litellm": litellm_s / ingate_s,
        "litellm_count_agrees": agree,
    }


def run_child(code: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"child interpreter failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return elapsed, done.stdout


STARTUP_INGATE = "import ingate; ingate.Policy.default().count_tokens('gpt-4o', 'hello world')"
STARTUP_LITELLM = "import litellm"
STARTUP_EMPTY = "pass"
# The steps of STARTUP_INGATE alone, to show where its time goes.
STARTUP_IMPORT = "import ingate"
STARTUP_POLICY = "import ingate; ingate.Policy.default()"

# VmHWM is the peak resident size of this program. ru_maxrss is not used: on Linux a
# child started by this (large) process reports the parent's peak at fork time.
MEMORY_PRELUDE = """
def report():
    fields = {}
    with open('/proc/self/status') as status:
        for line in status:
            name, _, value = line.partition(':')
            fields[name] = value.split()[0] if value.split() else '0'
    print(fields['VmRSS'], fields['VmHWM'])
"""
MEMORY_INGATE = MEMORY_PRELUDE + (
    "import ingate\n"
    "policy = ingate.Policy.default()\n"
    "policy.count_tokens('gpt-4o', 'The quick brown fox jumps over the lazy dog.')\n"
    "report()\n"
)
MEMORY_TIKTOKEN = MEMORY_PRELUDE + (
    "import tiktoken\n"
    "encoding = tiktoken.get_encoding('o200k_base')\n"
    "encoding.encode('The quick brown fox jumps over the lazy dog.')\n"
    "report()\n"
)
MEMORY_EMPTY = MEMORY_PRELUDE + "report()\n"
MEMORY_POLICY = MEMORY_PRELUDE + "import ingate\ningate.Policy.default()\nreport()\n"


def bench_startup(env: dict[str, str]) -> dict[str, Any]:
    # One run of each first, so both read their files from the page cache.
    for code in (STARTUP_INGATE, STARTUP_LITELLM):
        run_child(code, env)
    programs = {
        "ingate": STARTUP_INGATE,
        "litellm": STARTUP_LITELLM,
        "python": STARTUP_EMPTY,
        "import": STARTUP_IMPORT,
        "policy": STARTUP_POLICY,
    }
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(STARTUP_RUNS):
        for name, code in programs.items():
            times[name].append(run_child(code, env)[0])
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "runs": STARTUP_RUNS,
        "ingate_ms": medians["ingate"] * 1e3,
        "litellm_ms": medians["litellm"] * 1e3,
        "python_ms": medians["python"] * 1e3,
        "import_ms": medians["import"] * 1e3,
        "policy_ms": medians["policy"] * 1e3,
        "ratio": medians["ingate"] / medians["litellm"],
    }


def bench_memory(env: dict[str, str]) -> dict[str, Any]:
    def measure(code: str) -> tuple[int, int]:
        samples = [tuple(int(v) for v in run_child(code, env)[1].split()) for _ in range(3)]
        return min(samples)

    ingate_rss, ingate_peak = measure(MEMORY_INGATE)
    tiktoken_rss, tiktoken_peak = measure(MEMORY_TIKTOKEN)
    python_rss, python_peak = measure(MEMORY_EMPTY)
    policy_rss, _ = measure(MEMORY_POLICY)
    return {
        "policy_rss_kb": policy_rss,
        "ingate_rss_kb": ingate_rss,
        "tiktoken_rss_kb": tiktoken_rss,
        "python_rss_kb": python_rss,
        "ingate_peak_kb": ingate_peak,
        "tiktoken_peak_kb": tiktoken_peak,
        "ratio": ingate_rss / tiktoken_rss,
        "peak_ratio": ingate_peak / tiktoken_peak,
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def report(results: dict[str, Any]) -> str:
    count = results["count_tokens"]
    requests = results["requests"]
    startup = results["startup"]
    memory = results["memory"]
    rows = [
        (
            f"count_tokens, {count['prompts']} prompts ({count['bytes']:,} bytes), o200k_base",
            f"{count['ingate_ms']:.1f} ms ({count['ingate_mb_s']:.1f} MB/s)",
            f"tiktoken {count['tiktoken_ms']:.1f} ms ({count['tiktoken_mb_s']:.1f} MB/s)",
            f"{count['ratio']:.2f}x throughput",
            GOALS["count_tokens"],
            verdict(count["ratio"] >= 2.0),
        ),
        (
            f"begin + finish, {requests['requests']} requests of {REQUEST_BYTES} bytes",
            f"{requests['ingate_us']:.1f} µs",
            f"tiktoken encode {requests['tiktoken_us']:.1f} µs",
            f"{requests['vs_tiktoken']:.2f}x the time",
            GOALS["begin_finish_vs_tiktoken"],
            verdict(requests["vs_tiktoken"] <= 1.0),
        ),
        (
            "begin + finish against token_counter + cost_per_token",
            f"{requests['ingate_us']:.1f} µs",
            f"LiteLLM {requests['litellm_us']:.1f} µs",
            f"{requests['vs_litellm']:.2f}x faster",
            GOALS["begin_finish_vs_litellm"],
            verdict(requests["vs_litellm"] >= 4.0),
        ),
        (
            "start-up in a fresh interpreter (median of 5)",
            f"{startup['ingate_ms']:.0f} ms",
            f"import litellm {startup['litellm_ms']:.0f} ms",
            f"1/{1 / startup['ratio']:.0f}",
            GOALS["startup"],
            verdict(startup["ratio"] <= 1 / 20),
        ),
        (
            "resident memory (VmRSS) after one o200k_base count",
            f"{memory['ingate_rss_kb'] / 1024:.1f} MiB",
            f"tiktoken {memory['tiktoken_rss_kb'] / 1024:.1f} MiB",
            f"{memory['ratio']:.2f}x",
            GOALS["memory"],
            verdict(memory["ratio"] <= 1.0),
        ),
    ]

    lines = [
        "| case | ingate | other | ratio | goal | result |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]

    lines.append("")
    lines.append(
        f"Bare interpreter: start-up {startup['python_ms']:.0f} ms, "
        f"VmRSS {memory['python_rss_kb'] / 1024:.1f} MiB. "
        f"Peak resident size (VmHWM): ingate {memory['ingate_peak_kb'] / 1024:.1f} MiB, "
        f"tiktoken {memory['tiktoken_peak_kb'] / 1024:.1f} MiB. "
        f"LiteLLM's token_counter equals ingate's count_chat on "
        f"{requests['litellm_count_agrees']} of {requests['requests']} requests."
    )
    lines.append("")
    lines.append(f"count_tokens on a 2-character text (the cost of one call into the package): {count['per_call_us']:.2f} µs.")
    lines.append("")
    lines.append(
        f"Steps of the ingate start-up (medians): import {startup['import_ms']:.0f} ms, "
        f"import and Policy.default() {startup['policy_ms']:.0f} ms. "
        f"VmRSS after import and Policy.default(), before any count: "
        f"{memory['policy_rss_kb'] / 1024:.1f} MiB."
    )
    lines.append("")
    lines.append(
        f"Parts of begin + finish, timed alone per request: count_chat {requests['count_chat_us']:.1f} µs, "
        f"redact {requests['redact_us']:.1f} µs, begin + finish of a 2-character request "
        f"{requests['fixed_us']:.1f} µs."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="the data directory holding prompts/awesome-chatgpt-prompts.csv")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="how long the slowest side of each case runs, in seconds"
    )
    parser.add_argument("--json", help="also write the results as JSON to this path")
    arguments = parser.parse_args()

    prompts = read_prompts(data_dir(arguments.data))
    texts = request_texts(prompts)

    with tempfile.TemporaryDirectory(prefix="tiktoken-cache-") as directory:
        cache_dir = Path(directory)
        tiktoken_cache.fill_cache(cache_dir)
        tiktoken = tiktoken_cache.load_tiktoken(cache_dir)
        encoding = tiktoken.get_encoding("o200k_base")

        import ingate
        import litellm

        results: dict[str, Any] = {"machine": machine(), "versions": versions()}
        results["count_tokens"] = bench_count(ingate, encoding, prompts, arguments.seconds)
        results["requests"] = bench_requests(ingate, encoding, litellm, texts, arguments.seconds)

        child_env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(cache_dir), LITELLM_LOCAL_MODEL_COST_MAP="True")
        results["startup"] = bench_startup(child_env)
        results["memory"] = bench_memory(child_env)
        results["machine"]["load_average_after"] = os.getloadavg()

    print(json.dumps({"machine": results["machine"], "versions": results["versions"]}))
    print(report(results))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
