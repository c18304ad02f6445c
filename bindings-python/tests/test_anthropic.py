"""ingate.anthropic.wrap with the real Anthropic SDK against a local mock of the API."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import anthropic
import pytest
from conftest import TICKET, TICKET_POLICY, acme_usd, budget_policy, sent_text
from mock_vendor import MockVendor

import ingate
import ingate.anthropic

EMAIL = "alice.smith@example.com"
OTHER_EMAIL = "bob.jones@example.org"
# An OpenAI-style project key: the default policy's `secrets` detector matches its shape.
API_KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3kL5nP7r"
MODEL = "claude-haiku-4-5"

PROMPT = f"Write to {EMAIL} and rotate the key {API_KEY} today."


@pytest.fixture
def policy(tmp_path: Path) -> ingate.Policy:
    return budget_policy(tmp_path)


def client_for(vendor: MockVendor, cls: type = anthropic.Anthropic):
    return cls(api_key="test-key", base_url=vendor.url, max_retries=0)


def reference_cost(input_tokens: int, output_tokens: int) -> Decimal:
    """Return the cost of the usage on the same model, settled on a separate in-memory policy."""
    call = ingate.Policy.default().begin(
        {"model": MODEL, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}
    )
    record = call.finish({"input_tokens": input_tokens, "output_tokens": output_tokens})
    return record.cost_usd


def test_create_redacts_request_and_restores_answer(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    message = client.messages.create(
        model=MODEL, max_tokens=200, messages=[{"role": "user", "content": PROMPT}]
    )

    sent = sent_text(vendor)
    assert EMAIL not in sent
    assert API_KEY not in sent
    assert "<EMAIL_1>" in sent
    assert vendor.last_body["model"].startswith(MODEL)
    assert vendor.last_body["max_tokens"] == 200
    assert message.content[0].text.startswith(f"Noted: {EMAIL}, ")
    assert API_KEY in message.content[0].text

    (record,) = records
    assert record.input_tokens == vendor.usage_input
    assert record.output_tokens == vendor.usage_output
    assert record.cost_usd == reference_cost(vendor.usage_input, vendor.usage_output)
    assert acme_usd(policy).spent == record.cost_usd
    assert acme_usd(policy).reservations == 0


def test_blocks_system_and_tools_keep_their_shape(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme")
    tools = [
        {
            "name": "send_mail",
            "description": "Send an email.",
            "input_schema": {"type": "object", "properties": {"to": {"type": "string"}}},
        }
    ]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Sending."},
                {"type": "tool_use", "id": "toolu_1", "name": "send_mail", "input": {"to": OTHER_EMAIL}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": f"sent to {OTHER_EMAIL}"},
            ],
        },
    ]
    original = json.dumps(messages)

    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        system=[{"type": "text", "text": f"The operator is {EMAIL}."}],
        messages=messages,
        tools=tools,
    )

    body = vendor.last_body
    assert EMAIL not in sent_text(vendor)
    assert OTHER_EMAIL not in sent_text(vendor)
    assert json.dumps(messages) == original, "the caller's messages are not changed"
    assert body["system"][0]["text"] == "The operator is <EMAIL_1>."
    first = body["messages"][0]["content"]
    assert first[0]["cache_control"] == {"type": "ephemeral"}
    assert first[0]["text"].startswith("Write to <EMAIL_1> ")
    assert first[1] == messages[0]["content"][1]
    tool_use = body["messages"][1]["content"][1]
    assert tool_use["id"] == "toolu_1"
    assert tool_use["input"] == {"to": "<EMAIL_2>"}
    assert body["messages"][2]["content"][0]["content"] == "sent to <EMAIL_2>"
    assert body["tools"] == tools
    assert message.content[0].text.startswith(f"Noted: {EMAIL}, ")
    assert OTHER_EMAIL in message.content[0].text


TICKET_PROMPT = f"Reopen {TICKET} for {EMAIL} please."
# The vendor's tool input: placeholders in values, in a list and in a key, and one no call issued.
TOOL_ARGUMENTS = '{"ticket": "<TICKET_1>", "cc": ["<EMAIL_1>", "<TICKET_9>"], "notes": {"<EMAIL_1>": "ok"}}'
RESTORED_INPUT = {"ticket": TICKET, "cc": [EMAIL, "<TICKET_9>"], "notes": {EMAIL: "ok"}}


def test_tool_use_input_is_restored(vendor: MockVendor) -> None:
    client = ingate.anthropic.wrap(client_for(vendor), ingate.Policy.from_toml(TICKET_POLICY))
    vendor.tool_call = ("open_ticket", TOOL_ARGUMENTS)

    message = client.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": TICKET_PROMPT}]
    )

    assert vendor.last_body["messages"][0]["content"] == "Reopen <TICKET_1> for <EMAIL_1> please."
    tool_use = message.content[1]
    assert tool_use.type == "tool_use"
    assert tool_use.input == RESTORED_INPUT


def test_streamed_tool_use_input_escapes_restored_values(vendor: MockVendor) -> None:
    client = ingate.anthropic.wrap(client_for(vendor), ingate.Policy.from_toml(TICKET_POLICY))
    vendor.chunk_size = 2
    vendor.tool_call = ("open_ticket", TOOL_ARGUMENTS)

    events = list(
        client.messages.create(
            model=MODEL, max_tokens=100, messages=[{"role": "user", "content": TICKET_PROMPT}], stream=True
        )
    )

    partial_json = "".join(
        event.delta.partial_json
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "input_json_delta"
    )
    assert json.loads(partial_json) == RESTORED_INPUT
    text = "".join(
        event.delta.text
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "text_delta"
    )
    assert text == f"Noted: {TICKET}, {EMAIL}."


def test_stream_restores_split_placeholders(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.chunk_size = 2
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    stream = client.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    first = next(stream)
    assert acme_usd(policy).reservations == 1
    events = [first, *stream]

    text = "".join(
        event.delta.text
        for event in events
        if event.type == "content_block_delta" and event.delta.type == "text_delta"
    )
    assert text.startswith(f"Noted: {EMAIL}, ")
    assert API_KEY in text
    assert "<" not in text
    assert [event.type for event in events][-2:] == ["message_delta", "message_stop"]
    (record,) = records
    assert record.input_tokens == vendor.usage_input
    assert record.output_tokens == vendor.usage_output
    status = acme_usd(policy)
    assert status.reservations == 0
    assert status.spent == reference_cost(vendor.usage_input, vendor.usage_output)


def test_stream_releases_held_back_tail(vendor: MockVendor, policy: ingate.Policy) -> None:
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme")
    vendor.chunk_size = 2
    # Ends like the start of a placeholder, so the restorer holds it back until the block ends.
    vendor.reply = lambda body: "Compare 3 <EMAIL_"

    events = list(
        client.messages.create(
            model=MODEL, max_tokens=100, messages=[{"role": "user", "content": PROMPT}], stream=True
        )
    )

    types = [event.type for event in events]
    stop = types.index("content_block_stop")
    assert types[stop - 1] == "content_block_delta"
    # One delta more than the vendor sent: the held-back tail, just before the block's end.
    assert types.count("content_block_delta") == len(vendor.chunks("Compare 3 <EMAIL_")) + 1
    text = "".join(event.delta.text for event in events if event.type == "content_block_delta")
    assert text == "Compare 3 <EMAIL_"


@pytest.mark.parametrize("stop", ["break_and_collect", "close", "with_block"])
def test_stream_stopped_early_settles_delivered_output(
    vendor: MockVendor, policy: ingate.Policy, stop: str
) -> None:
    records = []
    vendor.reply = lambda body: "word " * 400
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)
    arguments = dict(model=MODEL, max_tokens=1000, messages=[{"role": "user", "content": "hi"}], stream=True)

    delivered = []

    def read(stream) -> None:
        for event in stream:
            if event.type == "content_block_delta":
                delivered.append(event.delta.text)
                if len(delivered) == 4:
                    break

    if stop == "with_block":
        with client.messages.create(**arguments) as stream:
            read(stream)
    else:
        stream = client.messages.create(**arguments)
        read(stream)
        if stop == "close":
            stream.close()
        else:
            del stream
            # CPython finalizes the stream as soon as its last reference goes.
            assert len(records) == 1

    (record,) = records
    expected = policy.count_tokens(MODEL, "".join(delivered)).tokens
    assert expected > 0
    assert record.output_tokens == expected
    # The input count is the vendor's, from message_start.
    assert record.input_tokens == vendor.usage_input
    status = acme_usd(policy)
    assert status.reservations == 0
    assert status.spent == record.cost_usd


def test_vendor_error_aborts_and_releases(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.status = 500
    client = ingate.anthropic.wrap(client_for(vendor), policy, scope="acme", on_record=records.append)

    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": PROMPT}])

    (record,) = records
    assert "InternalServerError" in (record.abort_reason or "")
    status = acme_usd(policy)
    assert status.reservations == 0
    assert status.reserved == 0
    assert status.spent == 0


def test_other_attributes_pass_through(vendor: MockVendor, policy: ingate.Policy) -> None:
    raw = client_for(vendor)
    client = ingate.anthropic.wrap(raw, policy)

    assert client.models is raw.models
    assert client.api_key == "test-key"
    assert client.messages.batches is raw.messages.batches


def test_async_create_and_stream(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.chunk_size = 2
    client = ingate.anthropic.wrap(
        client_for(vendor, anthropic.AsyncAnthropic), policy, scope="acme", on_record=records.append
    )
    arguments = dict(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": PROMPT}])

    async def run() -> tuple[str, str]:
        message = await client.messages.create(**arguments)
        stream = await client.messages.create(**arguments, stream=True)
        pieces = [
            event.delta.text
            async for event in stream
            if event.type == "content_block_delta" and event.delta.type == "text_delta"
        ]
        await client.close()
        return message.content[0].text, "".join(pieces)

    whole, streamed = asyncio.run(run())

    assert EMAIL not in sent_text(vendor)
    assert whole.startswith(f"Noted: {EMAIL}, ")
    assert streamed == whole
    assert [record.output_tokens for record in records] == [vendor.usage_output] * 2
    assert acme_usd(policy).reservations == 0


def test_async_stream_stopped_early_settles(vendor: MockVendor, policy: ingate.Policy) -> None:
    records = []
    vendor.reply = lambda body: "word " * 400
    client = ingate.anthropic.wrap(
        client_for(vendor, anthropic.AsyncAnthropic), policy, scope="acme", on_record=records.append
    )

    async def run() -> list[str]:
        delivered = []
        stream = await client.messages.create(
            model=MODEL, max_tokens=1000, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async with stream:
            async for event in stream:
                if event.type == "content_block_delta":
                    delivered.append(event.delta.text)
                    if len(delivered) == 3:
                        break
        return delivered

    delivered = asyncio.run(run())

    (record,) = records
    assert record.output_tokens == policy.count_tokens(MODEL, "".join(delivered)).tokens
    assert record.input_tokens == vendor.usage_input
    assert acme_usd(policy).reservations == 0
