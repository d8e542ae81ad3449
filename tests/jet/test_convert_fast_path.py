"""The converter's fast path builds exactly what its careful path builds, and fails exactly where
the careful path fails, with the careful path's path-qualified errors.

``structure`` first tries a generated structure function that tracks no JSON path and gives up
at the first surprise; the careful path then reads the payload again. Hypothesis starts from
valid orders and breaks them (wrong types, floats, too many decimal places, huge numbers, bad
dates, unknown enum values, missing and unknown keys, lone objects for arrays) and compares both
paths on every result: the same model (same ``repr``, so ``Decimal("1.0")`` and ``Decimal("1")``
are told apart, and the same ``extra``) or the same ``JetPayloadError``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jet_orderhive._json import dumps
from jet_orderhive.jet import (
    JetFile,
    JetModel,
    JetOrder,
    JetPayloadError,
    JetRefund,
    JetReturn,
    MerchantSku,
    SkuInventory,
    SkuPrice,
    Token,
    UploadToken,
    from_json,
)
from jet_orderhive.jet import _convert as convert
from jet_orderhive.jet._convert import _fast_structure_fn, _structure_carefully, structure
from jet_orderhive.jet._wire_json import JsonProblems, read_json
from jet_orderhive.testing.factories import OrderFactory

STATUSES = ("created", "ready", "acknowledged", "inprogress", "complete")
PLACED = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)

Path = tuple[str | int, ...]


def _order(seed: int, status: str) -> dict[str, Any]:
    order = OrderFactory(seed=seed).order(status=status, placed_at=PLACED)  # type: ignore[arg-type]
    # Through the wire reader, as the client reads it: fractions become exact Decimals.
    tree = read_json(dumps(order))
    assert isinstance(tree, dict)
    return tree


def _outcome(read: Callable[[], object]) -> tuple[str, Any]:
    try:
        result = read()
    except JetPayloadError as error:
        return ("error", (error.message, error.errors, error.model))
    return ("model", (repr(result), result, getattr(result, "extra", None)))


def _assert_same(tree: Any, cls: type[JetModel]) -> tuple[str, Any]:
    careful = _outcome(lambda: _structure_carefully(copy.deepcopy(tree), cls))
    fast = _outcome(lambda: structure(copy.deepcopy(tree), cls))
    assert fast == careful
    return fast


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    found: list[Path] = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _parent(tree: Any, path: Path) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


# Values chosen to sit on each check's edges: the fast path inlines these checks, so each side
# of each edge must agree with the careful hooks.
NASTY: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    7,
    1_000_000,
    1_000_001,
    2**53 - 1,
    2**53,
    10**40,
    1.5,
    "",
    "5",
    " ready ",
    "Ready",
    "on hold",
    "2026-03-04T05:06:07.9999999Z",
    "2026-03-04T05:06:07.1234567+02:00",
    "2026-03-04T05:06:07Z",
    "2026-03-04 05:06:07.1234567Z",
    "2026-13-04T05:06:07.1234567Z",
    "2026-03-04T05:06:07.1234567",
    "03/04/2026",
    "\u0662\u0660\u0662\u0666-03-04T05:06:07.1234567Z",
    Decimal("0.01"),
    Decimal("1.0"),
    Decimal("-5.48"),
    Decimal("999999999.99"),
    Decimal("1000000000.00"),
    Decimal("1000000000.01"),
    Decimal("-1000000000.00"),
    Decimal("0.000000000001"),
    Decimal("0.0000000000001"),
    Decimal("1E+2"),
    Decimal("1E-14"),
    Decimal("1E+999999"),
    Decimal("NaN"),
    Decimal("Infinity"),
    [],
    [1],
    ["a", "b"],
    {},
    {"base_price": Decimal("1.00"), "item_shipping_cost": Decimal("0.00")},
    {"principal": Decimal("1.00")},
]

mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10_000), st.sampled_from(NASTY)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.none()),
    st.tuples(st.just("add"), st.integers(0, 10_000), st.sampled_from(NASTY)),
    st.tuples(st.just("lone"), st.integers(0, 10_000), st.none()),
)


def _mutate(tree: dict[str, Any], how: tuple[str, int, object]) -> None:
    kind, where, value = how
    paths = [p for p in _paths(tree) if p]
    path = paths[where % len(paths)]
    parent = _parent(tree, path)
    if kind == "set":
        parent[path[-1]] = copy.deepcopy(value)
    elif kind == "delete":
        del parent[path[-1]]
    elif kind == "add":
        target = parent[path[-1]]
        if isinstance(target, dict):
            target["not_a_jet_key"] = copy.deepcopy(value)
        elif isinstance(target, list):
            target.append(copy.deepcopy(value))
    elif isinstance(parent[path[-1]], list) and parent[path[-1]]:
        parent[path[-1]] = parent[path[-1]][0]  # a lone object (or value) for an array


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 2**16),
    status=st.sampled_from(STATUSES),
    mutations=st.lists(mutation, min_size=0, max_size=4),
)
def test_fast_and_careful_paths_agree_on_corrupted_orders(
    seed: int, status: str, mutations: list[tuple[str, int, object]]
) -> None:
    tree = _order(seed, status)
    for how in mutations:
        _mutate(tree, how)
    _assert_same(tree, JetOrder)


@pytest.mark.parametrize("status", STATUSES)
def test_the_fast_path_reads_whole_orders_itself(status: str) -> None:
    # Were the fast function to give up on real orders, every read would cost both paths.
    tree = _order(11, status)
    fast = _fast_structure_fn(JetOrder)
    assert fast is not None
    built = fast(copy.deepcopy(tree))
    assert built == _structure_carefully(tree, JetOrder)
    assert repr(built) == repr(_structure_carefully(tree, JetOrder))


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("order_items", 0, "item_price", "base_price"), 1.5, "expected an exact number"),
        (
            ("order_items", 0, "item_price", "base_price"),
            Decimal("0.0000000000001"),
            "at most 12 decimal places",
        ),
        (("order_totals", "item_fees"), Decimal("1000000000.01"), "between -1000000000"),
        (("order_items", 1, "request_order_quantity"), 1_000_001, "a quantity from 0"),
        (("order_placed_date",), "2026-03-04 05:06:07.1234567Z", "expected a Jet date-time"),
        (("buyer", "name"), 5, "expected a string"),
        (("status",), 5, "expected one of OrderStatus"),
    ],
)
def test_a_bad_field_raises_the_careful_error_with_its_path(
    path: Path, value: object, problem: str
) -> None:
    tree = _order(3, "ready")
    _parent(tree, path)[path[-1]] = value
    kind, (_, errors, model) = _assert_same(tree, JetOrder)
    assert kind == "error"
    assert model == "JetOrder"
    dotted = ".".join(f"[{step}]" if isinstance(step, int) else step for step in path)
    dotted = dotted.replace(".[", "[")
    assert any(line.startswith(f"{dotted}: ") and problem in line for line in errors), errors


def test_values_at_the_edges_read_as_the_careful_path_reads_them() -> None:
    tree = _order(5, "ready")
    tree["order_placed_date"] = "2026-03-04T05:06:07.9999999Z"
    tree["order_transmission_date"] = "2026-03-04T05:06:07.1234567+02:00"
    tree["status"] = "Ready"  # a spelling of a known member
    tree["exception_state"] = "something new"  # an unknown value: a pseudo-member
    tree["order_totals"]["item_fees"] = 7  # an integer amount becomes a Decimal
    tree["order_totals"]["regulatory_fees"] = Decimal("1.0")  # one place: kept as written
    tree["order_items"][0]["surprise"] = {"kept": [1, Decimal("2.50")]}
    tree["shipments"] = {"shipment_id": "s1"}  # a lone object for the array
    kind, (_, order, extra) = _assert_same(tree, JetOrder)
    assert kind == "model"
    assert order.order_placed_date == datetime(2026, 3, 4, 5, 6, 7, 999999, tzinfo=UTC)
    assert order.order_transmission_date.utcoffset().total_seconds() == 7200
    assert order.status.is_known
    assert not order.exception_state.is_known
    assert str(order.exception_state) == "something new"
    assert repr(order.order_totals.item_fees) == "Decimal('7')"
    assert repr(order.order_totals.regulatory_fees) == "Decimal('1.0')"
    assert order.order_items[0].extra == {"surprise": {"kept": [1, Decimal("2.50")]}}
    assert [s.shipment_id for s in order.shipments] == ["s1"]
    assert extra == {}


def test_a_mapping_that_is_not_a_dict_still_reads() -> None:
    class Frozen(dict[str, Any]):
        pass

    tree = _order(8, "ready")
    tree["buyer"] = Frozen(tree["buyer"])
    kind, (_, order, _) = _assert_same(tree, JetOrder)
    assert kind == "model"
    assert order.buyer.name == tree["buyer"]["name"]


EXAMPLES: dict[str, type[JetModel]] = {
    "returns/return-notification.example.json": JetReturn,
    "refund/refund-status.example.json": JetRefund,
    "merchant-skus/merchantSkus-get.example.json": MerchantSku,
    "merchant-skus/merchantSkus-price.example.json": SkuPrice,
    "merchant-skus/merchantSkus-inventory.example.json": SkuInventory,
    "files/files-token.example.json": UploadToken,
    "token/token-return.example.json": Token,
    "merchant-sku-get.sandbox-2015-10-12.json": MerchantSku,
    "ruby-jet.files-uploaded-response.json": JetFile,
    "orders/order-only.example.json": JetOrder,
    "orders/order.example.json": JetOrder,
    "files/files-status.example.json": JetFile,
}


@pytest.mark.parametrize(("relative", "model"), EXAMPLES.items())
def test_jets_published_examples_read_alike_on_both_paths(
    jet_json: Callable[[str], Any], relative: str, model: type[JetModel]
) -> None:
    _assert_same(jet_json(relative), model)


def test_threads_reading_at_once_each_see_their_own_repeated_keys() -> None:
    good = dumps(_order(1, "ready")).encode()
    bad = good.replace(b'"hash_email":', b'"hash_email":"x","hash_email":', 1)
    assert bad != good
    failures: list[str] = []

    def reader(payload: bytes, should_fail: bool) -> None:
        for _ in range(200):
            try:
                read_json(payload)
            except JsonProblems as problems:
                if not should_fail or "hash_email" not in problems.errors[0]:
                    failures.append(str(problems))
            else:
                if should_fail:
                    failures.append("a repeated key went unnoticed")

    threads = [threading.Thread(target=reader, args=(p, p is bad)) for p in (good, bad) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with pytest.raises(JetPayloadError, match="more than once"):
        from_json(bad, JetOrder)


def test_threads_building_the_fast_functions_at_once_all_get_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(convert, "_fast_fns", {})  # as on first use
    tree = _order(6, "inprogress")
    start = threading.Barrier(8)
    built: list[object] = []

    def read() -> None:
        start.wait()
        built.append(structure(copy.deepcopy(tree), JetOrder))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 8
    assert all(order == built[0] for order in built)
    # No model was left on the careful path for good because another thread was building it.
    assert convert._fast_fns[JetOrder] is not None
    assert all(fn is not None for fn in convert._fast_fns.values())
