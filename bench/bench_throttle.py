"""Under a server throttle: the share of the limit the default client achieves, and the share of
its requests Jet answers 429, against a client with no rate control (retries only) in the same
run. The sandbox runs in its own process, limited to ``--limit`` requests per second."""

from __future__ import annotations

import argparse
import time

from _served import Served, served_sandbox

from jet_orderhive.jet import AdaptiveRateLimit, JetClient, RateLimit, RetryPolicy

# The retry budget is generous so that the no-control baseline finishes its work too.
_PATIENT = RetryPolicy(max_attempts=20, max_total_wait=600)


def _run(
    served: Served, ids: list[str], concurrency: int, limit: RateLimit | AdaptiveRateLimit | None
) -> tuple[float, int, int]:
    served.reset()
    client = JetClient(
        served.user,
        served.secret,
        base_url=served.base_url,
        rate_limit=limit,
        retry=_PATIENT,
    )
    with client:
        started = time.perf_counter()
        fetched = list(client.fetch_orders(ids, concurrency=concurrency))
        elapsed = time.perf_counter() - started
    assert all(f.ok for f in fetched), [f.error for f in fetched if not f.ok][:3]
    counts = served.counts()
    return elapsed, sum(n for s, n in counts.items() if s != 429), counts.get(429, 0)


def bench_throttle(orders: int, limit: float, concurrency: int, latency: float) -> None:
    with served_sandbox(orders, latency=latency, per_second=limit) as served:
        ids = list(served.order_ids)
        runs: list[tuple[str, RateLimit | AdaptiveRateLimit | None]] = [
            ("no rate control", None),
            ("old fixed 10/s", RateLimit()),
            ("adaptive (default)", AdaptiveRateLimit()),
        ]
        for label, rate_limit in runs:
            time.sleep(1.5)  # let the server's bucket fill up again between runs
            elapsed, answered, refused = _run(served, ids, concurrency, rate_limit)
            achieved = answered / elapsed
            share_429 = refused / (answered + refused)
            print(
                f"throttle {limit:g} req/s, {orders} orders, concurrency={concurrency},"
                f" {latency * 1000:.0f} ms: {label:<18} {achieved:5.1f} req/s ="
                f" {achieved / limit:4.0%} of the limit, {refused} of {answered + refused}"
                f" answered 429 ({share_429:.1%}) in {elapsed:.1f}s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--limit", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    bench_throttle(args.orders, args.limit, args.concurrency, args.latency)


if __name__ == "__main__":
    main()
