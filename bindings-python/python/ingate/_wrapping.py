"""The parts of `ingate.openai` and `ingate.anthropic` that do not depend on the vendor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import Call, CallRecord, Policy

RecordHandler = Callable[[CallRecord], None]


class Settings:
    """The arguments of one `wrap` call, shared by every proxy of the wrapped client."""

    __slots__ = ("policy", "scope", "tags", "on_record", "is_async")

    def __init__(
        self,
        policy: Policy,
        scope: str | None,
        tags: dict[str, str],
        on_record: RecordHandler | None,
        is_async: bool,
    ) -> None:
        self.policy = policy
        self.scope = scope
        self.tags = tags
        self.on_record = on_record
        self.is_async = is_async

    def report(self, record: CallRecord) -> None:
        if self.on_record is not None:
            self.on_record(record)


class Proxy:
    """Forward every attribute that the subclass does not define to the SDK object."""

    __slots__ = ("_target", "_settings")

    def __init__(self, target: Any, settings: Settings) -> None:
        self._target = target
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        if name in Proxy.__slots__:
            raise AttributeError(name)
        return getattr(self._target, name)

    def __repr__(self) -> str:
        return f"<ingate-wrapped {self._target!r}>"


def abort(settings: Settings, call: Call, error: BaseException) -> None:
    """Abort `call` after `error` and report its record."""
    # The exception's class names the cause; its message may quote the request, so it is left out.
    settings.report(call.abort(f"call failed: {type(error).__name__}"))
