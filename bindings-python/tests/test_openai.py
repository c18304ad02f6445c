"""ingate.openai.wrap with the real OpenAI SDK against a local mock of the API."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import openai
import pytest
from conftest import TICKET, TICKET_POLICY, acme_usd, budget_policy, sent_text
from mock_vendor import MockVendor, echo_placeholders

import ingate
import ingate.openai

EMAIL = "alice.smith@example.com"
# An OpenAI-style project key: the default policy's `secrets` detector matches its shape.
API_KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3kL5nP7r"
MODEL = "gpt-4o"

PROMPT = f"Write to {EMAIL} and rotate the key {API_KEY} today."


@pytest.fixture
def policy(tmp_path: Path) -> ingate.Policy:
    return budget_policy(tmp_path)


def client_for(vendor: MockVendor, cls: type = openai.OpenAI):
    return cls(api_key="test-key", base_url=vendor.url + "/v1", max_retries=0)


def reference_cost(input_tokens: int, output_tokens: int) -> Decimal:
    """Return the cost of the usage on the same model, settled on a separate in-memory policy."""
    call = ingate.Policy.default().begin({"model": MODEL, "messages": [{"role": "user", "content": "x"}]})
    record = call.finish({"prompt_tokens": input_tokens, "completion_tokens": output_tokens})
    return record.cost_usd


def test_create_redacts_request_and_restores_answer(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    response = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], max_tokens=100
    )

    sent = sent_text(vendor)
    assert EMAIL not in sent
    assert API_KEY not in sent
    assert "<EMAIL_1>" in sent
    assert vendor.last_body["model"] == MODEL
    assert response.choices[0].message.content.startswith(f"Noted: {EMAIL}, ")
    assert API_KEY in response.choices[0].message.content
    assert "<EMAIL_1>" not in response.choices[0].message.content

    (record,) = records
    assert record.decision == "allowed"
    assert record.input_tokens == vendor.usage_input
    assert record.output_tokens == vendor.usage_output
    assert record.cost_usd == reference_cost(vendor.usage_input, vendor.usage_output)
    assert record.redactions.get("email") == 1


def test_create_settles_sqlite_budget_to_usage(vendor: MockVendor, policy: ingate.Policy, tmp_path: Path) -> None:
    records = []
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme/search", on_record=records.append)

    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": PROMPT}], max_tokens=50)

    (record,) = records
    assert record.reserved_usd > record.cost_usd
    # A second policy on the same file reads the spend that the first settled.
    reopened = ingate.Policy.from_toml(f'[store]\nurl = "sqlite:{tmp_path / "budget.sqlite"}"\n'
                                       '[[budgets]]\nscope = "acme"\nusd_per_day = "10"\n')
    status = acme_usd(reopened)
    assert status.spent == record.cost_usd
    assert status.reserved == 0
    assert status.reservations == 0


def test_stream_restores_split_placeholders(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.chunk_size = 2
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    chunks = list(stream)

    assert vendor.last_body["stream_options"] == {"include_usage": True}
    assert all(chunk.choices for chunk in chunks), "the usage chunk the caller did not request is hidden"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text.startswith(f"Noted: {EMAIL}, ")
    assert API_KEY in text
    assert "<" not in text
    (record,) = records
    assert record.input_tokens == vendor.usage_input
    assert record.output_tokens == vendor.usage_output
    assert acme_usd(policy).spent == record.cost_usd


def test_stream_reserves_until_the_end(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=True, max_tokens=64
    )
    next(stream)
    in_flight = acme_usd(policy)
    assert in_flight.reservations == 1
    assert in_flight.reserved > 0
    assert in_flight.spent == 0

    for _ in stream:
        pass
    settled = acme_usd(policy)
    assert settled.reservations == 0
    assert settled.spent == reference_cost(vendor.usage_input, vendor.usage_output)


def test_stream_passes_usage_chunk_when_requested(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")

    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == vendor.usage_input


@pytest.mark.parametrize("stop", ["break_and_collect", "close", "with_block"])
def test_stream_stopped_early_settles_delivered_output(
    vendor: MockVendor, policy: ingate.Policy, stop: str
) -> None:
    records = []
    vendor.reply = lambda body: "word " * 400
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)
    messages = [{"role": "user", "content": PROMPT}]

    delivered = []
    if stop == "with_block":
        with client.chat.completions.create(model=MODEL, messages=messages, stream=True) as stream:
            for chunk in stream:
                delivered.append(chunk.choices[0].delta.content or "")
                if len(delivered) == 4:
                    break
    else:
        stream = client.chat.completions.create(model=MODEL, messages=messages, stream=True)
        for chunk in stream:
            delivered.append(chunk.choices[0].delta.content or "")
            if len(delivered) == 4:
                break
        if stop == "close":
            stream.close()
        else:
            del stream, chunk
            # CPython finalizes the stream as soon as its last reference goes.
            assert len(records) == 1

    (record,) = records
    expected = policy.count_tokens(MODEL, "".join(delivered)).tokens
    assert expected > 0
    assert record.output_tokens == expected
    assert record.output_tokens < 400
    status = acme_usd(policy)
    assert status.reservations == 0
    assert status.spent == record.cost_usd


@pytest.mark.parametrize("stream", [False, True])
def test_missing_usage_settles_counted_tokens(vendor: MockVendor, policy: ingate.Policy, stream: bool) -> None:
    records = []
    vendor.send_usage = False
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    response = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=stream
    )
    if stream:
        list(response)

    (record,) = records
    sent = vendor.last_body
    # The vendor generated the reply with placeholders, so that text is what is counted.
    reply = echo_placeholders(sent)
    assert "<EMAIL_1>" in reply
    assert record.output_tokens == policy.count_tokens(MODEL, reply).tokens
    assert record.input_tokens == policy.count_chat({"model": MODEL, "messages": sent["messages"]}).tokens
    assert acme_usd(policy).reservations == 0


def test_vendor_error_aborts_and_releases(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.status = 500
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": PROMPT}])

    assert len(vendor.requests) == 1
    (record,) = records
    assert record.abort_reason is not None
    assert "InternalServerError" in record.abort_reason
    status = acme_usd(policy)
    assert status.reservations == 0
    assert status.reserved == 0
    assert status.spent == 0


def test_budget_denial_sends_nothing(vendor: MockVendor, tmp_path: Path) -> None:
    policy = ingate.Policy.from_toml(
        f'[store]\nurl = "sqlite:{tmp_path / "tiny.sqlite"}"\n'
        '[[budgets]]\nscope = "acme"\nusd_per_day = "0.000001"\n'
    )
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")

    with pytest.raises(ingate.BudgetExceeded) as raised:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": PROMPT}], max_tokens=1000
        )

    assert raised.value.scope == "acme"
    assert vendor.requests == []


def test_tool_call_arguments_are_restored(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")
    vendor.tool_call = ("send_mail", '{"to": "<EMAIL_1>", "subject": "key"}')

    response = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": PROMPT}])

    arguments = json.loads(response.choices[0].message.tool_calls[0].function.arguments)
    assert arguments == {"to": EMAIL, "subject": "key"}




@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_tool_call_arguments_escape_restored_values(vendor: MockVendor, stream: bool) -> None:
    client = ingate.openai.wrap(client_for(vendor), ingate.Policy.from_toml(TICKET_POLICY))
    vendor.chunk_size = 2
    # Spacing the restore must keep, and a placeholder no call issued.
    vendor.tool_call = ("open_ticket", '{"ticket":  "<TICKET_1>", "cc": ["<EMAIL_1>", "<TICKET_9>"]}')

    prompt = f"Reopen {TICKET} for {EMAIL} please."
    response = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}], stream=stream
    )
    if stream:
        arguments = "".join(
            call.function.arguments or ""
            for chunk in response
            for call in chunk.choices[0].delta.tool_calls or ()
            if call.function is not None
        )
    else:
        arguments = response.choices[0].message.tool_calls[0].function.arguments

    assert vendor.last_body["messages"][0]["content"] == "Reopen <TICKET_1> for <EMAIL_1> please."
    assert json.loads(arguments) == {"ticket": TICKET, "cc": [EMAIL, "<TICKET_9>"]}
    assert arguments.startswith('{"ticket":  "T\\"12\\\\34"'), arguments


def test_streamed_tool_call_arguments_are_restored(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")
    vendor.chunk_size = 4
    vendor.tool_call = ("send_mail", '{"to": "<EMAIL_1>", "subject": "key"}')

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    arguments = "".join(
        call.function.arguments or ""
        for chunk in stream
        for call in chunk.choices[0].delta.tool_calls or ()
        if call.function is not None
    )

    assert json.loads(arguments) == {"to": EMAIL, "subject": "key"}


def test_stream_releases_held_back_tail(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.openai.wrap(client_for(vendor), policy, scope="acme")
    vendor.chunk_size = 2
    # Ends like the start of a placeholder, so the restorer holds it back until the finish chunk.
    vendor.reply = lambda body: "Compare 3 <EMAIL_"

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    chunks = list(stream)

    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == "Compare 3 <EMAIL_"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].choices[0].delta.content


def test_other_attributes_pass_through(vendor: MockVendor, policy: ingate.Policy) -> None:
    raw = client_for(vendor)
    client = ingate.openai.wrap(raw, policy)

    assert client.models is raw.models
    assert client.api_key == "test-key"
    assert client.chat.completions.with_raw_response is not None
    assert isinstance(client.with_options(timeout=5).chat.completions, type(client.chat.completions))


def test_wrap_rejects_other_clients(policy: ingate.Policy) -> None:
    with pytest.raises(TypeError, match="openai.OpenAI"):
        ingate.openai.wrap(object(), policy)


def test_async_create_and_stream(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.chunk_size = 2
    client = ingate.openai.wrap(
        client_for(vendor, openai.AsyncOpenAI), policy, scope="acme", on_record=records.append
    )
    messages = [{"role": "user", "content": PROMPT}]

    async def run() -> tuple[str, str]:
        response = await client.chat.completions.create(model=MODEL, messages=messages)
        stream = await client.chat.completions.create(model=MODEL, messages=messages, stream=True)
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
        await client.close()
        return response.choices[0].message.content, "".join(pieces)

    whole, streamed = asyncio.run(run())

    assert EMAIL not in sent_text(vendor)
    assert whole.startswith(f"Noted: {EMAIL}, ")
    assert streamed == whole
    assert [record.output_tokens for record in records] == [vendor.usage_output] * 2
    assert acme_usd(policy).reservations == 0


def test_async_stream_stopped_early_settles(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.reply = lambda body: "word " * 400
    client = ingate.openai.wrap(
        client_for(vendor, openai.AsyncOpenAI), policy, scope="acme", on_record=records.append
    )

    async def run() -> list[str]:
        delivered = []
        stream = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async with stream:
            async for chunk in stream:
                delivered.append(chunk.choices[0].delta.content or "")
                if len(delivered) == 3:
                    break
        return delivered

    delivered = asyncio.run(run())

    (record,) = records
    assert record.output_tokens == policy.count_tokens(MODEL, "".join(delivered)).tokens
    assert acme_usd(policy).reservations == 0
