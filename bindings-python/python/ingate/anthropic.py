"""Apply an ingate policy to every message created with the Anthropic SDK.

    import anthropic, ingate, ingate.anthropic

    policy = ingate.Policy.from_file("policy.toml")
    client = ingate.anthropic.wrap(anthropic.Anthropic(), policy, scope="acme/support")
    message = client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, messages=[...])

Before the request leaves the process, `client.messages.create` then resolves
the model, redacts the system prompt and the messages, counts the input and
reserves budget. Afterwards it puts the redacted values back into the answer
and settles the reservation with the usage that the response reports. Every
other attribute of the client is the SDK's own, untouched.

The policy reads chat requests in OpenAI's shape, so each request is
converted for `Policy.begin`: the system prompt becomes a system message,
text blocks (also inside tool results) become text parts, images become image
parts, and `tool_use` blocks become tool calls with their input as JSON
arguments. The redacted texts are then written back into a copy of the
Anthropic request, so what is sent keeps every block, field and order that
the caller gave. Thinking blocks are neither redacted nor counted, because
the vendor checks their signatures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeGuard

import anthropic
from anthropic.types import InputJSONDelta, RawContentBlockDeltaEvent, TextDelta

from . import Call, Policy, StreamRestorer
from ._streams import AsyncStream, Stream
from ._wrapping import Proxy, RecordHandler, Settings, abort

__all__ = ["wrap"]



def wrap(
    client: Any,
    policy: Policy,
    scope: str | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    on_record: RecordHandler | None = None,
) -> Any:
    """Return `client` with the policy applied to `messages.create`.

    `client` is an `anthropic.Anthropic` or `anthropic.AsyncAnthropic`. Calls
    are charged to `scope` (the policy's default scope when `None`) and
    labelled with `tags`. `on_record` receives the record of every finished or
    aborted call.
    """
    if not isinstance(client, (anthropic.Anthropic, anthropic.AsyncAnthropic)):
        raise TypeError(
            f"ingate.anthropic.wrap expects an anthropic.Anthropic or anthropic.AsyncAnthropic "
            f"client, got {type(client).__name__}; for OpenAI use ingate.openai.wrap"
        )
    is_async = isinstance(client, anthropic.AsyncAnthropic)
    settings = Settings(policy, scope, dict(tags or {}), on_record, is_async)
    return _WrappedClient(client, settings)


class _WrappedClient(Proxy):
    __slots__ = ()

    @property
    def messages(self) -> _Messages | _AsyncMessages:
        if self._settings.is_async:
            return _AsyncMessages(self._target.messages, self._settings)
        return _Messages(self._target.messages, self._settings)

    def with_options(self, **options: Any) -> _WrappedClient:
        return _WrappedClient(self._target.with_options(**options), self._settings)

    copy = with_options


class _Messages(Proxy):
    __slots__ = ()

    def create(self, **kwargs: Any) -> Any:
        """Create a message under the policy; the arguments are the SDK's."""
        settings = self._settings
        prepared = _PreparedRequest(kwargs)
        call = settings.policy.begin(prepared.request, scope=settings.scope, tags=settings.tags)
        kwargs = prepared.sent_arguments(settings, call, kwargs)
        try:
            response = self._target.create(**kwargs)
        except BaseException as error:
            abort(settings, call, error)
            raise
        if kwargs.get("stream") is True:
            return Stream(response, _StreamState(settings, call))
        try:
            record = call.finish(_restore_response(settings, call, response))
        except BaseException as error:
            abort(settings, call, error)
            raise
        settings.report(record)
        return response


class _AsyncMessages(Proxy):
    __slots__ = ()

    async def create(self, **kwargs: Any) -> Any:
        """Create a message under the policy; the arguments are the SDK's.

        The reservation and the settlement of a whole response run in a worker
        thread, so a SQLite or Redis store does not block the event loop.
        """
        settings = self._settings
        prepared = _PreparedRequest(kwargs)
        call = await settings.policy.begin_async(
            prepared.request, scope=settings.scope, tags=settings.tags
        )
        kwargs = prepared.sent_arguments(settings, call, kwargs)
        try:
            response = await self._target.create(**kwargs)
        except BaseException as error:
            abort(settings, call, error)
            raise
        if kwargs.get("stream") is True:
            # NOTE: the stream settles with the synchronous `finish`, on the event loop.
            return AsyncStream(response, _StreamState(settings, call))
        try:
            record = await call.finish_async(_restore_response(settings, call, response))
        except BaseException as error:
            abort(settings, call, error)
            raise
        settings.report(record)
        return response


def _given(value: Any) -> TypeGuard[Any]:
    return value is not None and not isinstance(value, (anthropic.NotGiven, anthropic.Omit))


def _plain(value: Any) -> Any:
    """Return a copy of `value` as plain JSON data, dumping SDK models the way the SDK sends them."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(
            exclude_unset=True, mode="json", exclude=getattr(value, "__api_exclude__", None)
        )
    return value


class _ChatRequest:
    """An OpenAI-shaped chat request built from an Anthropic one, for `Policy.begin`.

    Each text taken from the Anthropic request is remembered as a slot: where
    it sits in the chat request, and the dict and key it came from in the
    Anthropic copy, so the redacted text can be written back.
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        # Each slot is (chat message index, place, Anthropic dict, key). The place is a
        # part index, None for string content, or ("tool", n) for the n-th tool call.
        self.slots: list[tuple[int, Any, dict[str, Any], str]] = []

    def add_system(self, holder: dict[str, Any]) -> None:
        system = holder["system"]
        if isinstance(system, str):
            self.slots.append((len(self.messages), None, holder, "system"))
            self.messages.append({"role": "system", "content": system})
        elif isinstance(system, list):
            parts: list[dict[str, Any]] = []
            for block in system:
                self._add_block(block, parts, [])
            self.messages.append({"role": "system", "content": parts})

    def add_message(self, message: dict[str, Any]) -> None:
        content = message.get("content")
        entry: dict[str, Any] = {"role": message.get("role", "")}
        if isinstance(content, str):
            self.slots.append((len(self.messages), None, message, "content"))
            entry["content"] = content
        elif isinstance(content, list):
            parts: list[dict[str, Any]] = []
            tool_calls: list[dict[str, Any]] = []
            for block in content:
                self._add_block(block, parts, tool_calls)
            entry["content"] = parts
            if tool_calls:
                entry["tool_calls"] = tool_calls
        self.messages.append(entry)

    def _add_block(
        self, block: Any, parts: list[dict[str, Any]], tool_calls: list[dict[str, Any]]
    ) -> None:
        if not isinstance(block, dict):
            return
        kind = block.get("type")
        index = len(self.messages)
        if kind == "text" and isinstance(block.get("text"), str):
            self.slots.append((index, len(parts), block, "text"))
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "image":
            image = _image_part(block.get("source"))
            if image is not None:
                parts.append(image)
        elif kind == "document":
            source = block.get("source")
            if isinstance(source, dict) and source.get("type") == "text":
                if isinstance(source.get("data"), str):
                    self.slots.append((index, len(parts), source, "data"))
                    parts.append({"type": "text", "text": source["data"]})
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input", {}), ensure_ascii=False)
            self.slots.append((index, ("tool", len(tool_calls)), block, "input"))
            tool_calls.append(
                {
                    "id": str(block.get("id", "")),
                    "type": "function",
                    "function": {"name": str(block.get("name", "")), "arguments": arguments},
                }
            )
        elif kind == "tool_result":
            result = block.get("content")
            if isinstance(result, str):
                self.slots.append((index, len(parts), block, "content"))
                parts.append({"type": "text", "text": result})
            elif isinstance(result, list):
                for inner in result:
                    self._add_block(inner, parts, tool_calls)
        # Thinking, redacted thinking and server tool blocks are sent as given.

    def write_back(self, sent_messages: list[dict[str, Any]]) -> None:
        """Copy the redacted texts of the policy's request into the Anthropic copy."""
        for message_index, place, container, key in self.slots:
            message = sent_messages[message_index]
            if place is None:
                redacted = message["content"]
            elif isinstance(place, tuple):
                arguments = message["tool_calls"][place[1]]["function"]["arguments"]
                if arguments != json.dumps(container.get(key, {}), ensure_ascii=False):
                    container[key] = json.loads(arguments)
                continue
            else:
                redacted = message["content"][place]["text"]
            container[key] = redacted


def _image_part(source: Any) -> dict[str, Any] | None:
    """Return an OpenAI image part for an Anthropic image source, so its tokens are estimated."""
    if not isinstance(source, dict):
        return None
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        media_type = source.get("media_type", "image/png")
        url = f"data:{media_type};base64,{source['data']}"
        return {"type": "image_url", "image_url": {"url": url}}
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return {"type": "image_url", "image_url": {"url": source["url"]}}
    return None


def _tool_definition(tool: Any) -> dict[str, Any] | None:
    """Return the OpenAI form of a client tool; server tools have no schema to count."""
    if not isinstance(tool, dict) or "input_schema" not in tool:
        return None
    function: dict[str, Any] = {"name": str(tool.get("name", "")), "parameters": tool["input_schema"]}
    if isinstance(tool.get("description"), str):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}


class _PreparedRequest:
    """The policy's request for the SDK arguments, and the messages to write redacted text back to."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        messages = kwargs.get("messages")
        self.anthropic_request: dict[str, Any] = {
            "messages": _plain(list(messages)) if _given(messages) else [],
        }
        system = kwargs.get("system")
        if _given(system):
            self.anthropic_request["system"] = _plain(system)

        self.chat = _ChatRequest()
        if "system" in self.anthropic_request:
            self.chat.add_system(self.anthropic_request)
        for message in self.anthropic_request["messages"]:
            if isinstance(message, dict):
                self.chat.add_message(message)
        self.request: dict[str, Any] = {"model": kwargs.get("model"), "messages": self.chat.messages}
        max_tokens = kwargs.get("max_tokens")
        if _given(max_tokens):
            self.request["max_tokens"] = max_tokens
        tools = kwargs.get("tools")
        if _given(tools):
            definitions = [_tool_definition(tool) for tool in _plain(list(tools))]
            self.request["tools"] = [definition for definition in definitions if definition is not None]

    def sent_arguments(self, settings: Settings, call: Call, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Return the SDK arguments to send for the begun call: model resolved, text redacted."""
        try:
            sent = call.request
            self.chat.write_back(sent["messages"])
            kwargs = dict(kwargs, model=sent["model"], messages=self.anthropic_request["messages"])
            if "system" in self.anthropic_request:
                kwargs["system"] = self.anthropic_request["system"]
        except BaseException as error:
            abort(settings, call, error)
            raise
        return kwargs


def _restore_values(call: Call, value: Any) -> Any:
    """Return a copy of decoded JSON `value` with every string, keys included, restored."""
    if isinstance(value, str):
        return call.restore(value)
    if isinstance(value, list):
        return [_restore_values(call, item) for item in value]
    if isinstance(value, dict):
        return {call.restore(str(key)): _restore_values(call, item) for key, item in value.items()}
    return value


# The usage fields that Anthropic bills by. Other fields of the SDK's usage object
# (`output_tokens_details`, `server_tool_use`, ...) are left out, because a key
# such as `output_tokens_details` would make the policy read the object as an
# OpenAI Responses API usage, which counts cached input differently.
_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _usage(usage: Any) -> dict[str, Any]:
    """Return the billed fields of an Anthropic usage object or dict that are set."""
    plain = _plain(usage)
    return {key: plain[key] for key in _USAGE_FIELDS if plain.get(key) is not None}


def _restore_response(settings: Settings, call: Call, response: Any) -> dict[str, Any]:
    """Restore a whole message in place and return the usage to settle with."""
    output = []
    for block in response.content:
        if block.type == "text":
            output.append(block.text)
            block.text = call.restore(block.text)
        elif block.type == "tool_use":
            output.append(json.dumps(block.input, ensure_ascii=False))
            block.input = _restore_values(call, block.input)
    usage = _usage(response.usage) if response.usage is not None else {}
    if "input_tokens" not in usage or "output_tokens" not in usage:
        usage = _counted_usage(settings, call, usage, "".join(output))
    return usage


def _counted_usage(
    settings: Settings, call: Call, reported: dict[str, Any] | None, output: str
) -> dict[str, Any]:
    """Return usage with the output counted from `output`, for a stream stopped early
    or a response without usage.

    The input is the vendor's count (from `message_start` in a stream) when it
    was reported, else the policy's own count.
    """
    # `call.model` is the catalog id, which always resolves; the name sent may lack its prefix.
    output_tokens = settings.policy.count_tokens(call.model, output).tokens if output else 0
    if reported is None or "input_tokens" not in reported:
        return {"input_tokens": call.input_tokens.tokens, "output_tokens": output_tokens}
    return dict(reported, output_tokens=output_tokens)


class _StreamState:
    """Restores the events of one streamed message and settles its call once.

    Each text block and each `tool_use` block has its own stream restorer,
    which holds back a placeholder split across deltas until the delta that
    completes it arrives. A `tool_use` block's input arrives as JSON text
    (`input_json_delta`), so its restorer writes the restored values JSON-escaped.
    """

    def __init__(self, settings: Settings, call: Call) -> None:
        self.settings = settings
        self.call = call
        # Keyed by block index: the restorer, and whether the block's text is JSON.
        self.restorers: dict[int, tuple[StreamRestorer, bool]] = {}
        self.output: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.finished_message = False
        self.settled = False

    def restorer(self, index: int, is_json: bool = False) -> StreamRestorer:
        entry = self.restorers.get(index)
        if entry is None:
            restorer = self.call.json_stream_restorer() if is_json else self.call.stream_restorer()
            entry = (restorer, is_json)
            self.restorers[index] = entry
        return entry[0]

    def process(self, event: Any) -> list[Any]:
        """Restore one event in place; return the events to hand to the caller."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            usage = event.message.usage
            self.usage = _usage(usage) if usage is not None else None
        elif kind == "content_block_start":
            block = event.content_block
            block_type = getattr(block, "type", None)
            if block_type == "text" and block.text:
                self.output.append(block.text)
                block.text = self.restorer(event.index).push(block.text)
            elif block_type == "tool_use" and block.input:
                # A start event normally carries `{}`, because the input streams as `input_json_delta`.
                block.input = _restore_values(self.call, block.input)
        elif kind == "content_block_delta":
            delta = event.delta
            delta_type = getattr(delta, "type", None)
            if delta_type == "text_delta":
                self.output.append(delta.text)
                delta.text = self.restorer(event.index).push(delta.text)
            elif delta_type == "input_json_delta":
                self.output.append(delta.partial_json)
                delta.partial_json = self.restorer(event.index, is_json=True).push(delta.partial_json)
            elif delta_type == "thinking_delta":
                self.output.append(delta.thinking)
        elif kind == "content_block_stop":
            rest = self._flush(event.index)
            if rest is not None:
                return [rest, event]
        elif kind == "message_delta":
            self.finished_message = True
            if event.usage is not None:
                self.usage = dict(self.usage or {}, **_usage(event.usage))
        return [event]

    def _flush(self, index: int) -> Any:
        """Return a delta event with the text the block's restorer still holds back, if any."""
        entry = self.restorers.pop(index, None)
        if entry is None:
            return None
        restorer, is_json = entry
        rest = restorer.finish()
        if not rest:
            return None
        delta: InputJSONDelta | TextDelta
        if is_json:
            delta = InputJSONDelta(type="input_json_delta", partial_json=rest)
        else:
            delta = TextDelta(type="text_delta", text=rest)
        return RawContentBlockDeltaEvent(type="content_block_delta", index=index, delta=delta)

    def leftover(self) -> list[Any]:
        """Return delta events with the text still held back when the stream ended early."""
        events = [self._flush(index) for index in sorted(self.restorers)]
        return [event for event in events if event is not None]

    def settle(self) -> None:
        """Settle the call with the reported usage, else with the output delivered so far."""
        if self.settled:
            return
        self.settled = True
        usage = self.usage
        if usage is None or not self.finished_message or "output_tokens" not in usage:
            usage = _counted_usage(self.settings, self.call, self.usage, "".join(self.output))
        self.settings.report(self.call.finish(usage))

    def fail(self, error: BaseException) -> None:
        if self.settled:
            return
        self.settled = True
        abort(self.settings, self.call, error)
