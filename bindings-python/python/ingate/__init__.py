"""ingate: an LLM gateway that lives inside the calling process.

Every call to a model vendor passes through one `Policy` before and after it
leaves the process. Before, the policy resolves the model name, redacts
secrets and PII, counts the request's tokens and reserves budget for the
worst case. After, it settles the reservation with the real usage and records
cost, energy and carbon.

    import ingate

    policy = ingate.Policy.default()
    with policy.begin({"model": "gpt-4o-mini", "messages": [...]}) as call:
        response = client.chat.completions.create(**call.request)
        text = call.restore(response.choices[0].message.content)
        record = call.finish(response.usage)
"""

from ingate._native import (
    BudgetStatus,
    Call,
    CallRecord,
    Diagnostic,
    Energy,
    Estimate,
    Finding,
    Policy,
    Redaction,
    RestoredStream,
    Resolution,
    StreamRestorer,
    TokenCount,
    __version__,
)
from ingate.errors import (
    BudgetExceeded,
    ContextWindowExceeded,
    IngateError,
    InvalidCatalog,
    InvalidPolicy,
    InvalidRequest,
    ModelRetired,
    RedactionBlocked,
    StoreUnavailable,
    UnknownModel,
)

__all__ = [
    "BudgetExceeded",
    "BudgetStatus",
    "Call",
    "CallRecord",
    "ContextWindowExceeded",
    "Diagnostic",
    "Energy",
    "Estimate",
    "Finding",
    "IngateError",
    "InvalidCatalog",
    "InvalidPolicy",
    "InvalidRequest",
    "ModelRetired",
    "Policy",
    "Redaction",
    "RedactionBlocked",
    "Resolution",
    "RestoredStream",
    "StoreUnavailable",
    "StreamRestorer",
    "TokenCount",
    "UnknownModel",
    "__version__",
]
