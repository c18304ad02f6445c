"""The exceptions ingate raises: one class per public error kind, all under `IngateError`.

Each class has `kind`, the kind's stable snake_case name (as in call records'
`deny_reason`), and the kind's fields as attributes. An exception raised by
`Policy.begin` also carries the denied call's record as `record`; elsewhere
`record` is `None`. Messages name values, limits and fixes, never prompt text.
"""

from __future__ import annotations

# Type checkers treat a module-level TYPE_CHECKING as true; at run time it skips
# importing typing, datetime and decimal, a third of the package's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from decimal import Decimal
    from typing import Any, ClassVar

    from ingate._native import CallRecord

__all__ = [
    "BudgetExceeded",
    "ContextWindowExceeded",
    "IngateError",
    "InvalidCatalog",
    "InvalidPolicy",
    "InvalidRequest",
    "ModelRetired",
    "RedactionBlocked",
    "StoreUnavailable",
    "UnknownModel",
]


def _rebuild(cls: type[IngateError], args: tuple[Any, ...], state: dict[str, Any]) -> IngateError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class IngateError(Exception):
    """Base class of every error ingate raises."""

    kind: ClassVar[str] = "ingate_error"
    record: CallRecord | None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.record = None

    @property
    def message(self) -> str:
        """The error message: what failed, on which value, and the fix."""
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # The fields are keyword-only, so the default (class, args) pickling cannot rebuild them.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class InvalidPolicy(IngateError):
    """The policy file or text is invalid; `line` and `column` are 1-based."""

    kind: ClassVar[str] = "invalid_policy"

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class InvalidCatalog(IngateError):
    """A model catalog (built-in or imported) has an invalid entry."""

    kind: ClassVar[str] = "invalid_catalog"

    def __init__(self, message: str, *, entry: str) -> None:
        super().__init__(message)
        self.entry = entry


class UnknownModel(IngateError):
    """No catalog entry or alias matches the model name; `suggestions` lists the nearest, closest first."""

    kind: ClassVar[str] = "unknown_model"

    def __init__(self, message: str, *, name: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.name = name
        self.suggestions = suggestions


class ModelRetired(IngateError):
    """The model was shut down by its vendor, or the policy denies it as deprecated.

    `retired` is `True` when the shutdown date has passed and `False` when the
    policy denies a model that is deprecated or retires within the warning window.
    """

    kind: ClassVar[str] = "model_retired"

    def __init__(
        self,
        message: str,
        *,
        name: str,
        model: str,
        retired: bool,
        shutdown: datetime.date | None,
        successor: str | None,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.model = model
        self.retired = retired
        self.shutdown = shutdown
        self.successor = successor


class ContextWindowExceeded(IngateError):
    """The request's input tokens exceed the model's input limit."""

    kind: ClassVar[str] = "context_window_exceeded"

    def __init__(self, message: str, *, model: str, tokens: int, limit: int) -> None:
        super().__init__(message)
        self.model = model
        self.tokens = tokens
        self.limit = limit


class BudgetExceeded(IngateError):
    """A hard budget limit would be crossed by this call.

    `limit`, `spent` (settled or reserved in the window) and `requested` (this
    call's reservation) are in `unit`: `usd`, `tokens` or `requests`.
    """

    kind: ClassVar[str] = "budget_exceeded"

    def __init__(
        self,
        message: str,
        *,
        scope: str,
        unit: str,
        window: str,
        limit: Decimal,
        spent: Decimal,
        requested: Decimal,
        resets_at: datetime.datetime,
    ) -> None:
        super().__init__(message)
        self.scope = scope
        self.unit = unit
        self.window = window
        self.limit = limit
        self.spent = spent
        self.requested = requested
        self.resets_at = resets_at

    @property
    def limit_usd(self) -> Decimal | None:
        """The limit in USD, or `None` when the limit counts tokens or requests."""
        return self.limit if self.unit == "usd" else None

    @property
    def spent_usd(self) -> Decimal | None:
        """The USD spent or reserved in the window, or `None` for a token or request limit."""
        return self.spent if self.unit == "usd" else None

    @property
    def requested_usd(self) -> Decimal | None:
        """The USD this call would reserve, or `None` for a token or request limit."""
        return self.requested if self.unit == "usd" else None


class RedactionBlocked(IngateError):
    """A redaction detector with the `block` operator matched `count` values."""

    kind: ClassVar[str] = "redaction_blocked"

    def __init__(self, message: str, *, detector: str, count: int) -> None:
        super().__init__(message)
        self.detector = detector
        self.count = count


class StoreUnavailable(IngateError):
    """The budget store could not be reached and the policy sets `on_error = "deny"`.

    `store` is the store URL without credentials.
    """

    kind: ClassVar[str] = "store_unavailable"

    def __init__(self, message: str, *, store: str) -> None:
        super().__init__(message)
        self.store = store


class InvalidRequest(IngateError):
    """The request or usage given to ingate is malformed."""

    kind: ClassVar[str] = "invalid_request"
