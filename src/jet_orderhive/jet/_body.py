"""Reading an answer's body within bounds: a size cap on the wire and after decompression, and
a deadline per attempt. Sans-I/O: the shells feed it the chunks they stream from httpx.

The body is kept twice: ``wire``, the bytes exactly as Jet sent them (still compressed if Jet
compressed them; that is what a quarantine keeps), and ``body``, the decoded bytes the models
read. Decoding is done here rather than by httpx so that a small gzip body cannot expand past
the cap (a "gzip bomb") before anything can stop it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from typing import Final

import attrs
import httpx

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet._effects import RawResponse, TransportFailure
from jet_orderhive.jet._retry import FailureKind

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BodyLimits",
    "BodyReader",
    "decode_body",
]

#: 8 MiB. Jet's largest real answers are far smaller: an order with dozens of lines is tens of
#: kilobytes, and a full list of 1,000 order URLs about 60 KB.
DEFAULT_MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
#: Seconds one attempt may take, from sending the request to the last byte of the answer.
DEFAULT_DEADLINE: Final = 120.0
#: What the client asks for; anything else Jet sends is a payload error.
ACCEPT_ENCODING: Final = "gzip, deflate"
_MAX_CAP: Final = 2**31


@attrs.frozen(kw_only=True)
class BodyLimits:
    """The size cap (bytes, on the wire and decoded) and the per-attempt deadline (seconds)."""

    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    deadline: float = DEFAULT_DEADLINE

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_bytes, bool) or not 1 <= self.max_bytes <= _MAX_CAP:
            raise JetOrderhiveValueError(
                f"max_response_bytes must be between 1 and {_MAX_CAP}, got {self.max_bytes}"
            )
        if not math.isfinite(self.deadline) or self.deadline <= 0:
            raise JetOrderhiveValueError(
                f"deadline must be a positive, finite number of seconds, got {self.deadline}"
            )

    def clamp(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """``timeout`` with no phase longer than the deadline."""

        def cap(seconds: float | None) -> float:
            return self.deadline if seconds is None else min(seconds, self.deadline)

        return httpx.Timeout(
            connect=cap(timeout.connect),
            read=cap(timeout.read),
            write=cap(timeout.write),
            pool=cap(timeout.pool),
        )


class _TooLarge(Exception):
    pass


def _inflate(data: bytes, wbits: int, limit: int, name: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise _TooLarge
        out += inflater.flush()
    except zlib.error:
        raise JetOrderhiveValueError(f"the {name} data is corrupt") from None
    if len(out) > limit:
        raise _TooLarge
    if not inflater.eof:
        raise JetOrderhiveValueError(f"the {name} data is truncated")
    return out


def _decode_one(data: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return _inflate(data, 16 + zlib.MAX_WBITS, limit, "gzip")
    if encoding == "deflate":
        # Servers send either the zlib format the RFC names or raw deflate; accept both.
        try:
            return _inflate(data, zlib.MAX_WBITS, limit, "deflate")
        except ValueError:
            return _inflate(data, -zlib.MAX_WBITS, limit, "deflate")
    raise JetOrderhiveValueError(
        f"the answer has content-encoding {encoding!r}, which the client never asks for"
    )


def decode_body(wire: bytes, content_encoding: str, limit: int) -> tuple[bytes, str | None]:
    """The decoded body and None, or ``(b"", why)`` when it cannot be decoded within ``limit``."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    body = wire
    try:
        for coding in reversed(codings):
            if coding != "identity" and body:
                body = _decode_one(body, coding, limit)
    except _TooLarge:
        return b"", f"decompresses to more than {limit} bytes (the client's max_response_bytes)"
    except ValueError as exc:
        return b"", str(exc)
    return body, None


class BodyReader:
    """Collects one answer's chunks; says when to stop, and builds the :class:`RawResponse`."""

    __slots__ = ("_chunks", "_clock", "_deadline_at", "_late", "_size", "limits")

    def __init__(self, limits: BodyLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._deadline_at = clock() + limits.deadline
        self._chunks: list[bytes] = []
        self._size = 0
        self._late = False

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self._deadline_at - self._clock()

    def feed(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False when reading must stop (over the cap or past the deadline)."""
        self._chunks.append(chunk)
        self._size += len(chunk)
        if self._clock() > self._deadline_at:
            self._late = True
            return False
        return self._size <= self.limits.max_bytes

    def finish(self, status: int, headers: Mapping[str, str]) -> RawResponse | TransportFailure:
        """The answer, or a timeout failure when the deadline passed before it was complete."""
        if self._late or self._clock() > self._deadline_at:
            return TransportFailure(
                kind=FailureKind.MAYBE_SENT,
                description=(
                    f"DeadlineExceeded: the answer was not complete within the "
                    f"{self.limits.deadline:g} s deadline"
                ),
            )
        lowered = {key.lower(): value for key, value in headers.items()}
        wire = b"".join(self._chunks)
        if self._size > self.limits.max_bytes:
            problem = (
                f"is larger than {self.limits.max_bytes} bytes (the client's max_response_bytes)"
            )
            return RawResponse(
                status=status,
                headers=lowered,
                body=b"",
                wire=wire[: self.limits.max_bytes],
                problem=problem,
            )
        body, undecodable = decode_body(
            wire, lowered.get("content-encoding", ""), self.limits.max_bytes
        )
        return RawResponse(
            status=status, headers=lowered, body=body, wire=wire, problem=undecodable
        )
