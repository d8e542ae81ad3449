"""Async against threaded: ``fetch_orders`` of the same orders from a sandbox served in its own
process, at each concurrency and latency; the threaded client is the baseline."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

from _served import Served, served_sandbox

from jet_orderhive.jet import AsyncJetClient, JetClient


def _timed(run: Callable[[Served, int], float], served: Served, width: int) -> tuple[float, float]:
    """Wall time of one run, and the client's CPU seconds over it."""
    cpu = time.process_time()
    wall = run(served, width)
    return wall, time.process_time() - cpu


def _threaded(served: Served, concurrency: int) -> float:
    # No client-side limit: the server never throttles here, and this compares raw speed.
    with JetClient(served.user, served.secret, base_url=served.base_url, rate_limit=None) as client:
        client.authenticate()
        started = time.perf_counter()
        fetched = list(client.fetch_orders(served.order_ids, concurrency=concurrency))
        elapsed = time.perf_counter() - started
    assert all(f.ok for f in fetched)
    return elapsed


def _async(served: Served, concurrency: int) -> float:
    async def run() -> float:
        client = AsyncJetClient(
            served.user, served.secret, base_url=served.base_url, rate_limit=None
        )
        async with client:
            await client.authenticate()
            started = time.perf_counter()
            fetched = [
                f async for f in client.fetch_orders(served.order_ids, concurrency=concurrency)
            ]
            elapsed = time.perf_counter() - started
        assert all(f.ok for f in fetched)
        return elapsed

    return asyncio.run(run())


def bench_fetch(orders: int, latencies: list[float], widths: list[int], repeats: int) -> None:
    for latency in latencies:
        with served_sandbox(orders, latency=latency) as served:
            for width in widths:
                runs = [(_timed(_threaded, served, width), _timed(_async, served, width))]
                runs += [
                    (_timed(_threaded, served, width), _timed(_async, served, width))
                    for _ in range(repeats - 1)
                ]
                threaded, threaded_cpu = min(t for t, _ in runs)
                asynced, async_cpu = min(a for _, a in runs)
                print(
                    f"fetch  {orders} orders, {latency * 1000:.0f} ms, concurrency={width}:"
                    f" threaded {threaded:.2f}s ({threaded_cpu / orders * 1e6:.0f} us CPU/order),"
                    f" async {asynced:.2f}s ({async_cpu / orders * 1e6:.0f} us CPU/order)"
                    f" -> async takes {asynced / threaded:.2f}x the threaded time"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    bench_fetch(args.orders, args.latency, args.concurrency, args.repeats)


if __name__ == "__main__":
    main()
