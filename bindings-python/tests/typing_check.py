"""Typed uses of the public API, checked by `mypy --strict` in test.sh (not collected by pytest)."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from decimal import Decimal

import ingate


def check_sync(policy: ingate.Policy) -> Decimal:
    count: ingate.TokenCount = policy.count_tokens("gpt-4o", "Hello")
    tokens: int = count.tokens
    resolution: ingate.Resolution = policy.resolve_model("gpt-4o-mini")
    chain: list[str] = resolution.chain
    redaction: ingate.Redaction = policy.redact("jane@example.com")
    start: int = redaction.findings[0].start
    energy: ingate.Energy = policy.estimate_energy("gpt-4o", tokens, 10, region="FRA")
    value: float = energy.wh.value
    with policy.begin({"model": "gpt-4o", "messages": []}, scope="acme", tags={"team": "search"}) as call:
        request: dict[str, object] = call.request
        restored: list[str] = list(call.restore_stream(iter(["a", "b"])))
        record: ingate.CallRecord = call.finish({"prompt_tokens": 1, "completion_tokens": 1})
    when: datetime.datetime = record.ts
    del chain, start, value, request, restored, when
    try:
        policy.begin({"model": "gpt-4o", "messages": []})
    except ingate.BudgetExceeded as error:
        limit: Decimal | None = error.limit_usd
        resets: datetime.datetime = error.resets_at
        denied: ingate.CallRecord | None = error.record
        del limit, resets, denied
    return record.cost_usd


async def check_async(policy: ingate.Policy, chunks: AsyncIterator[str]) -> list[str]:
    async with policy.begin({"model": "gpt-4o", "messages": []}) as call:
        return [text async for text in call.restore_stream(chunks)]
