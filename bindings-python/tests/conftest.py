"""Shared paths, policies, fixtures and helpers for the ingate tests."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mock_vendor import MockVendor

import ingate

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"

# A fixed "now" before every deprecation date the tests rely on.
NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def policy() -> ingate.Policy:
    return ingate.Policy.default().with_fixed_time(NOW)


def chat(content: str, model: str = "gpt-4o-mini", **extra: object) -> dict[str, object]:
    """Build an OpenAI chat request with one user message."""
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


@pytest.fixture
def vendor() -> Iterator[MockVendor]:
    """A mock of the OpenAI and Anthropic APIs on 127.0.0.1, stopped after the test."""
    server = MockVendor().start()
    yield server
    server.stop()


def budget_policy(directory: Path) -> ingate.Policy:
    """Return the SDK tests' policy: a SQLite store in `directory`, $10 a day for scope `acme`,
    and the email and secrets detectors."""
    store = directory / "budget.sqlite"
    return ingate.Policy.from_toml(
        f"""
[store]
url = "sqlite:{store}"

[[budgets]]
scope = "acme"
usd_per_day = "10"

[redaction]
detectors = ["email", "secrets"]
"""
    )


def acme_usd(policy: ingate.Policy) -> ingate.BudgetStatus:
    """Return the USD budget status of scope `acme`."""
    (status,) = [s for s in policy.budget_status() if s.scope == "acme" and s.unit == "usd"]
    return status


def sent_text(vendor: MockVendor) -> str:
    """Return the last request body that the mock vendor received, as JSON text."""
    return json.dumps(vendor.last_body)


# A custom pattern whose values contain a quote and a backslash, which JSON must escape.
TICKET_POLICY = """
[redaction]
detectors = ["email"]
[[redaction.patterns]]
name = "ticket"
regex = 'T"[0-9]{2}\\\\[0-9]{2}'
"""
TICKET = 'T"12\\34'
