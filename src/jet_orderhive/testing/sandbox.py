"""A stateful fake of Jet's Merchant API for tests: in-process or on a loopback HTTP port.

``JetSandbox`` answers every endpoint the library uses with Jet's shapes, status codes and
validation, keeps orders, SKUs, returns and files in memory, records every request, and injects
faults on demand. Everything random is drawn from streams seeded by ``seed``; pass ``clock`` as
well for runs that repeat byte for byte.
"""

from __future__ import annotations

import contextlib
import copy
import random
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias, Unpack, cast
from urllib.parse import urlsplit

import httpx

from jet_orderhive._json import JsonValue
from jet_orderhive.jet._time import format_jet_timestamp, parse_jet_datetime
from jet_orderhive.jet.client import (
    AsyncJetClient,
    AsyncJetClientOptions,
    JetClient,
    JetClientOptions,
)
from jet_orderhive.testing._sandbox import catalog, returns
from jet_orderhive.testing._sandbox import orders as order_rules
from jet_orderhive.testing._sandbox.app import Config, SandboxApp
from jet_orderhive.testing._sandbox.faults import FaultPlan
from jet_orderhive.testing._sandbox.records import SandboxRequest
from jet_orderhive.testing._sandbox.server import serve as _serve
from jet_orderhive.testing._sandbox.state import State, StoredOrder
from jet_orderhive.testing._sandbox.transport import AsyncSandboxTransport, SandboxTransport
from jet_orderhive.testing.factories import (
    DEFAULT_FULFILLMENT_NODE_ID,
    FakeBuyer,
    OrderFactory,
    OrderStatusName,
)

__all__ = ["DroppedConnection", "JetSandbox", "JsonObject", "SandboxRequest"]

JsonObject: TypeAlias = dict[str, JsonValue]
DEFAULT_BASE_URL = "https://merchant-api.jet.com/api"


class DroppedConnection(Exception):
    """Raised by :meth:`JetSandbox.handle` when an injected fault drops the connection."""

    def __init__(self, *, applied: bool) -> None:
        when = "after the request was applied" if applied else "before the request arrived"
        super().__init__(f"sandbox dropped the connection {when}")
        self.applied = applied


class JetSandbox:
    """A faithful, stateful stand-in for ``https://merchant-api.jet.com/api``.

    Use :meth:`client` for a wired :class:`~jet_orderhive.jet.client.JetClient`,
    :meth:`transport` for any ``httpx`` client, or :meth:`serve` for a real loopback server.
    Injected latency only sleeps through ``sleep`` / ``async_sleep`` when they are given.
    """

    def __init__(
        self,
        user: str = "sandbox-user",
        secret: str | None = None,
        *,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
        base_url: str = DEFAULT_BASE_URL,
        fulfillment_node_ids: Sequence[str] = (DEFAULT_FULFILLMENT_NODE_ID,),
        token_ttl: timedelta = timedelta(hours=10),
        order_list_cap: int = 1000,
        unicode_names: bool = False,
        one_word_names: bool = False,
        sleep: Callable[[float], object] | None = None,
        async_sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        if not fulfillment_node_ids:
            raise ValueError("the sandbox merchant needs at least one fulfillment node id")
        if order_list_cap < 1:
            raise ValueError(f"order_list_cap must be at least 1, got {order_list_cap}")
        self.user = user
        self.secret = secret if secret is not None else secrets.token_urlsafe(24)
        self.base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self.base_url).path or "/"
        self._clock = clock
        self._start = datetime.now(UTC).replace(microsecond=0) if clock is None else None
        self._offset = timedelta()
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._pick = random.Random(f"pick:{seed}")
        self.factory = OrderFactory(
            seed,
            fulfillment_node_id=fulfillment_node_ids[0],
            unicode_names=unicode_names,
            one_word_names=one_word_names,
        )
        state = State(seed=seed, clock=self.now)
        config = Config(
            user=user,
            secret=self.secret,
            merchant_id=state.new_id(),
            base_path=self._base_path,
            node_ids=tuple(fulfillment_node_ids),
            token_ttl=token_ttl,
            order_list_cap=order_list_cap,
        )
        self._app = SandboxApp(config, state, FaultPlan(seed), self._generate_from_body)
        self._state = state

    def __repr__(self) -> str:
        return (
            f"JetSandbox(user={self.user!r}, base_url={self.base_url!r}, "
            f"orders={len(self._state.orders)}, skus={len(self._state.skus)})"
        )

    # --- identity, clock ------------------------------------------------------------------------

    @property
    def fulfillment_node_id(self) -> str:
        """The merchant's first (default) fulfillment node."""
        return self._app.config.node_ids[0]

    @property
    def fulfillment_node_ids(self) -> tuple[str, ...]:
        """Every fulfillment node the merchant owns."""
        return self._app.config.node_ids

    def now(self) -> datetime:
        """The sandbox clock: ``clock()`` (or the creation time) plus every :meth:`advance`."""
        base = self._clock() if self._clock is not None else self._start
        assert base is not None
        if base.tzinfo is None:
            raise ValueError("the sandbox clock must return timezone-aware datetimes")
        return base + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the sandbox clock forward (tokens expire, old orders leave the lists)."""
        if delta < timedelta():
            raise ValueError("the sandbox clock only moves forward")
        with self._app.lock:
            self._offset += delta

    # --- wiring ---------------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An in-process transport for ``httpx.Client(transport=...)``."""
        return SandboxTransport(self._app, self._sleep)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An in-process transport for ``httpx.AsyncClient(transport=...)``."""
        return AsyncSandboxTransport(self._app, self._async_sleep)

    def client(self, **kwargs: Unpack[JetClientOptions]) -> JetClient:
        """A :class:`JetClient` wired to this sandbox in-process; ``kwargs`` go to the client.

        The client's rate limiting is off unless ``rate_limit=`` is passed: the sandbox answers
        in-process, and real pacing would only slow the caller's tests down. Pass
        ``rate_limit=AdaptiveRateLimit()`` to test against the default client's rate control.
        """
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("transport", self.transport())
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("rate_limit", None)
        return JetClient(self.user, self.secret, **kwargs)

    def async_client(self, **kwargs: Unpack[AsyncJetClientOptions]) -> AsyncJetClient:
        """An :class:`AsyncJetClient` wired to this sandbox in-process (rate limit off)."""
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("transport", self.async_transport())
        kwargs.setdefault("clock", self.now)
        kwargs.setdefault("rate_limit", None)
        return AsyncJetClient(self.user, self.secret, **kwargs)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the sandbox over HTTP on 127.0.0.1; yields ``http://127.0.0.1:PORT/api``."""
        with _serve(self._app, self._base_path.rstrip("/"), self._sleep) as url:
            yield url

    def handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request without any transport; raises :class:`DroppedConnection`."""
        outcome = self._app.process(method, url, headers, body)
        if outcome.delay and self._sleep is not None:
            self._sleep(outcome.delay)
        if outcome.drop is not None:
            raise DroppedConnection(applied=outcome.drop == "after")
        return outcome.status, dict(outcome.headers), outcome.body

    # --- orders ---------------------------------------------------------------------------------

    def generate_orders(
        self,
        n: int,
        *,
        status: OrderStatusName = "ready",
        placed_at: datetime | None = None,
        buyers: Sequence[FakeBuyer] | None = None,
        skus: Sequence[str] | None = None,
        create_products: bool = True,
    ) -> list[str]:
        """Add ``n`` realistic orders in ``status``; return their ids, oldest first.

        Without ``placed_at`` each order is placed 35 minutes before now plus a millisecond per
        order ever generated, so later batches sort after earlier ones. Every SKU the orders
        reference that the sandbox does not know yet is created as a product (titled as in the
        orders, with no price or stock yet), as on Jet, where an order only names the
        merchant's own products; ``create_products=False`` leaves them unknown (404 on Jet).
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        with self._app.lock:
            ids = []
            for _ in range(n):
                buyer = self._pick.choice(buyers) if buyers else None
                ids.append(self._create(status=status, placed_at=placed_at, buyer=buyer, skus=skus))
            if create_products:
                for order_id in ids:
                    self._create_products(self._state.orders[order_id].payload)
            return ids

    def _create_products(self, payload: Mapping[str, Any]) -> None:
        """Create the products an order's items name, unless the sandbox has them already."""
        for item in payload["order_items"]:
            sku = item["merchant_sku"]
            if sku in self._state.skus:
                continue
            body = _default_product(sku)
            body["product_title"] = item["product_title"]
            problems, _ = catalog.apply_product(self._app, sku, body)
            if problems:
                raise ValueError(f"cannot create product {sku!r}: {'; '.join(problems)}")

    def _create(
        self,
        *,
        status: OrderStatusName,
        placed_at: datetime | None,
        buyer: FakeBuyer | None = None,
        skus: Sequence[str] | None = None,
        quantities: Mapping[str, int] | None = None,
    ) -> str:
        seq = self._state.next_seq()
        placed = (
            placed_at
            if placed_at is not None
            else self.now() - timedelta(minutes=35) + timedelta(milliseconds=seq)
        )
        payload = self.factory.order(
            status=status, placed_at=placed, buyer=buyer, skus=skus, quantities=quantities
        )
        return self._insert(cast(dict[str, Any], payload), placed, seq)

    def _insert(self, payload: dict[str, Any], placed: datetime, seq: int) -> str:
        order_id = payload["merchant_order_id"]
        if order_id in self._state.orders:
            raise ValueError(f"order {order_id} is already in the sandbox")
        self._state.add_order(StoredOrder(payload, placed, seq))
        return str(order_id)

    def _generate_from_body(self, count: int, body: dict[str, Any] | None) -> list[str]:
        body = body or {}
        quantities = {i["sku"]: i["order_quantity"] for i in body.get("items", ())} or None
        cancels = {
            i["sku"]: i["order_cancel_quantity"]
            for i in body.get("items", ())
            if i.get("order_cancel_quantity")
        }
        buyer = None
        if "buyer" in body or "ship_to_location" in body:
            base = self.factory.buyer()
            where = body.get("ship_to_location", {})
            buyer = FakeBuyer(
                name=body.get("buyer", {}).get("name", base.name),
                phone_number=body.get("buyer", {}).get("phone_number", base.phone_number),
                hash_email=base.hash_email,
                address1=where.get("address1", base.address1),
                address2=where.get("address2", ""),
                city=where.get("city", base.city),
                state=where.get("state", base.state),
                zip_code=where.get("zip_code", base.zip_code),
            )
        ids = []
        for _ in range(count):
            order_id = self._create(
                status=body.get("status", "ready"),
                placed_at=None,
                buyer=buyer,
                quantities=quantities,
            )
            payload = self._state.orders[order_id].payload
            if "fulfillment_node" in body:
                payload["fulfillment_node"] = body["fulfillment_node"]
            if "customer_reference_order_id" in body:
                payload["customer_reference_order_id"] = body["customer_reference_order_id"]
            for key in ("request_shipping_method", "request_service_level"):
                if key in body:
                    payload["order_detail"][key] = body[key]
            if cancels:
                order_rules.request_directed_cancel(payload, cancels)
                self._state.refile(self._state.orders[order_id])
            ids.append(order_id)
        return ids

    def add_order(self, payload: Mapping[str, JsonValue]) -> str:
        """Add an order given as Jet's JSON (e.g. from :mod:`~jet_orderhive.testing.factories`)."""
        data = copy.deepcopy(dict(payload))
        for key in ("merchant_order_id", "status", "order_placed_date", "order_items"):
            if key not in data:
                raise ValueError(f"an order needs {key!r}; build one with OrderFactory.order()")
        placed = parse_jet_datetime(str(data["order_placed_date"]))
        with self._app.lock:
            return self._insert(data, placed, self._state.next_seq())

    def _stored(self, order_id: str) -> StoredOrder:
        stored = self._state.orders.get(order_id)
        if stored is None:
            raise KeyError(f"order {order_id} is not in the sandbox")
        return stored

    def order(self, order_id: str) -> JsonObject:
        """A deep copy of the order's current JSON (never the corrupted copy)."""
        with self._app.lock:
            return cast(JsonObject, copy.deepcopy(self._stored(order_id).payload))

    def order_status(self, order_id: str) -> str:
        """The order's current Jet status."""
        with self._app.lock:
            return str(self._stored(order_id).payload["status"])

    def set_order_status(self, order_id: str, status: OrderStatusName) -> None:
        """Force an order's status (an escape hatch; prefer the API for real transitions)."""
        if status not in order_rules.ORDER_STATUSES:
            raise ValueError(f"{status!r} is not a Jet order status")
        with self._app.lock:
            stored = self._stored(order_id)
            payload = stored.payload
            payload["status"] = status
            if status != "created":
                payload.setdefault("order_ready_date", format_jet_timestamp(self.now()))
            self._state.refile(stored)

    def release_created(self) -> list[str]:
        """Move every ``created`` order to ``ready``, as Jet did after its fraud hold."""
        with self._app.lock:
            released = []
            for stored in list(self._state.listed(("created",), None)):
                stored.payload["status"] = "ready"
                stored.payload["order_ready_date"] = format_jet_timestamp(self.now())
                self._state.refile(stored)
                released.append(str(stored.payload["merchant_order_id"]))
            return released

    def request_directed_cancel(
        self, order_id: str, quantities: Mapping[str, int] | None = None
    ) -> None:
        """Make Jet ask the merchant to cancel ``{sku: units}`` (every unit when ``None``)."""
        with self._app.lock:
            payload = self._stored(order_id).payload
            skus = {item["merchant_sku"]: item for item in payload["order_items"]}
            for sku, qty in (quantities or {}).items():
                if sku not in skus:
                    raise ValueError(f"SKU {sku!r} is not in order {order_id}")
                if not 0 < qty <= skus[sku]["request_order_quantity"]:
                    raise ValueError(f"cannot ask to cancel {qty} unit(s) of {sku!r}")
            order_rules.request_directed_cancel(payload, quantities)
            self._state.refile(self._stored(order_id))

    def corrupt_order(self, order_id: str, mutate: Callable[[dict[str, Any]], object]) -> None:
        """Serve a broken copy of the order from the detail endpoints (quarantine tests)."""
        with self._app.lock:
            stored = self._stored(order_id)
            broken = copy.deepcopy(stored.payload)
            mutate(broken)
            stored.corrupt = broken

    def repair_order(self, order_id: str) -> None:
        """Serve the order's real, current payload again after :meth:`corrupt_order`."""
        with self._app.lock:
            self._stored(order_id).corrupt = None

    # --- SKUs -----------------------------------------------------------------------------------

    def add_sku(
        self,
        sku: str,
        *,
        price: JsonValue = None,
        quantities: Mapping[str, int] | None = None,
        archived: bool = False,
        product: Mapping[str, JsonValue] | None = None,
    ) -> None:
        """Create a merchant SKU directly; ``quantities`` maps node id to units."""
        body = dict(product) if product is not None else _default_product(sku)
        with self._app.lock:
            problems, _ = catalog.apply_product(self._app, sku, body)
            stored = self._state.skus[sku] if not problems else None
            if stored is not None and price is not None:
                problems = catalog.apply_price(self._app, stored, {"price": price})
            if stored is not None and quantities is not None:
                nodes = [{"fulfillment_node_id": n, "quantity": q} for n, q in quantities.items()]
                problems = catalog.apply_inventory(
                    self._app, stored, {"fulfillment_nodes": nodes}, replace=True
                )
            if problems:
                raise ValueError(f"cannot add SKU {sku!r}: {'; '.join(problems)}")
            assert stored is not None
            stored.archived = archived

    def sku(self, sku: str) -> JsonObject:
        """The SKU as GET /merchant-skus/{sku} returns it."""
        with self._app.lock:
            stored = self._state.skus.get(sku)
            if stored is None:
                raise KeyError(f"SKU {sku!r} is not in the sandbox")
            return cast(JsonObject, catalog.sku_document(self._app, stored))

    def archive_sku(self, sku: str, archived: bool = True) -> None:
        """Archive (or unarchive) a SKU, as a merchant deleting it on Jet would."""
        with self._app.lock:
            stored = self._state.skus.get(sku)
            if stored is None:
                raise KeyError(f"SKU {sku!r} is not in the sandbox")
            stored.archived = archived
            stored.sku_last_update = self.now()

    def delete_sku(self, sku: str) -> None:
        """Forget a SKU entirely: every SKU endpoint then answers 404."""
        with self._app.lock:
            if self._state.skus.pop(sku, None) is None:
                raise KeyError(f"SKU {sku!r} is not in the sandbox")

    # --- returns --------------------------------------------------------------------------------

    def add_return(self, order_id: str, quantities: Mapping[str, int]) -> str:
        """Open a return for ``{sku: units}`` of an order; return its id."""
        with self._app.lock:
            return returns.new_return(self._app, order_id, quantities)

    def complete_return(self, return_id: str) -> None:
        """Mark a return ``completed by merchant``, as a merchant does in Jet's portal.

        Every returned unit is recorded as received and refunded; use the client's
        ``complete_return`` to send Jet's own request instead.
        """
        with self._app.lock:
            returns.complete_in_portal(self._app, return_id)

    def return_state(self, return_id: str) -> JsonObject:
        """A deep copy of the return's current JSON."""
        with self._app.lock:
            stored = self._state.returns.get(return_id)
            if stored is None:
                raise KeyError(f"return {return_id} is not in the sandbox")
            return cast(JsonObject, copy.deepcopy(stored.payload))

    # --- request log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[SandboxRequest]:
        """Every request received so far, oldest first."""
        with self._app.lock:
            return list(self._app.log)

    def count(self, kind: str) -> int:
        """How many requests of ``kind`` reached the sandbox (dropped-before ones do not)."""
        with self._app.lock:
            return sum(1 for r in self._app.log if r.kind == kind and r.status is not None)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._app.lock:
            self._app.log.clear()

    # --- faults ---------------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` and leave state untouched.

        ``kind`` is a request kind (``"acknowledge"``) or a path prefix (``"/orders"``).
        """
        with self._app.lock:
            self._app.faults.fail_next(n, status=status, scope=kind, retry_after=retry_after)

    def fail_randomly(
        self,
        rate: float,
        *,
        status: int = 503,
        kind: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Fail each matching request with probability ``rate``, drawn from the seeded stream."""
        with self._app.lock:
            self._app.faults.fail_randomly(rate, status=status, scope=kind, retry_after=retry_after)

    def throttle(self, *, every: int = 1, retry_after: float = 1, kind: str | None = None) -> None:
        """Answer every ``every``-th matching request with 429 and ``Retry-After``."""
        with self._app.lock:
            self._app.faults.throttle(every=every, retry_after=retry_after, scope=kind)

    def limit_rate(
        self,
        per_second: float,
        *,
        burst: int | None = None,
        kind: str | None = None,
        retry_after: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Serve at most ``per_second`` matching requests a second; answer the rest 429.

        A token bucket of ``burst`` tokens (default: one second's worth) refilled at
        ``per_second``: a request that finds it empty takes no token and gets 429 with
        ``Retry-After`` (the wait for the next token in whole seconds, or ``retry_after``).
        ``clock`` returns monotonic seconds (default ``time.monotonic``); inject one to make a
        test deterministic. Beside :meth:`throttle`, which refuses every n-th request.
        """
        with self._app.lock:
            self._app.faults.limit_rate(
                per_second, burst=burst, scope=kind, retry_after=retry_after, clock=clock
            )

    def latency(self, seconds: float, *, kind: str | None = None) -> None:
        """Delay matching responses (slept through ``sleep``/``async_sleep`` when given)."""
        with self._app.lock:
            self._app.faults.latency(seconds, scope=kind)

    def drop_connections(
        self,
        next: int = 1,
        *,
        after_apply: bool = False,
        kind: str | None = None,
    ) -> None:
        """Drop the connection on the next matching requests.

        By default the request never reaches the sandbox (``httpx.ConnectError``, not applied).
        With ``after_apply=True`` it is applied and only the response is lost
        (``httpx.RemoteProtocolError``), the crash window an engine must survive.
        """
        with self._app.lock:
            self._app.faults.drop_connections(
                next, when="after" if after_apply else "before", scope=kind
            )

    def expire_tokens(self) -> None:
        """Invalidate every bearer token now; the next authenticated call gets 401."""
        with self._app.lock:
            self._state.tokens.clear()

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._app.lock:
            self._app.faults.clear()


def _default_product(sku: str) -> dict[str, JsonValue]:
    return {
        "product_title": f"Sandbox product {sku}",
        "brand": "Sandbox",
        "multipack_quantity": 1,
        "mfr_part_number": sku[:50],
        "main_image_url": "https://example.com/images/product.jpg",
    }
