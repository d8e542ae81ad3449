"""Which :class:`~jet_orderhive.jet.errors.JetError` a non-2xx answer becomes, and Jet's texts.

One place maps HTTP statuses to the error hierarchy of :mod:`jet_orderhive.jet.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping

from jet_orderhive.jet._effects import ApiCall, RawResponse
from jet_orderhive.jet._wire_json import read_json
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetConflict,
    JetError,
    JetNotFound,
    JetRateLimited,
    JetServerError,
    JetValidationError,
)

__all__ = ["error_for_response"]


def _jet_messages(body: bytes) -> tuple[str, ...]:
    """Jet's error texts from its `errors` list, or a single `error` or `Message` string."""
    try:
        data = read_json(body) if body.strip() else None
    except ValueError:
        return ()
    if not isinstance(data, Mapping):
        return ()
    messages: list[str] = []
    errors = data.get("errors")
    if isinstance(errors, str):
        messages.append(errors)
    elif isinstance(errors, list):
        messages.extend(str(item) for item in errors)
    for key in ("error", "Message", "message"):
        value = data.get(key)
        if isinstance(value, str) and value:
            messages.append(value)
    return tuple(messages)


def error_for_response(
    call: ApiCall,
    response: RawResponse,
    *,
    retry_after: float | None = None,
    attempts: int | None = None,
) -> JetError:
    """The typed error for a non-2xx answer to ``call``."""
    status = response.status
    method, path = call.method, call.path
    if call.operation == "authenticate" and status in (400, 401, 403):
        # Jet's body is not quoted: an echo of the rejected login is not worth the risk.
        return JetAuthError(
            "Jet refused the API user or secret; check the credentials (JET_API_USER, "
            "JET_API_SECRET) in Jet's partner portal",
            method=method,
            path=path,
            status=status,
            attempts=attempts,
        )
    messages = _jet_messages(response.body)
    detail = f": {'; '.join(messages)}" if messages else ""
    if status == 400:
        return JetValidationError(
            f"Jet rejected the {call.operation} request",
            errors=messages,
            method=method,
            path=path,
            status=status,
            attempts=attempts,
        )
    if status == 429:
        return JetRateLimited(
            "Jet is throttling this account; slow down or lower the client's rate_limit",
            retry_after=retry_after,
            method=method,
            path=path,
            status=status,
            attempts=attempts,
        )
    kind: type[JetError]
    if status in (401, 403) and not call.authenticated:
        kind = JetAuthError
        message = f"the {call.operation} URL refused the request; its signature may have expired"
    elif status in (401, 403):
        kind = JetAuthError
        message = "Jet refused the bearer token; check that this API user may call the endpoint"
    elif status == 404:
        kind, message = JetNotFound, f"Jet has no such resource ({call.operation})"
    elif status == 409:
        kind, message = JetConflict, f"Jet refused {call.operation} in its current state{detail}"
    elif status >= 500:
        kind, message = JetServerError, f"Jet failed to handle {call.operation}; try again later"
    else:
        kind, message = JetError, f"unexpected HTTP {status} from Jet for {call.operation}{detail}"
    return kind(message, method=method, path=path, status=status, attempts=attempts)
