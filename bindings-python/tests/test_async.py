"""`async with` and async streams behave like their synchronous forms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import ingate
from conftest import chat

REQUEST = chat("Write to jane@example.com")


async def chunks(*pieces: str) -> AsyncIterator[str]:
    for piece in pieces:
        await asyncio.sleep(0)
        yield piece


def test_async_with_finishes() -> None:
    async def run(policy: ingate.Policy) -> ingate.CallRecord:
        async with policy.begin(REQUEST) as call:
            restored = [text async for text in call.restore_stream(chunks("to <EMA", "IL_1>", "!"))]
            assert "".join(restored) == "to jane@example.com!"
            return call.finish({"prompt_tokens": 4, "completion_tokens": 3})

    record = asyncio.run(run(ingate.Policy.default()))
    assert record.output_tokens == 3
    assert record.abort_reason is None


def test_async_with_without_finish_aborts() -> None:
    async def run(policy: ingate.Policy) -> ingate.Call:
        async with policy.begin(REQUEST) as call:
            await asyncio.sleep(0)
        return call

    call = asyncio.run(run(ingate.Policy.default()))
    assert call.record is not None
    assert call.record.abort_reason == "not finished"


def test_async_exception_aborts_and_propagates() -> None:
    policy = ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 1\n')

    async def run() -> None:
        async with policy.begin(REQUEST, scope="acme"):
            raise KeyError("missing")

    with pytest.raises(KeyError):
        asyncio.run(run())
    [status] = policy.budget_status()
    assert status.reservations == 0
    assert status.spent == 0


def test_async_stream_holds_back_tail() -> None:
    async def run() -> list[str]:
        async with ingate.Policy.default().begin(REQUEST) as call:
            return [text async for text in call.restore_stream(chunks("end <EMA"))]

    assert asyncio.run(run()) == ["end ", "<EMA"]


def test_async_stream_rejects_non_str() -> None:
    async def numbers() -> AsyncIterator[object]:
        yield 1

    async def run() -> None:
        async with ingate.Policy.default().begin(REQUEST) as call:
            async for _ in call.restore_stream(numbers()):  # type: ignore[arg-type]
                pass

    with pytest.raises(TypeError, match="str chunks"):
        asyncio.run(run())
