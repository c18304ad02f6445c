"""The call lifecycle: begin, request, restore, finish, abort, and the context manager."""

from __future__ import annotations

import datetime
import json
import pickle
from decimal import Decimal

import pytest
from anthropic.types import Usage as AnthropicUsage
from openai.types import CompletionUsage

import ingate
from conftest import NOW, chat

EMAIL_REQUEST = chat("Write to jane@example.com", model="gpt-4o-mini", max_tokens=100)


def test_request_is_resolved_and_redacted(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST, scope="acme/search", tags={"team": "search"}) as call:
        request = call.request
        assert request["model"] == "gpt-4o-mini-2024-07-18"
        assert request["messages"] == [{"role": "user", "content": "Write to <EMAIL_1>"}]
        assert request["max_tokens"] == 100
        assert call.scope == "acme/search"
        assert call.model == "gpt-4o-mini-2024-07-18"
        assert call.resolution.chain == ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"]
        assert call.input_tokens.exact
        assert call.output_cap == 100
        assert isinstance(call.reserved_usd, Decimal)
        assert call.reserved_usd > 0
        assert call.closed is False
        assert call.record is None
        call.abort()


def test_request_dict_is_a_copy(policy: ingate.Policy) -> None:
    call = policy.begin(EMAIL_REQUEST)
    call.request["model"] = "changed"
    assert call.request["model"] == "gpt-4o-mini-2024-07-18"
    call.abort()


def test_restore_puts_values_back(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        assert call.restore("Wrote to <EMAIL_1>.") == "Wrote to jane@example.com."
        assert call.restore("<EMAIL_2> was not issued") == "<EMAIL_2> was not issued"
        call.abort()


def test_restore_stream_joins_split_placeholder(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        chunks = ["Wrote to <EM", "AIL_", "1", ">", " and done"]
        restored = list(call.restore_stream(chunks))
        assert "".join(restored) == "Wrote to jane@example.com and done"
        assert all("<EM" not in piece for piece in restored)
        assert list(call.restore_stream(iter(["tail <EMA"]))) == ["tail ", "<EMA"]
        call.abort()


def test_restore_stream_rejects_non_str_chunks(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        with pytest.raises(TypeError, match="str chunks"):
            list(call.restore_stream([b"bytes"]))
        call.abort()


def test_stream_restorer_push_and_finish(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        restorer = call.stream_restorer()
        assert restorer.push("to <EMAI") == "to "
        assert restorer.push("L_1>!") == "jane@example.com!"
        assert restorer.push("<EM") == ""
        assert restorer.finish() == "<EM"
        with pytest.raises(ingate.InvalidRequest):
            restorer.push("more")
        call.abort()


def test_restore_json_escapes_values() -> None:
    # The policy's own pattern matches a value with a quote, a backslash, a tab and a non-ASCII letter.
    policy = ingate.Policy.from_toml(
        '[redaction]\ndetectors = []\n[[redaction.patterns]]\nname = "code"\nregex = \'C"[^ ]+\'\n'
    )
    original = 'C"a\\b\tü'
    with policy.begin(chat(f"Use {original} now")) as call:
        arguments = '{"code": "<CODE_1>", "other": "<CODE_2>"}'
        restored = call.restore_json(arguments)
        assert restored == '{"code": "C\\"a\\\\b\\tü", "other": "<CODE_2>"}'
        assert json.loads(restored) == {"code": original, "other": "<CODE_2>"}

        restorer = call.json_stream_restorer()
        pieces = [restorer.push(piece) for piece in ['{"code": "<CO', 'DE_1>"', ', "x": "<CO']]
        pieces.append(restorer.finish())
        assert pieces == ['{"code": "', 'C\\"a\\\\b\\tü"', ', "x": "', "<CO"]
        call.abort()


def test_finish_with_dict_returns_record(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST, scope="acme", tags={"team": "search"}) as call:
        record = call.finish({"prompt_tokens": 12, "completion_tokens": 7})
    assert call.closed
    assert call.record == record
    assert record.id == call.id
    assert record.scope == "acme"
    assert record.tags == {"team": "search"}
    assert record.decision == "allowed"
    assert record.request_model == "gpt-4o-mini"
    assert record.response_model == "gpt-4o-mini-2024-07-18"
    assert (record.input_tokens, record.output_tokens) == (12, 7)
    # 12 x $0.15/M + 7 x $0.60/M
    assert record.cost_usd == Decimal("0.000006")
    assert isinstance(record.reserved_usd, Decimal)
    assert record.redactions == {"email": 1}
    assert record.ts == NOW
    assert record.energy_wh.value > 0
    assert record.abort_reason is None


def test_finish_accepts_openai_usage(policy: ingate.Policy) -> None:
    usage = CompletionUsage.model_validate(
        {
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }
    )
    with policy.begin(chat("hi", model="gpt-4o")) as call:
        record = call.finish(usage)
    assert record.cached_read_tokens == 1920
    assert record.cost_usd == Decimal("0.005615")


def test_finish_accepts_anthropic_usage(policy: ingate.Policy) -> None:
    usage = AnthropicUsage(
        input_tokens=100, output_tokens=50, cache_read_input_tokens=1000, cache_creation_input_tokens=200
    )
    with policy.begin(chat("hi", model="claude-sonnet-4-6", max_tokens=1000)) as call:
        record = call.finish(usage)
    assert record.input_tokens == 1300
    assert record.cache_write_tokens == 200
    assert record.cost_usd == Decimal("0.0021")


def test_invalid_usage_leaves_call_open(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        with pytest.raises(ingate.InvalidRequest):
            call.finish({"tokens": 3})
        with pytest.raises(ingate.InvalidRequest):
            call.finish("twelve")
        assert not call.closed
        record = call.finish({"prompt_tokens": 1, "completion_tokens": 1})
    assert record.output_tokens == 1


def test_finish_twice_raises(policy: ingate.Policy) -> None:
    call = policy.begin(EMAIL_REQUEST)
    call.finish({"prompt_tokens": 1, "completion_tokens": 1})
    with pytest.raises(ingate.InvalidRequest, match="already finished"):
        call.finish({"prompt_tokens": 1, "completion_tokens": 1})


def test_abort_after_finish_keeps_record(policy: ingate.Policy) -> None:
    call = policy.begin(EMAIL_REQUEST)
    record = call.finish({"prompt_tokens": 1, "completion_tokens": 1})
    assert call.abort("late") == record


def test_abort_returns_record_with_reason(policy: ingate.Policy) -> None:
    call = policy.begin(EMAIL_REQUEST)
    record = call.abort("user cancelled")
    assert record.abort_reason == "user cancelled"
    assert record.cost_usd == 0
    assert call.closed


def test_with_block_without_finish_aborts(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        pass
    assert call.record is not None
    assert call.record.abort_reason == "not finished"


def test_exception_in_with_block_aborts_and_propagates(policy: ingate.Policy) -> None:
    with pytest.raises(ValueError, match="vendor failed"):
        with policy.begin(EMAIL_REQUEST) as call:
            raise ValueError("vendor failed")
    assert call.record is not None
    assert call.record.abort_reason == "exception: ValueError"


def test_finish_simulated_uses_output_cap(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        record = call.finish_simulated()
    assert record.usage_simulated
    assert record.output_tokens == 100


def test_record_serializes(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        record = call.finish({"prompt_tokens": 12, "completion_tokens": 7})
    as_dict = record.to_dict()
    assert as_dict["gen_ai.usage.input_tokens"] == 12
    assert as_dict["ingate.cost_usd"] == "0.000006"
    assert as_dict["ingate.redactions"] == {"email": 1}
    assert json.loads(record.to_json()) == as_dict
    assert "jane" not in record.to_json()
    assert ingate.CallRecord.from_json(record.to_json()) == record
    assert pickle.loads(pickle.dumps(record)) == record
    assert isinstance(record.ts, datetime.datetime)


def test_denied_begin_carries_record(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.ModelRetired) as raised:
        policy.begin(chat("hello", model="gpt-4-32k"))
    record = raised.value.record
    assert record is not None
    assert record.decision == "denied"
    assert record.deny_reason == "model_retired"


def test_malformed_request_raises_invalid_request(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.InvalidRequest):
        policy.begin({"model": "gpt-4o", "messages": []})
    with pytest.raises(ingate.InvalidRequest):
        policy.begin({"model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}]})
    with pytest.raises(ingate.InvalidRequest):
        policy.begin({"messages": [{"role": "user", "content": "x"}]})


def test_blocked_secret_message_hides_value() -> None:
    policy = ingate.Policy.from_toml('[redaction.operators]\nemail = "block"\n')
    with pytest.raises(ingate.RedactionBlocked) as raised:
        policy.begin(chat("Write to jane@example.com"))
    error = raised.value
    assert error.detector == "email"
    assert error.count == 1
    assert "jane" not in str(error)
    assert error.record is not None and "jane" not in error.record.to_json()


def test_call_repr_hides_request(policy: ingate.Policy) -> None:
    with policy.begin(EMAIL_REQUEST) as call:
        assert "jane" not in repr(call)
        assert "EMAIL" not in repr(call)
        call.abort()
