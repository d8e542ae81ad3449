"""The one exception hierarchy of the Jet layer, rooted at :class:`JetError`.

Every error says what happened and where (HTTP method, API path, status, JSON path) and never
carries the API secret or a bearer token: messages are built only from the fields below.
"""

from __future__ import annotations

from collections.abc import Sequence

from jet_orderhive._errors import JetOrderhiveError

__all__ = [
    "JetAuthError",
    "JetConflict",
    "JetError",
    "JetInputError",
    "JetNotFound",
    "JetPayloadError",
    "JetRateLimited",
    "JetServerError",
    "JetTransportError",
    "JetValidationError",
]


class JetError(JetOrderhiveError):
    """Base of every error raised by the Jet client and converter."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.attempts = attempts
        super().__init__(message)

    def __str__(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        parts = [self.message]
        if where:
            parts.append(f"[{where}]")
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.attempts is not None and self.attempts > 1:
            parts.append(f"after {self.attempts} attempts")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class JetInputError(JetError, ValueError):
    """A value given to the client cannot be sent to Jet; raised before any request.

    For example an order id or SKU with a control character or a lone surrogate, or one longer
    than :data:`~jet_orderhive.jet._urls.MAX_SEGMENT_CHARS`. It is also a ``ValueError``.
    """


class JetAuthError(JetError):
    """Jet refused the credentials (400 at ``/token``) or the bearer token (401, 403)."""


class JetNotFound(JetError):
    """The order, SKU, return or file does not exist on Jet (404)."""


class JetValidationError(JetError):
    """Jet rejected the request body (400); ``errors`` holds Jet's own messages."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[str] = (),
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        attempts: int | None = None,
    ) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__(message, method=method, path=path, status=status, attempts=attempts)

    def __str__(self) -> str:
        base = super().__str__()
        if self.errors:
            return f"{base}: " + "; ".join(self.errors)
        return base


class JetConflict(JetError):
    """The request conflicts with the resource's state (409), e.g. acknowledging twice."""


class JetRateLimited(JetError):
    """Jet answered 429 and the retry budget is spent; ``retry_after`` is Jet's hint in seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = 429,
        attempts: int | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, method=method, path=path, status=status, attempts=attempts)


class JetServerError(JetError):
    """Jet failed on its side (5xx) and the retry budget is spent."""


class JetTransportError(JetError):
    """The request never got an HTTP answer: connection refused or dropped, or a timeout."""


class JetPayloadError(JetError):
    """A JSON payload does not fit the model; ``errors`` lists each problem with its JSON path.

    Example message: ``order_items[2].item_price.base_price: expected a number``.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[str] = (),
        model: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        self.model = model
        super().__init__(message, method=method, path=path, status=status)

    def __str__(self) -> str:
        base = super().__str__()
        if self.errors:
            return f"{base}: " + "; ".join(self.errors)
        return base
