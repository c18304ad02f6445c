#!/usr/bin/env python3
"""Compare ingate's redaction with Presidio's pattern recognizers on one labeled corpus.

In one run, on the same texts, this script measures:

- ingate's throughput inside the process: the criterion bench
  `core/benches/redact.rs` (case `labeled_pii_corpus`, one `Redactor::redact`
  call per text with all eight default detectors), read from criterion's
  `estimates.json`;
- ingate's CPU time per pass over the corpus inside the process: the same
  bench binary in its pass mode (`INGATE_BENCH_REDACT_PASSES`), which other
  load on the machine disturbs less than wall time;
- ingate's wall time as a command: `ingate redact --format jsonl CORPUS`, with
  and without the process start-up (timed on an empty input);
- Presidio's throughput, in wall and CPU time: `AnalyzerEngine.analyze` once per text, with the
  `NoOpNlpEngine` (no spaCy model), so only its pattern recognizers run;
- precision and recall per kind for both, scored by one rule (below).

Matching rule, the corpus's own: a finding matches a label when both have the
same kind and the finding covers at least half of the label's code points.
Recall is the share of labels that some finding matches; precision is the
share of findings that match some label. Findings of kinds that the corpus
does not label are not scored.

Presidio's email recognizer calls tldextract, which downloads the public
suffix list on first use. Without a network it falls back to the list bundled
in the package. So this script refuses to run while any network interface
other than loopback is visible. Run it as:

    unshare -n VENV/bin/python scripts/bench_redact.py      # as root
    unshare -rn VENV/bin/python scripts/bench_redact.py     # as a user

with VENV made by `python3 -m venv VENV && VENV/bin/pip install -r
scripts/requirements-bench-redact.txt`, after `cargo build --release -p
ingate-cli` and `cargo bench -p ingate --bench redact --no-run` have fetched
and built everything, because cargo runs with `--offline` here.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The kinds the corpus labels, in the order of docs/redaction.md.
KINDS = [
    "email",
    "phone",
    "credit_card",
    "iban",
    "us_ssn",
    "ip_address",
    "url_credentials",
    "secret",
]

# Presidio entity type -> corpus kind. Presidio has no detector for URLs with
# credentials. Its URL recognizer finds every URL, so mapping URL to
# url_credentials credits it with each credential URL it finds and charges it
# with every other URL. Presidio has no API key or token recognizer, so
# `secret` has no Presidio entity. Its other types (DATE_TIME, UUID,
# US_BANK_NUMBER, US_DRIVER_LICENSE, CRYPTO, ...) have no corpus kind and are
# not scored.
PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit_card",
    "IBAN_CODE": "iban",
    "US_SSN": "us_ssn",
    "IP_ADDRESS": "ip_address",
    "URL": "url_credentials",
}

# Presidio scores at or above this threshold count in the second Presidio
# column. Without an NLP engine, context words cannot raise a score, so
# recognizers that rely on context (phone numbers, SSNs, URLs) stay below it.
PRESIDIO_THRESHOLD = 0.5


@dataclass
class Score:
    """Precision and recall counters for one kind."""

    labels: int = 0
    labels_found: int = 0
    findings: int = 0
    findings_matched: int = 0

    def recall(self) -> float | None:
        return self.labels_found / self.labels if self.labels else None

    def precision(self) -> float | None:
        return self.findings_matched / self.findings if self.findings else None


@dataclass
class Span:
    kind: str
    start: int
    end: int


@dataclass
class Row:
    text: str
    labels: list[Span] = field(default_factory=list)


def covers(finding: Span, label: Span) -> bool:
    """Returns whether `finding` matches `label` under the corpus's rule."""
    overlap = min(finding.end, label.end) - max(finding.start, label.start)
    return finding.kind == label.kind and 2 * max(overlap, 0) >= label.end - label.start


def score(rows: list[Row], findings: list[list[Span]]) -> dict[str, Score]:
    """Scores one tool's findings (code point offsets) against the labels."""
    scores = {kind: Score() for kind in KINDS}
    for row, found in zip(rows, findings):
        for label in row.labels:
            if label.kind not in scores:
                continue
            scores[label.kind].labels += 1
            if any(covers(finding, label) for finding in found):
                scores[label.kind].labels_found += 1
        for finding in found:
            if finding.kind not in scores:
                continue
            scores[finding.kind].findings += 1
            if any(covers(finding, label) for label in row.labels):
                scores[finding.kind].findings_matched += 1
    return scores


def read_corpus(path: Path) -> list[Row]:
    rows = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            if not line.strip():
                continue
            record = json.loads(line)
            labels = [Span(e["kind"], e["start"], e["end"]) for e in record.get("entities", [])]
            rows.append(Row(record["text"], labels))
    return rows


def network_interfaces() -> list[str]:
    """Returns the names of the network interfaces other than loopback."""
    return [name for _, name in socket.if_nameindex() if name != "lo"]


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$ " + " ".join(command), file=sys.stderr)
    return subprocess.run(command, cwd=REPO_ROOT, check=True, **kwargs)


def measure_ingate_bench(corpus: Path, measurement_time: int) -> dict:
    """Runs the criterion case and returns its mean and median time per pass."""
    environment = dict(os.environ, INGATE_BENCH_REDACT_CORPUS=str(corpus))
    run(
        [
            "cargo", "bench", "--offline", "-p", "ingate", "--bench", "redact", "--",
            "--warm-up-time", "3", "--measurement-time", str(measurement_time),
            "^redact/labeled_pii_corpus$",
        ],
        env=environment,
        stdout=sys.stderr,
    )
    estimates_path = target_dir() / "criterion/redact/labeled_pii_corpus/new/estimates.json"
    estimates = json.loads(estimates_path.read_text())
    return {
        "mean_s": estimates["mean"]["point_estimate"] / 1e9,
        "median_s": estimates["median"]["point_estimate"] / 1e9,
    }


def measure_ingate_cpu(corpus: Path, passes: int, repeats: int) -> dict:
    """Returns the CPU seconds of one in-process pass over the corpus.

    Runs the bench binary's pass mode with 0 passes and with `passes`, and
    divides the difference of the child CPU times by `passes`, so the start-up
    and the corpus loading cancel out.
    """
    built = run(
        ["cargo", "bench", "--offline", "-p", "ingate", "--bench", "redact", "--no-run",
         "--message-format=json"],
        capture_output=True,
        text=True,
    )
    binary = None
    for line in built.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("target", {}).get(
            "name"
        ) == "redact" and message.get("executable"):
            binary = message["executable"]
    if binary is None:
        raise SystemExit("error: cargo did not report the executable of the `redact` bench")

    def cpu_seconds(count: int) -> float:
        environment = dict(
            os.environ,
            INGATE_BENCH_REDACT_CORPUS=str(corpus),
            INGATE_BENCH_REDACT_PASSES=str(count),
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([binary], check=True, env=environment, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    per_pass = []
    for _ in range(repeats):
        per_pass.append((cpu_seconds(passes) - cpu_seconds(0)) / passes)
    return {"cpu_s_per_pass": min(per_pass), "passes": passes}


def measure_ingate_cli(corpus: Path, repeats: int) -> tuple[dict, list[list[Span]]]:
    """Times `ingate redact --format jsonl` and returns its findings per line."""
    run(["cargo", "build", "--offline", "--release", "-p", "ingate-cli"], stdout=sys.stderr)
    binary = target_dir() / "release/ingate"
    command = [str(binary), "redact", "--format", "jsonl"]

    def timed(arguments: list[str]) -> tuple[float, float, str]:
        """Runs the command; returns wall seconds, CPU seconds and standard output."""
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(command + arguments, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - began
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        return wall, cpu, done.stdout

    startup = [timed(["/dev/null"]) for _ in range(repeats)]
    runs = [timed([str(corpus)]) for _ in range(repeats)]
    output = runs[-1][2]

    findings = []
    for line in output.splitlines():
        record = json.loads(line)
        findings.append([Span(f["kind"], f["start"], f["end"]) for f in record["findings"]])
    return {
        "total_s": min(run[0] for run in runs),
        "startup_s": min(run[0] for run in startup),
        "total_cpu_s": min(run[1] for run in runs),
        "startup_cpu_s": min(run[1] for run in startup),
    }, findings


def measure_presidio(rows: list[Row]) -> tuple[dict, list[list[tuple[Span, float]]]]:
    """Times Presidio's analyzer on every text and returns its mapped results with scores."""
    # tldextract logs a traceback when it cannot download the suffix list and
    # then uses its bundled copy; that is the expected path here.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    engine = AnalyzerEngine(
        nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}]),
        supported_languages=["en"],
    )
    # The first call loads tldextract's suffix list; it is not timed.
    engine.analyze(text="warm-up a@example.com", language="en")

    results = []
    unscored: dict[str, int] = defaultdict(int)
    began = time.perf_counter()
    cpu_began = time.process_time()
    for row in rows:
        results.append(engine.analyze(text=row.text, language="en", score_threshold=0.0))
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu_began

    mapped = []
    for found in results:
        spans = []
        for result in found:
            kind = PRESIDIO_KINDS.get(result.entity_type)
            if kind is None:
                unscored[result.entity_type] += 1
                continue
            spans.append((Span(kind, result.start, result.end), result.score))
        mapped.append(spans)
    return {"total_s": elapsed, "cpu_s": cpu, "unscored": dict(sorted(unscored.items()))}, mapped


def machine() -> dict:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as file:
        for line in file:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as file:
        memory_kib = int(file.readline().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": platform.python_version(),
        "presidio_analyzer": metadata.version("presidio-analyzer"),
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
    }


def load_average() -> str:
    with open("/proc/loadavg", encoding="utf-8") as file:
        return " ".join(file.read().split()[:3])


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=REPO_ROOT.parent / "shared/data/redaction/dev.jsonl",
        help="labeled JSON lines file: text and entities (kind, start, end in code points)",
    )
    parser.add_argument(
        "--measurement-time", type=int, default=10, help="seconds of criterion measurement"
    )
    parser.add_argument(
        "--cli-repeats", type=int, default=3, help="runs of the command; the fastest counts"
    )
    parser.add_argument(
        "--passes", type=int, default=100, help="in-process passes for the CPU time measurement"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()

    interfaces = network_interfaces()
    if interfaces:
        print(
            f"error: network interfaces {', '.join(interfaces)} are visible; Presidio's "
            "tldextract would download the public suffix list. Run this script under "
            "`unshare -n` (or `unshare -rn` as a user).",
            file=sys.stderr,
        )
        return 2

    rows = read_corpus(args.corpus)
    corpus_bytes = sum(len(row.text.encode("utf-8")) for row in rows)
    report: dict = {
        "corpus": str(args.corpus),
        "texts": len(rows),
        "bytes": corpus_bytes,
        "machine": machine(),
        "load_before": load_average(),
    }

    bench = measure_ingate_bench(args.corpus, args.measurement_time)
    bench_cpu = measure_ingate_cpu(args.corpus, args.passes, args.cli_repeats)
    cli, ingate_findings = measure_ingate_cli(args.corpus, args.cli_repeats)
    presidio, presidio_results = measure_presidio(rows)
    report["load_after"] = load_average()

    if len(ingate_findings) != len(rows):
        print(
            f"error: `ingate redact` wrote {len(ingate_findings)} lines for {len(rows)} texts",
            file=sys.stderr,
        )
        return 1

    megabytes = corpus_bytes / 1e6
    throughput = {
        "ingate_bench_mean": megabytes / bench["mean_s"],
        "ingate_bench_median": megabytes / bench["median_s"],
        "ingate_cli_with_startup": megabytes / cli["total_s"],
        "ingate_cli_without_startup": megabytes / (cli["total_s"] - cli["startup_s"]),
        "presidio": megabytes / presidio["total_s"],
        "ingate_cli_cpu_without_startup": megabytes / (cli["total_cpu_s"] - cli["startup_cpu_s"]),
        "presidio_cpu": megabytes / presidio["cpu_s"],
        "ingate_bench_cpu": megabytes / bench_cpu["cpu_s_per_pass"],
    }
    report.update(bench=bench, bench_cpu=bench_cpu, cli=cli, presidio=presidio, throughput_mb_s=throughput)

    scores = {
        "ingate": score(rows, ingate_findings),
        "presidio_0": score(rows, [[span for span, _ in found] for found in presidio_results]),
        "presidio_0.5": score(
            rows,
            [[span for span, s in found if s >= PRESIDIO_THRESHOLD] for found in presidio_results],
        ),
    }
    report["scores"] = {
        tool: {
            kind: {**vars(s), "precision": s.precision(), "recall": s.recall()}
            for kind, s in by_kind.items()
        }
        for tool, by_kind in scores.items()
    }

    print(f"corpus: {args.corpus} ({len(rows)} texts, {corpus_bytes:,} bytes of UTF-8)")
    for key, value in report["machine"].items():
        print(f"{key}: {value}")
    print(f"load average before: {report['load_before']}, after: {report['load_after']}")
    print()
    print("| measurement | time | MB/s | ratio to Presidio |")
    print("| --- | ---: | ---: | ---: |")
    rows_out = [
        ("ingate, criterion mean", bench["mean_s"], throughput["ingate_bench_mean"]),
        ("ingate, criterion median", bench["median_s"], throughput["ingate_bench_median"]),
        ("`ingate redact --format jsonl`, with start-up", cli["total_s"],
         throughput["ingate_cli_with_startup"]),
        ("`ingate redact --format jsonl`, start-up subtracted",
         cli["total_s"] - cli["startup_s"], throughput["ingate_cli_without_startup"]),
        ("Presidio AnalyzerEngine, pattern recognizers", presidio["total_s"],
         throughput["presidio"]),
    ]
    for name, seconds, rate in rows_out:
        print(f"| {name} | {seconds * 1000:.1f} ms | {rate:.3f} | "
              f"{rate / throughput['presidio']:.0f}x |")
    print(f"\nprocess start-up alone (empty input): {cli['startup_s'] * 1000:.1f} ms")
    print()
    print("CPU time (user + system), less sensitive to other load on the machine:")
    print()
    print("| measurement | CPU time | MB/s of CPU time | ratio to Presidio |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds, rate in [
        ("ingate, in-process pass (bench binary)", bench_cpu["cpu_s_per_pass"],
         throughput["ingate_bench_cpu"]),
        ("`ingate redact --format jsonl`, start-up subtracted",
         cli["total_cpu_s"] - cli["startup_cpu_s"], throughput["ingate_cli_cpu_without_startup"]),
        ("Presidio AnalyzerEngine, pattern recognizers", presidio["cpu_s"],
         throughput["presidio_cpu"]),
    ]:
        print(f"| {name} | {seconds * 1000:.1f} ms | {rate:.3f} | "
              f"{rate / throughput['presidio_cpu']:.0f}x |")
    print()
    print("| kind | labels | ingate P | ingate R | Presidio P (>= 0) | Presidio R (>= 0) "
          f"| Presidio P (>= {PRESIDIO_THRESHOLD}) | Presidio R (>= {PRESIDIO_THRESHOLD}) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in KINDS:
        i, p0, p5 = (scores[tool][kind] for tool in ("ingate", "presidio_0", "presidio_0.5"))
        print(f"| {kind} | {i.labels} | {cell(i.precision())} | {cell(i.recall())} "
              f"| {cell(p0.precision())} | {cell(p0.recall())} "
              f"| {cell(p5.precision())} | {cell(p5.recall())} |")
    print(f"\nPresidio results of unscored types: {presidio['unscored']}")

    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
