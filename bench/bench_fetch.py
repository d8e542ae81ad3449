"""Async against threaded: ``fetch_orders`` of the same orders from a sandbox served in its own
process, at each concurrency and latency; the threaded client is the baseline. Before that, the
client's CPU per request through its own connection pool against the same client sending
through an ``httpx.Client`` (one request at a time, 0 ms), the baseline there."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import httpx
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


def _per_request(served: Served, http_client: httpx.Client | None, rounds: int) -> float:
    """Least client CPU seconds per ``get_order`` over ``rounds`` rounds of every order."""
    best = float("inf")
    with JetClient(
        served.user,
        served.secret,
        base_url=served.base_url,
        rate_limit=None,
        http_client=http_client,
    ) as client:
        client.authenticate()
        for _ in range(rounds):
            started = time.process_time()
            for order_id in served.order_ids:
                client.get_order(order_id)
            best = min(best, (time.process_time() - started) / len(served.order_ids))
    return best


def bench_transport(orders: int, rounds: int = 3) -> None:
    """The client's own pool against httpx, one request at a time at 0 ms: CPU per request."""
    with served_sandbox(orders) as served, httpx.Client(timeout=30) as http:
        own = _per_request(served, None, rounds)
        through_httpx = _per_request(served, http, rounds)
    print(
        f"http   get_order x{orders}, one at a time: own pool {own * 1e6:.0f} us CPU/request,"
        f" httpx.Client {through_httpx * 1e6:.0f} us -> own pool takes"
        f" {own / through_httpx:.2f}x httpx's CPU"
    )


def bench_fetch(orders: int, latencies: list[float], widths: list[int], repeats: int) -> None:
    """Print, per latency and width, the median of ``repeats`` interleaved pairs of runs.

    Medians, not bests: the threaded client's wall time varies more from run to run (thread
    scheduling on a busy machine), so the best of a few runs would favour it by chance.
    """
    bench_transport(min(orders, 500))
    for latency in latencies:
        with served_sandbox(orders, latency=latency) as served:
            for width in widths:
                runs = [
                    (_timed(_threaded, served, width), _timed(_async, served, width))
                    for _ in range(repeats)
                ]
                threaded = statistics.median(t[0] for t, _ in runs)
                asynced = statistics.median(a[0] for _, a in runs)
                threaded_cpu = statistics.median(t[1] for t, _ in runs)
                async_cpu = statistics.median(a[1] for _, a in runs)
                ratios = ", ".join(f"{a[0] / t[0]:.2f}x" for t, a in runs)
                print(
                    f"fetch  {orders} orders, {latency * 1000:.0f} ms, concurrency={width},"
                    f" median of {repeats}:"
                    f" threaded {threaded:.2f}s ({threaded_cpu / orders * 1e6:.0f} us CPU/order),"
                    f" async {asynced:.2f}s ({async_cpu / orders * 1e6:.0f} us CPU/order)"
                    f" -> async takes {asynced / threaded:.2f}x the threaded time"
                    f" (pairs: {ratios})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    bench_fetch(args.orders, args.latency, args.concurrency, args.repeats)


if __name__ == "__main__":
    main()
