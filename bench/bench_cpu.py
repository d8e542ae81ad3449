"""CPU per order: parsing Jet's order JSON into ``JetOrder``, parsing and mapping it to a
``SalesOrder``, parsing, mapping and storing it in a ``SQLiteStorage`` (customer and order,
50 orders to a transaction, as the import groups them), and writing canonical (sorted) JSON,
each as a multiple of the stdlib doing the nearest plain job on the same data in the same run
(``json.loads`` / ``json.dumps``). The storing part is also measured alone (orders mapped
beforehand): in ``MemoryStorage``, and in ``SQLiteStorage`` with a transaction per order and
with one per 50 orders, which shows what grouping orders into units of work saves. Each
round stores into a fresh account, so every order is new to the storage."""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from jet_orderhive._json import dumps, loads
from jet_orderhive.jet import JetOrder, from_json
from jet_orderhive.mapping import MappingContext, Mappings
from jet_orderhive.storage import MemoryStorage, SQLiteStorage, Storage
from jet_orderhive.testing.factories import OrderFactory

#: Orders per transaction in the grouped variant of the SQLite store.
_GROUP = 50


def _interleaved(rounds: int, **work: Callable[[], object]) -> dict[str, float]:
    """The least CPU time of each piece of work over ``rounds`` rounds that run them in turn,
    so a neighbour's load on a shared machine falls on every one of them alike."""
    best = dict.fromkeys(work, float("inf"))
    for _ in range(rounds):
        for name, run in work.items():
            started = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - started)
    return best


def bench_cpu(orders: int, repeats: int) -> None:
    factory = OrderFactory(seed=2)
    now = datetime.now(UTC)
    payloads = [dumps(factory.order(placed_at=now)).encode() for _ in range(orders)]
    mappings = Mappings.default()
    ctx = MappingContext()
    trees = [loads(p) for p in payloads]

    def parse_and_map() -> None:
        for payload in payloads:
            mappings.map_order(from_json(payload, JetOrder), ctx)

    folder = tempfile.TemporaryDirectory()
    storage = SQLiteStorage(Path(folder.name) / "cpu.db")
    rounds = itertools.count()

    def parse_map_store() -> None:
        account = f"round-{next(rounds)}"
        for start in range(0, len(payloads), _GROUP):
            with storage.transaction():  # one unit per group of orders, as the import has
                for payload in payloads[start : start + _GROUP]:
                    jet_order = from_json(payload, JetOrder)
                    order = mappings.map_order(jet_order, ctx)
                    customer = mappings.map_customer(jet_order, ctx)
                    with storage.transaction():
                        if customer is not None:
                            storage.upsert_customer(customer, account=account)
                        storage.upsert_order(order, account=account)

    # The storing part alone, on orders parsed and mapped beforehand: in memory, and in SQLite
    # with one transaction per order or per 50 orders (the import's unit of work).
    mapped_pairs = []
    for payload in payloads:
        jet_order = from_json(payload, JetOrder)
        mapped_pairs.append(
            (mappings.map_order(jet_order, ctx), mappings.map_customer(jet_order, ctx))
        )

    def store_alone(make: Callable[[], Storage], group: int) -> Callable[[], None]:
        def run() -> None:
            account = f"round-{next(rounds)}"
            target = make()
            for start in range(0, len(mapped_pairs), group):
                with target.transaction():
                    for order, customer in mapped_pairs[start : start + group]:
                        with target.transaction():
                            if customer is not None:
                                target.upsert_customer(customer, account=account)
                            target.upsert_order(order, account=account)

        return run

    times = _interleaved(
        repeats,
        # A fresh MemoryStorage each round: orders kept from earlier rounds would only make
        # the garbage collector's passes longer in every other measurement.
        memory_store=store_alone(MemoryStorage, 1),
        sqlite_store=store_alone(lambda: storage, 1),
        sqlite_grouped=store_alone(lambda: storage, _GROUP),
        loads=lambda: [json.loads(p) for p in payloads],
        parse=lambda: [from_json(p, JetOrder) for p in payloads],
        mapped=parse_and_map,
        stored=parse_map_store,
        plain_dump=lambda: [json.dumps(t, sort_keys=True, default=str) for t in trees],
        canonical=lambda: [dumps(t, sort_keys=True) for t in trees],
    )
    storage.close()
    folder.cleanup()
    baseline, parse, mapped = times["loads"], times["parse"], times["mapped"]
    plain_dump, canonical = times["plain_dump"], times["canonical"]

    def per(seconds: float) -> str:
        return f"{seconds / orders * 1e6:.0f} us/order"

    print(f"cpu    {orders} orders: json.loads {per(baseline)}")
    print(f"cpu    parse       {per(parse)} -> {parse / baseline:.1f}x json.loads")
    print(f"cpu    parse+map   {per(mapped)} -> {mapped / baseline:.1f}x json.loads")
    stored = times["stored"]
    print(
        f"cpu    parse+map+SQLite store {per(stored)} -> {stored / baseline:.1f}x json.loads"
        " (this process's CPU)"
    )
    for name, label in (
        ("memory_store", "MemoryStorage store alone"),
        ("sqlite_store", "SQLite store alone, a transaction per order"),
        ("sqlite_grouped", f"SQLite store alone, a transaction per {_GROUP} orders"),
    ):
        print(f"cpu    {label} {per(times[name])} -> {times[name] / baseline:.1f}x json.loads")
    print(
        f"cpu    canonical JSON {per(canonical)} -> {canonical / plain_dump:.1f}x"
        f" json.dumps(sort_keys=True) ({per(plain_dump)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    bench_cpu(args.orders, args.repeats)


if __name__ == "__main__":
    main()
