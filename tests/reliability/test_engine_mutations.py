"""Hostile order bodies through the engine: the bad record is quarantined, the batch goes on.

Hypothesis breaks one listed order's body (missing fields, wrong types, huge and negative
numbers, ``NaN``/``Infinity``, deep nesting, lone surrogates, invalid UTF-8, duplicate keys,
another listed order's id, non-JSON with a 200) and serves it, through a transport wrapped
around the sandbox, to ``Integration.import_orders()`` over ``MemoryStorage`` and
``SQLiteStorage``. Whatever the body, nothing escapes ``Integration``; the broken order is
either imported under its own id or quarantined with the bytes exactly as served; every other
order is stored exactly as a clean run stores it and acknowledged once.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import SOAK, Clock, Rewrite, record

from jet_orderhive._json import dumps
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

SEED = 3
BATCH = 4
EXAMPLES = 600 if SOAK else 60

budget = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=not SOAK,
)

WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([10**18, -1, -(10**9), 2**63, 10**400]),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**12),
    st.text(max_size=12),
    st.just([]),
    st.just({}),
)
TEXT_EDITS = {
    "NaN": lambda text: text.replace('"merchant_order_id"', '"x":NaN,"merchant_order_id"', 1),
    "Infinity": lambda text: text.replace(
        '"merchant_order_id"', '"x":-Infinity,"merchant_order_id"', 1
    ),
    "deep nesting": lambda text: text.replace(
        '"merchant_order_id"', '"x":' + "[" * 50_000 + "]" * 50_000 + ',"merchant_order_id"', 1
    ),
    "lone surrogate": lambda text: text.replace('"name":"', '"name":"\\udc80', 1),
    "surrogate in sku": lambda text: text.replace('"merchant_sku":"', '"merchant_sku":"\\ud800', 1),
    "duplicate key": lambda text: text.replace('{"', '{"status":"ready","status":', 1),
    "non-JSON": lambda text: "<html><body>502 Bad Gateway</body></html>",
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _parent(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        value = value[step]
    return value


@st.composite
def hostile(draw: st.DrawFn, orders: dict[str, Any], victim: str) -> tuple[bytes, str]:
    """One order's body, broken by one to three edits; the bytes and a label of what was done."""
    value = copy.deepcopy(orders[victim])
    others = sorted(set(orders) - {victim})
    done: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["delete", "replace", "swap id", "text", "bytes"]))
        paths = [p for p in _paths(value) if p]
        if kind == "delete" and paths:
            path = draw(st.sampled_from(paths))
            del _parent(value, path)[path[-1]]
        elif kind == "replace" and paths:
            path = draw(st.sampled_from(paths))
            _parent(value, path)[path[-1]] = copy.deepcopy(draw(WRONG_VALUES))
        elif kind == "swap id" and isinstance(value, dict):
            value["merchant_order_id"] = draw(st.sampled_from(others))
        done.append(kind)
    text = dumps(value)
    edit = draw(st.sampled_from(["none", *TEXT_EDITS]))
    text = TEXT_EDITS[edit](text) if edit != "none" else text
    body = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and body:
        at = draw(st.integers(min_value=0, max_value=len(body) - 1))
        body = body[:at] + b"\xff\xc0" + body[at:]
        done.append("invalid UTF-8")
    return body, "+".join([*done, edit])


class Account:
    """A sandbox with one batch, and what a clean import stores for it."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sandbox = JetSandbox(seed=SEED, clock=self.clock)
        self.ids = self.sandbox.generate_orders(BATCH)
        self.victim = self.ids[1]
        self.bodies = {
            i: json.loads(dumps(self.sandbox.order(i)), parse_float=Decimal) for i in self.ids
        }


@pytest.fixture(scope="module")
def clean() -> dict[str, SalesOrder]:
    account = Account()
    storage = MemoryStorage(clock=account.clock)
    client = account.sandbox.client(sleep=lambda _s: None)
    Integration(client, storage, clock=account.clock, sleep=lambda _s: None).import_orders()
    return {o.channel_order_id: o for o in storage.list_orders()}


@contextmanager
def _storage(kind: str, clock: Clock) -> Iterator[Storage]:
    if kind == "memory":
        yield MemoryStorage(clock=clock)
        return
    with (
        tempfile.TemporaryDirectory() as folder,
        SQLiteStorage(Path(folder) / "m.db", clock=clock) as storage,
    ):
        yield storage


TEMPLATE = Account()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@budget
@given(answer=hostile(TEMPLATE.bodies, TEMPLATE.victim))
def test_a_hostile_body_is_quarantined_as_served_and_the_rest_of_the_batch_goes_on(
    kind: str, answer: tuple[bytes, str], clean: dict[str, SalesOrder]
) -> None:
    body, label = answer
    account = Account()
    sandbox, victim = account.sandbox, account.victim
    detail = f"/api/orders/withoutShipmentDetail/{victim}"
    served: list[bytes] = []
    transport = Rewrite(
        sandbox.transport(), {detail: (body, {})}, on_serve=lambda _p, b: served.append(b)
    )
    with _storage(kind, account.clock) as storage:
        client = sandbox.client(transport=transport, sleep=lambda _s: None)
        integration = Integration(client, storage, clock=account.clock, sleep=lambda _s: None)
        integration.import_orders()  # any exception here fails the example

        others = [i for i in account.ids if i != victim]
        for order_id in others:
            assert storage.get_order(order_id) == clean[order_id], f"{order_id} touched ({label})"
            assert sandbox.order_status(order_id) == "acknowledged", label
        acks = Counter(
            r.path.split("/")[2]
            for r in sandbox.requests
            if r.kind == "acknowledge" and r.status == 204
        )
        assert all(acks[i] == 1 for i in others), (acks, label)
        entry = storage.get_quarantined("order", victim)
        stored = storage.get_order(victim)
        assert served, label
        if entry is not None:
            outcome = "quarantined"
            assert stored is None, f"quarantined and stored ({label})"
            assert entry.payload == served[-1], f"quarantine changed the bytes ({label})"
            assert entry.reason, label
            assert sandbox.order_status(victim) == "ready", (
                f"a quarantined order was acked ({label})"
            )
        else:
            outcome = "imported"
            assert stored is not None, f"neither stored nor quarantined ({label})"
            assert stored.channel_order_id == victim, label
        assert sorted(o.channel_order_id for o in storage.list_orders()) == sorted(
            [*others, victim] if stored is not None else others
        ), label
        assert len(storage.quarantined()) == (1 if entry is not None else 0), label
    record("engine_mutations", examples=1, **{outcome: 1, f"storage_{kind}": 1})


def test_a_body_that_names_another_listed_order_never_touches_that_order(
    clean: dict[str, SalesOrder],
) -> None:
    account = Account()
    victim, other = account.victim, account.ids[2]
    swapped = dict(account.bodies[victim], merchant_order_id=other)
    body = dumps(swapped).encode()
    detail = f"/api/orders/withoutShipmentDetail/{victim}"
    transport = Rewrite(account.sandbox.transport(), {detail: (body, {})})
    storage = MemoryStorage(clock=account.clock)
    client = account.sandbox.client(transport=transport, sleep=lambda _s: None)
    Integration(client, storage, clock=account.clock, sleep=lambda _s: None).import_orders()

    assert storage.get_order(other) == clean[other]
    assert storage.get_order(victim) is None
    entry = storage.get_quarantined("order", victim)
    assert entry is not None
    assert entry.payload == body
    assert account.sandbox.order_status(other) == "acknowledged"
