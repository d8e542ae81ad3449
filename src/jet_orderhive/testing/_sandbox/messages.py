"""Requests, responses and routes shared by every handler module.

Handlers run under the sandbox lock (``SandboxApp.process`` holds it), so they read and write
the state freely. Error bodies follow Jet: 400 ``{"errors": ["<json path>: <reason>", ...]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from jet_orderhive import _json
from jet_orderhive.testing._sandbox import validation as v

if TYPE_CHECKING:
    from jet_orderhive.testing._sandbox.app import SandboxApp

__all__ = [
    "Handler",
    "Request",
    "Response",
    "Route",
    "empty_response",
    "error_response",
    "json_response",
    "require_body",
]

LIST_WINDOW = timedelta(days=90)
UPLOAD_LIFETIME = timedelta(seconds=1800)
_CENT = Decimal("0.01")


@attrs.frozen(kw_only=True)
class Request:
    """A routed request: decoded path parameters and the body already parsed."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    body: Any
    origin: str
    params: Mapping[str, str]


@attrs.frozen(kw_only=True)
class Response:
    """Status, headers and body bytes."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


Handler = Callable[["SandboxApp", Request], Response]


@attrs.frozen(kw_only=True)
class Route:
    """An endpoint: methods, a path pattern (``{name}`` captures a segment) and its request kind."""

    methods: tuple[str, ...]
    pattern: tuple[str, ...]
    kind: str
    handler: Handler
    auth: bool = True
    api: bool = True

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.pattern, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got.lower():
                return None
        return params


def json_response(status: int, value: object) -> Response:
    """A JSON response with sorted keys, as Jet's recorded responses had."""
    body = _json.dumps(value, sort_keys=True).encode()
    return Response(
        status=status, headers={"Content-Type": "application/json; charset=utf-8"}, body=body
    )


def error_response(status: int, *messages: str) -> Response:
    """Jet's error body: ``{"errors": [...]}``."""
    return json_response(status, {"errors": list(messages)})


def empty_response(status: int) -> Response:
    """A body-less answer (Jet's 201/204)."""
    return Response(status=status)


def require_body(req: Request, check: v.Check) -> list[str]:
    """Validate the body, which must be present."""
    if req.body is None:
        return ["body: a JSON object is required"]
    return v.validate(check, req.body)
