"""Memory, SQLite, PostgreSQL and the guide's example adapter agree under any sequence of calls."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jet_orderhive.storage import MemoryStorage, SQLiteStorage, Storage
from jet_orderhive.testing.storage_kit import FakeClock
from postgres_server import PostgresServer

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
        return storage.link_sku(args[0])
    except KeyError:
        return KeyError


def _observe(storage: Storage) -> object:
    return (
        storage.due(),
        storage.pushes(),
        storage.quarantined(),
        storage.linked_skus(),
    )


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
