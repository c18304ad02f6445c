"""Apply an ingate policy to every chat completion made with the OpenAI SDK.

    import openai, ingate, ingate.openai

    policy = ingate.Policy.from_file("policy.toml")
    client = ingate.openai.wrap(openai.OpenAI(), policy, scope="acme/search")
    response = client.chat.completions.create(model="gpt-4o", messages=[...])

Before the request leaves the process, `client.chat.completions.create` then
resolves the model, redacts the messages, counts the input and reserves
budget. Afterwards it puts the redacted values back into the response and
settles the reservation with the usage that the response reports. Every other
attribute of the client is the SDK's own, untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

import openai
from openai.types.chat.chat_completion_chunk import (
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)

from . import Call, Policy
from ._streams import AsyncStream, Stream
from ._wrapping import Proxy, RecordHandler, Settings, abort

__all__ = ["wrap"]


# Request fields that the policy reads: the model, the messages, the tools and the output cap.
_POLICY_FIELDS = ("tools", "max_tokens", "max_completion_tokens")


def wrap(
    client: Any,
    policy: Policy,
    scope: str | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    on_record: RecordHandler | None = None,
) -> Any:
    """Return `client` with the policy applied to `chat.completions.create`.

    `client` is an `openai.OpenAI` or `openai.AsyncOpenAI` (or a subclass such
    as `AzureOpenAI`). Calls are charged to `scope` (the policy's default scope
    when `None`) and labelled with `tags`. `on_record` receives the record of
    every finished or aborted call.
    """
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise TypeError(
            f"ingate.openai.wrap expects an openai.OpenAI or openai.AsyncOpenAI client, "
            f"got {type(client).__name__}; for Anthropic use ingate.anthropic.wrap"
        )
    is_async = isinstance(client, openai.AsyncOpenAI)
    settings = Settings(policy, scope, dict(tags or {}), on_record, is_async)
    return _WrappedClient(client, settings)


class _WrappedClient(Proxy):
    __slots__ = ()

    @property
    def chat(self) -> _WrappedChat:
        return _WrappedChat(self._target.chat, self._settings)

    def with_options(self, **options: Any) -> _WrappedClient:
        return _WrappedClient(self._target.with_options(**options), self._settings)

    copy = with_options


class _WrappedChat(Proxy):
    __slots__ = ()

    @property
    def completions(self) -> _Completions | _AsyncCompletions:
        completions = self._target.completions
        if self._settings.is_async:
            return _AsyncCompletions(completions, self._settings)
        return _Completions(completions, self._settings)


class _Completions(Proxy):
    __slots__ = ()

    def create(self, **kwargs: Any) -> Any:
        """Create a chat completion under the policy; the arguments are the SDK's."""
        settings = self._settings
        call = settings.policy.begin(_policy_request(kwargs), scope=settings.scope, tags=settings.tags)
        kwargs, usage_requested = _sent_arguments(settings, call, kwargs)
        try:
            response = self._target.create(**kwargs)
        except BaseException as error:
            abort(settings, call, error)
            raise
        if kwargs.get("stream") is True:
            return Stream(response, _StreamState(settings, call, usage_requested))
        try:
            record = call.finish(_restore_response(settings, call, response))
        except BaseException as error:
            abort(settings, call, error)
            raise
        settings.report(record)
        return response


class _AsyncCompletions(Proxy):
    __slots__ = ()

    async def create(self, **kwargs: Any) -> Any:
        """Create a chat completion under the policy; the arguments are the SDK's.

        The reservation and the settlement of a whole response run in a worker
        thread, so a SQLite or Redis store does not block the event loop.
        """
        settings = self._settings
        request = _policy_request(kwargs)
        call = await settings.policy.begin_async(request, scope=settings.scope, tags=settings.tags)
        kwargs, usage_requested = _sent_arguments(settings, call, kwargs)
        try:
            response = await self._target.create(**kwargs)
        except BaseException as error:
            abort(settings, call, error)
            raise
        if kwargs.get("stream") is True:
            # NOTE: the stream settles with the synchronous `finish`, on the event loop.
            return AsyncStream(response, _StreamState(settings, call, usage_requested))
        try:
            record = await call.finish_async(_restore_response(settings, call, response))
        except BaseException as error:
            abort(settings, call, error)
            raise
        settings.report(record)
        return response


def _given(value: Any) -> TypeGuard[Any]:
    return value is not None and not isinstance(value, (openai.NotGiven, openai.Omit))


def _plain(value: Any) -> Any:
    """Return `value` as plain JSON data, dumping SDK models the way the SDK sends them."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(
            exclude_unset=True, mode="json", exclude=getattr(value, "__api_exclude__", None)
        )
    return value


def _policy_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the request that the policy reads from the SDK arguments."""
    messages = kwargs.get("messages")
    request: dict[str, Any] = {
        "model": kwargs.get("model"),
        "messages": _plain(list(messages)) if _given(messages) else [],
    }
    for field in _POLICY_FIELDS:
        value = kwargs.get(field)
        if _given(value):
            request[field] = _plain(list(value) if field == "tools" else value)
    if "tools" in request:
        # Only function tools have a definition the policy counts; custom tools pass unchanged.
        request["tools"] = [
            tool for tool in request["tools"] if isinstance(tool, dict) and "function" in tool
        ]
    return request


def _sent_arguments(
    settings: Settings, call: Call, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Return the SDK arguments to send for a begun call, and whether the caller asked for usage."""
    try:
        sent = call.request
        kwargs = dict(kwargs, model=sent["model"], messages=sent["messages"])

        usage_requested = False
        if kwargs.get("stream") is True:
            options = kwargs.get("stream_options")
            options = dict(options) if _given(options) else {}
            usage_requested = bool(options.get("include_usage"))
            options["include_usage"] = True
            kwargs["stream_options"] = options
    except BaseException as error:
        abort(settings, call, error)
        raise
    return kwargs, usage_requested


def _restore_response(settings: Settings, call: Call, response: Any) -> Any:
    """Restore a whole chat completion in place and return the usage to settle with."""
    output = []
    for choice in response.choices:
        message = choice.message
        if isinstance(message.content, str):
            output.append(message.content)
            message.content = call.restore(message.content)
        for tool_call in message.tool_calls or ():
            function = getattr(tool_call, "function", None)
            if function is not None and isinstance(function.arguments, str):
                output.append(function.arguments)
                # Arguments are JSON, so the restored values are JSON-escaped.
                function.arguments = call.restore_json(function.arguments)
    if response.usage is not None:
        return response.usage
    return _counted_usage(settings, call, "".join(output))


def _counted_usage(settings: Settings, call: Call, output: str) -> dict[str, int]:
    """Return usage for a response that reported none: the counted input and `output`."""
    # `call.model` is the catalog id, which always resolves; the name sent may lack its prefix.
    output_tokens = settings.policy.count_tokens(call.model, output).tokens if output else 0
    return {"prompt_tokens": call.input_tokens.tokens, "completion_tokens": output_tokens}


class _StreamState:
    """Restores the chunks of one streamed completion and settles its call once.

    The content of each choice, and the arguments of each of its tool calls,
    have their own stream restorer. A restorer holds back a placeholder split
    across chunks until the chunk that completes it arrives. The restorers of
    tool-call arguments write the restored values JSON-escaped.
    """

    def __init__(self, settings: Settings, call: Call, usage_requested: bool) -> None:
        self.settings = settings
        self.call = call
        self.usage_requested = usage_requested
        # Keyed by (choice index, None) for content and (choice index, tool call index).
        self.restorers: dict[tuple[int, int | None], Any] = {}
        self.output: list[str] = []
        self.usage: Any = None
        self.last_chunk: Any = None
        self.settled = False

    def push(self, key: tuple[int, int | None], text: str) -> str:
        restorer = self.restorers.get(key)
        if restorer is None:
            is_content = key[1] is None
            restorer = self.call.stream_restorer() if is_content else self.call.json_stream_restorer()
            self.restorers[key] = restorer
        self.output.append(text)
        restored: str = restorer.push(text)
        return restored

    def held_back(self, choice_index: int | None = None) -> dict[tuple[int, int | None], str]:
        """Finish the restorers of one choice (or all) and return the text they held back."""
        keys = [key for key in self.restorers if choice_index is None or key[0] == choice_index]
        # Content first, then the tool calls in their order.
        keys.sort(key=lambda key: (key[0], -1 if key[1] is None else key[1]))
        rests = {key: self.restorers.pop(key).finish() for key in keys}
        return {key: rest for key, rest in rests.items() if rest}

    def process(self, chunk: Any) -> list[Any]:
        """Restore one chunk in place; return it, or nothing for a chunk the caller must not see."""
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta is None:
                continue
            if isinstance(delta.content, str) and delta.content:
                delta.content = self.push((choice.index, None), delta.content)
            for tool_call in delta.tool_calls or ():
                function = tool_call.function
                if function is not None and isinstance(function.arguments, str) and function.arguments:
                    function.arguments = self.push((choice.index, tool_call.index), function.arguments)
            if choice.finish_reason is not None:
                # What a choice's restorers still hold comes out with its finish chunk.
                _append_rests(delta, self.held_back(choice.index))
        if chunk.choices:
            self.last_chunk = chunk
        elif not self.usage_requested:
            # The usage-only chunk exists because the policy asked for it; a caller that
            # did not ask may index `choices[0]` on every chunk.
            return []
        return [chunk]

    def leftover(self) -> list[Any]:
        """Return a chunk with the text still held back when the stream ended early, if any."""
        rests = self.held_back()
        if not rests or self.last_chunk is None:
            return []
        template = self.last_chunk
        choices = []
        for choice_index in sorted({key[0] for key in rests}):
            choice = template.choices[0].model_copy(deep=True)
            choice.index = choice_index
            choice.finish_reason = None
            choice.delta = ChoiceDelta()
            _append_rests(
                choice.delta, {key: rest for key, rest in rests.items() if key[0] == choice_index}
            )
            choices.append(choice)
        return [template.model_copy(update={"choices": choices, "usage": None})]

    def settle(self) -> None:
        """Settle the call with the reported usage, else with the output delivered so far."""
        if self.settled:
            return
        self.settled = True
        usage = self.usage
        if usage is None:
            usage = _counted_usage(self.settings, self.call, "".join(self.output))
        self.settings.report(self.call.finish(usage))

    def fail(self, error: BaseException) -> None:
        if self.settled:
            return
        self.settled = True
        abort(self.settings, self.call, error)


def _append_rests(delta: Any, rests: dict[tuple[int, int | None], str]) -> None:
    """Append held-back text to a delta: content, or one tool-call fragment per tool call."""
    for (_, tool_index), rest in rests.items():
        if tool_index is None:
            delta.content = (delta.content or "") + rest
        else:
            fragment = ChoiceDeltaToolCall(
                index=tool_index, function=ChoiceDeltaToolCallFunction(arguments=rest)
            )
            delta.tool_calls = [*(delta.tool_calls or []), fragment]
