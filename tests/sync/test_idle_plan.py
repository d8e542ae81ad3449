"""An import plans on the keys of what Jet lists, and plans exactly what reading every stored
key planned: the same new / changed / unchanged / missing / retry ids in the same order, the
same turn of the refresh budget, the same notes and the same state left for the next run.

The reference below is the planning of a run as it was when it read every open order's key
(``order_keys``) and picked the budget's turn from all of them; the property holds the run's
own planning to it over random stores, listings, quarantines, budgets and turn positions, on
every adapter and on one without ``listed_order_keys`` (which the engine answers for).
"""

from __future__ import annotations

import bisect
import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jet_orderhive import IntegrationSettings, JetClient
from jet_orderhive.mapping import Mappings
from jet_orderhive.storage import (
    ListedOrderKeysReader,
    MemoryStorage,
    OrderSnapshot,
    SQLiteStorage,
    Storage,
)
from jet_orderhive.sync import _plan
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._plan import ImportPlan, ListQuery
from jet_orderhive.sync.importer import _STATE_VERIFIED_UPTO, _Run
from jet_orderhive.sync.report import ReportBuilder
from jet_orderhive.testing.storage_kit import make_sales_order

_NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
_STATUSES = ("created", "ready", "acknowledged", "inprogress", "complete")
# Few ids, so stored, listed, quarantined and the turn position overlap often.
_IDS = st.text(alphabet="0ab", min_size=1, max_size=3)


class _WithoutListedKeys:
    """A storage that has only the `Storage` methods: no ``listed_order_keys`` of its own."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "listed_order_keys":
            raise AttributeError(name)
        return getattr(self._inner, name)


def _old_plan(
    storage: Storage,
    engine_settings: IntegrationSettings,
    listed: Mapping[str, ListQuery],
    outside: Mapping[str, str],
    *,
    initial: bool,
    report: ReportBuilder,
) -> tuple[ImportPlan, dict[str, ListQuery]]:
    """The planning of a run that read every (open) stored order's key."""
    account = engine_settings.account
    statuses = None if initial else _plan.OPEN_STATUSES
    keys = storage.order_keys(channel_statuses=statuses, account=account)
    stored = {i: ListQuery(status=k.status, cancelled=k.cancelled) for i, k in keys.items()}
    plan = _plan.plan_import(
        listed=listed,
        stored=stored,
        initial=initial,
        new_statuses=_plan.new_order_statuses(engine_settings),
        quarantined={e.external_id for e in storage.quarantined("order", account=account)},
        ignored={i for i, status in outside.items() if i in listed and listed[i].status == status},
    )
    missing = plan.missing
    budget = engine_settings.refresh_budget
    if len(missing) <= budget:
        chosen = tuple(sorted(missing))
    elif not budget:
        report.note(
            f"{len(missing)} open order(s) appear in no Jet list (past its 1,000-id cap); "
            "none is re-read (refresh_budget=0)"
        )
        chosen = ()
    else:
        ordered = sorted(missing)
        after = storage.get_state(_STATE_VERIFIED_UPTO, account=account) or ""
        start = bisect.bisect_right(ordered, after)
        chosen = tuple((ordered[start:] + ordered[:start])[:budget])
        if chosen and not engine_settings.dry_run:
            storage.set_state(_STATE_VERIFIED_UPTO, chosen[-1], account=account)
        report.note(
            f"{len(ordered)} open order(s) appear in no Jet list (past its 1,000-id cap); "
            f"{len(chosen)} were re-read this run, the others in turn on later runs"
        )
    return attrs.evolve(plan, missing=chosen), stored


@st.composite
def _worlds(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=0, max_value=16))
    stored = draw(
        st.dictionaries(
            _IDS,
            st.tuples(st.sampled_from(_STATUSES), st.booleans()),
            min_size=size,
            max_size=size + 4,
        )
    )
    # Listed ids: some of the stored ones (under their stored key or another) and some new.
    known = st.sampled_from(sorted(stored)) if stored else _IDS
    listed = draw(
        st.dictionaries(
            known | _IDS,
            st.builds(ListQuery, status=st.sampled_from(_STATUSES), cancelled=st.booleans()),
            max_size=12,
        )
    )
    for order_id in draw(st.sets(st.sampled_from(sorted(listed)), max_size=4)) if listed else ():
        if order_id in stored:  # listed as stored: unchanged
            status, cancelled = stored[order_id]
            listed[order_id] = ListQuery(status=status, cancelled=cancelled)
    return {
        "stored": stored,
        "listed": listed,
        "quarantined": draw(st.sets(known | _IDS, max_size=4)),
        "outside": draw(st.dictionaries(known | _IDS, st.sampled_from(_STATUSES), max_size=4)),
        # Often exactly a stored id: the turn must start after it, not at it.
        "after": draw(st.one_of(known, known, _IDS, st.none(), st.just(""))),
        "budget": draw(st.integers(min_value=0, max_value=4)),
        "initial": draw(st.booleans()),
        "dry_run": draw(st.booleans()),
        "import_created": draw(st.booleans()),
    }


def _fill(storage: Storage, world: Mapping[str, Any], account: str) -> None:
    with storage.transaction():
        for order_id, (status, cancelled) in world["stored"].items():
            storage.upsert_order(
                make_sales_order(order_id, channel_status=status),
                snapshot=OrderSnapshot(status=status, listed_cancelled=cancelled),
                account=account,
            )
        # Another account's orders must never be planned on.
        storage.upsert_order(make_sales_order("0", channel_status="ready"), account="other")
        for order_id in world["quarantined"]:
            storage.quarantine("order", order_id, b"{", "does not parse", account=account)
        if world["after"] is not None:
            storage.set_state(_STATE_VERIFIED_UPTO, world["after"], account=account)


def _memory() -> Iterator[Storage]:
    yield MemoryStorage()


def _sqlite() -> Iterator[Storage]:
    with tempfile.TemporaryDirectory() as folder, SQLiteStorage(Path(folder) / "s.db") as storage:
        yield storage


def _fallback() -> Iterator[Storage]:
    yield cast(Storage, _WithoutListedKeys(MemoryStorage()))


_ADAPTERS: dict[str, Callable[[], Iterator[Storage]]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "without-listed_order_keys": _fallback,
}


def _plans(
    make: Callable[[], Iterator[Storage]], world: Mapping[str, Any]
) -> list[tuple[object, ...]]:
    """What the old planning and the run's own planning decide on two equal stores."""
    engine_settings = IntegrationSettings(
        account="shop",
        refresh_budget=world["budget"],
        dry_run=world["dry_run"],
        import_created=world["import_created"],
    )
    decided: list[tuple[object, ...]] = []
    for new in (False, True):
        with contextlib.contextmanager(make)() as storage:
            _fill(storage, world, "shop")
            report = ReportBuilder("import", _NOW, dry_run=world["dry_run"])
            listed, outside, initial = world["listed"], world["outside"], world["initial"]
            if new:
                engine = Engine(
                    client=cast(JetClient, None),
                    storage=storage,
                    settings=engine_settings,
                    mappings=Mappings.default(),
                    clock=lambda: _NOW,
                )
                run = _Run(engine, report)
                plan, stored = run.plan(listed, outside, initial=initial)
            else:
                plan, stored = _old_plan(
                    storage, engine_settings, listed, outside, initial=initial, report=report
                )
            built = report.build(_NOW)
            decided.append(
                (
                    plan,
                    # What the fetch reads of `stored`: whether each id to fetch is stored, and
                    # the key of each unchanged one.
                    {i: i in stored for i in plan.to_fetch},
                    {i: stored[i] for i in plan.unchanged},
                    built.notes,
                    built.counts,
                    storage.get_state(_STATE_VERIFIED_UPTO, account="shop"),
                )
            )
    return decided


@pytest.mark.parametrize("adapter", list(_ADAPTERS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=_worlds())
def test_the_run_plans_on_listed_keys_exactly_as_on_every_key(
    adapter: str, world: dict[str, Any]
) -> None:
    old, new = _plans(_ADAPTERS[adapter], world)
    assert new == old


def test_the_fallback_storage_really_lacks_the_method() -> None:
    """The third adapter above is what a third-party storage without the method looks like."""
    assert not isinstance(next(_fallback()), ListedOrderKeysReader)
    assert isinstance(MemoryStorage(), ListedOrderKeysReader)


def test_an_idle_run_over_a_large_store_reads_no_key_of_an_unlisted_order() -> None:
    """The cost the change is for: with 500 open orders stored and 20 listed, the run's
    planning reads the 20 listed keys and the budget's 3, never all 500."""
    storage = MemoryStorage()
    with storage.transaction():
        for number in range(500):
            storage.upsert_order(make_sales_order(f"{number:04d}", channel_status="acknowledged"))
    listed = {f"{n:04d}": ListQuery(status="acknowledged", cancelled=False) for n in range(20)}
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(storage, name)

    engine = Engine(
        client=cast(JetClient, None),
        storage=cast(Storage, Counting()),
        settings=IntegrationSettings(refresh_budget=3),
        mappings=Mappings.default(),
        clock=lambda: _NOW,
    )
    report = ReportBuilder("import", _NOW)
    plan, stored = _Run(engine, report).plan(listed, {}, initial=False)
    assert "order_keys" not in calls
    assert "listed_order_keys" in calls
    assert len(stored) == 23
    assert plan.missing == ("0020", "0021", "0022")
    assert len(plan.unchanged) == 20
    assert report.build(_NOW).notes == (
        "480 open order(s) appear in no Jet list (past its 1,000-id cap); 3 were re-read this "
        "run, the others in turn on later runs",
    )
    # The next run takes up where this one stopped.
    plan, _ = _Run(engine, ReportBuilder("import", _NOW)).plan(listed, {}, initial=False)
    assert plan.missing == ("0023", "0024", "0025")
