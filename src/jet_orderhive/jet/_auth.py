"""Bearer-token state: when the cached token is still good, and which token a refresh replaces.

Jet's tokens last about ten hours. The client refreshes ahead of ``expires_on`` by a margin, and
once more when Jet answers 401 to a token it handed out (revoked, or the clocks disagree).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Final, Protocol, runtime_checkable

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet.models import Token

__all__ = ["ASSUMED_LIFETIME", "Credential", "TokenCache", "TokenStore", "with_expiry"]


class Credential(str):
    """A secret or bearer token that reprs as ``'[REDACTED]'``; ``str()`` and f-strings give it.

    Error trackers and ``traceback`` with ``capture_locals`` render every local variable with
    ``repr``; holding credentials as this type keeps them out of such reports.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'[REDACTED]'"


#: Used when Jet leaves ``expires_on`` out: Jet documents ten hours; one hour spare.
ASSUMED_LIFETIME: Final = timedelta(hours=9)


def with_expiry(token: Token, fetched_at: datetime) -> Token:
    """``token`` with an ``expires_on``, assumed from the fetch time when Jet sent none."""
    if token.expires_on is not None:
        return token
    return attrs.evolve(token, expires_on=fetched_at + ASSUMED_LIFETIME)


@runtime_checkable
class TokenStore(Protocol):
    """Shares one token between processes: loaded before fetching a new one, saved after.

    ``load`` returns None when nothing (or nothing usable) is stored. Both are called with the
    client's refresh lock held, and from the event loop in the async client, so keep them quick.
    """

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...


class TokenCache:
    """The one token a client uses, with the margin-aware validity check.

    Readers call :meth:`valid` without locking (a torn read is impossible: the whole token is
    one reference). Refreshers hold the client's lock and re-check with :meth:`valid` first, so
    concurrent callers that all saw an expired token cause a single ``POST /token``.
    """

    __slots__ = ("_current", "_lock", "margin")

    def __init__(self, margin: timedelta) -> None:
        self.margin = margin
        # The token and the moment to stop using it, swapped as one reference.
        self._current: tuple[Token, datetime] | None = None
        self._lock = threading.Lock()

    def usable(self, token: Token, now: datetime) -> bool:
        """Whether ``token`` still has more than the margin left at ``now`` (unknown: no)."""
        return token.expires_on is not None and token.expires_on - self.margin > now

    def valid(self, now: datetime, stale: str | None = None) -> str | None:
        """The cached token text if usable at ``now`` and not the one Jet just refused."""
        current = self._current
        if current is None or current[1] <= now:
            return None
        token = current[0]
        if stale is not None and token.id_token == stale:
            return None
        return Credential(token.id_token)

    def adopt(self, token: Token, fetched_at: datetime | None = None) -> None:
        """Make ``token`` the one every later request uses.

        ``fetched_at`` marks a token Jet has just issued. Its refresh time is then kept inside
        its lifetime: half-way through when the lifetime is shorter than twice the margin, and
        :data:`ASSUMED_LIFETIME` after the fetch when ``expires_on`` is already past by this
        machine's clock (a skewed clock), so neither case fetches a new token per request.
        """
        expires = token.expires_on
        if expires is None:
            raise JetOrderhiveValueError("adopt a token with an expiry (see with_expiry)")
        refresh_at = expires - self.margin
        if fetched_at is not None:
            lifetime = expires - fetched_at
            if lifetime <= timedelta(0):
                refresh_at = fetched_at + ASSUMED_LIFETIME - self.margin
            refresh_at = max(refresh_at, fetched_at + min(lifetime, ASSUMED_LIFETIME) / 2)
        with self._lock:
            self._current = (token, refresh_at)

    def current(self) -> Token | None:
        current = self._current
        return None if current is None else current[0]
