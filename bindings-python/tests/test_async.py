"""`async with` and async streams behave like their synchronous forms."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

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


def sqlite_policy(path: Path) -> ingate.Policy:
    return ingate.Policy.from_toml(
        f'[store]\nurl = "sqlite:{path}"\n\n[[budgets]]\nscope = "acme"\nusd_per_day = "10"\n'
    )


def test_begin_async_and_finish_async() -> None:
    async def run() -> ingate.CallRecord:
        call = await ingate.Policy.default().begin_async(REQUEST, scope="acme", tags={"feature": "mail"})
        assert call.request["messages"][0]["content"] == "Write to <EMAIL_1>"
        return await call.finish_async({"prompt_tokens": 4, "completion_tokens": 3})

    record = asyncio.run(run())
    assert record.output_tokens == 3
    assert record.tags == {"feature": "mail"}


def test_begin_async_reads_request_before_returning() -> None:
    async def run() -> ingate.Call:
        request = chat("Write to jane@example.com")
        pending = ingate.Policy.default().begin_async(request)
        request["model"] = "no-such-model"
        return await pending

    call = asyncio.run(run())
    assert call.model == "gpt-4o-mini-2024-07-18"
    call.abort()


def test_begin_async_denial_raises_with_record() -> None:
    policy = ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 1\n')
    first = policy.begin(REQUEST, scope="acme")

    async def run() -> None:
        await policy.begin_async(REQUEST, scope="acme")

    with pytest.raises(ingate.BudgetExceeded) as raised:
        asyncio.run(run())
    assert raised.value.record is not None
    assert raised.value.record.decision == "denied"
    first.abort()


def test_abort_async_releases_sqlite_reservation(tmp_path: Path) -> None:
    policy = sqlite_policy(tmp_path / "budget.db")

    async def run() -> ingate.CallRecord:
        call = await policy.begin_async(REQUEST, scope="acme")
        [status] = policy.budget_status()
        assert status.reservations == 1
        return await call.abort_async("user cancelled")

    record = asyncio.run(run())
    assert record.abort_reason == "user cancelled"
    [status] = policy.budget_status()
    assert status.reservations == 0


def test_async_exit_aborts_sqlite_call_and_propagates(tmp_path: Path) -> None:
    policy = sqlite_policy(tmp_path / "budget.db")

    async def run() -> None:
        async with await policy.begin_async(REQUEST, scope="acme"):
            raise KeyError("missing")

    with pytest.raises(KeyError):
        asyncio.run(run())
    [status] = policy.budget_status()
    assert status.reservations == 0


LOCK_SCRIPT = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


def test_begin_async_waits_for_store_off_the_loop(tmp_path: Path) -> None:
    """While another process holds the SQLite write lock, the event loop keeps running."""
    path = tmp_path / "budget.db"
    policy = sqlite_policy(path)
    policy.begin(REQUEST, scope="acme").abort()  # creates the tables
    # SQLite's locks are POSIX record locks, which do not conflict within one
    # process, so the lock is held by another process.
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCK_SCRIPT, str(path), "0.5"], stdout=subprocess.PIPE, text=True
    )
    assert locker.stdout is not None
    assert locker.stdout.readline() == "locked\n"

    async def run() -> tuple[int, ingate.CallRecord]:
        ticks = 0
        stop = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        call = await policy.begin_async(REQUEST, scope="acme")
        stop.set()
        await ticker
        return ticks, await call.finish_async({"prompt_tokens": 4, "completion_tokens": 3})

    try:
        ticks, record = asyncio.run(run())
    finally:
        locker.wait(timeout=10)
    # begin waited up to 0.5 s for the lock; a loop blocked that long would tick once.
    assert ticks >= 10
    assert record.output_tokens == 3
