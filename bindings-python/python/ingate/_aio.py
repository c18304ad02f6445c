"""Awaitables and async iterators behind `Call`'s async protocol."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

from ingate._native import StreamRestorer

T = TypeVar("T")


async def ready(value: T) -> T:
    """Return `value` when awaited; `Call.__aenter__` and `__aexit__` do their work before."""
    return value


async def restore_async(restorer: StreamRestorer, chunks: AsyncIterable[str]) -> AsyncIterator[str]:
    """Yield the restored text of an async stream of text chunks, skipping empty pieces."""
    async for chunk in chunks:
        if not isinstance(chunk, str):
            raise TypeError(
                f"restore_stream expects str chunks, got `{type(chunk).__name__}`; pass the text deltas"
            )
        text = restorer.push(chunk)
        if text:
            yield text
    tail = restorer.finish()
    if tail:
        yield tail
