"""Benchmarks, run on demand with ``make bench``; each prints a ratio against a baseline measured
in the same run, so the figures compare like with like on whatever machine runs them.

- fetch: fetching order details over a transport with fixed latency, one at a time (baseline)
  against the client's bounded concurrent fan-out.
- parse: reading order JSON into ``JetOrder`` against plain ``json.loads`` of the same bytes.
- map: mapping parsed orders to Orderhive records against parsing them (the step before).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from jet_orderhive._json import dumps
from jet_orderhive.jet import JetOrder, from_json
from jet_orderhive.testing import JetSandbox
from jet_orderhive.testing.factories import OrderFactory


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_fetch(orders: int, latency: float, concurrency: int) -> None:
    sandbox = JetSandbox(seed=1, sleep=time.sleep)
    ids = sandbox.generate_orders(orders)
    sandbox.latency(latency, kind="order_detail")
    with sandbox.client(rate_limit=None) as client:
        client.authenticate()

        def run(workers: int) -> Callable[[], object]:
            return lambda: [f.order for f in client.fetch_orders(ids, concurrency=workers)]

        serial = _best_of(2, run(1))
        fanned = _best_of(2, run(concurrency))
    print(
        f"fetch  {orders} orders, {latency * 1000:.0f} ms latency: serial {serial:.3f}s,"
        f" concurrency={concurrency} {fanned:.3f}s -> {serial / fanned:.1f}x faster"
    )


def bench_parse(orders: int) -> None:
    factory = OrderFactory(seed=2)
    now = datetime.now(UTC)
    payloads = [dumps(factory.order(placed_at=now)).encode() for _ in range(orders)]
    baseline = _best_of(3, lambda: [json.loads(p) for p in payloads])
    parsed = _best_of(3, lambda: [from_json(p, JetOrder) for p in payloads])
    per_order = parsed / orders * 1e6
    print(
        f"parse  {orders} orders: json.loads {baseline:.3f}s, JetOrder {parsed:.3f}s"
        f" ({per_order:.0f} us/order) -> {parsed / baseline:.1f}x the cost of json.loads"
    )


def bench_map(orders: int) -> None:
    from jet_orderhive.mapping import MappingContext, Mappings

    factory = OrderFactory(seed=3)
    now = datetime.now(UTC)
    payloads = [dumps(factory.order(placed_at=now)).encode() for _ in range(orders)]
    parsed = [from_json(p, JetOrder) for p in payloads]
    mappings = Mappings.default()
    ctx = MappingContext()
    parse = _best_of(3, lambda: [from_json(p, JetOrder) for p in payloads])
    mapped = _best_of(3, lambda: [mappings.map_order(o, ctx) for o in parsed])
    print(
        f"map    {orders} orders: parse {parse:.3f}s, map {mapped:.3f}s"
        f" -> mapping costs {mapped / parse:.2f}x parsing"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    bench_fetch(args.orders, args.latency, args.concurrency)
    bench_parse(args.orders * 10)
    bench_map(args.orders * 10)
    print(f"total  {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
