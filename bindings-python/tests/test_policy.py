"""Policy loading and the standalone helpers: counting, resolution, redaction, energy, cost."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from pathlib import Path

import pytest
from anthropic.types import Usage as AnthropicUsage
from openai.types import CompletionUsage

import ingate
from conftest import NOW, chat


def test_from_file_reads_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[models.aliases]\nfast = "gpt-4o-mini"\n', encoding="utf-8")
    policy = ingate.Policy.from_file(path).with_fixed_time(NOW)
    assert policy.resolve_model("fast").chain[:2] == ["fast", "gpt-4o-mini"]
    assert ingate.Policy.from_file(str(path)).resolve_model("fast").model == "gpt-4o-mini-2024-07-18"


def test_from_file_error_has_path_line_column(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[models]\non_deprecated = "warn"\nbudget = 1\n', encoding="utf-8")
    with pytest.raises(ingate.InvalidPolicy) as raised:
        ingate.Policy.from_file(path)
    error = raised.value
    assert error.kind == "invalid_policy"
    assert error.path == str(path)
    assert error.line == 3
    assert error.column == 1
    assert "budget" in str(error)


def test_from_file_missing_names_path(tmp_path: Path) -> None:
    with pytest.raises(ingate.InvalidPolicy) as raised:
        ingate.Policy.from_file(tmp_path / "absent.toml")
    assert "absent.toml" in str(raised.value)


def test_from_toml_error_has_line_without_path() -> None:
    with pytest.raises(ingate.InvalidPolicy) as raised:
        ingate.Policy.from_toml('[[budgets]]\nscope = "acme"\nusd_per_year = "5"\n')
    assert raised.value.path is None
    assert raised.value.line == 3
    assert isinstance(raised.value, ingate.IngateError)


def test_count_tokens_exact_and_estimate(policy: ingate.Policy) -> None:
    exact = policy.count_tokens("gpt-4o", "Hello, world!")
    assert (exact.tokens, exact.exact, exact.encoding) == (4, True, "o200k_base")
    assert exact == ingate.Policy.default().count_tokens("gpt-4o", "Hello, world!")
    estimate = policy.count_tokens("claude-sonnet-4-6", "Hello, world!")
    assert estimate.exact is False
    assert estimate.tokens > 0


def test_count_tokens_unknown_model_suggests(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.UnknownModel) as raised:
        policy.count_tokens("gtp-4o", "text")
    assert raised.value.name == "gtp-4o"
    assert "gpt-4o" in raised.value.suggestions


def test_count_chat_counts_message_overhead(policy: ingate.Policy) -> None:
    text = policy.count_tokens("gpt-4o", "Hello, world!").tokens
    whole = policy.count_chat(chat("Hello, world!", model="gpt-4o"))
    assert whole.exact
    assert whole.tokens > text


def test_count_chat_rejects_non_json_values(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.InvalidRequest) as raised:
        policy.count_chat({"model": "gpt-4o", "messages": [{"role": "user", "content": b"bytes"}]})
    assert "request.messages[0].content" in str(raised.value)
    assert "bytes" in str(raised.value)
    with pytest.raises(ingate.InvalidRequest):
        policy.count_chat({"model": "gpt-4o", "messages": [], "temperature": math.nan})
    with pytest.raises(ingate.InvalidRequest):
        policy.count_chat({"model": "gpt-4o", "messages": "not a list"})


def test_count_chat_rejects_cycles(policy: ingate.Policy) -> None:
    cyclic: dict[str, object] = {"role": "user"}
    cyclic["content"] = cyclic
    with pytest.raises(ingate.InvalidRequest) as raised:
        policy.count_chat({"model": "gpt-4o", "messages": [cyclic]})
    assert "nested more than" in str(raised.value)


def test_resolve_model_has_chain_and_warnings(policy: ingate.Policy) -> None:
    resolution = policy.resolve_model("gpt-4o-mini")
    assert resolution.requested == "gpt-4o-mini"
    assert resolution.model == "gpt-4o-mini-2024-07-18"
    assert resolution.chain == ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"]
    assert isinstance(resolution.warnings, list)


def test_resolve_retired_model_raises(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.ModelRetired) as raised:
        policy.resolve_model("gpt-4-32k")
    error = raised.value
    assert error.successor == "gpt-4o"
    assert error.shutdown is not None and error.shutdown.isoformat() == "2025-06-06"
    assert error.retired is True
    assert error.model == "gpt-4-32k"


def test_redact_offsets_are_str_indices(policy: ingate.Policy) -> None:
    text = "🙂 café, école: jane@example.com 👍 done"
    redaction = policy.redact(text)
    assert redaction.text == "🙂 café, école: <EMAIL_1> 👍 done"
    [finding] = redaction.findings
    assert text[finding.start : finding.end] == "jane@example.com"
    assert finding.kind == "email"
    assert finding.replacement == "<EMAIL_1>"


def test_redact_repr_hides_text(policy: ingate.Policy) -> None:
    redaction = policy.redact("mail jane@example.com")
    assert "jane" not in repr(redaction)
    assert "jane" not in repr(redaction.findings[0])
    assert "EMAIL" not in repr(redaction)


def test_estimate_energy_region_override(policy: ingate.Policy) -> None:
    energy = policy.estimate_energy("gpt-4o", 1000, 500, region="us-east-1")
    assert energy.zone == "USA"
    assert energy.method == "ingate-energy/1"
    assert energy.wh.low < energy.wh.value < energy.wh.high
    default = policy.estimate_energy("gpt-4o", 1000, 500)
    assert default.zone == "WOR"
    assert default.wh == energy.wh


def test_estimate_energy_unknown_region(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.IngateError):
        policy.estimate_energy("gpt-4o", 1, 1, region="moon-base-1")


def test_cost_accepts_sdk_usage_models(policy: ingate.Policy) -> None:
    openai_usage = CompletionUsage.model_validate(
        {
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920},
        }
    )
    assert policy.cost("gpt-4o", openai_usage) == Decimal("0.005615")
    anthropic_usage = AnthropicUsage(
        input_tokens=100, output_tokens=50, cache_read_input_tokens=1000, cache_creation_input_tokens=200
    )
    assert policy.cost("claude-sonnet-4-6", anthropic_usage) == Decimal("0.0021")


def test_cost_rejects_negative_counts(policy: ingate.Policy) -> None:
    with pytest.raises(ingate.InvalidRequest) as raised:
        policy.cost("gpt-4o", {"prompt_tokens": -1})
    assert "prompt_tokens" in str(raised.value)


def test_policy_repr_names_store_kind_only() -> None:
    policy = ingate.Policy.from_toml('[store]\nurl = "redis://user:secret@127.0.0.1:1/0"\n')
    assert "secret" not in repr(policy)
    assert "redis" in repr(policy)


def test_diagnostics_flag_retiring_alias() -> None:
    assert ingate.Policy.default().diagnostics() == []
    # gpt-4o shuts down on 2027-01-14 (the catalog's date), inside the default 90-day window from December 2026 on.
    policy = ingate.Policy.from_toml('[models.aliases]\nfast = "gpt-4o"\n')
    [diagnostic] = policy.diagnostics()
    assert diagnostic.severity in ("warning", "error")
    assert diagnostic.kind in ("retiring", "retired")
    assert "fast" in diagnostic.message


def test_with_fixed_time_requires_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        ingate.Policy.default().with_fixed_time(datetime.datetime(2026, 12, 4, 12, 0))


def test_with_fixed_time_moves_deprecation_dates() -> None:
    before = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    assert ingate.Policy.default().with_fixed_time(before).resolve_model("gpt-4-32k").model == "gpt-4-32k"
    with pytest.raises(ingate.ModelRetired):
        ingate.Policy.default().with_fixed_time(NOW).resolve_model("gpt-4-32k")


def test_from_file_reads_json(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"models": {"aliases": {"fast": "gpt-4o-mini"}}}', encoding="utf-8")
    assert ingate.Policy.from_file(path).resolve_model("fast").requested == "fast"


def test_begin_rejects_non_str_tags(policy: ingate.Policy) -> None:
    with pytest.raises(TypeError):
        policy.begin(chat("hi"), tags={"team": 7})  # type: ignore[dict-item]
