"""A conformance suite for `Storage` adapters: subclass it, override one fixture, run pytest.

.. code-block:: python

    import pytest
    from jet_orderhive.testing.storage_kit import FakeClock, StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self, clock: FakeClock) -> MyStorage:
            return MyStorage(clock=clock)

Every test here pins one promise of the `Storage` protocol that the sync engine relies on. The
``clock`` fixture is a `FakeClock` the adapter must read "now" from, so lease expiry and retry
times are tested without sleeping. An adapter that is not safe to share between threads sets
``supports_threads = False`` to skip the threaded tests (the engine then must not share it). An
adapter over a database that several connections (or processes) share overrides
``other_connection`` to return a second `Storage` on the same data, so the kit also checks that
one connection's uncommitted writes stay invisible to the other.

Installed with the package, a pytest plugin (``jet_orderhive``, entry point ``pytest11``) has
pytest rewrite the kit's ``assert`` statements, so a failing check shows the values it compared
and the call that produced them.
"""

from __future__ import annotations

import reprlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import ClassVar

import pytest

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.enums import ExtraItemType, OrderStatus
from jet_orderhive.orderhive.models import (
    Address,
    Customer,
    ExtraItem,
    LineItem,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from jet_orderhive.storage._common import listed_keys_from
from jet_orderhive.storage.errors import TransactionAborted
from jet_orderhive.storage.protocol import ListedOrderKeysReader, Storage, listed_order_keys
from jet_orderhive.storage.records import (
    ListedKeys,
    OrderIntent,
    OrderKey,
    OrderSides,
    OrderSnapshot,
    PushStatus,
    ReturnSeen,
    UpsertResult,
)

__all__ = ["FakeClock", "StorageContract", "make_address", "make_customer", "make_sales_order"]

_START = datetime(2020, 1, 6, 9, 30, tzinfo=UTC)
_SHIPPING = Decimal("5.00")
_LEASE = timedelta(minutes=5)


class FakeClock:
    """A clock that stands still until told to move, so tests control "now" exactly."""

    def __init__(self, start: datetime = _START) -> None:
        if start.utcoffset() is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self().isoformat()})"

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by ``delta`` and return the new "now"."""
        if delta < timedelta(0):
            raise ValueError(f"time only moves forward; got {delta}")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware), forward or back, to set up a scenario."""
        if when.utcoffset() is None:
            raise ValueError("FakeClock needs timezone-aware datetimes")
        with self._lock:
            self._now = when


def make_address(
    name: str = "Jane Doe",
    *,
    address1: str = "12 Main St",
    city: str = "Hoboken",
    state: str = "NJ",
    zipcode: str = "07030",
) -> Address:
    """A US address for tests; vary ``address1`` to get distinct addresses."""
    return Address(
        name=name,
        address1=address1,
        city=city,
        state=state,
        zipcode=zipcode,
        country="United States",
        country_code="US",
    )


def make_customer(
    email: str = "jane.doe@example.com",
    *,
    first_name: str | None = "Jane",
    last_name: str | None = "Doe",
    phone: str | None = "201-555-0100",
    addresses: tuple[Address, ...] | None = None,
) -> Customer:
    """A customer for tests; ``addresses`` defaults to one `make_address`."""
    return Customer(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        addresses=(make_address(),) if addresses is None else addresses,
    )


def make_sales_order(
    jet_order_id: str = "6b1b8c1e2d7f4c5a9e3b0d1f2a4c6e8b",
    *,
    channel_status: str = "acknowledged",
    order_status: OrderStatus = OrderStatus.CONFIRMED,
    sku: str = "SKU-1",
    quantity: int = 1,
    unit_price: Decimal = Decimal("19.99"),
    customer_email: str | None = "jane.doe@example.com",
    placed_at: datetime = _START,
) -> SalesOrder:
    """A one-line order whose totals add up exactly, with a flat shipping charge."""
    row_total = unit_price * quantity
    address = make_address()
    return SalesOrder(
        channel_order_id=jet_order_id,
        channel_order_number=f"{int(placed_at.timestamp())}{len(jet_order_id):02d}",
        channel_status=channel_status,
        order_status=order_status,
        placed_at=placed_at,
        grand_total=row_total + _SHIPPING,
        billing_address=address,
        shipping_address=address,
        line_items=(
            LineItem(
                sku=sku,
                name=f"Product {sku}",
                variant_id=f"{jet_order_id}-1",
                quantity_ordered=quantity,
                price=unit_price,
                row_total=row_total,
            ),
        ),
        extra_items=(
            ExtraItem(type=ExtraItemType.SHIPPING_COST, name="Shipping", price=_SHIPPING),
        ),
        customer_email=customer_email,
    )


def _order_id(number: int) -> str:
    return f"{number:032x}"


def _protocol_methods() -> list[str]:
    """The methods `Storage` declares, in declaration order."""
    return [name for name, value in vars(Storage).items() if callable(value) and name[0] != "_"]


# How long a reader is given to answer while the writer's unit of work is open. A reader that
# waits for the writer (a lock, a serialised adapter) is isolated too: it answers after the
# rollback, and must see nothing then either.
_READ_WAIT = 0.3

_SHORT = reprlib.Repr()
_SHORT.maxother = _SHORT.maxstring = 60


class _RollBack(Exception):
    """Ends the isolation check's unit of work without committing it."""


def _assert_isolated(writer: Storage, reader: Storage, who: str) -> None:
    """Write in an open unit of work, read from ``reader`` on a thread, then roll back."""
    order = make_sales_order(_order_id(41), sku="SKU-41")
    seen: dict[str, object] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            seen["get_order"] = reader.get_order(order.channel_order_id)
            seen["order_keys"] = reader.order_keys()
            seen["get_order_sides"] = reader.get_order_sides(order.channel_order_id)
            seen["get_state"] = reader.get_state("isolation")
            seen["get_push"] = reader.get_push("ack:41")
            seen["get_linked_sku"] = reader.get_linked_sku("SKU-41")
        except BaseException as exc:  # handed to the main thread to fail the test
            errors.append(exc)

    thread = threading.Thread(target=read, name="storage-kit-reader")

    def unit() -> None:
        with writer.transaction():
            writer.upsert_order(order)
            writer.set_state("isolation", "uncommitted")
            writer.enqueue("ack:41", kind="acknowledge", target=order.channel_order_id, payload={})
            writer.link_sku("SKU-41")
            thread.start()
            thread.join(timeout=_READ_WAIT)
            raise _RollBack

    with pytest.raises(_RollBack):
        unit()
    thread.join(timeout=30)
    assert not thread.is_alive(), f"a read from {who} never returned after the rollback"
    assert not errors, f"a read from {who} during an open unit of work raised {errors[0]!r}"
    leaked = {
        method: _SHORT.repr(value) for method, value in seen.items() if value not in (None, {})
    }
    assert not leaked, f"{who} saw writes of a unit of work that was never committed: {leaked}"


class StorageContract:
    """The `Storage` contract as pytest tests; subclass and override the ``storage`` fixture.

    The fixture must return (or yield, to clean up) a fresh, empty storage that reads time from
    the ``clock`` fixture.
    """

    supports_threads: ClassVar[bool] = True
    """Set to ``False`` for an adapter that must not be shared between threads."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        """The time the storage under test must read; advance it to move "now"."""
        return FakeClock()

    @pytest.fixture
    def storage(self, clock: FakeClock) -> Iterator[Storage]:
        """Override this: return a fresh, empty storage built with ``clock``."""
        raise NotImplementedError(
            f"{type(self).__name__} must override the `storage` fixture to return a fresh, "
            "empty Storage that reads time from the `clock` fixture"
        )

    @pytest.fixture
    def other_connection(self, storage: Storage, clock: FakeClock) -> Storage | None:
        """Override for a shared database: a second storage (connection) on ``storage``'s data.

        The default, ``None``, skips the checks between connections.
        """
        return None

    # -- protocol --------------------------------------------------------------------------------

    def test_adapter_satisfies_the_storage_protocol(self, storage: Storage) -> None:
        missing = [
            name for name in _protocol_methods() if not callable(getattr(storage, name, None))
        ]
        assert not missing, (
            f"{type(storage).__name__} lacks Storage method(s) {', '.join(missing)}; "
            "see jet_orderhive.storage.protocol.Storage for what each must do"
        )
        assert isinstance(storage, Storage)

    # -- orders ----------------------------------------------------------------------------------

    def test_first_upsert_creates_and_reads_back_equal(self, storage: Storage) -> None:
        order = make_sales_order()
        assert storage.upsert_order(order) is UpsertResult.CREATED
        assert storage.get_order(order.channel_order_id) == order

    def test_upserting_the_same_order_again_is_unchanged(self, storage: Storage) -> None:
        order = make_sales_order()
        storage.upsert_order(order)
        assert storage.upsert_order(order) is UpsertResult.UNCHANGED
        assert storage.upsert_order(make_sales_order()) is UpsertResult.UNCHANGED
        assert storage.list_orders() == [order]

    def test_upserting_a_changed_order_updates_it(self, storage: Storage) -> None:
        storage.upsert_order(make_sales_order())
        shipped = make_sales_order(channel_status="complete", order_status=OrderStatus.SHIPPED)
        assert storage.upsert_order(shipped) is UpsertResult.UPDATED
        assert storage.get_order(shipped.channel_order_id) == shipped
        assert len(storage.list_orders()) == 1

    def test_unchanged_means_stored_as_given_not_only_equal(self, storage: Storage) -> None:
        # Equal amounts with other digits, or the same instant at another UTC offset, are
        # equal records written differently: an update, after which the new text reads back.
        order_id = _order_id(1)
        storage.upsert_order(make_sales_order(order_id, unit_price=Decimal("19.90")))
        fewer_digits = make_sales_order(order_id, unit_price=Decimal("19.9"))
        assert storage.upsert_order(fewer_digits) is UpsertResult.UPDATED
        stored = storage.get_order(order_id)
        assert stored is not None
        assert str(stored.line_items[0].price) == "19.9"
        assert storage.upsert_order(fewer_digits) is UpsertResult.UNCHANGED
        new_york = timezone(timedelta(hours=-5))
        elsewhere = make_sales_order(
            order_id, unit_price=Decimal("19.9"), placed_at=_START.astimezone(new_york)
        )
        assert elsewhere == fewer_digits
        assert storage.upsert_order(elsewhere) is UpsertResult.UPDATED
        stored = storage.get_order(order_id)
        assert stored is not None
        assert stored.placed_at.utcoffset() == timedelta(hours=-5)
        assert storage.upsert_order(elsewhere) is UpsertResult.UNCHANGED

    def test_a_side_written_differently_is_an_update(self, storage: Storage) -> None:
        order = make_sales_order(_order_id(1))

        def intent(shipped_at: datetime) -> OrderIntent:
            line = ShipmentLine(sku="SKU-1", quantity_shipped=1)
            shipment = Shipment(lines=(line,), shipping_date=shipped_at, alt_shipment_id="S-1")
            return OrderIntent(confirmed=True, shipments=(shipment,))

        at_utc = datetime(2026, 5, 1, 17, tzinfo=UTC)
        at_noon = intent(at_utc.astimezone(timezone(timedelta(hours=-5))))
        storage.upsert_order(order, intent=intent(at_utc))
        assert at_noon == intent(at_utc)
        assert storage.upsert_order(order, intent=at_noon) is UpsertResult.UPDATED
        sides = storage.get_order_sides(order.channel_order_id)
        assert sides is not None
        assert sides.intent is not None
        shipped = sides.intent.shipments[0].shipping_date
        assert shipped is not None
        assert shipped.utcoffset() == timedelta(hours=-5)
        assert storage.upsert_order(order, intent=at_noon) is UpsertResult.UNCHANGED

    def test_unknown_order_is_none(self, storage: Storage) -> None:
        storage.upsert_order(make_sales_order(_order_id(1)))
        assert storage.get_order(_order_id(2)) is None

    def test_order_money_and_times_round_trip_exactly(self, storage: Storage) -> None:
        placed = datetime(2019, 12, 31, 23, 59, 59, 123456, tzinfo=UTC)
        order = make_sales_order(unit_price=Decimal("0.10"), quantity=3, placed_at=placed)
        storage.upsert_order(order)
        stored = storage.get_order(order.channel_order_id)
        assert stored is not None
        assert str(stored.grand_total) == str(order.grand_total) == "5.30"
        assert stored.line_items[0].price == Decimal("0.10")
        assert stored.placed_at == placed

    def test_list_orders_filters_by_jet_status_in_id_order(self, storage: Storage) -> None:
        statuses = ["complete", "acknowledged", "inprogress", "acknowledged"]
        for number, status in reversed(list(enumerate(statuses))):
            storage.upsert_order(make_sales_order(_order_id(number), channel_status=status))
        everything = storage.list_orders()
        assert [o.channel_order_id for o in everything] == [_order_id(n) for n in range(4)]
        open_orders = storage.list_orders(channel_statuses={"acknowledged", "inprogress"})
        assert [o.channel_order_id for o in open_orders] == [_order_id(n) for n in (1, 2, 3)]
        assert storage.list_orders(channel_statuses=[]) == []
        with pytest.raises(TypeError):  # a bare string would read as its characters
            storage.list_orders(channel_statuses="acknowledged")

    def test_list_orders_pages_by_jet_order_id(self, storage: Storage) -> None:
        statuses = ["acknowledged", "complete", "acknowledged", "acknowledged", "inprogress"]
        for number, status in reversed(list(enumerate(statuses))):
            storage.upsert_order(make_sales_order(_order_id(number), channel_status=status))
        first = storage.list_orders(limit=2)
        assert [o.channel_order_id for o in first] == [_order_id(0), _order_id(1)]
        second = storage.list_orders(after=first[-1].channel_order_id, limit=2)
        assert [o.channel_order_id for o in second] == [_order_id(2), _order_id(3)]
        # An order stored between two reads never shifts the next page: the key is the id.
        storage.upsert_order(make_sales_order(_order_id(9), channel_status="acknowledged"))
        rest = storage.list_orders(after=second[-1].channel_order_id)
        assert [o.channel_order_id for o in rest] == [_order_id(4), _order_id(9)]
        # Filter and page together: the limit counts matching orders only.
        open_page = storage.list_orders(
            channel_statuses=["acknowledged"], after=_order_id(0), limit=2
        )
        assert [o.channel_order_id for o in open_page] == [_order_id(2), _order_id(3)]
        assert storage.list_orders(after=_order_id(9)) == []
        assert storage.list_orders(limit=2, account="elsewhere") == []
        with pytest.raises(ValueError, match="limit"):
            storage.list_orders(limit=0)

    # -- customers -------------------------------------------------------------------------------

    def test_order_keys_read_ids_jet_statuses_and_cancelled_listing(self, storage: Storage) -> None:
        storage.upsert_order(make_sales_order(_order_id(2), channel_status="inprogress"))
        storage.upsert_order(
            make_sales_order(_order_id(1), channel_status="acknowledged"),
            snapshot=OrderSnapshot(status="acknowledged", listed_cancelled=True),
        )
        storage.upsert_order(make_sales_order(_order_id(3), channel_status="complete"))
        everything = storage.order_keys()
        assert list(everything) == [_order_id(1), _order_id(2), _order_id(3)]
        assert everything[_order_id(1)] == OrderKey("acknowledged", True)
        assert everything[_order_id(2)] == OrderKey("inprogress", False)
        assert storage.order_keys(channel_statuses=["acknowledged", "inprogress"]) == {
            _order_id(1): OrderKey("acknowledged", True),
            _order_id(2): OrderKey("inprogress", False),
        }
        assert storage.order_keys(channel_statuses=[]) == {}
        assert storage.order_keys(account="elsewhere") == {}
        with pytest.raises(TypeError):
            storage.order_keys(channel_statuses="complete")

    # -- listed_order_keys (optional; `listed_order_keys` answers for adapters without it) ------

    def _store_keys(self, storage: Storage) -> None:
        """Orders 1..12: statuses in turn, every third last listed cancelled, one other account."""
        statuses = ("acknowledged", "inprogress", "complete", "ready")
        with storage.transaction():
            for number in range(1, 13):
                status = statuses[number % 4]
                storage.upsert_order(
                    make_sales_order(_order_id(number), channel_status=status),
                    snapshot=OrderSnapshot(status=status, listed_cancelled=number % 3 == 0),
                )
            storage.upsert_order(make_sales_order(_order_id(20)), account="elsewhere")

    def test_listed_order_keys_answer_for_the_listed_and_count_the_others(
        self, storage: Storage
    ) -> None:
        self._store_keys(storage)
        open_ = ["acknowledged", "inprogress", "ready"]
        listed = [_order_id(n) for n in (9, 2, 3, 2, 4, 30)]  # 30 is not stored, 2 given twice
        answer = listed_order_keys(storage, listed, channel_statuses=open_)
        # 2 is complete: not among the statuses asked, so neither answered for nor counted.
        assert answer == ListedKeys(
            keys={
                _order_id(3): OrderKey("ready", True),
                _order_id(4): OrderKey("acknowledged", False),
                _order_id(9): OrderKey("inprogress", True),
            },
            unlisted=6,
            turn={},
        )
        assert list(answer.keys) == [_order_id(3), _order_id(4), _order_id(9)]
        everything = listed_order_keys(storage, listed)
        assert list(everything.keys) == [_order_id(n) for n in (2, 3, 4, 9)]
        assert everything.keys[_order_id(4)] == OrderKey("acknowledged", False)
        assert everything.unlisted == 8
        assert listed_order_keys(storage, listed, channel_statuses=[]) == ListedKeys()
        assert listed_order_keys(storage, [], account="elsewhere").unlisted == 1
        assert listed_order_keys(storage, listed, account="nobody") == ListedKeys()

    def test_listed_order_keys_turn_starts_after_and_wraps_around(self, storage: Storage) -> None:
        self._store_keys(storage)
        open_ = ["acknowledged", "inprogress", "ready"]
        listed = [_order_id(n) for n in (3, 9)]
        # The open orders (every fourth, from 2, is complete) that are not listed, by id.
        unlisted = [_order_id(n) for n in range(1, 13) if n % 4 != 2 and n not in (3, 9)]
        assert listed_order_keys(storage, listed, channel_statuses=open_).unlisted == len(unlisted)

        def turn(after: str, limit: int) -> list[str]:
            answer = listed_order_keys(
                storage, listed, channel_statuses=open_, after=after, limit=limit
            )
            return list(answer.turn)

        assert turn("", 3) == unlisted[:3]
        assert turn(unlisted[1], 3) == unlisted[2:5]
        assert turn(unlisted[-2], 3) == [unlisted[-1], unlisted[0], unlisted[1]]
        assert turn(_order_id(3), 2) == [u for u in unlisted if u > _order_id(3)][:2]
        assert turn(unlisted[-1], 100) == unlisted  # all of them, from the start
        assert turn(unlisted[2], 100) == unlisted[3:] + unlisted[:3]
        assert turn("~", 2) == unlisted[:2]  # after every id: from the start
        answer = listed_order_keys(storage, listed, channel_statuses=open_, limit=2)
        assert answer.turn == {
            unlisted[0]: OrderKey("inprogress", False),
            unlisted[1]: OrderKey("acknowledged", False),
        }
        assert answer.keys == {
            _order_id(3): OrderKey("ready", True),
            _order_id(9): OrderKey("inprogress", True),
        }
        everything = listed_order_keys(storage, [], limit=20)
        assert list(everything.turn) == [_order_id(n) for n in range(1, 13)]
        assert everything.turn[_order_id(2)] == OrderKey("complete", False)

    def test_listed_order_keys_refuses_bad_arguments(self, storage: Storage) -> None:
        with pytest.raises(TypeError):
            listed_order_keys(storage, _order_id(1))
        with pytest.raises(TypeError):
            listed_order_keys(storage, [], channel_statuses="ready")
        with pytest.raises(ValueError, match="limit"):
            listed_order_keys(storage, [], limit=-1)
        with pytest.raises(TypeError, match="limit"):
            listed_order_keys(storage, [], limit=None)  # type: ignore[arg-type]

    def test_listed_order_keys_of_the_adapter_agree_with_its_order_keys(
        self, storage: Storage
    ) -> None:
        """An adapter that implements the method answers as `order_keys` says it must."""
        if not isinstance(storage, ListedOrderKeysReader):
            pytest.skip(f"{type(storage).__name__} has no listed_order_keys of its own")
        self._store_keys(storage)
        ids = [_order_id(n) for n in range(14)]
        for statuses in (None, ["acknowledged", "inprogress", "ready"], ["complete"]):
            keys = storage.order_keys(channel_statuses=statuses)
            for listed in (ids[::2], ids[5:], [], ids):
                for after in ("", *ids[::3], "~"):
                    for limit in (0, 1, 2, 5, 30):
                        answer = storage.listed_order_keys(
                            listed, channel_statuses=statuses, after=after, limit=limit
                        )
                        want = listed_keys_from(keys, set(listed), after=after, limit=limit)
                        asked = (statuses, listed, after, limit)
                        assert answer == want, asked
                        assert list(answer.turn) == list(want.turn), asked
                        assert list(answer.keys) == list(want.keys), asked

    def test_order_sides_round_trip_and_a_side_not_given_is_kept(self, storage: Storage) -> None:
        order_id = _order_id(1)
        order = make_sales_order(order_id, channel_status="ready")
        assert storage.get_order_sides(order_id) is None
        assert storage.upsert_order(order) is UpsertResult.CREATED
        assert storage.get_order_sides(order_id) == OrderSides()
        snapshot = OrderSnapshot(
            status="ready",
            acknowledgement_status=None,
            shipment_ids=frozenset({"S-1"}),
            directed_cancel=True,
            returns={"R-1": ReturnSeen(status="created", units={"item-1": 1})},
        )
        shipment = Shipment(
            lines=(ShipmentLine(sku="SKU-1", quantity_shipped=1),),
            courier_name="UPS",
            tracking_number="1Z999",
            shipping_date=datetime(2026, 5, 1, 12, tzinfo=UTC),
            alt_shipment_id="S-1",
        )
        intent = OrderIntent(confirmed=True, shipments=(shipment,))
        assert storage.upsert_order(order, snapshot=snapshot) is UpsertResult.UPDATED
        assert storage.upsert_order(order, intent=intent) is UpsertResult.UPDATED
        assert storage.get_order_sides(order_id) == OrderSides(snapshot=snapshot, intent=intent)
        # The same view and sides again write nothing; a side left out is kept as stored.
        assert storage.upsert_order(order, snapshot=snapshot, intent=intent) is (
            UpsertResult.UNCHANGED
        )
        assert storage.upsert_order(order) is UpsertResult.UNCHANGED
        later = OrderSnapshot(status="acknowledged", listed_cancelled=True)
        moved = make_sales_order(order_id, channel_status="acknowledged")
        assert storage.upsert_order(moved, snapshot=later) is UpsertResult.UPDATED
        assert storage.get_order_sides(order_id) == OrderSides(snapshot=later, intent=intent)
        assert storage.order_keys()[order_id] == OrderKey("acknowledged", True)
        assert storage.get_order_sides(order_id, account="elsewhere") is None

    def test_order_sides_roll_back_with_their_unit_of_work(self, storage: Storage) -> None:
        order_id = _order_id(1)
        order = make_sales_order(order_id, channel_status="ready")
        storage.upsert_order(order, snapshot=OrderSnapshot(status="ready"))

        def unit() -> None:
            with storage.transaction():
                storage.upsert_order(order, intent=OrderIntent(rejection="rejected - other"))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            unit()
        assert storage.get_order_sides(order_id) == OrderSides(
            snapshot=OrderSnapshot(status="ready")
        )

    def test_order_sides_of_the_wrong_type_are_refused(self, storage: Storage) -> None:
        order = make_sales_order(_order_id(1))
        with pytest.raises(TypeError):
            storage.upsert_order(order, snapshot={"status": "ready"})  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            storage.upsert_order(order, intent={"confirmed": True})  # type: ignore[arg-type]
        assert storage.get_order(_order_id(1)) is None

    def test_case_and_space_variants_of_one_email_are_one_customer(self, storage: Storage) -> None:
        first = storage.upsert_customer(make_customer("Jane.Doe@Example.com"))
        again = storage.upsert_customer(make_customer("  jane.doe@EXAMPLE.COM\t"))
        assert (first, again) == (UpsertResult.CREATED, UpsertResult.UNCHANGED)
        assert len(storage.list_customers()) == 1
        found = storage.get_customer(" JANE.DOE@example.com ")
        assert found is not None
        assert found.email == "jane.doe@example.com"

    def test_customer_update_merges_addresses_without_duplicates(self, storage: Storage) -> None:
        home, work = make_address(), make_address(address1="500 Office Park")
        storage.upsert_customer(make_customer(addresses=(home,)))
        result = storage.upsert_customer(
            make_customer("JANE.DOE@example.com", addresses=(work, home))
        )
        assert result is UpsertResult.UPDATED
        stored = storage.get_customer("jane.doe@example.com")
        assert stored is not None
        assert stored.addresses == (home, work)
        assert storage.upsert_customer(make_customer(addresses=(work,))) is UpsertResult.UNCHANGED

    def test_customer_update_keeps_values_the_new_record_lacks(self, storage: Storage) -> None:
        storage.upsert_customer(make_customer(phone="201-555-0100"))
        result = storage.upsert_customer(make_customer(phone=None, last_name="Smith"))
        assert result is UpsertResult.UPDATED
        stored = storage.get_customer("jane.doe@example.com")
        assert stored is not None
        assert (stored.phone, stored.last_name) == ("201-555-0100", "Smith")

    def test_distinct_emails_are_distinct_customers(self, storage: Storage) -> None:
        storage.upsert_customer(make_customer("b@example.com"))
        storage.upsert_customer(make_customer("a@example.com"))
        assert [c.email for c in storage.list_customers()] == ["a@example.com", "b@example.com"]
        assert storage.get_customer("c@example.com") is None

    # -- unit of work ----------------------------------------------------------------------------

    def _write_everything(self, storage: Storage, clock: FakeClock) -> None:
        storage.upsert_order(make_sales_order(_order_id(7)))
        storage.upsert_customer(make_customer("new@example.com"))
        storage.enqueue("ack:7", kind="acknowledge", target=_order_id(7), payload={})
        storage.set_pushed_stock_many({("SKU-7", "node-1"): 3})
        storage.set_pushed_price_many({("SKU-7", ""): Decimal("9.99")})
        storage.link_sku("SKU-7")
        storage.link_skus(["SKU-8"])
        storage.quarantine("order", _order_id(8), b"{", "truncated JSON")
        storage.set_state("cursor", "after-7")
        storage.acquire_lease("import", "worker-a", _LEASE)

    def _assert_nothing_from_write_everything(self, storage: Storage) -> None:
        assert storage.get_order(_order_id(7)) is None
        assert storage.get_customer("new@example.com") is None
        assert storage.get_push("ack:7") is None
        assert storage.pushed_stock_many([("SKU-7", "node-1")]) == {}
        assert storage.pushed_price_many([("SKU-7", "")]) == {}
        assert storage.get_linked_sku("SKU-7") is None
        assert storage.get_linked_sku("SKU-8") is None
        assert storage.get_quarantined("order", _order_id(8)) is None
        assert storage.get_state("cursor") is None
        assert storage.acquire_lease("import", "worker-b", _LEASE)

    def test_transaction_commits_every_write_together(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        with storage.transaction():
            self._write_everything(storage, clock)
            assert storage.get_order(_order_id(7)) is not None
        assert storage.get_order(_order_id(7)) is not None
        assert storage.get_push("ack:7") is not None
        assert storage.get_state("cursor") == "after-7"
        assert not storage.acquire_lease("import", "worker-b", _LEASE)

    def test_exception_inside_transaction_leaves_nothing_behind(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        def unit() -> None:
            with storage.transaction():
                self._write_everything(storage, clock)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            unit()
        self._assert_nothing_from_write_everything(storage)

    def test_rollback_restores_the_previous_versions(self, storage: Storage) -> None:
        before = make_sales_order()
        storage.upsert_order(before)
        storage.set_state("cursor", "one")

        def unit() -> None:
            with storage.transaction():
                storage.upsert_order(make_sales_order(channel_status="complete"))
                storage.set_state("cursor", "two")
                storage.delete_state("cursor")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            unit()
        assert storage.get_order(before.channel_order_id) == before
        assert storage.get_state("cursor") == "one"

    def test_nested_block_joins_the_outer_unit(self, storage: Storage, clock: FakeClock) -> None:
        def unit() -> None:
            with storage.transaction():
                storage.set_state("outer", "1")
                with storage.transaction():
                    self._write_everything(storage, clock)
                assert storage.get_state("cursor") == "after-7"
                raise RuntimeError("outer fails after the inner block finished")

        with pytest.raises(RuntimeError, match="outer fails"):
            unit()
        assert storage.get_state("outer") is None
        self._assert_nothing_from_write_everything(storage)

    def test_swallowed_inner_failure_aborts_the_whole_unit(self, storage: Storage) -> None:
        def unit() -> None:
            with storage.transaction():
                storage.set_state("outer", "1")
                try:
                    with storage.transaction():
                        storage.set_state("inner", "1")
                        raise ValueError("inner")
                except ValueError:
                    pass

        with pytest.raises(TransactionAborted):
            unit()
        assert storage.get_state("outer") is None
        assert storage.get_state("inner") is None
        storage.set_state("after", "1")
        assert storage.get_state("after") == "1"

    def test_writes_outside_a_transaction_commit_on_their_own(self, storage: Storage) -> None:
        storage.set_state("a", "1")

        def unit() -> None:
            with storage.transaction():
                storage.set_state("b", "2")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            unit()
        assert (storage.get_state("a"), storage.get_state("b")) == ("1", None)

    # -- outbox ----------------------------------------------------------------------------------

    def test_same_key_enqueued_twice_is_one_entry(self, storage: Storage) -> None:
        assert storage.enqueue("ship:1", kind="ship", target="o1", payload={"n": 1})
        assert not storage.enqueue("ship:1", kind="ship", target="o1", payload={"n": 2})
        assert len(storage.pushes()) == 1
        entry = storage.get_push("ship:1")
        assert entry is not None
        assert entry.payload == {"n": 1}

    def test_new_entry_is_pending_and_due_now(self, storage: Storage, clock: FakeClock) -> None:
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        entry = storage.get_push("ack:1")
        assert entry is not None
        assert (entry.status, entry.attempts, entry.last_error) == (PushStatus.PENDING, 0, None)
        assert entry.created_at == entry.next_attempt_at == clock()
        assert entry.kind == "acknowledge"
        assert entry.target == "o1"
        assert [e.key for e in storage.due()] == ["ack:1"]

    def test_payload_round_trips_exactly(self, storage: Storage) -> None:
        payload: dict[str, JsonValue] = {
            "price": Decimal("19.90"),
            "lines": [{"sku": "SKU-1", "qty": 2}],
            "note": "ünïcode",
            "flag": True,
            "none": None,
        }
        storage.enqueue("price:SKU-1", kind="price", target="SKU-1", payload=payload)
        entry = storage.get_push("price:SKU-1")
        assert entry is not None
        assert entry.payload == payload
        assert str(entry.payload["price"]) == "19.90"

    def test_due_orders_by_next_attempt_then_creation(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        start = clock()
        storage.enqueue("late", kind="ship", target="o1", payload={}, not_before=start + _LEASE)
        storage.enqueue("b", kind="ship", target="o2", payload={})
        clock.advance(timedelta(seconds=1))
        # Enqueued at one instant against key order, so only enqueue order can break the tie.
        storage.enqueue("c", kind="ship", target="o3", payload={})
        storage.enqueue("a", kind="ship", target="o4", payload={})
        assert [e.key for e in storage.due()] == ["b", "c", "a"]
        assert [e.key for e in storage.due(limit=2)] == ["b", "c"]
        assert [e.key for e in storage.due(now=start + _LEASE)] == ["b", "c", "a", "late"]
        assert storage.due(now=start - timedelta(seconds=1)) == []

    def test_failure_sets_the_next_attempt(self, storage: Storage, clock: FakeClock) -> None:
        storage.enqueue("ship:1", kind="ship", target="o1", payload={})
        retry_at = clock() + timedelta(minutes=2)
        storage.mark_failed("ship:1", "503 from Jet", retry_at)
        entry = storage.get_push("ship:1")
        assert entry is not None
        assert (entry.status, entry.attempts) == (PushStatus.FAILED, 1)
        assert (entry.next_attempt_at, entry.last_error) == (retry_at, "503 from Jet")
        assert storage.due() == []
        clock.advance(timedelta(minutes=2))
        assert [e.key for e in storage.due()] == ["ship:1"]
        storage.mark_failed("ship:1", "timeout", clock() + timedelta(minutes=4))
        again = storage.get_push("ship:1")
        assert again is not None
        assert (again.attempts, again.last_error) == (2, "timeout")

    def test_failed_entries_interleave_with_pending_by_due_time(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("retry", kind="ship", target="o1", payload={})
        storage.enqueue("fresh", kind="ship", target="o2", payload={})
        storage.mark_failed("retry", "503", clock() + timedelta(seconds=30))
        clock.advance(timedelta(minutes=1))
        storage.enqueue("newest", kind="ship", target="o3", payload={})
        assert [e.key for e in storage.due()] == ["fresh", "retry", "newest"]

    def test_done_entries_never_come_back(self, storage: Storage, clock: FakeClock) -> None:
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        storage.mark_done("ack:1")
        assert storage.due() == []
        assert not storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        storage.mark_failed("ack:1", "late failure report", clock())
        clock.advance(timedelta(days=365))
        assert storage.due() == []
        entry = storage.get_push("ack:1")
        assert entry is not None
        assert (entry.status, entry.attempts, entry.next_attempt_at) == (PushStatus.DONE, 1, None)

    def test_given_up_entry_is_never_due(self, storage: Storage, clock: FakeClock) -> None:
        storage.enqueue("ship:1", kind="ship", target="o1", payload={})
        storage.mark_failed("ship:1", "rejected by Jet: bad tracking number", None)
        clock.advance(timedelta(days=30))
        assert storage.due() == []
        assert [e.key for e in storage.pushes(status=PushStatus.FAILED)] == ["ship:1"]

    def test_pushes_lists_by_status_in_enqueue_order(self, storage: Storage) -> None:
        for key in ("k3", "k1", "k2"):
            storage.enqueue(key, kind="cancel", target=key, payload={})
        storage.mark_done("k1")
        assert [e.key for e in storage.pushes()] == ["k3", "k1", "k2"]
        assert [e.key for e in storage.pushes(status=PushStatus.PENDING)] == ["k3", "k2"]
        assert [e.key for e in storage.pushes(status=PushStatus.DONE)] == ["k1"]

    def test_marking_an_unknown_key_raises_key_error(self, storage: Storage) -> None:
        with pytest.raises(KeyError, match="nope"):
            storage.mark_done("nope")
        with pytest.raises(KeyError, match="nope"):
            storage.mark_failed("nope", "error", None)

    def test_float_payload_is_refused(self, storage: Storage) -> None:
        with pytest.raises(TypeError):
            storage.enqueue("p", kind="price", target="SKU", payload={"price": 1.5})  # type: ignore[dict-item]
        assert storage.get_push("p") is None

    def test_naive_times_are_refused(self, storage: Storage) -> None:
        naive = datetime(2020, 1, 1, 12, 0)
        with pytest.raises(ValueError, match="timezone"):
            storage.due(now=naive)
        storage.enqueue("k", kind="ship", target="o", payload={})
        with pytest.raises(ValueError, match="timezone"):
            storage.mark_failed("k", "error", naive)
        # Refused even for a key already enqueued: the argument is wrong whatever the outbox holds.
        with pytest.raises(ValueError, match="timezone"):
            storage.enqueue("k", kind="ship", target="o", payload={}, not_before=naive)

    # -- outbox claims ---------------------------------------------------------------------------

    def test_claim_takes_a_due_entry_for_one_owner(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        claimed = storage.claim("ack:1", "worker-a", _LEASE)
        assert claimed is not None
        assert (claimed.claimed_by, claimed.claims) == ("worker-a", 1)
        assert claimed.claim_expires_at == clock() + _LEASE
        assert not claimed.may_have_been_sent
        assert storage.claim("ack:1", "worker-b", _LEASE) is None
        assert storage.due() == []
        # The owner may claim again (a retry in the same run), and it counts as a claim.
        again = storage.claim("ack:1", "worker-a", _LEASE)
        assert again is not None
        assert again.claims == 2

    def test_claim_refuses_done_given_up_unknown_and_future_entries(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("done", kind="ship", target="o", payload={})
        storage.mark_done("done")
        storage.enqueue("gone", kind="ship", target="o", payload={})
        storage.mark_failed("gone", "refused", None)
        storage.enqueue("later", kind="ship", target="o", payload={}, not_before=clock() + _LEASE)
        for key in ("done", "gone", "later", "never-enqueued"):
            assert storage.claim(key, "worker-a", _LEASE) is None, key

    def test_an_expired_claim_is_taken_over_and_says_it_may_have_been_sent(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        assert storage.claim("ack:1", "worker-a", _LEASE) is not None
        clock.advance(_LEASE)
        assert [entry.key for entry in storage.due()] == ["ack:1"]
        taken = storage.claim("ack:1", "worker-b", _LEASE)
        assert taken is not None
        assert taken.claimed_by == "worker-b"
        assert taken.may_have_been_sent
        assert not storage.renew_claim("ack:1", "worker-a", _LEASE)

    def test_renew_claim_extends_only_the_owners_live_claim(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        assert not storage.renew_claim("ack:1", "worker-a", _LEASE)
        storage.claim("ack:1", "worker-a", _LEASE)
        clock.advance(_LEASE / 2)
        assert storage.renew_claim("ack:1", "worker-a", _LEASE)
        assert not storage.renew_claim("ack:1", "worker-b", _LEASE)
        entry = storage.get_push("ack:1")
        assert entry is not None
        assert entry.claim_expires_at == clock() + _LEASE
        clock.advance(_LEASE)
        assert not storage.renew_claim("ack:1", "worker-a", _LEASE)

    def test_marking_clears_the_claim_and_a_lost_claim_cannot_fail_the_entry(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.enqueue("a", kind="ship", target="o", payload={})
        storage.enqueue("b", kind="ship", target="o", payload={})
        storage.claim("a", "worker-a", _LEASE)
        clock.advance(_LEASE)
        storage.claim("a", "worker-b", _LEASE)
        # worker-a lost its claim: its late failure report changes nothing.
        assert not storage.mark_failed("a", "late", clock(), owner="worker-a")
        entry = storage.get_push("a")
        assert entry is not None
        assert entry.claimed_by == "worker-b"
        assert entry.attempts == 0
        assert storage.mark_failed("a", "timeout", clock(), owner="worker-b")
        entry = storage.get_push("a")
        assert entry is not None
        assert entry.claimed_by is None
        assert entry.attempts == 1
        storage.claim("b", "worker-a", _LEASE)
        storage.mark_done("b")
        done = storage.get_push("b")
        assert done is not None
        assert done.claimed_by is None
        assert done.claim_expires_at is None

    def test_reschedule_moves_a_waiting_entry_without_counting_an_attempt(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        later = clock() + _LEASE
        storage.enqueue("a", kind="ship", target="o", payload={})
        storage.mark_failed("a", "timeout", later)
        assert storage.due() == []
        assert storage.reschedule("a", clock())
        entry = storage.get_push("a")
        assert entry is not None
        assert (entry.attempts, entry.last_error, entry.next_attempt_at) == (1, "timeout", clock())
        assert [e.key for e in storage.due()] == ["a"]
        storage.enqueue("gone", kind="ship", target="o", payload={})
        storage.mark_failed("gone", "refused", None)
        storage.enqueue("done", kind="ship", target="o", payload={})
        storage.mark_done("done")
        storage.enqueue("held", kind="ship", target="o", payload={})
        storage.claim("held", "worker-a", _LEASE)
        for key in ("gone", "done", "held", "never-enqueued"):
            assert not storage.reschedule(key, clock()), key
        assert storage.get_push("gone") is not None
        assert storage.get_push("gone").next_attempt_at is None  # type: ignore[union-attr]

    def test_threads_claiming_one_entry_give_it_to_exactly_one(self, storage: Storage) -> None:
        if not self.supports_threads:
            pytest.skip("adapter declares supports_threads = False")
        storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
        barrier = threading.Barrier(8)
        winners: list[str] = []
        errors: list[BaseException] = []

        def race(worker: int) -> None:
            try:
                barrier.wait(timeout=10)
                if storage.claim("ack:1", f"worker-{worker}", _LEASE) is not None:
                    winners.append(f"worker-{worker}")
            except BaseException as exc:  # handed to the main thread to fail the test
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert len(winners) == 1

    # -- accounts --------------------------------------------------------------------------------

    def test_every_record_is_scoped_by_account(self, storage: Storage, clock: FakeClock) -> None:
        order = make_sales_order(_order_id(7))
        assert storage.upsert_order(order, account="shop-a") is UpsertResult.CREATED
        assert storage.upsert_order(order, account="shop-b") is UpsertResult.CREATED
        storage.upsert_customer(make_customer("new@example.com"), account="shop-a")
        storage.enqueue(
            "ack:7", kind="acknowledge", target=_order_id(7), payload={}, account="shop-a"
        )
        storage.set_pushed_stock_many({("SKU-7", "node-1"): 3}, account="shop-a")
        storage.set_pushed_price_many({("SKU-7", ""): Decimal("9.99")}, account="shop-a")
        storage.link_sku("SKU-7", account="shop-a")
        storage.quarantine("order", _order_id(8), b"{", "truncated JSON", account="shop-a")
        storage.set_state("cursor", "after-7", account="shop-a")
        assert storage.acquire_lease("import", "worker-a", _LEASE, account="shop-a")

        for other in ("shop-b", "default"):
            if other == "default":
                assert storage.get_order(_order_id(7)) is None
            assert storage.get_customer("new@example.com", account=other) is None
            assert storage.get_push("ack:7", account=other) is None
            assert storage.due(account=other) == []
            assert storage.claim("ack:7", "worker-b", _LEASE, account=other) is None
            assert storage.pushed_stock_many([("SKU-7", "node-1")], account=other) == {}
            assert storage.pushed_price_many([("SKU-7", "")], account=other) == {}
            assert storage.get_linked_sku("SKU-7", account=other) is None
            assert storage.linked_skus(account=other) == []
            assert storage.quarantined(account=other) == []
            assert storage.get_state("cursor", account=other) is None
            assert storage.acquire_lease("import", "worker-b", _LEASE, account=other)
        assert [o.channel_order_id for o in storage.list_orders(account="shop-b")] == [_order_id(7)]
        assert storage.list_customers(account="shop-b") == []
        assert [e.key for e in storage.due(account="shop-a")] == ["ack:7"]
        with pytest.raises(KeyError):
            storage.set_sku_archived("SKU-7", True, account="shop-b")
        with pytest.raises(KeyError):
            storage.mark_done("ack:7", account="shop-b")
        # The same key in another account is another entry.
        assert storage.enqueue(
            "ack:7", kind="acknowledge", target=_order_id(7), payload={}, account="shop-b"
        )

    # -- last-pushed stock and price -------------------------------------------------------------

    def test_pushed_stock_is_kept_per_sku_and_node(self, storage: Storage) -> None:
        asked = [("SKU-1", "node-a"), ("SKU-1", "node-b"), ("SKU-2", "node-a")]
        assert storage.pushed_stock_many(asked) == {}
        storage.set_pushed_stock_many({("SKU-1", "node-a"): 5, ("SKU-1", "node-b"): 0})
        storage.set_pushed_stock_many({("SKU-1", "node-a"): 7})
        assert storage.pushed_stock_many(asked) == {("SKU-1", "node-a"): 7, ("SKU-1", "node-b"): 0}

    def test_sku_level_price_is_node_empty(self, storage: Storage) -> None:
        storage.set_pushed_price_many(
            {("SKU-1", ""): Decimal("10.10"), ("SKU-1", "node-a"): Decimal("9.00")}
        )
        found = storage.pushed_price_many([("SKU-1", ""), ("SKU-1", "node-a"), ("SKU-1", "node-b")])
        assert found == {("SKU-1", ""): Decimal("10.10"), ("SKU-1", "node-a"): Decimal("9.00")}
        assert str(found[("SKU-1", "")]) == "10.10"

    def test_bulk_pushed_values_cover_thousands_of_skus(self, storage: Storage) -> None:
        stock = {(f"SKU-{n}", "node-a"): n for n in range(5000)}
        prices = {(f"SKU-{n}", ""): Decimal(n) / 100 for n in range(5000)}
        storage.set_pushed_stock_many(stock)
        storage.set_pushed_price_many(prices)
        asked = [*stock, ("SKU-missing", "node-a")]
        assert storage.pushed_stock_many(asked) == stock
        assert storage.pushed_price_many([*prices, ("SKU-1", "node-a")]) == prices

    def test_invalid_pushed_values_are_refused(self, storage: Storage) -> None:
        with pytest.raises(ValueError, match="SKU-1"):
            storage.set_pushed_stock_many({("SKU-1", "node-a"): -1})
        with pytest.raises(TypeError, match="SKU-1"):
            storage.set_pushed_price_many({("SKU-1", ""): 1.5})  # type: ignore[dict-item]
        assert storage.pushed_stock_many([("SKU-1", "node-a")]) == {}
        assert storage.pushed_price_many([("SKU-1", "")]) == {}

    # -- linked SKUs -----------------------------------------------------------------------------

    def test_linking_and_archiving_a_sku(self, storage: Storage, clock: FakeClock) -> None:
        linked_at = clock()
        assert storage.link_sku("SKU-2")
        assert storage.link_sku("SKU-1")
        clock.advance(timedelta(hours=1))
        assert storage.set_sku_archived("SKU-2", True)
        assert not storage.set_sku_archived("SKU-2", True)
        assert not storage.link_sku("SKU-2")
        skus = storage.linked_skus()
        assert [(s.sku, s.archived) for s in skus] == [("SKU-1", False), ("SKU-2", True)]
        assert skus[1].archived_at == clock()
        assert skus[1].linked_at == linked_at
        assert storage.set_sku_archived("SKU-2", False)
        restored = storage.get_linked_sku("SKU-2")
        assert restored is not None
        assert (restored.archived, restored.archived_at) == (False, None)

    def test_linking_many_skus_returns_only_the_new_ones_in_order(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        first_at = clock()
        assert storage.link_sku("SKU-B")
        storage.set_sku_archived("SKU-B", True)
        clock.advance(timedelta(minutes=1))
        newly = storage.link_skus(iter(["SKU-C", "SKU-B", "SKU-A", "SKU-C"]))
        assert newly == ["SKU-C", "SKU-A"]
        assert storage.link_skus(["SKU-A", "SKU-B"]) == []
        assert storage.link_skus([]) == []
        skus = storage.linked_skus()
        assert [(s.sku, s.archived) for s in skus] == [
            ("SKU-A", False),
            ("SKU-B", True),
            ("SKU-C", False),
        ]
        assert [s.linked_at for s in skus] == [clock(), first_at, clock()]

    def test_linking_thousands_of_skus_at_once(self, storage: Storage) -> None:
        skus = [f"SKU-{n:05d}" for n in range(3000)]
        assert storage.link_skus(skus) == skus
        assert storage.link_skus([*skus, "SKU-X"]) == ["SKU-X"]
        assert len(storage.linked_skus()) == 3001

    def test_archiving_an_unlinked_sku_raises_key_error(self, storage: Storage) -> None:
        with pytest.raises(KeyError, match="SKU-9"):
            storage.set_sku_archived("SKU-9", True)
        assert storage.get_linked_sku("SKU-9") is None

    # -- quarantine ------------------------------------------------------------------------------

    def test_quarantine_keeps_the_raw_payload_byte_for_byte(self, storage: Storage) -> None:
        raw = b'\xef\xbb\xbf{"order": "\xff\xfe"}\r\n\x00 trailing \xc3'
        entry = storage.quarantine("order", "o1", raw, "order_items[0].item_price: bad number")
        assert entry.payload == raw
        stored = storage.get_quarantined("order", "o1")
        assert stored is not None
        assert type(stored.payload) is bytes
        assert stored.payload == raw
        assert stored.reason == "order_items[0].item_price: bad number"

    def test_quarantining_again_updates_and_keeps_first_seen(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        first_seen = clock()
        storage.quarantine("order", "o1", b"one", "first reason")
        clock.advance(timedelta(minutes=10))
        entry = storage.quarantine("order", "o1", b"two", "second reason")
        assert (entry.payload, entry.reason, entry.times_seen) == (b"two", "second reason", 2)
        assert (entry.first_seen, entry.last_seen) == (first_seen, clock())
        assert storage.get_quarantined("order", "o1") == entry

    def test_quarantine_lists_by_kind_and_release_removes(
        self, storage: Storage, clock: FakeClock
    ) -> None:
        storage.quarantine("order", "o2", b"2", "r")
        clock.advance(timedelta(seconds=1))
        storage.quarantine("return", "r1", b"r", "r")
        clock.advance(timedelta(seconds=1))
        storage.quarantine("order", "o1", b"1", "r")
        assert [e.external_id for e in storage.quarantined()] == ["o2", "r1", "o1"]
        assert [e.external_id for e in storage.quarantined("order")] == ["o2", "o1"]
        assert storage.release("order", "o2")
        assert not storage.release("order", "o2")
        assert storage.get_quarantined("order", "o2") is None
        assert [e.external_id for e in storage.quarantined("order")] == ["o1"]

    @pytest.mark.parametrize("payload", ["text", None, 7, ["raw"]])
    def test_quarantine_payload_must_be_bytes(self, storage: Storage, payload: object) -> None:
        with pytest.raises(TypeError, match="bytes"):
            storage.quarantine("order", "o1", payload, "r")  # type: ignore[arg-type]
        assert storage.get_quarantined("order", "o1") is None

    def test_a_bytes_like_quarantine_payload_is_kept_as_bytes(self, storage: Storage) -> None:
        buffer = bytearray(b"\xff{")
        entry = storage.quarantine("order", "o1", buffer, "r")  # type: ignore[arg-type]
        buffer[:] = b"changed"
        storage.quarantine("order", "o2", memoryview(b"\x00}"), "r")  # type: ignore[arg-type]
        assert (type(entry.payload), entry.payload) == (bytes, b"\xff{")
        stored = [(type(e.payload), e.payload) for e in storage.quarantined("order")]
        assert stored == [(bytes, b"\xff{"), (bytes, b"\x00}")]

    # -- sync state ------------------------------------------------------------------------------

    def test_sync_state_set_get_replace_delete(self, storage: Storage) -> None:
        assert storage.get_state("cursor") is None
        storage.set_state("cursor", "2020-01-01")
        storage.set_state("cursor", "2020-01-02")
        storage.set_state("token", "")
        assert storage.get_state("cursor") == "2020-01-02"
        assert storage.get_state("token") == ""
        assert storage.delete_state("cursor")
        assert not storage.delete_state("cursor")
        assert storage.get_state("cursor") is None

    # -- leases ----------------------------------------------------------------------------------

    def test_lease_is_exclusive_while_held(self, storage: Storage, clock: FakeClock) -> None:
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        clock.advance(_LEASE - timedelta(seconds=1))
        assert not storage.acquire_lease("import", "worker-b", _LEASE)
        assert not storage.renew_lease("import", "worker-b", _LEASE)
        assert not storage.release_lease("import", "worker-b")
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        assert storage.acquire_lease("push", "worker-b", _LEASE)

    def test_expired_lease_is_taken_over(self, storage: Storage, clock: FakeClock) -> None:
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        clock.advance(_LEASE)
        assert storage.acquire_lease("import", "worker-b", _LEASE)
        assert not storage.renew_lease("import", "worker-a", _LEASE)
        assert not storage.acquire_lease("import", "worker-a", _LEASE)

    def test_renew_extends_the_lease(self, storage: Storage, clock: FakeClock) -> None:
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        clock.advance(_LEASE - timedelta(seconds=1))
        assert storage.renew_lease("import", "worker-a", _LEASE)
        clock.advance(_LEASE - timedelta(seconds=1))
        assert not storage.acquire_lease("import", "worker-b", _LEASE)
        clock.advance(timedelta(seconds=1))
        assert storage.acquire_lease("import", "worker-b", _LEASE)

    def test_expired_lease_cannot_be_renewed(self, storage: Storage, clock: FakeClock) -> None:
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        clock.advance(_LEASE + timedelta(seconds=1))
        assert not storage.renew_lease("import", "worker-a", _LEASE)
        assert storage.acquire_lease("import", "worker-a", _LEASE)

    def test_release_frees_the_lease(self, storage: Storage) -> None:
        assert storage.acquire_lease("import", "worker-a", _LEASE)
        assert storage.release_lease("import", "worker-a")
        assert not storage.release_lease("import", "worker-a")
        assert storage.acquire_lease("import", "worker-b", _LEASE)

    def test_lease_ttl_must_be_positive(self, storage: Storage) -> None:
        with pytest.raises(ValueError, match="ttl"):
            storage.acquire_lease("import", "worker-a", timedelta(0))

    # -- isolation -------------------------------------------------------------------------------

    def test_uncommitted_writes_are_invisible_to_other_threads(self, storage: Storage) -> None:
        if not self.supports_threads:
            pytest.skip("adapter declares supports_threads = False")
        _assert_isolated(storage, storage, "another thread")

    def test_uncommitted_writes_are_invisible_to_other_connections(
        self, storage: Storage, other_connection: Storage | None
    ) -> None:
        if other_connection is None:
            pytest.skip("no `other_connection` fixture: the adapter has one connection")
        _assert_isolated(storage, other_connection, "another connection")
        storage.set_state("isolation", "committed")
        assert other_connection.get_state("isolation") == "committed", (
            "a committed write must be visible to another connection"
        )

    # -- threads ---------------------------------------------------------------------------------

    def test_threads_racing_on_one_key_create_one_entry(self, storage: Storage) -> None:
        if not self.supports_threads:
            pytest.skip("adapter declares supports_threads = False")
        barrier = threading.Barrier(8)
        results: list[bool] = []
        results_lock = threading.Lock()
        errors: list[BaseException] = []

        def race(worker: int) -> None:
            try:
                barrier.wait(timeout=10)
                won = storage.enqueue("ack:1", kind="acknowledge", target="o1", payload={})
                leased = storage.acquire_lease("import", f"worker-{worker}", _LEASE)
                with results_lock:
                    results.extend((won, leased))
            except BaseException as exc:  # handed to the main thread to fail the test
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert len(results) == 16
        assert sum(results) == 2
        assert len(storage.pushes()) == 1
