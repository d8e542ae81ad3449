"""Everything the sandbox remembers: orders, SKUs, returns, refunds, files and tokens.

Records are plain mutable classes guarded by the sandbox's single lock; the handlers are the only
writers, and the public facade hands out deep copies.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from jet_orderhive.testing._sandbox.orders import is_cancelled

__all__ = [
    "State",
    "StoredFile",
    "StoredOrder",
    "StoredRefund",
    "StoredReturn",
    "StoredSku",
]


class StoredOrder:
    """One order: the JSON Jet serves, plus what only the sandbox knows about it."""

    __slots__ = ("corrupt", "filed", "payload", "placed_at", "seq", "tag")

    def __init__(self, payload: dict[str, Any], placed_at: datetime, seq: int) -> None:
        self.payload = payload
        self.placed_at = placed_at
        self.seq = seq
        self.tag: str | None = None
        # The (status, cancelled) the state's list index files the order under.
        self.filed: tuple[str, bool] | None = None
        # When set, the detail endpoints serve this instead of ``payload`` (quarantine tests).
        self.corrupt: dict[str, Any] | None = None


class StoredSku:
    """One merchant SKU with its product data, price, per-node inventory and archive flag."""

    __slots__ = (
        "archived",
        "correlation_id",
        "inventory",
        "inventory_last_update",
        "merchant_sku_id",
        "node_prices",
        "price",
        "price_last_update",
        "product",
        "seq",
        "sku",
        "sku_last_update",
    )

    def __init__(self, sku: str, *, seq: int, merchant_sku_id: str, now: datetime) -> None:
        self.sku = sku
        self.seq = seq
        self.merchant_sku_id = merchant_sku_id
        self.correlation_id = f"map-{merchant_sku_id[::-1]}"
        self.product: dict[str, Any] = {}
        self.price: Decimal | int | None = None
        self.node_prices: dict[str, Decimal | int] = {}
        self.inventory: dict[str, int] = {}
        self.archived = False
        self.sku_last_update = now
        self.price_last_update: datetime | None = None
        self.inventory_last_update: datetime | None = None


class StoredReturn:
    """One return opened by Jet customer care, as §4.2 JSON."""

    __slots__ = ("payload", "seq")

    def __init__(self, payload: dict[str, Any], seq: int) -> None:
        self.payload = payload
        self.seq = seq


class StoredRefund:
    """One merchant-initiated refund, as the refund state JSON."""

    __slots__ = ("payload", "seq")

    def __init__(self, payload: dict[str, Any], seq: int) -> None:
        self.payload = payload
        self.seq = seq


class StoredFile:
    """One bulk file: the upload slot handed out, its bytes, and its processing status."""

    __slots__ = ("content", "expires_at", "jet_file_id", "signature", "status", "url")

    def __init__(self, jet_file_id: str, url: str, signature: str, expires_at: datetime) -> None:
        self.jet_file_id = jet_file_id
        self.url = url
        self.signature = signature
        self.expires_at = expires_at
        self.content: bytes | None = None
        self.status: dict[str, Any] | None = None


class State:
    """The sandbox's whole world, plus a seeded id stream so runs repeat exactly."""

    def __init__(self, *, seed: int | str, clock: Callable[[], datetime]) -> None:
        self._ids = random.Random(f"ids:{seed}")
        self.now = clock
        self.orders: dict[str, StoredOrder] = {}
        self.skus: dict[str, StoredSku] = {}
        self.returns: dict[str, StoredReturn] = {}
        self.refunds: dict[str, StoredRefund] = {}
        self.files: dict[str, StoredFile] = {}
        self.tokens: dict[str, datetime] = {}
        self._seq = 0
        # Orders by (status, cancelled), each list oldest first: what the order lists read.
        self._lists: dict[tuple[str, bool], list[StoredOrder]] = {}

    def add_order(self, order: StoredOrder) -> None:
        """Store a new order and file it in the list index."""
        self.orders[order.payload["merchant_order_id"]] = order
        self.refile(order)

    def refile(self, order: StoredOrder) -> None:
        """File the order under its current status and cancelled flag.

        Every writer that may change an order's ``status`` or what `is_cancelled` reads
        (shipments, the rejection, Jet's cancel request) calls this after the change, so the
        index always says what a scan of every order would.
        """
        key = (str(order.payload["status"]), is_cancelled(order.payload))
        if key == order.filed:
            return
        if order.filed is not None:
            old = self._lists[order.filed]
            at = bisect.bisect_left(old, _placed(order), key=_placed)
            while old[at] is not order:
                at += 1
            del old[at]
        bisect.insort(self._lists.setdefault(key, []), order, key=_placed)
        order.filed = key

    def listed(
        self, statuses: tuple[str, ...], cancelled: bool | None, since: datetime | None = None
    ) -> Iterator[StoredOrder]:
        """Orders in these statuses (and cancelled or not; ``None``: both), placed at or after
        ``since``, oldest first (by placed time, then creation): each costs what it yields."""
        flags = (False, True) if cancelled is None else (cancelled,)
        runs = []
        for status in statuses:
            for flag in flags:
                orders = self._lists.get((status, flag), [])
                start = (
                    0
                    if since is None
                    else bisect.bisect_left(orders, since, key=lambda o: o.placed_at)
                )
                runs.append(_from(orders, start))
        return heapq.merge(*runs, key=_placed)

    def index_snapshot(self) -> dict[tuple[str, bool], list[str]]:
        """The list index as ids, for tests that compare it with a scan of every order."""
        return {
            key: [o.payload["merchant_order_id"] for o in orders]
            for key, orders in self._lists.items()
            if orders
        }

    def new_id(self) -> str:
        """A Jet-style id: 32 lowercase hex characters."""
        return f"{self._ids.getrandbits(128):032x}"

    def new_secret(self, length: int = 40) -> str:
        """An opaque random string for tokens and upload signatures."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "".join(self._ids.choice(alphabet) for _ in range(length))

    def next_seq(self) -> int:
        """A strictly increasing number that breaks ties between equal timestamps."""
        self._seq += 1
        return self._seq


def _placed(order: StoredOrder) -> tuple[datetime, int]:
    return order.placed_at, order.seq


def _from(orders: list[StoredOrder], start: int) -> Iterator[StoredOrder]:
    """The orders from ``start`` on, without copying the list."""
    for index in range(start, len(orders)):
        yield orders[index]
