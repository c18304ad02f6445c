"""One Policy and one Call shared by many threads: counts and budget totals stay exact."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

import ingate
from conftest import NOW, chat

WORKERS = 8


def test_counts_agree_across_threads(policy: ingate.Policy) -> None:
    texts = [f"prompt number {index} " * (index % 50 + 1) for index in range(400)]
    expected = [policy.count_tokens("gpt-4o", text).tokens for text in texts]
    with ThreadPoolExecutor(WORKERS) as pool:
        counted = list(pool.map(lambda text: policy.count_tokens("gpt-4o", text).tokens, texts))
    assert counted == expected


def test_request_limit_admits_exactly_the_limit() -> None:
    policy = ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 50\n').with_fixed_time(NOW)

    def attempt(index: int) -> bool:
        try:
            call = policy.begin(chat(f"call {index}"), scope="acme")
        except ingate.BudgetExceeded:
            return False
        call.finish({"prompt_tokens": 10, "completion_tokens": 5})
        return True

    with ThreadPoolExecutor(WORKERS) as pool:
        allowed = sum(pool.map(attempt, range(200)))
    assert allowed == 50
    [status] = policy.budget_status()
    assert status.spent == 50
    assert status.reservations == 0


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_usd_totals_are_exact_across_threads(store: str, tmp_path: Path) -> None:
    url = "memory:" if store == "memory" else f"sqlite:{tmp_path / 'budget.db'}"
    policy = ingate.Policy.from_toml(
        f'[store]\nurl = "{url}"\n[[budgets]]\nscope = "acme"\nusd_per_day = "1000"\n'
    ).with_fixed_time(NOW)
    calls = 240

    def settle(index: int) -> Decimal:
        scope = "acme/search" if index % 2 else "acme/chat"
        with policy.begin(chat(f"question {index}", model="gpt-4o"), scope=scope) as call:
            return call.finish({"prompt_tokens": 1000 + index, "completion_tokens": 100}).cost_usd

    with ThreadPoolExecutor(WORKERS) as pool:
        costs = list(pool.map(settle, range(calls)))
    [status] = policy.budget_status()
    assert status.spent == sum(costs, Decimal(0))
    # (1000 + 1001 + ... + 1239) x $2.5/M + 240 x 100 x $10/M = 268680 x 2.5e-6 + 0.24
    assert status.spent == Decimal("0.9117")
    assert status.reserved == 0


def test_one_call_shared_by_threads(policy: ingate.Policy) -> None:
    call = policy.begin(chat("Write to jane@example.com"))
    barrier = threading.Barrier(WORKERS)

    def restore_then_finish(_: int) -> str:
        barrier.wait()
        restored = call.restore("to <EMAIL_1>")
        try:
            call.finish({"prompt_tokens": 3, "completion_tokens": 2})
        except ingate.InvalidRequest:
            return restored + "|late"
        return restored + "|finished"

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(restore_then_finish, range(WORKERS)))
    assert outcomes.count("to jane@example.com|finished") == 1
    assert outcomes.count("to jane@example.com|late") == WORKERS - 1
    assert call.record is not None and call.record.output_tokens == 2


def test_long_count_lets_other_threads_run(policy: ingate.Policy) -> None:
    # While one thread counts 15 MB, this thread keeps running Python only if the
    # count released the GIL. A call that holds the GIL leaves this loop about one
    # switch interval (5 ms) before the call starts: about 10,000 iterations
    # on a 2-core machine, against hundreds of thousands with the GIL released.
    text = "word " * 3_000_000
    started = threading.Event()
    iterations = 0

    def count() -> int:
        started.set()
        return policy.count_tokens("gpt-4o", text).tokens

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(count)
        started.wait()
        while not future.done():
            iterations += 1
        tokens = future.result()
    assert tokens == policy.count_tokens("gpt-4o", text).tokens
    assert iterations > 50_000
