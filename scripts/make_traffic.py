#!/usr/bin/env python3
"""Build examples/traffic.jsonl: one OpenAI Batch API chat request per real prompt.

The prompts come from f/awesome-chatgpt-prompts (prompts.csv, CC0 1.0). Each
CSV row becomes one request line; its `type` column (TEXT, STRUCTURED, IMAGE)
chooses the team scope under the `acme` organization and the model alias, so a
replay shows several teams sharing one organization budget.

Usage: python3 scripts/make_traffic.py [PROMPTS.csv] [OUTPUT.jsonl]
"""

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROMPTS = ROOT.parent / "shared" / "data" / "prompts" / "awesome-chatgpt-prompts.csv"
DEFAULT_OUTPUT = ROOT / "examples" / "traffic.jsonl"

# Model names per team: aliases from examples/policy.toml and one catalog id.
# Text alternates between two aliases so the summary shows two models.
MODELS = {
    "TEXT": ["fast", "writer"],
    "STRUCTURED": ["smart"],
    "IMAGE": ["gpt-4o"],
}
MAX_TOKENS = {"TEXT": 512, "STRUCTURED": 1024, "IMAGE": 256}


def main() -> None:
    prompts = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PROMPTS
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUTPUT
    csv.field_size_limit(sys.maxsize)

    lines = 0
    with prompts.open(newline="", encoding="utf-8") as source, output.open(
        "w", encoding="utf-8"
    ) as sink:
        for index, row in enumerate(csv.DictReader(source), start=1):
            kind = row["type"].strip().upper()
            models = MODELS[kind]
            line = {
                "custom_id": f"prompt-{index:04d}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": models[index % len(models)],
                    "messages": [{"role": "user", "content": row["prompt"]}],
                    "max_tokens": MAX_TOKENS[kind],
                },
                "scope": f"acme/{kind.lower()}",
                "tags": {"act": row["act"], "for_devs": row["for_devs"].lower()},
            }
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
            lines += 1
    print(f"wrote {lines} requests to {output}")


if __name__ == "__main__":
    main()
