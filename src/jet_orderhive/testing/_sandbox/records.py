"""Small public records the sandbox hands to tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from jet_orderhive._json import JsonValue

__all__ = ["SandboxRequest"]


@attrs.frozen(kw_only=True)
class SandboxRequest:
    """One request the sandbox received, as tests assert on it.

    ``path`` is percent-decoded and relative to the API root (``/orders/ready``); ``body`` is
    the parsed JSON with money as ``Decimal``. The Authorization header is never kept, nor the
    body of a token request. ``status`` is ``None`` when an injected dropped connection stopped
    the request before it reached the sandbox; ``fault`` names the injected fault, if any.
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: JsonValue
    kind: str
    status: int | None
    fault: str | None = None
    delay: float = 0.0
    #: Request headers, names lower-cased, without ``authorization`` (see :attr:`authorized`).
    headers: Mapping[str, str] = attrs.field(factory=dict)
    #: Whether the request carried a bearer token (valid or not); the token itself is not kept.
    authorized: bool = False
    #: The sandbox clock when the request arrived.
    received: datetime | None = None
