"""The stream objects that the SDK wrappers return: restored items, settled once.

`ingate.openai` and `ingate.anthropic` each restore their vendor's stream
items (chat completion chunks, message events) with a state object. The
classes here drive that state and settle the call however the stream ends:
at its end, on `close()`, on leaving a `with` block, on an error, or when it
is garbage-collected unread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class StreamState(Protocol):
    """Restores the items of one stream and settles its call once."""

    settled: bool

    def process(self, item: Any) -> list[Any]:
        """Restore one item in place; return the items to hand to the caller."""
        ...

    def leftover(self) -> list[Any]:
        """Return items with the text still held back when the stream ended."""
        ...

    def settle(self) -> None:
        """Settle the call with the reported usage, else with the output delivered so far."""
        ...

    def fail(self, error: BaseException) -> None:
        """Abort the call after an error from the vendor or the caller."""
        ...


def _restored_items(stream: Any, state: StreamState) -> Iterator[Any]:
    try:
        for item in stream:
            yield from state.process(item)
        yield from state.leftover()
    except GeneratorExit:
        raise
    except BaseException as error:
        state.fail(error)
        raise
    state.settle()


class _SettledStream:
    """A wrapped SDK stream that forwards the SDK stream's public attributes
    and settles its call if it is garbage-collected unsettled."""

    _stream: Any
    _state: StreamState

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._stream, name)

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state is not None and not state.settled:
            try:
                state.settle()
            except Exception:
                # A finalizer cannot raise; the call's own finalizer releases the reservation.
                pass


class Stream(_SettledStream):
    """The SDK's `Stream`, restored and settled by the policy.

    The call settles when the stream ends, when it is closed, when the caller
    leaves a `with` block around it, or when it is garbage-collected unread.
    """

    def __init__(self, stream: Any, state: StreamState) -> None:
        self._stream = stream
        self._state = state
        # The generator holds the SDK stream and the state, not this object, so dropping
        # the last reference to this object finalizes it at once.
        self._items = _restored_items(stream, state)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the response and settle the call with the output delivered so far."""
        try:
            self._stream.close()
        finally:
            self._state.settle()


class AsyncStream(_SettledStream):
    """The SDK's `AsyncStream`, restored and settled by the policy."""

    def __init__(self, stream: Any, state: StreamState) -> None:
        self._stream = stream
        self._state = state
        self._pending: list[Any] = []
        self._ended = False

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Any:
        state = self._state
        while not self._pending:
            if self._ended:
                state.settle()
                raise StopAsyncIteration
            try:
                item = await self._stream.__anext__()
            except StopAsyncIteration:
                self._ended = True
                self._pending.extend(state.leftover())
                continue
            except BaseException as error:
                state.fail(error)
                raise
            self._pending.extend(state.process(item))
        return self._pending.pop(0)

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the response and settle the call with the output delivered so far."""
        try:
            await self._stream.close()
        finally:
            self._state.settle()
