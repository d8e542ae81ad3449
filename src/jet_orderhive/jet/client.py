"""``JetClient`` and ``AsyncJetClient``: thin I/O shells over one sans-I/O core.

Both clients drive the same flows from :mod:`jet_orderhive.jet._operations`; the only code here
is what must differ between threads and asyncio: sending with ``httpx``, sleeping, the lock
around token refreshes, and the bounded fan-out of order fetches.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
import time
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self, TypedDict, TypeVar, Unpack, cast

import attrs
import httpx

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet import _operations as ops
from jet_orderhive.jet._asyncio_speedup import cache_stream_sockets, remember_missing_sniffio
from jet_orderhive.jet._auth import TokenStore
from jet_orderhive.jet._body import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, BodyLimits
from jet_orderhive.jet._core import Core
from jet_orderhive.jet._effects import (
    Flow,
    HttpRequest,
    NeedToken,
    RawResponse,
    Send,
    Sleep,
    TransportFailure,
    check_timeout,
    failure_from_exception,
)
from jet_orderhive.jet._hooks import (
    ClientHooks,
    ClientStats,
    RateChangeEvent,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    ThrottleEvent,
)
from jet_orderhive.jet._operations import BulkRecord, OrderFetch
from jet_orderhive.jet._ratelimit import AdaptiveRateLimit, RateLimit
from jet_orderhive.jet._retry import RetryPolicy
from jet_orderhive.jet._urls import DEFAULT_BASE_URL
from jet_orderhive.jet._wire import AsyncWire, SyncWire, proxies_configured
from jet_orderhive.jet.enums import FileType, OrderStatus, ReturnStatus
from jet_orderhive.jet.models import (
    Acknowledgement,
    CompleteReturn,
    FulfillmentNode,
    InventoryUpdate,
    JetFile,
    JetOrder,
    JetRefund,
    JetReturn,
    MerchantSku,
    NodePrice,
    NodeQuantity,
    RefundCreated,
    RefundRequest,
    ShipNotice,
)

__all__ = [
    "AsyncJetClient",
    "AsyncJetClientOptions",
    "BulkRecord",
    "ClientHooks",
    "ClientOptions",
    "ClientStats",
    "JetClient",
    "JetClientOptions",
    "OrderFetch",
    "AdaptiveRateLimit",
    "RateChangeEvent",
    "RateLimit",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "RetryPolicy",
    "ThrottleEvent",
    "TokenStore",
]

T = TypeVar("T")

_ENV_USER = "JET_API_USER"
_ENV_SECRET = "JET_API_SECRET"  # noqa: S105 - the variable name, not a secret
_ENV_BASE_URL = "JET_API_BASE_URL"
_DEFAULT_CONCURRENCY = 8
_DEFAULT_RATE_LIMIT = AdaptiveRateLimit()


def _env_settings(environ: Mapping[str, str] | None, options: ClientOptions) -> tuple[str, str]:
    """User and secret from the environment; ``JET_API_BASE_URL`` unless ``base_url`` is given."""
    env = os.environ if environ is None else environ
    missing = [name for name in (_ENV_USER, _ENV_SECRET) if not env.get(name)]
    if missing:
        raise JetOrderhiveValueError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: export "
            "the Jet API user and secret from Jet's partner portal"
        )
    if env.get(_ENV_BASE_URL):
        options.setdefault("base_url", env[_ENV_BASE_URL])
    return env[_ENV_USER], env[_ENV_SECRET]


def _one_of(transport: object, http_client: object) -> None:
    if transport is not None and http_client is not None:
        raise JetOrderhiveValueError(
            "pass either transport= or http_client=, not both: an injected client already "
            "has its transport"
        )


def _window(workers: int) -> int:
    """How many fetches may run ahead of the consumer: every worker stays busy behind a slow one,
    yet 1,000 ids never sit in memory (or keep Jet busy after the consumer stops) at once."""
    return 2 * workers


def _fan_out(order_ids: Iterable[str], workers: int) -> tuple[list[str], int]:
    """The ids to fetch and how many workers fetch them, the same for both clients.

    Never more workers than ids; one worker means no pool at all, so a consumer that takes one
    result has caused one request.
    """
    ids = list(order_ids)
    return ids, min(workers, max(len(ids), 1))


def _outgoing(
    http: httpx.Client | httpx.AsyncClient, request: HttpRequest, timeout: httpx.Timeout
) -> httpx.Request:
    """The httpx request for ``request``, with the client's finite timeout on every phase."""
    return http.build_request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content,
        timeout=timeout,
    )


class ClientOptions(TypedDict, total=False):
    """Keyword options both clients take (defaults in brackets).

    - ``base_url`` [Jet's production URL]: ``https://`` only, or ``http://`` to a loopback host.
    - ``timeout`` [30 s]: seconds, or an ``httpx.Timeout`` whose every phase is finite.
    - ``max_retries`` [from ``retry``]: shorthand for ``retry.max_attempts - 1``.
    - ``retry`` [``RetryPolicy()``]: attempts, backoff, jitter, ``Retry-After`` cap, wait budget.
    - ``rate_limit`` [``AdaptiveRateLimit()``]: no cap until Jet throttles, then adaptive
      pacing; a ``RateLimit`` sets a fixed token bucket instead; None turns both off.
    - ``token_store`` [None]: shares the bearer token between processes.
    - ``token_refresh_margin`` [5 min]: refresh a token this long before it expires.
    - ``hooks`` [None]: metrics callbacks (:class:`ClientHooks`).
    - ``clock`` [system UTC time]: returns an aware ``datetime`` for token expiry and
      ``Retry-After`` dates; when ``sleep`` is injected too, it also times waits and pacing.
    - ``rng`` [a fresh ``random.Random``]: the source of backoff jitter.
    - ``concurrency`` [8]: default fan-out of :meth:`JetClient.fetch_orders` and ``iter_orders``.
    - ``max_response_bytes`` [8 MiB]: the largest answer read, on the wire and decompressed;
      a larger one is a ``JetPayloadError``.
    - ``deadline`` [120 s]: the longest one attempt may take, request sent to last byte read;
      past it the attempt fails as a timeout.
    """

    base_url: str
    timeout: float | httpx.Timeout
    max_retries: int | None
    retry: RetryPolicy | None
    rate_limit: RateLimit | AdaptiveRateLimit | None
    token_store: TokenStore | None
    token_refresh_margin: timedelta
    hooks: ClientHooks | None
    clock: Callable[[], datetime] | None
    rng: random.Random | None
    concurrency: int
    max_response_bytes: int
    deadline: float


class JetClientOptions(ClientOptions, total=False):
    """:class:`ClientOptions` plus the sync client's ``transport``, ``http_client``, ``sleep``."""

    transport: httpx.BaseTransport | None
    http_client: httpx.Client | None
    sleep: Callable[[float], None] | None


class AsyncJetClientOptions(ClientOptions, total=False):
    """:class:`ClientOptions` plus the async client's ``transport``, ``http_client``, ``sleep``."""

    transport: httpx.AsyncBaseTransport | None
    http_client: httpx.AsyncClient | None
    sleep: Callable[[float], Awaitable[None]] | None


class _ClientBase:
    """Configuration shared by both clients; holds the core and never shows the secret."""

    def __init__(
        self,
        user: str,
        secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | AdaptiveRateLimit | None = _DEFAULT_RATE_LIMIT,
        token_store: TokenStore | None = None,
        token_refresh_margin: timedelta = timedelta(minutes=5),
        hooks: ClientHooks | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        concurrency: int = _DEFAULT_CONCURRENCY,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        deadline: float = DEFAULT_DEADLINE,
        _paced_by_clock: bool = False,
    ) -> None:
        policy = retry or RetryPolicy()
        if max_retries is not None:
            if max_retries < 0:
                raise JetOrderhiveValueError("max_retries must be 0 or more")
            policy = attrs.evolve(policy, max_attempts=max_retries + 1)
        if concurrency < 1:
            raise JetOrderhiveValueError("concurrency must be at least 1")
        limits = BodyLimits(max_bytes=max_response_bytes, deadline=deadline)
        self._timeout = limits.clamp(check_timeout(timeout))
        self._concurrency = concurrency
        self._core = Core(
            user=user,
            secret=secret,
            base_url=base_url,
            retry=policy,
            rate_limit=rate_limit,
            hooks=hooks,
            token_store=token_store,
            token_margin=token_refresh_margin,
            clock=clock,
            paced_by_clock=_paced_by_clock,
            rng=rng,
            limits=limits,
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(user={self._core.user!r}, base_url={self._core.base_url!r})"

    @property
    def user(self) -> str:
        """The Jet API user this client signs in as."""
        return self._core.user

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def retry(self) -> RetryPolicy:
        return self._core.retry

    @property
    def stats(self) -> ClientStats:
        """Requests, retries, throttle waits and token fetches since the client was made."""
        return self._core.stats.snapshot()

    def _workers(self, concurrency: int | None) -> int:
        workers = self._concurrency if concurrency is None else concurrency
        if workers < 1:
            raise JetOrderhiveValueError("concurrency must be at least 1")
        return workers


class JetClient(_ClientBase):
    """Synchronous client for Jet's Merchant API; safe to share between threads.

    Retries transient failures, refreshes the bearer token, paces itself once Jet throttles it
    and raises :class:`~jet_orderhive.jet.errors.JetError` subclasses for everything else.
    An ``http_client`` passed in is used as is and left open on :meth:`close`.
    """

    def __init__(
        self,
        user: str,
        secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        _one_of(transport, http_client)
        super().__init__(user, secret, _paced_by_clock=sleep is not None, **options)
        self._owns_http = http_client is None
        # The library's own pool unless httpx is asked for: a transport or client of the
        # caller's, or a proxy in the environment (which httpx honours and the pool does not).
        self._wire: SyncWire | None = None
        if transport is None and http_client is None and not proxies_configured():
            self._wire = SyncWire(self._timeout)
        else:
            self._http = http_client or httpx.Client(
                transport=transport, timeout=self._timeout, follow_redirects=False
            )
        self._sleep = sleep or time.sleep
        self._auth_lock = threading.Lock()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **options: Unpack[JetClientOptions]
    ) -> Self:
        """A client from ``JET_API_USER``, ``JET_API_SECRET`` and optional ``JET_API_BASE_URL``.

        ``environ`` defaults to ``os.environ``; keyword options win over the environment.
        """
        return cls(*_env_settings(environ, options), **options)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (unless it was passed in) and forget the credentials."""
        if self._closed:
            return
        self._closed = True
        if self._wire is not None:
            self._wire.close()
        elif self._owns_http:
            self._http.close()
        self._core.close()

    # -- the driver --------------------------------------------------------------------------

    def _drive(self, flow: Flow[T]) -> T:
        reply: object = None
        while True:
            try:
                effect = flow.send(reply)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Send):
                reply = self._send(effect.request)
            elif isinstance(effect, Sleep):
                self._sleep(effect.seconds)
                reply = None
            else:
                reply = self._token(effect)

    def _send(self, request: HttpRequest) -> RawResponse | TransportFailure:
        reader = self._core.body_reader()
        if self._wire is not None:
            return self._wire.send(request, reader)
        try:
            outgoing = _outgoing(self._http, request, self._timeout)
            # Even an injected client must not carry a body on to another (plain-http) host.
            response = self._http.send(outgoing, follow_redirects=False, stream=True)
            try:
                # The stream itself, not iter_raw(): the bytes as sent, even from a response
                # that httpx has already read (an in-process transport's, for one).
                stream = response.stream
                assert isinstance(stream, httpx.SyncByteStream)
                for chunk in stream:
                    if not reader.feed(chunk):
                        break
            finally:
                response.close()
        except httpx.RequestError as exc:
            return failure_from_exception(exc)
        return reader.finish(response.status_code, response.headers)

    def _token(self, need: NeedToken) -> str:
        with self._auth_lock:
            return self._drive(self._core.token_flow(need.stale))

    # -- operations --------------------------------------------------------------------------

    def authenticate(self) -> None:
        """Fetch a new bearer token now (also a cheap check that the credentials work)."""
        with self._auth_lock:
            self._drive(self._core.authenticate_flow())

    def list_order_ids(
        self,
        status: OrderStatus | str,
        *,
        cancelled: bool | None = None,
        node: str | None = None,
    ) -> list[str]:
        """Ids of the orders Jet lists under ``status`` (at most 1,000, kept for 90 days)."""
        return self._drive(ops.list_order_ids(self._core, status, cancelled=cancelled, node=node))

    def get_order(self, order_id: str) -> JetOrder:
        """One order's detail."""
        return self._drive(ops.get_order(self._core, order_id))

    def fetch_order(self, order_id: str) -> OrderFetch:
        """One order as :meth:`fetch_orders` fetches each: a failure of this order alone (404,
        an unreadable payload, a 5xx that outlived its retries) comes back in the result, with
        the raw bytes when there were any; one that hits every request raises."""
        return self._drive(ops.fetch_order(self._core, order_id))

    def fetch_orders(
        self, order_ids: Iterable[str], *, concurrency: int | None = None
    ) -> Generator[OrderFetch, None, None]:
        """Fetch many orders concurrently, yielding one result per id in the input order.

        A failure that concerns one order (404, unreadable payload, a 5xx that outlived its
        retries) comes back in that order's :class:`OrderFetch`; one that hits every request
        (credentials, network down, throttling beyond the budget) raises. At most
        ``2 * concurrency`` fetches run ahead of the consumer, so stopping early (or a slow
        consumer) leaves the rest of the ids untouched.
        """
        ids, workers = _fan_out(order_ids, self._workers(concurrency))
        if workers == 1:
            for order_id in ids:
                yield self._drive(ops.fetch_order(self._core, order_id))
            return
        window = _window(workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jet-fetch") as pool:
            pending: deque[Future[OrderFetch]] = deque()
            try:
                for order_id in ids:
                    pending.append(pool.submit(self._drive, ops.fetch_order(self._core, order_id)))
                    if len(pending) >= window:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                # A consumer that stops early leaves at most the window unfetched, not the rest.
                for future in pending:
                    future.cancel()

    def iter_orders(
        self,
        status: OrderStatus | str,
        *,
        cancelled: bool | None = None,
        concurrency: int | None = None,
    ) -> Iterator[JetOrder]:
        """Every order listed under ``status``, fetched concurrently; raises at the first error."""
        ids = self.list_order_ids(status, cancelled=cancelled)
        # Closed at once on an error or an early stop, so no fetch outlives the iteration.
        with contextlib.closing(self.fetch_orders(ids, concurrency=concurrency)) as fetches:
            for fetched in fetches:
                yield ops.order_or_raise(fetched)

    def acknowledge_order(self, order_id: str, ack: Acknowledgement) -> None:
        """Accept or reject a ``ready`` order; never repeated unless Jet provably ignored it."""
        self._drive(ops.acknowledge_order(self._core, order_id, ack))

    def ship_order(self, order_id: str, notice: ShipNotice) -> None:
        """Report shipments and cancellations; never repeated unless Jet provably ignored it."""
        self._drive(ops.ship_order(self._core, order_id, notice))

    def get_sku(self, sku: str) -> MerchantSku:
        """One merchant SKU with its status, price and inventory."""
        return self._drive(ops.get_sku(self._core, sku))

    def iter_skus(self, *, page_size: int = 100) -> Iterator[str]:
        """Every merchant SKU, page by page, until Jet returns a short page."""
        pager = ops.SkuPager(page_size)
        while pager.offset is not None:
            page = self._drive(ops.sku_page(self._core, pager.offset, page_size))
            yield from pager.take(page)

    def update_inventory(
        self, sku: str, quantities: Sequence[NodeQuantity] | InventoryUpdate
    ) -> None:
        """Set the quantity of ``sku`` at each listed fulfillment node (PATCH)."""
        self._drive(ops.update_inventory(self._core, sku, quantities))

    def update_price(
        self, sku: str, price: Decimal, node_prices: Sequence[NodePrice] | None = None
    ) -> None:
        """Set the price of ``sku``, and optionally per fulfillment node."""
        self._drive(ops.update_price(self._core, sku, price, node_prices))

    def archive_sku(self, sku: str, archived: bool = True) -> None:
        """Archive ``sku`` on Jet (Jet's "delete"); ``archived=False`` brings it back."""
        self._drive(ops.archive_sku(self._core, sku, archived))

    def list_return_ids(self, status: ReturnStatus | str) -> list[str]:
        """Ids of the returns in ``status`` (``created``, ``inprogress``, ...)."""
        return self._drive(ops.list_return_ids(self._core, status))

    def get_return(self, return_id: str) -> JetReturn:
        """One return's detail."""
        return self._drive(ops.get_return(self._core, return_id))

    def complete_return(self, return_id: str, body: CompleteReturn) -> None:
        """Complete a return (Jet refunds the customer); a one-time write."""
        self._drive(ops.complete_return(self._core, return_id, body))

    def create_refund(
        self, order_id: str, alt_refund_id: str, body: RefundRequest
    ) -> RefundCreated:
        """Refund without a return; ``alt_refund_id`` is your own id. A one-time write."""
        return self._drive(ops.create_refund(self._core, order_id, alt_refund_id, body))

    def get_refund(self, refund_authorization_id: str) -> JetRefund:
        """One refund's state."""
        return self._drive(ops.get_refund(self._core, refund_authorization_id))

    def list_fulfillment_nodes(self) -> list[FulfillmentNode]:
        """The merchant's fulfillment nodes (warehouses)."""
        return self._drive(ops.list_fulfillment_nodes(self._core))

    def upload_file(
        self,
        kind: FileType,
        records: Mapping[str, BulkRecord],
        *,
        file_name: str | None = None,
    ) -> JetFile:
        """Send many SKUs' updates as one bulk file; returns Jet's first status for it."""
        return self._drive(ops.upload_file(self._core, kind, records, file_name=file_name))

    def get_file(self, jet_file_id: str) -> JetFile:
        """How far Jet got processing a bulk file."""
        return self._drive(ops.get_file(self._core, jet_file_id))

    def wait_for_file(
        self, jet_file_id: str, *, timeout: float = 600.0, poll_interval: float = 5.0
    ) -> JetFile:
        """Poll a bulk file until processed, first after 0.25 s, then at doubling waits up to
        ``poll_interval``; ``TimeoutError`` after ``timeout`` seconds."""
        return self._drive(
            ops.wait_for_file(self._core, jet_file_id, timeout=timeout, poll_interval=poll_interval)
        )


class AsyncJetClient(_ClientBase):
    """The asyncio twin of :class:`JetClient`: same operations, awaited; share it between tasks."""

    def __init__(
        self,
        user: str,
        secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        _one_of(transport, http_client)
        super().__init__(user, secret, _paced_by_clock=sleep is not None, **options)
        self._owns_http = http_client is None
        self._wire: AsyncWire | None = None
        if transport is None and http_client is None and not proxies_configured():
            self._wire = AsyncWire(self._timeout)
        else:
            self._http = http_client or httpx.AsyncClient(
                transport=transport, timeout=self._timeout, follow_redirects=False
            )
            remember_missing_sniffio()
            if self._owns_http:
                cache_stream_sockets(self._http)
        self._sleep = sleep or asyncio.sleep
        self._auth_lock = asyncio.Lock()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **options: Unpack[AsyncJetClientOptions]
    ) -> Self:
        """A client from ``JET_API_USER``, ``JET_API_SECRET`` and optional ``JET_API_BASE_URL``."""
        return cls(*_env_settings(environ, options), **options)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in) and forget the credentials."""
        if self._closed:
            return
        self._closed = True
        if self._wire is not None:
            await self._wire.aclose()
        elif self._owns_http:
            await self._http.aclose()
        self._core.close()

    # -- the driver --------------------------------------------------------------------------

    async def _drive(self, flow: Flow[T]) -> T:
        reply: object = None
        while True:
            try:
                effect = flow.send(reply)
            except StopIteration as stop:
                return cast(T, stop.value)
            if isinstance(effect, Send):
                reply = await self._send(effect.request)
            elif isinstance(effect, Sleep):
                await self._sleep(effect.seconds)
                reply = None
            else:
                reply = await self._token(effect)

    async def _send(self, request: HttpRequest) -> RawResponse | TransportFailure:
        reader = self._core.body_reader()
        if self._wire is not None:
            return await self._wire.send(request, reader)
        try:
            outgoing = _outgoing(self._http, request, self._timeout)
            # Even an injected client must not carry a body on to another (plain-http) host.
            response = await self._http.send(outgoing, follow_redirects=False, stream=True)
            try:
                stream = response.stream
                assert isinstance(stream, httpx.AsyncByteStream)
                async for chunk in stream:
                    if not reader.feed(chunk):
                        break
            finally:
                await response.aclose()
        except httpx.RequestError as exc:
            return failure_from_exception(exc)
        return reader.finish(response.status_code, response.headers)

    async def _token(self, need: NeedToken) -> str:
        async with self._auth_lock:
            return await self._drive(self._core.token_flow(need.stale))

    # -- operations --------------------------------------------------------------------------

    async def authenticate(self) -> None:
        """Fetch a new bearer token now (also a cheap check that the credentials work)."""
        async with self._auth_lock:
            await self._drive(self._core.authenticate_flow())

    async def list_order_ids(
        self,
        status: OrderStatus | str,
        *,
        cancelled: bool | None = None,
        node: str | None = None,
    ) -> list[str]:
        """Ids of the orders Jet lists under ``status`` (at most 1,000, kept for 90 days)."""
        flow = ops.list_order_ids(self._core, status, cancelled=cancelled, node=node)
        return await self._drive(flow)

    async def get_order(self, order_id: str) -> JetOrder:
        """One order's detail."""
        return await self._drive(ops.get_order(self._core, order_id))

    async def fetch_order(self, order_id: str) -> OrderFetch:
        """One order as :meth:`fetch_orders` fetches each; see :meth:`JetClient.fetch_order`."""
        return await self._drive(ops.fetch_order(self._core, order_id))

    async def fetch_orders(
        self, order_ids: Iterable[str], *, concurrency: int | None = None
    ) -> AsyncGenerator[OrderFetch, None]:
        """Fetch many orders concurrently, yielding one result per id in the input order.

        Per-order failures come back inside each :class:`OrderFetch`; failures that hit every
        request (credentials, network, throttling) raise. See :meth:`JetClient.fetch_orders`.
        """
        ids, workers = _fan_out(order_ids, self._workers(concurrency))
        if workers == 1:
            for order_id in ids:
                yield await self._drive(ops.fetch_order(self._core, order_id))
            return
        window = _window(workers)
        gate = asyncio.Semaphore(workers)

        async def fetch(order_id: str) -> OrderFetch:
            async with gate:
                return await self._drive(ops.fetch_order(self._core, order_id))

        pending: deque[asyncio.Task[OrderFetch]] = deque()
        try:
            for order_id in ids:
                pending.append(asyncio.ensure_future(fetch(order_id)))
                if len(pending) >= window:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def iter_orders(
        self,
        status: OrderStatus | str,
        *,
        cancelled: bool | None = None,
        concurrency: int | None = None,
    ) -> AsyncIterator[JetOrder]:
        """Every order listed under ``status``, fetched concurrently; raises at the first error."""
        ids = await self.list_order_ids(status, cancelled=cancelled)
        # Closed at once on an error or an early stop, so no fetch outlives the iteration.
        async with contextlib.aclosing(self.fetch_orders(ids, concurrency=concurrency)) as fetches:
            async for fetched in fetches:
                yield ops.order_or_raise(fetched)

    async def acknowledge_order(self, order_id: str, ack: Acknowledgement) -> None:
        """Accept or reject a ``ready`` order; never repeated unless Jet provably ignored it."""
        await self._drive(ops.acknowledge_order(self._core, order_id, ack))

    async def ship_order(self, order_id: str, notice: ShipNotice) -> None:
        """Report shipments and cancellations; never repeated unless Jet provably ignored it."""
        await self._drive(ops.ship_order(self._core, order_id, notice))

    async def get_sku(self, sku: str) -> MerchantSku:
        """One merchant SKU with its status, price and inventory."""
        return await self._drive(ops.get_sku(self._core, sku))

    async def iter_skus(self, *, page_size: int = 100) -> AsyncIterator[str]:
        """Every merchant SKU, page by page, until Jet returns a short page."""
        pager = ops.SkuPager(page_size)
        while pager.offset is not None:
            page = await self._drive(ops.sku_page(self._core, pager.offset, page_size))
            for sku in pager.take(page):
                yield sku

    async def update_inventory(
        self, sku: str, quantities: Sequence[NodeQuantity] | InventoryUpdate
    ) -> None:
        """Set the quantity of ``sku`` at each listed fulfillment node (PATCH)."""
        await self._drive(ops.update_inventory(self._core, sku, quantities))

    async def update_price(
        self, sku: str, price: Decimal, node_prices: Sequence[NodePrice] | None = None
    ) -> None:
        """Set the price of ``sku``, and optionally per fulfillment node."""
        await self._drive(ops.update_price(self._core, sku, price, node_prices))

    async def archive_sku(self, sku: str, archived: bool = True) -> None:
        """Archive ``sku`` on Jet (Jet's "delete"); ``archived=False`` brings it back."""
        await self._drive(ops.archive_sku(self._core, sku, archived))

    async def list_return_ids(self, status: ReturnStatus | str) -> list[str]:
        """Ids of the returns in ``status`` (``created``, ``inprogress``, ...)."""
        return await self._drive(ops.list_return_ids(self._core, status))

    async def get_return(self, return_id: str) -> JetReturn:
        """One return's detail."""
        return await self._drive(ops.get_return(self._core, return_id))

    async def complete_return(self, return_id: str, body: CompleteReturn) -> None:
        """Complete a return (Jet refunds the customer); a one-time write."""
        await self._drive(ops.complete_return(self._core, return_id, body))

    async def create_refund(
        self, order_id: str, alt_refund_id: str, body: RefundRequest
    ) -> RefundCreated:
        """Refund without a return; ``alt_refund_id`` is your own id. A one-time write."""
        return await self._drive(ops.create_refund(self._core, order_id, alt_refund_id, body))

    async def get_refund(self, refund_authorization_id: str) -> JetRefund:
        """One refund's state."""
        return await self._drive(ops.get_refund(self._core, refund_authorization_id))

    async def list_fulfillment_nodes(self) -> list[FulfillmentNode]:
        """The merchant's fulfillment nodes (warehouses)."""
        return await self._drive(ops.list_fulfillment_nodes(self._core))

    async def upload_file(
        self,
        kind: FileType,
        records: Mapping[str, BulkRecord],
        *,
        file_name: str | None = None,
    ) -> JetFile:
        """Send many SKUs' updates as one bulk file; returns Jet's first status for it."""
        return await self._drive(ops.upload_file(self._core, kind, records, file_name=file_name))

    async def get_file(self, jet_file_id: str) -> JetFile:
        """How far Jet got processing a bulk file."""
        return await self._drive(ops.get_file(self._core, jet_file_id))

    async def wait_for_file(
        self, jet_file_id: str, *, timeout: float = 600.0, poll_interval: float = 5.0
    ) -> JetFile:
        """Poll a bulk file until processed, first after 0.25 s, then at doubling waits up to
        ``poll_interval``; ``TimeoutError`` after ``timeout`` seconds."""
        flow = ops.wait_for_file(
            self._core, jet_file_id, timeout=timeout, poll_interval=poll_interval
        )
        return await self._drive(flow)
