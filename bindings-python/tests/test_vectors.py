"""Runs the language-neutral vectors in tests/vectors/*.json through the Python API.

Each case has an `op`, its `input`, and `expect` or `expect_error`; the Rust
suite (core/tests/vectors.rs) runs the same files, so both must agree.
"""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import ingate
from conftest import VECTORS


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            cases.append(pytest.param(case, id=f"{path.name}: {case['name']}"))
    return cases


CASES = load_cases()


def policy_for(case_input: dict[str, Any]) -> ingate.Policy:
    text = case_input.get("policy")
    policy = ingate.Policy.from_toml(text) if text is not None else ingate.Policy.default()
    today = datetime.date.fromisoformat(case_input.get("today", "2026-12-04"))
    now = datetime.datetime.combine(today, datetime.time(12), tzinfo=datetime.UTC)
    return policy.with_fixed_time(now)


def offsets(original: str, code_points: int) -> dict[str, int]:
    """Express a code point offset (a str index) in the three units the vectors give."""
    prefix = original[:code_points]
    return {
        "bytes": len(prefix.encode("utf-8")),
        "code_points": code_points,
        "utf16": len(prefix.encode("utf-16-le")) // 2,
    }


def error_json(error: ingate.IngateError) -> dict[str, Any]:
    value: dict[str, Any] = {"kind": error.kind, "message": str(error)}
    if isinstance(error, ingate.ModelRetired):
        value["successor"] = error.successor
        value["shutdown"] = error.shutdown.isoformat() if error.shutdown else None
    if isinstance(error, ingate.UnknownModel):
        value["suggestions"] = error.suggestions
    if isinstance(error, ingate.RedactionBlocked):
        value["detector"] = error.detector
    return value


def estimate_json(estimate: ingate.Estimate) -> dict[str, float]:
    return {"low": estimate.low, "value": estimate.value, "high": estimate.high}


def run_case(op: str, case_input: dict[str, Any]) -> dict[str, Any]:
    policy = policy_for(case_input)
    if op == "count_tokens":
        count = policy.count_tokens(case_input["model"], case_input["text"])
        return {"tokens": count.tokens, "exact": count.exact, "encoding": count.encoding}
    if op == "count_chat":
        count = policy.count_chat(case_input["request"])
        return {"tokens": count.tokens, "exact": count.exact, "encoding": count.encoding}
    if op == "resolve_model":
        resolution = policy.resolve_model(case_input["name"])
        return {"model": resolution.model, "chain": resolution.chain}
    if op == "redact":
        original = case_input["text"]
        redaction = policy.redact(original)
        findings = []
        for finding in redaction.findings:
            start = offsets(original, finding.start)
            end = offsets(original, finding.end)
            findings.append(
                {
                    "kind": finding.kind,
                    "vendor": finding.vendor,
                    "start": start["bytes"],
                    "end": end["bytes"],
                    "start_code_points": start["code_points"],
                    "end_code_points": end["code_points"],
                    "start_utf16": start["utf16"],
                    "end_utf16": end["utf16"],
                    "replacement": finding.replacement,
                }
            )
        return {"text": redaction.text, "findings": findings}
    if op == "cost":
        cost = policy.cost(case_input["model"], case_input["usage"])
        assert isinstance(cost, Decimal)
        return {"cost_usd": format(cost, "f")}
    if op == "estimate_energy":
        energy = policy.estimate_energy(
            case_input["model"],
            case_input["input_tokens"],
            case_input["output_tokens"],
            case_input.get("region"),
        )
        return {
            "wh": estimate_json(energy.wh),
            "co2e_g": estimate_json(energy.co2e_g),
            "water_ml": estimate_json(energy.water_ml),
            "zone": energy.zone,
            "location_based": energy.location_based,
            "parameters_assumed": energy.parameters_assumed,
            "method": energy.method,
        }
    raise AssertionError(f"unknown op `{op}`")


def assert_matches(path: str, expected: Any, actual: Any) -> None:
    """Check every key of `expected` against `actual`; floats compare with a relative tolerance of 1e-9."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path} is {actual!r}, expected an object"
        for key, value in expected.items():
            assert_matches(f"{path}.{key}", value, actual.get(key))
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path} is {actual!r}, expected a list"
        assert len(actual) == len(expected), f"{path} has {len(actual)} items, expected {len(expected)}: {actual!r}"
        for index, (item, actual_item) in enumerate(zip(expected, actual)):
            assert_matches(f"{path}[{index}]", item, actual_item)
    elif isinstance(expected, float) or (isinstance(actual, float) and not isinstance(expected, bool)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), f"{path} is {actual!r}"
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-21), f"{path} is {actual}, expected {expected}"
    else:
        assert actual == expected, f"{path} is {actual!r}, expected {expected!r}"


@pytest.mark.parametrize("case", CASES)
def test_vector(case: dict[str, Any]) -> None:
    if "expect" in case:
        assert_matches("", case["expect"], run_case(case["op"], case["input"]))
    else:
        with pytest.raises(ingate.IngateError) as raised:
            run_case(case["op"], case["input"])
        assert_matches("error", case["expect_error"], error_json(raised.value))


def test_vectors_cover_every_file() -> None:
    files = {Path(param.id.split(":")[0]).stem for param in CASES if param.id}
    assert files == {"costs", "energy", "models", "redaction", "tokens"}
    assert len(CASES) >= 20
