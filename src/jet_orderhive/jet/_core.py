"""The sans-I/O heart of the Jet clients: what to send, how to read the answer, what to do next.

Every operation is a generator ("flow") that yields effects (:mod:`jet_orderhive.jet._effects`):
send an HTTP request, sleep for a while, or take the refresh lock and run the token flow. The
sync and async clients are thin loops that perform those effects with ``httpx`` and send the
outcome back in. Retries, backoff, 401 handling, rate limiting, logging, hooks and parsing all
live here, once.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar
from urllib.parse import quote

from jet_orderhive import _json
from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet import _logging
from jet_orderhive.jet._auth import Credential, TokenCache, TokenStore, with_expiry
from jet_orderhive.jet._body import ACCEPT_ENCODING, BodyLimits, BodyReader
from jet_orderhive.jet._convert import from_json
from jet_orderhive.jet._effects import (
    ApiCall,
    Flow,
    HttpRequest,
    NeedToken,
    RawResponse,
    Send,
    Sleep,
    TransportFailure,
)
from jet_orderhive.jet._hooks import (
    ClientHooks,
    RateChangeEvent,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    StatsCounter,
    ThrottleEvent,
)
from jet_orderhive.jet._ratelimit import AdaptiveRateLimit, Limiter, RateLimit, make_limiter
from jet_orderhive.jet._retry import (
    Decision,
    RetryPolicy,
    decide,
    parse_retry_after,
)
from jet_orderhive.jet._status_errors import error_for_response
from jet_orderhive.jet._urls import check_base_url
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetError,
    JetPayloadError,
    JetTransportError,
)
from jet_orderhive.jet.models import Token, TokenRequest

__all__ = ["Core", "parse_model"]

T = TypeVar("T")
E = TypeVar("E", RequestEvent, ResponseEvent, RetryEvent, ThrottleEvent, RateChangeEvent)

_USER_AGENT: Final = "jet-orderhive"


def parse_model(call: ApiCall, response: RawResponse, cls: type[T]) -> T:
    """Build ``cls`` from the body, or raise ``JetPayloadError`` naming the call and JSON paths."""
    if response.problem is not None:
        name = getattr(cls, "__name__", str(cls))
        raise JetPayloadError(
            f"cannot read {name}: Jet's answer to {call.operation} {response.problem}",
            model=name,
            method=call.method,
            path=call.path,
            status=response.status,
        )
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _forget_all(remembered: list[str]) -> None:
    for value in remembered:
        _logging.forget_secret(value)
    remembered.clear()
    _logging.release_http_logs()


def _token_problem(token: str) -> str | None:
    """Why ``token`` cannot go into an Authorization header, without quoting any of it."""
    if not token:
        return "it is empty"
    for index, char in enumerate(token):
        if not "\x21" <= char <= "\x7e":
            return f"character {index + 1} of {len(token)} is not visible ASCII (U+0021-U+007E)"
    return None


class Core:
    """Configuration and shared state of one client, plus the flows that use them.

    Holds the secret: it never appears in a repr, log record, event or error built here.
    """

    __slots__ = (
        "__weakref__",
        "_forget",
        "_limiter",
        "_limits",
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
        rate_limit: RateLimit | AdaptiveRateLimit | None,
        hooks: ClientHooks | None,
        token_store: TokenStore | None,
        token_margin: timedelta,
        clock: Callable[[], datetime] | None,
        paced_by_clock: bool,
        rng: random.Random | None,
        limits: BodyLimits | None = None,
    ) -> None:
        if not user:
            raise JetOrderhiveValueError("user must be the Jet API user (JET_API_USER), not empty")
        if not secret:
            raise JetOrderhiveValueError(
                "secret must be the Jet API secret (JET_API_SECRET), not empty"
            )
        self.user = user
        self._secret = Credential(secret)
        self.base_url = check_base_url(base_url)
        self.retry = retry
        limiter: Limiter | None = make_limiter(rate_limit)
        self._limiter = limiter
        self.hooks = hooks or ClientHooks()
        self.token_store = token_store
        self.tokens = TokenCache(token_margin)
        self.stats = StatsCounter(rate=(lambda: limiter.rate) if limiter is not None else None)
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
        self._limits = limits or BodyLimits()
        # The secret and the live token stay redacted from the logs (the library's, httpx's and
        # httpcore's) until the client is closed or garbage-collected, whichever comes first.
        self._remembered: list[str] = [secret]
        _logging.remember_secret(secret)
        _logging.guard_http_logs()
        self._forget = weakref.finalize(self, _forget_all, self._remembered)

    def close(self) -> None:
        """Stop redacting this client's secret and tokens from the logs (the client is done)."""
        self._forget()

    @property
    def limits(self) -> BodyLimits:
        return self._limits

    def body_reader(self) -> BodyReader:
        """A reader for one attempt's answer; its deadline starts now."""
        return BodyReader(self._limits, self.monotonic)

    def now(self) -> datetime:
        return self._now()

    def monotonic(self) -> float:
        return self._monotonic()

    # -- the request loop --------------------------------------------------------------------

    def _build(self, call: ApiCall, token: str | None) -> HttpRequest:
        headers = [
            ("Accept", "application/json"),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("User-Agent", _USER_AGENT),
        ]
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

    def _throttle(self, limiter: Limiter, call: ApiCall) -> Flow[int]:
        """Wait for the limiter's slot (and any ``Retry-After`` pause); return its epoch."""
        epoch = limiter.epoch
        wait = limiter.reserve(self.monotonic())
        while wait > 0:
            self.stats.add("throttle_waits")
            self._fire(
                self.hooks.on_throttle,
                ThrottleEvent(
                    operation=call.operation,
                    method=call.method,
                    path=call.path,
                    wait=wait,
                    rate=limiter.rate,
                ),
            )
            yield Sleep(wait)
            # A Retry-After that arrived while this request slept holds it back as well.
            wait = limiter.pause_left(self.monotonic())
        return epoch

    def _learn(
        self, limiter: Limiter | None, call: ApiCall, answer: RawResponse, epoch: int
    ) -> None:
        """Tell the limiter how Jet answered; a 429 (or 503 with Retry-After) is a throttle."""
        status = answer.status
        throttled = status == 429 or (status == 503 and "retry-after" in answer.headers)
        if throttled:
            self.stats.add("throttled")
        if limiter is None:
            return
        retry_after = parse_retry_after(answer.headers, self.now()) if throttled else None
        cut = limiter.observe(
            self.monotonic(), throttled=throttled, retry_after=retry_after, epoch=epoch
        )
        if cut is None:
            return
        _logging.logger.info(
            "%s %s: Jet throttled (HTTP %d); pacing at %.2f requests/s",
            call.method,
            call.path,
            status,
            cut.rate,
        )
        self._fire(
            self.hooks.on_rate_change,
            RateChangeEvent(
                operation=call.operation,
                method=call.method,
                path=call.path,
                status=status,
                previous=cut.previous,
                rate=cut.rate,
                retry_after=retry_after,
            ),
        )

    def call(self, call: ApiCall) -> Flow[RawResponse]:
        """Send ``call`` until it succeeds (2xx) or the retry policy gives up, then raise."""
        return self.send(call, lambda token: self._build(call, token))

    def send(self, call: ApiCall, build: Callable[[str | None], HttpRequest]) -> Flow[RawResponse]:
        """The retry loop for any request; ``build`` makes the attempt from the bearer token."""
        attempt = 0
        waited = 0.0
        refused: str | None = None  # the token Jet answered 401 to, once
        limiter = self._limiter
        epoch = 0
        while True:
            attempt += 1
            if limiter is not None:
                epoch = yield from self._throttle(limiter, call)
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
                self._learn(limiter, call, outcome, epoch)
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
        # str() of the error ends "after N attempts" already; the give-up reason would repeat it.
        detail = "" if reason.startswith("gave up after") else f"; {reason}"
        return JetTransportError(
            f"no answer from Jet for {call.operation} ({outcome.description}){detail}",
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
        try:
            parsed = parse_model(call, response, Token)
        except JetPayloadError as error:
            # Only the JSON paths: a value next to one may be (part of) a token.
            fields = ", ".join(sorted({line.split(":", 1)[0] for line in error.errors}))
            problem: str | None = f"the answer cannot be read (fields: {fields or 'none'})"
        else:
            problem = _token_problem(parsed.id_token)
            if problem is not None:
                problem = f"its id_token cannot be sent: {problem}"
        if problem is not None:
            raise JetAuthError(
                f"Jet's token endpoint gave no usable token ({problem}); nothing was kept",
                method=call.method,
                path=call.path,
                status=response.status,
            ) from None
        token = with_expiry(parsed, fetched_at)
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
            if stored is not None and _token_problem(stored.id_token) is not None:
                _logging.logger.warning(
                    "the token store holds a token that cannot be sent; fetching a new one"
                )
                stored = None
            if stored is not None and self.tokens.usable(stored, now) and stored.id_token != stale:
                self._adopt(stored)
                return Credential(stored.id_token)
        token = yield from self.authenticate_flow()
        return Credential(token.id_token)

    def _adopt(self, token: Token, fetched_at: datetime | None = None) -> None:
        if token.id_token not in self._remembered:
            _logging.remember_secret(token.id_token)
            # Only the secret and the live token are redacted: a replaced token is dead, and
            # keeping every one would make each log record slower to filter as the client ages.
            for old in self._remembered[1:]:
                _logging.forget_secret(old)
            del self._remembered[1:]
            self._remembered.append(token.id_token)
        self.tokens.adopt(token, fetched_at)
