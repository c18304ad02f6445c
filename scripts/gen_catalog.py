#!/usr/bin/env python3
"""Generate core/data/catalog.json, the built-in model catalog of ingate.

Inputs (each path can be given on the command line; the defaults are the
reference copies kept beside the repository):

* LiteLLM's model_prices_and_context_window.json (prices, limits, dates),
* deprecations.csv (vendor deprecation and shutdown dates with sources),
* EcoLogits' models.json (parameter counts and aliases).

The output keeps only the chat-mode models of OpenAI, Anthropic, Google
(Gemini API and Vertex AI), Mistral, AWS Bedrock and Azure OpenAI. Prices are
written as exact decimal strings converted from the shortest round-trip text
of LiteLLM's floats (Python's repr), so 2.5e-06 becomes "0.0000025".

Standard library only (Python 3.11). See docs/catalog.md for the fields.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
LITELLM_VERSION = "1.110.2"
ECOLOGITS_VERSION = "0.11.3"

DEFAULT_LITELLM = SHARED / "catalog" / f"litellm-model-prices-{LITELLM_VERSION}.json"
DEFAULT_DEPRECATIONS = SHARED / "catalog" / "deprecations.csv"
DEFAULT_ECOLOGITS = SHARED / "energy" / f"ecologits-{ECOLOGITS_VERSION}-models.json"
DEFAULT_OUTPUT = REPO / "core" / "data" / "catalog.json"

LITELLM_SOURCE = f"LiteLLM {LITELLM_VERSION} model_prices_and_context_window.json"
ECOLOGITS_SOURCE = f"EcoLogits {ECOLOGITS_VERSION} data/models.json"

# LiteLLM's `litellm_provider` to our vendor. Every `vertex_ai*` provider maps to google.
PROVIDER_VENDOR = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "mistral": "mistral",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "bedrock_mantle": "bedrock",
    "azure": "azure",
}

# The LiteLLM provider whose ids a deprecations.csv row describes, and the id prefix.
CSV_PROVIDER = {
    "openai": ("openai", ""),
    "anthropic": ("anthropic", ""),
    "google": ("gemini", "gemini/"),
}

# Encodings of OpenAI models, by the model name without provider prefixes. The
# first matching prefix wins, so the GPT-4o family comes before plain gpt-4.
ENCODING_PREFIXES = [
    ("gpt-4o", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5-turbo", "cl100k_base"),
    ("gpt-35-turbo", "cl100k_base"),
    ("text-davinci-003", "p50k_base"),
    ("text-davinci-002", "p50k_base"),
    ("davinci-002", "cl100k_base"),
    ("babbage-002", "cl100k_base"),
    ("text-davinci-001", "r50k_base"),
    ("text-curie-001", "r50k_base"),
    ("text-babbage-001", "r50k_base"),
    ("text-ada-001", "r50k_base"),
    ("davinci", "r50k_base"),
    ("curie", "r50k_base"),
    ("babbage", "r50k_base"),
    ("ada", "r50k_base"),
]

# Long-context tiers: LiteLLM key suffix `_above_<N>k_tokens`.
TIER_RE = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")
DATED_RE = re.compile(r"^(?P<base>.+?)-(?P<date>\d{8}|\d{4}-\d{2}-\d{2})$")
PLAIN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
BEDROCK_REGION_RE = re.compile(r"^(?:us|eu|apac|global|au|jp|ca|us-gov)\.")
BEDROCK_VERSION_RE = re.compile(r"-v\d+(?::\d+)?$|-\d+:\d+$|:\d+$")


def vendor_of(provider: str | None) -> str | None:
    if provider is None:
        return None
    if provider.startswith("vertex_ai"):
        return "google"
    return PROVIDER_VENDOR.get(provider)


def decimal_text(value) -> str:
    """Return the exact decimal text of a JSON number, via its shortest repr."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a number: {value!r}")
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def base_name(model_id: str) -> str:
    """Return the model name without provider path, region or version decorations."""
    name = model_id.split("/")[-1]
    if name.startswith("ft:"):
        name = name[3:]
    if "@" in name:
        head, tail = name.split("@", 1)
        name = f"{head}-{tail}" if tail.isdigit() and len(tail) == 8 else head
    name = BEDROCK_REGION_RE.sub("", name)
    if "." in name.split("-")[0] and not name.startswith(("gpt-", "o1", "o3", "o4")):
        # Bedrock ids look like `anthropic.claude-...-v1:0`: drop the publisher.
        name = name.split(".", 1)[1]
    name = BEDROCK_VERSION_RE.sub("", name)
    return name


def encoding_for(model_id: str) -> str | None:
    name = model_id.split("/")[-1].lower()
    if name.startswith("ft:"):
        name = name[3:]
    if "gpt-oss" in name:
        return "o200k_harmony"
    vendor_path = model_id.split("/")[0]
    openai_family = vendor_path == "azure" or "/" not in model_id or model_id.startswith("openai/")
    if not openai_family:
        return None
    for prefix, encoding in ENCODING_PREFIXES:
        if name == prefix or name.startswith(prefix + "-") or (
            prefix in ("gpt-4o", "gpt-5") and name.startswith(prefix)
        ):
            return encoding
    return None


def prices_of(entry: dict) -> dict:
    prices = {
        "input": decimal_text(entry["input_cost_per_token"]),
        "output": decimal_text(entry["output_cost_per_token"]),
    }
    if "cache_read_input_token_cost" in entry:
        prices["cached_read"] = decimal_text(entry["cache_read_input_token_cost"])
    if "cache_creation_input_token_cost" in entry:
        prices["cache_write"] = decimal_text(entry["cache_creation_input_token_cost"])

    # The lowest threshold is the first tier a prompt enters; LiteLLM's `128k` means 128,000.
    tiers = sorted(int(m.group(1)) for key in entry if (m := TIER_RE.match(key)))
    if tiers:
        k = tiers[0]
        suffix = f"_above_{k}k_tokens"
        tier = {
            "above_input_tokens": k * 1000,
            "input": decimal_text(entry[f"input_cost_per_token{suffix}"]),
            "output": decimal_text(
                entry.get(f"output_cost_per_token{suffix}", entry["output_cost_per_token"])
            ),
        }
        if f"cache_read_input_token_cost{suffix}" in entry:
            tier["cached_read"] = decimal_text(entry[f"cache_read_input_token_cost{suffix}"])
        if f"cache_creation_input_token_cost{suffix}" in entry:
            tier["cache_write"] = decimal_text(entry[f"cache_creation_input_token_cost{suffix}"])
        prices["long_context"] = tier
    return prices


def load_ecologits(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    by_name: dict[str, dict] = {}
    for model in data["models"]:
        by_name.setdefault(model["name"].lower(), model)
    for model in data["models"]:
        # `openai/gpt-oss-120b` is also found as `gpt-oss-120b`.
        by_name.setdefault(model["name"].split("/")[-1].lower(), model)
    aliases = [(a["provider"], a["name"], a["alias"]) for a in data["aliases"]]
    return by_name, aliases


def param_range(value) -> dict:
    if isinstance(value, dict):
        return {"min": float(value["min"]), "max": float(value["max"])}
    return {"min": float(value), "max": float(value)}


def parameters_of(model: dict) -> dict:
    arch = model["architecture"]
    params = arch["parameters"]
    if arch["type"] == "moe":
        total, active = param_range(params["total"]), param_range(params["active"])
    else:
        total = active = param_range(params)
    return {
        "total_billions": total,
        "active_billions": active,
        "source": f"{ECOLOGITS_SOURCE}: `{model['name']}`",
    }


def find_ecologits(model_id: str, by_name: dict, alias_target: dict) -> dict | None:
    base = base_name(model_id).lower()
    candidates = [base, alias_target.get(base, ""), base.replace("gpt-35", "gpt-3.5")]
    dated = DATED_RE.match(base)
    if dated:
        candidates.append(dated.group("base"))
    for name in candidates:
        if name and name in by_name:
            return by_name[name]
    return None


def split_successor(text: str) -> list[str]:
    text = text.strip()
    if not text or text.lower() in ("(none)", "none"):
        return []
    parts = re.split(r"\s+or\s+|\s*/\s*", text)
    names = []
    for part in parts:
        part = re.sub(r"\(.*?\)", "", part).strip()
        part = part.split(" ")[0] if part else part
        if part and PLAIN_ID_RE.match(part):
            names.append(part)
    return names


def resolve_successor(candidates: list[str], prefix: str, ids: set[str], aliases: dict) -> str | None:
    for name in candidates:
        for candidate in (prefix + name, name):
            if candidate in ids:
                return candidate
            if candidate in aliases:
                return aliases[candidate]
    # Not in the catalog: keep the vendor's name so messages can still name it.
    return candidates[0] if candidates else None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--litellm", type=Path, default=DEFAULT_LITELLM,
                        help="LiteLLM model_prices_and_context_window.json")
    parser.add_argument("--deprecations", type=Path, default=DEFAULT_DEPRECATIONS,
                        help="deprecations.csv with vendor dates and sources")
    parser.add_argument("--ecologits", type=Path, default=DEFAULT_ECOLOGITS,
                        help="EcoLogits data/models.json")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="catalog file to write")
    args = parser.parse_args()

    litellm = json.loads(args.litellm.read_text(encoding="utf-8"))
    by_name, eco_aliases = load_ecologits(args.ecologits)
    eco_alias_target = {name.lower(): target.lower() for _, name, target in eco_aliases}

    # Step 1: one record per chat-mode entry of the six vendors with prices and a context size.
    records: dict[str, dict] = {}
    skipped = 0
    for key, entry in litellm.items():
        if key == "sample_spec" or not isinstance(entry, dict) or entry.get("mode") != "chat":
            continue
        provider = entry.get("litellm_provider")
        vendor = vendor_of(provider)
        if vendor is None:
            continue
        context = entry.get("max_input_tokens") or entry.get("max_tokens")
        if (
            "input_cost_per_token" not in entry
            or "output_cost_per_token" not in entry
            or not isinstance(context, int)
        ):
            skipped += 1
            continue
        record = {
            "id": key,
            "vendor": vendor,
            "provider": provider,
            "aliases": [],
            "encoding": encoding_for(key),
            "context_window": context,
            "max_input_tokens": entry.get("max_input_tokens"),
            "max_output_tokens": entry.get("max_output_tokens"),
            "prices": prices_of(entry),
        }
        if entry.get("deprecation_date"):
            source = entry.get("deprecation_source") or f"{LITELLM_SOURCE} (no deprecation_source given)"
            record["shutdown"] = {"date": entry["deprecation_date"], "source": source}
        if entry.get("successor_model"):
            record["successor"] = entry["successor_model"]
        records[key] = record

    aliases: dict[str, str] = {}
    retired: dict[str, dict] = {}

    def add_alias(name: str, target: str) -> None:
        if name == target or name in aliases or (target not in records and target not in retired):
            return
        aliases[name] = target

    # Step 2: deprecations.csv wins over LiteLLM for dates, and adds records of shut-down models.
    csv_aliases = []
    with args.deprecations.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        provider, prefix = CSV_PROVIDER[row["provider"]]
        shutdown = row["shutdown_or_retirement_date"].strip()
        announced = row["deprecation_announced"].strip()
        source = row["source"].strip()
        members = [row["model_id"].strip()]
        for item in row["aliases_or_group"].split(";"):
            item = item.strip()
            if item.endswith("(alias)"):
                csv_aliases.append((item.removesuffix("(alias)").strip(), prefix + row["model_id"].strip()))
            elif PLAIN_ID_RE.match(item) and ".." not in item:
                members.append(item)
        successor_names = split_successor(row["recommended_replacement"])
        for name in members:
            model_id = prefix + name
            if model_id in litellm and model_id not in records:
                continue  # a model of another mode (images, audio, video): not in this catalog
            if model_id in records:
                record = records[model_id]
            elif shutdown:
                record = retired.setdefault(
                    model_id,
                    {"id": model_id, "vendor": row["provider"], "aliases": []},
                )
            else:
                continue
            if shutdown:
                record["shutdown"] = {"date": shutdown, "source": source}
            if announced:
                record["deprecated"] = {"date": announced, "source": source}
            record["_successor_names"] = (successor_names, prefix)

    for name, target in csv_aliases:
        add_alias(name, target)
    ids = set(records) | set(retired)

    # Step 3: catalog aliases: the CSV's, EcoLogits', then an undated id with exactly one
    # dated snapshot of the same provider, prices and context.
    for provider, name, target in eco_aliases:
        if provider in ("openai", "anthropic"):
            add_alias(name, target)
    for key, record in records.items():
        match = DATED_RE.match(key)
        if not match or match.group("base") not in records:
            continue
        base = records[match.group("base")]
        siblings = [
            other
            for other in records.values()
            if (m := DATED_RE.match(other["id"])) and m.group("base") == base["id"]
            and other["provider"] == base["provider"]
            and other["prices"] == base["prices"]
            and other["context_window"] == base["context_window"]
        ]
        if len(siblings) == 1 and siblings[0]["id"] == key:
            add_alias(base["id"], key)

    # Step 4: successors as catalog ids where one exists.
    for record in list(records.values()) + list(retired.values()):
        names, prefix = record.pop("_successor_names", ([], ""))
        if names:
            successor = resolve_successor(names, prefix, ids, aliases)
            if successor:
                record["successor"] = successor
    for alias, target in sorted(aliases.items()):
        (records.get(target) or retired[target])["aliases"].append(alias)

    # Step 5: parameter counts from EcoLogits.
    matched = 0
    for record in records.values():
        model = find_ecologits(record["id"], by_name, eco_alias_target)
        if model is not None:
            record["parameters"] = parameters_of(model)
            matched += 1

    def compact(record: dict) -> dict:
        return {k: v for k, v in record.items() if v not in (None, [])}

    output = {
        "sources": {
            "litellm": LITELLM_SOURCE,
            "deprecations": "deprecations.csv (vendor deprecation pages, each row names its source)",
            "ecologits": ECOLOGITS_SOURCE,
        },
        "models": [compact(records[k]) for k in sorted(records)],
        "retired": [compact(retired[k]) for k in sorted(retired)],
    }
    text = json.dumps(output, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(
        f"wrote {args.output}: {len(records)} models, {len(retired)} retired, "
        f"{len(aliases)} aliases, {matched} with parameters, {skipped} skipped "
        f"(no per-token price or context size), {len(text)} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
