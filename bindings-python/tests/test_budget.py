"""Budgets against real stores: SQLite in a temporary file, and an unreachable Redis."""

from __future__ import annotations

import datetime
import os
import socket
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

import ingate
from conftest import NOW, chat


def sqlite_policy(path: Path, budget: str) -> ingate.Policy:
    text = f'[store]\nurl = "sqlite:{path}"\n\n[[budgets]]\nscope = "acme"\n{budget}\n'
    return ingate.Policy.from_toml(text).with_fixed_time(NOW)


def status_of(policy: ingate.Policy, unit: str) -> ingate.BudgetStatus:
    [status] = [status for status in policy.budget_status() if status.unit == unit]
    return status


def test_exception_releases_sqlite_reservation(tmp_path: Path) -> None:
    policy = sqlite_policy(tmp_path / "budget.db", 'usd_per_day = "10"')
    with pytest.raises(RuntimeError):
        with policy.begin(chat("hello", model="gpt-4o"), scope="acme") as call:
            held = status_of(policy, "usd")
            assert held.reservations == 1
            assert held.reserved == call.reserved_usd
            raise RuntimeError("vendor timed out")
    released = status_of(policy, "usd")
    assert released.reservations == 0
    assert released.reserved == 0
    assert released.spent == 0


def test_abort_releases_sqlite_reservation(tmp_path: Path) -> None:
    policy = sqlite_policy(tmp_path / "budget.db", 'usd_per_day = "10"')
    call = policy.begin(chat("hello", model="gpt-4o"), scope="acme")
    assert status_of(policy, "usd").reservations == 1
    call.abort()
    assert status_of(policy, "usd").reservations == 0


def test_finish_settles_spend_visible_to_another_policy(tmp_path: Path) -> None:
    path = tmp_path / "budget.db"
    policy = sqlite_policy(path, 'usd_per_day = "10"')
    with policy.begin(chat("hello", model="gpt-4o"), scope="acme") as call:
        record = call.finish({"prompt_tokens": 1000, "completion_tokens": 100})
    # 1000 x $2.5/M + 100 x $10/M
    assert record.cost_usd == Decimal("0.0035")
    other = sqlite_policy(path, 'usd_per_day = "10"')
    assert status_of(other, "usd").spent == Decimal("0.0035")


def test_budget_exceeded_has_usd_fields(tmp_path: Path) -> None:
    policy = sqlite_policy(tmp_path / "budget.db", 'usd_per_day = "0.01"')
    with policy.begin(chat("hello", model="gpt-4o", max_tokens=200), scope="acme") as call:
        call.finish({"prompt_tokens": 1000, "completion_tokens": 600})
    # Spent 0.0085; the next call reserves 200 output tokens at $10/M plus its input, over 0.01.
    with pytest.raises(ingate.BudgetExceeded) as raised:
        policy.begin(chat("hello", model="gpt-4o", max_tokens=200), scope="acme/search")
    error = raised.value
    assert error.kind == "budget_exceeded"
    assert error.scope == "acme"
    assert error.unit == "usd"
    assert error.window == "day"
    assert error.limit_usd == Decimal("0.01")
    assert error.spent_usd == Decimal("0.0085")
    assert error.requested_usd is not None and error.requested_usd > Decimal("0.0015")
    assert error.resets_at == datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC)
    assert error.record is not None
    assert error.record.decision == "denied"
    assert error.record.scope == "acme/search"
    assert status_of(policy, "usd").reservations == 0


def test_budget_exceeded_requests_has_no_usd_fields() -> None:
    policy = ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nrequests_per_minute = 1\n')
    first = policy.begin(chat("hi"), scope="acme")
    with pytest.raises(ingate.BudgetExceeded) as raised:
        policy.begin(chat("hi"), scope="acme")
    assert raised.value.unit == "requests"
    assert raised.value.limit == 1
    assert raised.value.limit_usd is None
    first.abort()
    policy.begin(chat("hi"), scope="acme").abort()


def closed_port() -> int:
    """Bind a port on 127.0.0.1 and close it, so nothing listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def redis_policy(on_error: str) -> ingate.Policy:
    text = (
        f'[store]\nurl = "redis://127.0.0.1:{closed_port()}/0"\non_error = "{on_error}"\n\n'
        '[[budgets]]\nscope = "acme"\nusd_per_day = "10"\n'
    )
    return ingate.Policy.from_toml(text)


def test_unreachable_redis_denies() -> None:
    policy = redis_policy("deny")
    with pytest.raises(ingate.StoreUnavailable) as raised:
        policy.begin(chat("hi"), scope="acme")
    error = raised.value
    assert error.kind == "store_unavailable"
    assert error.store.startswith("redis://127.0.0.1:")
    assert error.record is not None
    assert error.record.store_error is not None
    assert "deny" in error.record.store_error


def test_unreachable_redis_allow_records_store_error() -> None:
    policy = redis_policy("allow")
    with policy.begin(chat("hi"), scope="acme") as call:
        record = call.finish({"prompt_tokens": 5, "completion_tokens": 5})
    # The call went ahead without a reservation; the failed settle is the last store error.
    assert record.store_error is not None
    assert "unavailable" in record.store_error
    assert "not in the store" in record.store_error
    assert record.cost_usd > 0


@pytest.mark.skipif("INGATE_TEST_REDIS_URL" not in os.environ, reason="set INGATE_TEST_REDIS_URL to a Redis server")
def test_live_redis_settles_and_releases() -> None:
    url = os.environ["INGATE_TEST_REDIS_URL"]
    # A fresh scope per run, so spend left by earlier runs on the same server does not count.
    scope = f"pytest-{uuid.uuid4().hex}"
    text = f'[store]\nurl = "{url}"\n\n[[budgets]]\nscope = "{scope}"\nusd_per_day = "10"\n'
    policy = ingate.Policy.from_toml(text)
    with pytest.raises(RuntimeError):
        with policy.begin(chat("hello", model="gpt-4o"), scope=scope):
            assert status_of(policy, "usd").reservations == 1
            raise RuntimeError("vendor failed")
    assert status_of(policy, "usd").reservations == 0
    with policy.begin(chat("hello", model="gpt-4o"), scope=scope) as call:
        record = call.finish({"prompt_tokens": 1000, "completion_tokens": 100})
    assert record.store_error is None
    assert status_of(policy, "usd").spent == Decimal("0.0035")
