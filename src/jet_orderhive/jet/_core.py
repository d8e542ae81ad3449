"""The sans-I/O heart of the Jet clients: what to send, how to read the answer, what to do next.

Every operation is a generator ("flow") that yields effects: :class:`Send` an HTTP request,
:class:`Sleep` for a while, or :class:`NeedToken` (take the refresh lock and run the token
flow). The sync and async clients are thin loops that perform those effects with ``httpx``
and send the outcome back in. Retries, backoff, 401 handling, rate limiting, logging, hooks and
parsing all live here, once.
"""

from __future__ import annotations

import ipaddress
import math
import random
import time
import weakref
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final, TypeAlias, TypeVar
from urllib.parse import quote, urlsplit

import attrs
import httpx

from jet_orderhive import _json
from jet_orderhive.jet import _logging
from jet_orderhive.jet._auth import Credential, TokenCache, TokenStore, with_expiry
from jet_orderhive.jet._convert import from_json
from jet_orderhive.jet._hooks import (
    ClientHooks,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    StatsCounter,
    ThrottleEvent,
)
from jet_orderhive.jet._ratelimit import RateLimit, TokenBucket
from jet_orderhive.jet._retry import (
    Decision,
    FailureKind,
    RetryPolicy,
    Safety,
    decide,
    parse_retry_after,
)
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetConflict,
    JetError,
    JetNotFound,
    JetPayloadError,
    JetRateLimited,
    JetServerError,
    JetTransportError,
    JetValidationError,
)
from jet_orderhive.jet.models import Token, TokenRequest

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiCall",
    "Core",
    "Flow",
    "HttpRequest",
    "NeedToken",
    "RawResponse",
    "Send",
    "Sleep",
    "TransportFailure",
    "check_base_url",
    "check_timeout",
    "check_upload_url",
    "encode_segment",
    "error_for_response",
    "failure_from_exception",
    "jet_path",
    "parse_model",
]

T = TypeVar("T")
E = TypeVar("E", RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent)

DEFAULT_BASE_URL: Final = "https://merchant-api.jet.com/api"
_USER_AGENT: Final = "jet-orderhive"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

# ---------------------------------------------------------------------------------------------
# URLs and paths


def encode_segment(value: str) -> str:
    """Percent-encode one path segment so that it stays exactly one segment on the wire.

    Nothing is left unescaped except RFC 3986 unreserved characters, so ``/``, ``?``, ``#``,
    ``%`` and spaces in a SKU cannot change the path. A segment of only dots (or one that starts
    with ``../`` or ``./``) has its dots escaped too, because URL normalisation would otherwise
    remove it and send the request to another resource.
    """
    if not value:
        raise ValueError("an id or SKU in a Jet path must not be empty")
    encoded = quote(value, safe="")
    if set(value) == {"."} or value.startswith(("../", "./")):
        encoded = encoded.replace(".", "%2E")
    return encoded


def jet_path(template: str, *values: str) -> str:
    """Fill each ``{}`` of a path template with an encoded segment: ``jet_path("/x/{}", sku)``."""
    return template.format(*(encode_segment(value) for value in values))


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_secure(url: str, what: str) -> str:
    """The host of ``url``; refuse anything but https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be an absolute https:// URL, got {parts.scheme or url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"refusing plain http:// to {parts.hostname!r} for the {what}: credentials and data "
            "would cross the network unencrypted; use https:// (http:// is allowed only for "
            "loopback hosts such as the sandbox on 127.0.0.1)"
        )
    return parts.hostname


def check_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash; refuse plain HTTP except to this machine."""
    _check_secure(url, "base_url")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Shown in the client's repr and in logs; Jet signs in with user and secret instead.
        raise ValueError(
            "base_url must not carry a user name or password; pass user= and secret= instead"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {url!r}")
    return url.rstrip("/")


def check_upload_url(url: str) -> None:
    """Refuse a bulk-file upload URL that is not https (or loopback http, for the sandbox)."""
    _check_secure(url, "upload URL")


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
            raise ValueError(
                f"timeout for {name} must be a positive, finite number of seconds, got {seconds}"
            )
    return value


# ---------------------------------------------------------------------------------------------
# Requests, outcomes and effects


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
    """What came back: status, headers (lower-case names) and the undecoded body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:
        return f"RawResponse(status={self.status}, {len(self.body)} bytes)"


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
    # The exception text never holds headers, but keep it short and single-line.
    detail = " ".join(str(exc).split())[:200]
    description = type(exc).__name__ + (f": {detail}" if detail else "")
    return TransportFailure(kind=kind, description=description)


# ---------------------------------------------------------------------------------------------
# Reading answers


def _jet_messages(body: bytes) -> tuple[str, ...]:
    """Jet's error texts from its `errors` list, or a single `error` or `Message` string."""
    try:
        data = _json.loads(body) if body.strip() else None
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


def parse_model(call: ApiCall, response: RawResponse, cls: type[T]) -> T:
    """Build ``cls`` from the body, or raise ``JetPayloadError`` naming the call and JSON paths."""
    try:
        return from_json(response.body, cls)
    except JetPayloadError as error:
        raise JetPayloadError(
            f"{error.message} in Jet's answer to {call.operation}",
            errors=error.errors,
            model=error.model,
            method=call.method,
            path=call.path,
            status=response.status,
        ) from None


# ---------------------------------------------------------------------------------------------
# The engine both shells share


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _forget_all(remembered: list[str]) -> None:
    for value in remembered:
        _logging.forget_secret(value)
    remembered.clear()


class Core:
    """Configuration and shared state of one client, plus the flows that use them.

    Holds the secret: it never appears in a repr, log record, event or error built here.
    """

    __slots__ = (
        "__weakref__",
        "_bucket",
        "_forget",
        "_monotonic",
        "_now",
        "_remembered",
        "_rng",
        "_secret",
        "base_url",
        "hooks",
        "retry",
        "stats",
        "token_store",
        "tokens",
        "user",
    )

    def __init__(
        self,
        *,
        user: str,
        secret: str,
        base_url: str,
        retry: RetryPolicy,
        rate_limit: RateLimit | None,
        hooks: ClientHooks | None,
        token_store: TokenStore | None,
        token_margin: timedelta,
        clock: Callable[[], datetime] | None,
        paced_by_clock: bool,
        rng: random.Random | None,
    ) -> None:
        if not user:
            raise ValueError("user must be the Jet API user (JET_API_USER), not empty")
        if not secret:
            raise ValueError("secret must be the Jet API secret (JET_API_SECRET), not empty")
        self.user = user
        self._secret = Credential(secret)
        self.base_url = check_base_url(base_url)
        self.retry = retry
        self._bucket = TokenBucket(rate_limit) if rate_limit is not None else None
        self.hooks = hooks or ClientHooks()
        self.token_store = token_store
        self.tokens = TokenCache(token_margin)
        self.stats = StatsCounter()
        self._now: Callable[[], datetime] = clock or _utc_now
        # Waits are measured on the clock that the sleeps advance: the injected clock when the
        # caller injected the sleep as well (a fake pair in tests), the system's otherwise. A
        # frozen clock with real sleeps would never see the rate limiter's bucket refill.
        self._monotonic: Callable[[], float] = (
            (lambda: self._now().timestamp())
            if clock is not None and paced_by_clock
            else time.monotonic
        )
        self._rng = rng or random.Random()
        # Every credential this client has held stays redacted from the logs until it is
        # closed or garbage-collected, whichever comes first.
        self._remembered: list[str] = [secret]
        _logging.remember_secret(secret)
        self._forget = weakref.finalize(self, _forget_all, self._remembered)

    def close(self) -> None:
        """Stop redacting this client's secret and tokens from the logs (the client is done)."""
        self._forget()

    def now(self) -> datetime:
        return self._now()

    def monotonic(self) -> float:
        return self._monotonic()

    # -- the request loop --------------------------------------------------------------------

    def _build(self, call: ApiCall, token: str | None) -> HttpRequest:
        headers = [("Accept", "application/json"), ("User-Agent", _USER_AGENT)]
        content: bytes | None = None
        if call.body is not None:
            content = _json.dumps(call.body).encode()
            headers.append(("Content-Type", "application/json"))
        if token is not None:
            headers.append(("Authorization", f"Bearer {token}"))
        url = self.base_url + call.path
        if call.query:
            url += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in call.query)
        return HttpRequest(method=call.method, url=url, headers=tuple(headers), content=content)

    def _fire(self, hook: Callable[[E], object] | None, event: E) -> None:
        """Call a metrics hook; a hook that raises is logged and never fails the request."""
        if hook is None:
            return
        try:
            hook(event)
        except Exception as exc:  # a metrics callback must not undo a write Jet applied
            _logging.logger.warning(
                "%s hook raised %s for %s %s; ignored",
                type(event).__name__,
                type(exc).__name__,
                event.method,
                event.path,
            )

    def _throttle(self, call: ApiCall) -> Flow[None]:
        if self._bucket is None:
            return
        wait = self._bucket.reserve(self.monotonic())
        if wait <= 0:
            return
        self.stats.add("throttle_waits")
        self._fire(
            self.hooks.on_throttle,
            ThrottleEvent(operation=call.operation, method=call.method, path=call.path, wait=wait),
        )
        yield Sleep(wait)

    def call(self, call: ApiCall) -> Flow[RawResponse]:
        """Send ``call`` until it succeeds (2xx) or the retry policy gives up, then raise."""
        return self.send(call, lambda token: self._build(call, token))

    def send(self, call: ApiCall, build: Callable[[str | None], HttpRequest]) -> Flow[RawResponse]:
        """The retry loop for any request; ``build`` makes the attempt from the bearer token."""
        attempt = 0
        waited = 0.0
        refused: str | None = None  # the token Jet answered 401 to, once
        while True:
            attempt += 1
            yield from self._throttle(call)
            token: str | None = None
            if call.authenticated:
                token = self.tokens.valid(self.now(), refused)
                if token is None:
                    reply = yield NeedToken(refused)
                    assert isinstance(reply, str)
                    token = reply
            request = build(token)
            self.stats.add("requests")
            self._fire(
                self.hooks.on_request,
                RequestEvent(
                    operation=call.operation,
                    method=call.method,
                    path=call.path,
                    attempt=attempt,
                ),
            )
            started = self.monotonic()
            outcome = yield Send(request)
            assert isinstance(outcome, (RawResponse, TransportFailure))
            elapsed = max(0.0, self.monotonic() - started)
            if isinstance(outcome, RawResponse):
                self._log_response(call, outcome, attempt, elapsed)
                if 200 <= outcome.status < 300:
                    return outcome
                if outcome.status == 401 and call.authenticated and refused is None:
                    # Jet revoked or expired the token early: fetch a new one and repeat once.
                    refused = token
                    _logging.logger.info(
                        "%s %s: token refused (401); fetching a new token and retrying once",
                        call.method,
                        call.path,
                    )
                    continue
            else:
                _logging.logger.debug(
                    "%s %s failed after %.0f ms: %s",
                    call.method,
                    call.path,
                    elapsed * 1000,
                    outcome.description,
                )
            decision, retry_after = self._judge(call, outcome, attempt, waited)
            if not decision.retry:
                raise self._final_error(call, outcome, retry_after, attempt, decision.reason)
            waited += decision.delay
            self._announce_retry(call, outcome, attempt, decision.delay)
            if decision.delay > 0:
                yield Sleep(decision.delay)

    def _judge(
        self,
        call: ApiCall,
        outcome: RawResponse | TransportFailure,
        attempt: int,
        waited: float,
    ) -> tuple[Decision, float | None]:
        """The retry decision for a failed attempt, and Jet's ``Retry-After`` if it sent one."""
        if isinstance(outcome, TransportFailure):
            decision = decide(
                self.retry,
                safety=call.safety,
                attempt=attempt,
                waited=waited,
                rng=self._rng,
                failure=outcome.kind,
            )
            return decision, None
        retry_after = parse_retry_after(outcome.headers, self.now())
        decision = decide(
            self.retry,
            safety=call.safety,
            attempt=attempt,
            waited=waited,
            rng=self._rng,
            status=outcome.status,
            retry_after=retry_after,
        )
        return decision, retry_after

    def _announce_retry(
        self, call: ApiCall, outcome: RawResponse | TransportFailure, attempt: int, wait: float
    ) -> None:
        if isinstance(outcome, RawResponse):
            status: int | None = outcome.status
            failure = f"HTTP {outcome.status}"
        else:
            status, failure = None, outcome.description
        self.stats.add("retries")
        _logging.logger.warning(
            "%s %s: %s on attempt %d; retrying in %.2fs",
            call.method,
            call.path,
            failure,
            attempt,
            wait,
        )
        self._fire(
            self.hooks.on_retry,
            RetryEvent(
                operation=call.operation,
                method=call.method,
                path=call.path,
                attempt=attempt,
                status=status,
                reason=failure,
                wait=wait,
            ),
        )

    def _log_response(
        self, call: ApiCall, response: RawResponse, attempt: int, elapsed: float
    ) -> None:
        _logging.logger.debug(
            "%s %s -> %d in %.0f ms (attempt %d)",
            call.method,
            call.path,
            response.status,
            elapsed * 1000,
            attempt,
        )
        self._fire(
            self.hooks.on_response,
            ResponseEvent(
                operation=call.operation,
                method=call.method,
                path=call.path,
                status=response.status,
                attempt=attempt,
                elapsed=elapsed,
            ),
        )

    def _final_error(
        self,
        call: ApiCall,
        outcome: RawResponse | TransportFailure,
        retry_after: float | None,
        attempts: int,
        reason: str,
    ) -> JetError:
        if isinstance(outcome, RawResponse):
            return error_for_response(call, outcome, retry_after=retry_after, attempts=attempts)
        return JetTransportError(
            f"no answer from Jet for {call.operation} ({outcome.description}); {reason}",
            method=call.method,
            path=call.path,
            attempts=attempts,
        )

    # -- authentication ----------------------------------------------------------------------

    def authenticate_flow(self) -> Flow[Token]:
        """``POST /token`` with the credentials; cache (and share) the token it returns."""
        call = ApiCall(
            operation="authenticate",
            method="POST",
            path="/token",
            body=TokenRequest(user=self.user, password=self._secret).to_dict(),
            authenticated=False,
        )
        response = yield from self.call(call)
        fetched_at = self.now()
        token = with_expiry(parse_model(call, response, Token), fetched_at)
        if not token.id_token:
            raise JetPayloadError(
                "Jet's token answer has an empty id_token",
                errors=["id_token: expected a non-empty string"],
                model="Token",
                method=call.method,
                path=call.path,
                status=response.status,
            )
        self.stats.add("token_fetches")
        self._adopt(token, fetched_at)
        if self.token_store is not None:
            self.token_store.save(token)
        return token

    def token_flow(self, stale: str | None) -> Flow[str]:
        """A usable token: the cached one, the shared store's, or a new one (lock held)."""
        now = self.now()
        cached = self.tokens.valid(now, stale)
        if cached is not None:
            return cached  # another thread or task refreshed while this one waited for the lock
        if self.token_store is not None:
            stored = self.token_store.load()
            if stored is not None and self.tokens.usable(stored, now) and stored.id_token != stale:
                self._adopt(stored)
                return Credential(stored.id_token)
        token = yield from self.authenticate_flow()
        return Credential(token.id_token)

    def _adopt(self, token: Token, fetched_at: datetime | None = None) -> None:
        if token.id_token not in self._remembered:
            self._remembered.append(token.id_token)
            _logging.remember_secret(token.id_token)
        self.tokens.adopt(token, fetched_at)
