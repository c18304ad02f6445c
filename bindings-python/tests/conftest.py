"""Shared paths and policies for the ingate tests."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

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
