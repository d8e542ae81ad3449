"""Memory, SQLite, PostgreSQL and the guide's example adapter agree under any sequence of calls."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jet_orderhive.orderhive import Shipment, ShipmentLine
from jet_orderhive.storage import (
    MemoryStorage,
    OrderIntent,
    OrderSides,
    OrderSnapshot,
    SQLiteStorage,
    Storage,
    encode_json,
)
from jet_orderhive.testing.storage_kit import FakeClock, make_sales_order
from postgres_server import PostgresServer

_NEW_YORK = timezone(timedelta(hours=-5))
_PLACED = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
# Views and sides that are equal yet written differently (digits, UTC offsets), and changed.
_VIEWS = [
    {"unit_price": Decimal("19.90")},
    {"unit_price": Decimal("19.9")},
    {"unit_price": Decimal("19.9"), "placed_at": _PLACED.astimezone(_NEW_YORK)},
    {"unit_price": Decimal("19.90"), "channel_status": "complete"},
]
_SNAPSHOTS = [
    OrderSnapshot(status="acknowledged"),
    OrderSnapshot(status="acknowledged", listed_cancelled=True),
    OrderSnapshot(status="complete", shipment_ids=frozenset({"S-1"})),
]
_SHIPPED = datetime(2026, 3, 2, 17, tzinfo=UTC)
_INTENTS = [
    OrderIntent(confirmed=True),
    *(
        OrderIntent(
            confirmed=True,
            shipments=(
                Shipment(
                    lines=(ShipmentLine(sku="SKU-1", quantity_shipped=1),),
                    shipping_date=when,
                    alt_shipment_id="S-1",
                ),
            ),
        )
        for when in (_SHIPPED, _SHIPPED.astimezone(_NEW_YORK))
    ),
]


def _upserts(*order_ids: str) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(
        st.just("upsert"),
        st.sampled_from(order_ids),
        st.integers(0, len(_VIEWS) - 1),
        st.none() | st.integers(0, len(_SNAPSHOTS) - 1),
        st.none() | st.integers(0, len(_INTENTS) - 1),
    )


_keys = st.sampled_from(["k0", "k1", "k2", "k3"])
_owners = st.sampled_from(["worker-a", "worker-b"])
_seconds = st.integers(min_value=1, max_value=120)
_ops = st.one_of(
    st.tuples(st.just("enqueue"), _keys, st.none() | st.integers(0, 120)),
    st.tuples(st.just("done"), _keys),
    st.tuples(st.just("fail"), _keys, st.none() | st.integers(0, 120)),
    st.tuples(st.just("advance"), st.integers(0, 90)),
    st.tuples(st.just("acquire"), _owners, _seconds),
    st.tuples(st.just("renew"), _owners, _seconds),
    st.tuples(st.just("release"), _owners),
    st.tuples(st.just("quarantine"), _keys, st.binary(max_size=8)),
    st.tuples(st.just("unquarantine"), _keys),
    st.tuples(st.just("archive"), _keys, st.booleans()),
    st.tuples(st.just("link"), _keys),
    _upserts("o1", "o2"),
)


def _apply(storage: Storage, clock: FakeClock, op: tuple[Any, ...]) -> object:
    kind, *args = op
    try:
        if kind == "enqueue":
            key, delay = args
            later = None if delay is None else clock() + timedelta(seconds=delay)
            return storage.enqueue(key, kind="ship", target=key, payload={}, not_before=later)
        if kind == "done":
            storage.mark_done(args[0])
            return None
        if kind == "fail":
            key, delay = args
            retry = None if delay is None else clock() + timedelta(seconds=delay)
            storage.mark_failed(key, f"failed {key}", retry)
            return None
        if kind == "advance":
            return clock.advance(timedelta(seconds=args[0]))
        if kind == "acquire":
            return storage.acquire_lease("job", args[0], timedelta(seconds=args[1]))
        if kind == "renew":
            return storage.renew_lease("job", args[0], timedelta(seconds=args[1]))
        if kind == "release":
            return storage.release_lease("job", args[0])
        if kind == "quarantine":
            return storage.quarantine("order", args[0], args[1], "bad").times_seen
        if kind == "unquarantine":
            return storage.release("order", args[0])
        if kind == "archive":
            return storage.set_sku_archived(args[0], args[1])
        if kind == "upsert":
            order_id, view, snapshot, intent = args
            return storage.upsert_order(
                make_sales_order(order_id, **{"placed_at": _PLACED, **_VIEWS[view]}),
                snapshot=None if snapshot is None else _SNAPSHOTS[snapshot],
                intent=None if intent is None else _INTENTS[intent],
            )
        return storage.link_sku(args[0])
    except KeyError:
        return KeyError


def _observe(storage: Storage) -> object:
    return (
        storage.due(),
        storage.pushes(),
        storage.quarantined(),
        storage.linked_skus(),
        # As written, not only as equal: the stored digits and offsets must agree too.
        [encode_json(order.to_dict()) for order in storage.list_orders()],
        [_sides_text(storage.get_order_sides(i)) for i in ("o1", "o2")],
        storage.order_keys(),
    )


def _sides_text(sides: OrderSides | None) -> object:
    if sides is None:
        return None
    return [
        None if side is None else encode_json(side.to_json())
        for side in (sides.snapshot, sides.intent)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ops, max_size=25))
def test_adapters_agree_on_every_call_sequence(
    dict_storage_class: Callable[..., Storage], ops: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clocks = [FakeClock() for _ in range(3)]
        storages: list[Storage] = [
            MemoryStorage(clock=clocks[0]),
            SQLiteStorage(Path(folder) / "store.db", clock=clocks[1]),
            dict_storage_class(clock=clocks[2]),
        ]
        try:
            for op in ops:
                results = [_apply(s, c, op) for s, c in zip(storages, clocks, strict=True)]
                assert results[1:] == results[:1] * 2, op
            observed = [_observe(s) for s in storages]
            assert observed[1:] == observed[:1] * 2
        finally:
            storages[1].close()  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_upserts("o1"), min_size=2, max_size=10))
def test_adapters_agree_on_what_an_order_upsert_changed(
    dict_storage_class: Callable[..., Storage], ops: list[tuple[Any, ...]]
) -> None:
    # Orders only, so that equal-but-written-differently sequences come up often.
    test_adapters_agree_on_every_call_sequence.hypothesis.inner_test(dict_storage_class, ops)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def agree_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.create_database()
    yield name
    postgres_server.drop_database(name)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ops, max_size=25))
def test_postgres_agrees_with_memory_on_every_call_sequence(
    postgres_server: PostgresServer, agree_database: str, ops: list[tuple[Any, ...]]
) -> None:
    from jet_orderhive.storage.postgres import PostgresStorage

    postgres_server.empty_schema(agree_database, "jet_orderhive")
    clocks = [FakeClock() for _ in range(2)]
    memory = MemoryStorage(clock=clocks[0])
    with PostgresStorage(postgres_server.conninfo(agree_database), clock=clocks[1]) as postgres:
        for op in ops:
            expected = _apply(memory, clocks[0], op)
            assert _apply(postgres, clocks[1], op) == expected, op
        assert _observe(postgres) == _observe(memory)
