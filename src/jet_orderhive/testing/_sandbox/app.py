"""The sans-I/O heart of the sandbox: one request in, one outcome out.

``SandboxApp.process`` routes a request, applies faults and auth, runs the handler under the one
lock and records the request. The transports and the HTTP server only move bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from jet_orderhive import _json
from jet_orderhive.testing._sandbox import messages, routes
from jet_orderhive.testing._sandbox.faults import Decision, DropWhen, FaultPlan
from jet_orderhive.testing._sandbox.records import SandboxRequest
from jet_orderhive.testing._sandbox.state import State

__all__ = ["Config", "Outcome", "SandboxApp"]

_DENIED = {"Message": "Authorization has been denied for this request."}
_REASONS = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@attrs.frozen(kw_only=True)
class Config:
    """The sandbox's fixed settings."""

    user: str
    secret: str = attrs.field(repr=False)
    merchant_id: str
    base_path: str
    node_ids: tuple[str, ...]
    token_ttl: timedelta
    order_list_cap: int


@attrs.frozen(kw_only=True)
class Outcome:
    """What to send back (or not): status, headers, body, a delay and a possible dropped link."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    delay: float = 0.0
    drop: DropWhen | None = None


class SandboxApp:
    """Routes requests to handlers over one shared, locked state."""

    def __init__(
        self,
        config: Config,
        state: State,
        faults: FaultPlan,
        generate: Callable[[int, dict[str, Any] | None], list[str]],
    ) -> None:
        self.config = config
        self.state = state
        self.faults = faults
        self.generate = generate
        self.lock = threading.RLock()
        self.log: list[SandboxRequest] = []

    def now(self) -> datetime:
        """The sandbox clock."""
        return self.state.now()

    def process(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one HTTP request; the only entry point the transports and the server use."""
        method = method.upper()
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        lowered = {key.lower(): value for key, value in headers.items()}
        raw_path = parts.path
        base = self.config.base_path.rstrip("/").lower()
        if raw_path.lower().startswith("/_blob/"):
            segments = tuple(unquote(s) for s in raw_path.split("/") if s)
            api = False
        elif raw_path.lower() == base or raw_path.lower().startswith(base + "/"):
            segments = tuple(unquote(s) for s in raw_path[len(base) :].split("/") if s)
            api = True
        else:
            segments = tuple(unquote(s) for s in raw_path.split("/") if s)
            api = False
        path = "/" + "/".join(segments)
        route, params, allowed = routes.resolve(method, segments, api=api)
        kind = route.kind if route is not None else "unknown"
        parsed: Any = None
        parse_error: str | None = None
        if body and kind != "file_upload":
            try:
                parsed = _json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                parse_error = f"body: not valid JSON ({exc})"
        logged_body = None if kind == "token" else parsed
        logged_query = {k: ("<redacted>" if k == "sig" else v) for k, v in query.items()}
        logged_headers = {k: v for k, v in lowered.items() if k != "authorization"}
        bearer = lowered.get("authorization", "").strip().lower().startswith("bearer ")

        with self.lock:
            decision = self.faults.decide(kind, path)

            def record(status: int | None) -> None:
                self.log.append(
                    SandboxRequest(
                        method=method,
                        path=path,
                        query=logged_query,
                        body=logged_body,
                        kind=kind,
                        status=status,
                        fault=decision.label,
                        delay=decision.delay,
                        headers=logged_headers,
                        authorized=bearer,
                        received=self.now(),
                    )
                )

            if decision.drop == "before":
                record(None)
                return Outcome(status=0, headers={}, body=b"", delay=decision.delay, drop="before")
            if decision.status is not None:
                outcome = self._injected(decision)
            elif route is None:
                outcome = self._no_route(method, path, allowed)
            elif route.auth and not self._authorised(lowered):
                outcome = _outcome(401, _DENIED)
            elif parse_error is not None:
                outcome = _outcome(400, {"errors": [parse_error]})
            else:
                request = messages.Request(
                    method=method,
                    path=path,
                    query=query,
                    headers=lowered,
                    raw_body=body,
                    body=parsed,
                    origin=origin,
                    params=params,
                )
                response = route.handler(self, request)
                outcome = Outcome(
                    status=response.status, headers=response.headers, body=response.body
                )
            record(outcome.status)
        return attrs.evolve(outcome, delay=decision.delay, drop=decision.drop)

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        expires = self.state.tokens.get(token.strip())
        return expires is not None and self.now() < expires

    def _injected(self, decision: Decision) -> Outcome:
        status = decision.status
        assert status is not None
        if status == 401:
            return _outcome(401, _DENIED)
        outcome = _outcome(status, {"errors": [_REASONS.get(status, f"HTTP {status}")]})
        if decision.retry_after is not None:
            seconds = decision.retry_after
            text = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
            outcome = attrs.evolve(outcome, headers={**outcome.headers, "Retry-After": text})
        return outcome

    @staticmethod
    def _no_route(method: str, path: str, allowed: tuple[str, ...]) -> Outcome:
        if allowed:
            response = _outcome(
                405, {"errors": [f"{method} is not allowed on {path}; use {', '.join(allowed)}"]}
            )
            return attrs.evolve(response, headers={**response.headers, "Allow": ", ".join(allowed)})
        return _outcome(404, {"errors": [f"no Jet endpoint matches {method} {path}"]})


def _outcome(status: int, value: object) -> Outcome:
    response = messages.json_response(status, value)
    return Outcome(status=response.status, headers=response.headers, body=response.body)
