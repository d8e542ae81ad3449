"""The effects a flow yields and the data they carry: what the I/O shells must do for the core.

A flow (see :mod:`jet_orderhive.jet._core`) yields :class:`Send` (an HTTP request),
:class:`Sleep` (a wait) or :class:`NeedToken` (take the refresh lock and run the token flow); the
sync and async clients perform each one and send the outcome back in.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from typing import TypeAlias, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx

from jet_orderhive import _json
from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet import _logging
from jet_orderhive.jet._retry import FailureKind, Safety

__all__ = [
    "ApiCall",
    "Effect",
    "Flow",
    "HttpRequest",
    "NeedToken",
    "RawResponse",
    "Send",
    "Sleep",
    "TransportFailure",
    "check_timeout",
    "failure_from_exception",
    "transport_failure",
]

T = TypeVar("T")


def check_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    """An ``httpx.Timeout`` whose every phase is finite, so no request can hang forever."""
    value = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    phases = {
        "connect": value.connect,
        "read": value.read,
        "write": value.write,
        "pool": value.pool,
    }
    for name, seconds in phases.items():
        # NaN and infinity pass a plain "> 0" test, yet either one lets a request hang forever.
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            raise JetOrderhiveValueError(
                f"timeout for {name} must be a positive, finite number of seconds, got {seconds}"
            )
    return value


@attrs.frozen(kw_only=True)
class ApiCall:
    """One Jet operation as data: the request plus how safe it is to repeat."""

    operation: str
    method: str
    #: Path below the base URL, segments already encoded (see :func:`jet_path`).
    path: str
    query: tuple[tuple[str, str], ...] = ()
    #: Left out of the repr: the sign-in body holds the secret, order bodies may hold addresses.
    body: _json.JsonValue = attrs.field(default=None, repr=False)
    safety: Safety = Safety.IDEMPOTENT
    authenticated: bool = True


@attrs.frozen(kw_only=True, repr=False)
class HttpRequest:
    """A fully built HTTP request for a shell to send; the repr omits headers and body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    content: bytes | None

    def __repr__(self) -> str:
        return f"HttpRequest({self.method} {urlsplit(self.url).path})"


@attrs.frozen(kw_only=True, repr=False)
class RawResponse:
    """What came back: status, headers (lower-case names) and the body, decoded and as sent.

    ``body`` is the decompressed body the models read; ``wire`` the bytes exactly as they
    arrived (None: the same as ``body``). ``problem`` says why the body could not be read in
    full (over the size cap, undecodable); ``body`` is then empty.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    wire: bytes | None = None
    problem: str | None = None

    @property
    def raw(self) -> bytes:
        """The body as Jet sent it on the wire (compressed if Jet compressed it)."""
        return self.body if self.wire is None else self.wire

    def __repr__(self) -> str:
        return f"RawResponse(status={self.status}, {len(self.raw)} bytes)"


@attrs.frozen(kw_only=True)
class TransportFailure:
    """No HTTP answer: ``kind`` says whether the request can have reached Jet."""

    kind: FailureKind
    description: str


@attrs.frozen
class Send:
    """Effect: send ``request``; reply with a :class:`RawResponse` or :class:`TransportFailure`."""

    request: HttpRequest


@attrs.frozen
class Sleep:
    """Effect: wait ``seconds``; reply with None."""

    seconds: float


@attrs.frozen(repr=False)
class NeedToken:
    """Effect: no usable token; take the refresh lock, run :meth:`Core.token_flow`, reply str."""

    stale: str | None

    def __repr__(self) -> str:
        return "NeedToken()"


Effect: TypeAlias = Send | Sleep | NeedToken
#: A generator of effects that finishes with a ``T``; the shells drive it.
Flow: TypeAlias = Generator[Effect, object, T]


def failure_from_exception(exc: httpx.RequestError) -> TransportFailure:
    """Classify an httpx failure by whether the request can have reached Jet.

    Every ``httpx.RequestError`` ends here, not only transport errors: a garbled answer
    (``DecodingError``) must not escape as a raw httpx exception, whose ``request`` holds the
    bearer token in its headers.
    """
    # Only these three fail before a byte of the request is written.
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        kind = FailureKind.NOT_SENT
    else:
        kind = FailureKind.MAYBE_SENT
    return transport_failure(kind, type(exc).__name__, exc)


def transport_failure(kind: FailureKind, name: str, detail: object) -> TransportFailure:
    """A failure named ``name`` (``ConnectError``, ``ReadTimeout``, ...) with ``detail``.

    The text is kept short, single-line and masked: a malformed header's error quotes the
    header's value, which could be a credential.
    """
    text = _logging.redact(" ".join(str(detail).split()))[:200]
    return TransportFailure(kind=kind, description=name + (f": {text}" if text else ""))
