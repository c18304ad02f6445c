"""The exception classes: one per public error kind, all under IngateError."""

from __future__ import annotations

import datetime
import pickle
from decimal import Decimal

import pytest

import ingate
from conftest import chat

KINDS = {
    ingate.InvalidPolicy: "invalid_policy",
    ingate.InvalidCatalog: "invalid_catalog",
    ingate.UnknownModel: "unknown_model",
    ingate.ModelRetired: "model_retired",
    ingate.ContextWindowExceeded: "context_window_exceeded",
    ingate.BudgetExceeded: "budget_exceeded",
    ingate.RedactionBlocked: "redaction_blocked",
    ingate.StoreUnavailable: "store_unavailable",
    ingate.InvalidRequest: "invalid_request",
}


@pytest.mark.parametrize(("cls", "kind"), KINDS.items(), ids=KINDS.values())
def test_every_kind_has_a_class(cls: type[ingate.IngateError], kind: str) -> None:
    assert issubclass(cls, ingate.IngateError)
    assert issubclass(cls, Exception)
    assert cls.kind == kind
    assert cls.__module__ == "ingate.errors"


def test_kind_names_are_unique() -> None:
    assert len(set(KINDS.values())) == len(KINDS)


def test_context_window_exceeded_fields(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.ContextWindowExceeded) as raised:
        policy.begin(chat("word " * 200_000, model="gpt-4o"))
    error = raised.value
    assert error.model == "gpt-4o"
    assert error.limit == 128_000
    assert error.tokens > error.limit
    assert error.record is not None and error.record.deny_reason == "context_window_exceeded"


def test_budget_exceeded_pickles() -> None:
    policy = ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nusd_per_day = "0.000001"\n')
    with pytest.raises(ingate.BudgetExceeded) as raised:
        policy.begin(chat("hello", model="gpt-4o"), scope="acme")
    error = raised.value
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ingate.BudgetExceeded
    assert str(copy) == str(error)
    assert copy.limit_usd == Decimal("0.000001")
    assert isinstance(copy.resets_at, datetime.datetime)
    assert copy.record == error.record


def test_errors_can_be_built_by_hand() -> None:
    error = ingate.StoreUnavailable("budget store `redis://127.0.0.1:1` is unavailable", store="redis://127.0.0.1:1")
    assert error.kind == "store_unavailable"
    assert error.record is None
    assert error.message.startswith("budget store")
    retired = ingate.ModelRetired(
        "retired", name="old", model="old", retired=True, shutdown=datetime.date(2025, 1, 1), successor=None
    )
    assert pickle.loads(pickle.dumps(retired)).shutdown == datetime.date(2025, 1, 1)


def test_unknown_model_message_names_fix(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.IngateError) as raised:
        policy.resolve_model("no-such-model-anywhere")
    assert raised.value.kind == "unknown_model"
    assert "[models.aliases]" in str(raised.value)
