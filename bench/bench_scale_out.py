"""Throughput of 1, 2, 4 and 8 worker processes syncing many accounts over one PostgreSQL database.

The multi-worker test's own harness (``tests/scale_out/fleet.py``): every worker calls
``run_once()`` for every account in a random order, pass after pass, until every order of
every account is stored and acknowledged. Each account's sandbox is served from its own
process with a fixed latency per request (Jet answered in tens of milliseconds, not in
microseconds). Each measurement gets fresh sandboxes and a fresh database on a throwaway
server; the figure is orders per second, and the ratio is against the 1-worker run measured
in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from _served import served_sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scale_out"))

from fleet import Account, WorkerPlan, open_storage, run_fleet

from postgres_server import PostgresServer, start_server


def _measure(
    server: PostgresServer, workers: int, accounts: int, orders: int, latency: float
) -> float:
    name = server.create_database()
    spec = f"postgresql:{server.conninfo(name)}"
    try:
        open_storage(spec).close()  # type: ignore[attr-defined]  # schema before the race
        with contextlib.ExitStack() as stack:
            served = [
                stack.enter_context(served_sandbox(orders, latency=latency))
                for _ in range(accounts)
            ]
            fleet = tuple(
                Account(f"acct-{i}", s.base_url, s.user, s.secret) for i, s in enumerate(served)
            )
            plans = [
                WorkerPlan(fleet, spec, seed=w, lease_ttl=60, claim_ttl=60, pause=2.0)
                for w in range(workers)
            ]
            exits, elapsed = run_fleet(plans, fleet, orders, timeout=600)
            if exits != [0] * workers:
                raise SystemExit(f"a worker failed: exit codes {exits}")
        return accounts * orders / elapsed
    finally:
        server.drop_database(name)


def bench_scale_out(workers: list[int], accounts: int, orders: int, latency: float) -> None:
    """Print orders/s for each worker count and its ratio to one worker."""
    server = start_server()
    try:
        baseline: float | None = None
        for count in sorted({1, *workers}):
            rate = _measure(server, count, accounts, orders, latency)
            baseline = baseline if baseline is not None else rate
            print(
                f"scale-out  {accounts} accounts x {orders} orders at {latency * 1000:.0f} ms, "
                f"{count} worker(s): {rate:7.1f} orders/s  x{rate / baseline:.2f} of 1 worker"
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--orders", type=int, default=100, help="ready orders per account")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()
    started = time.perf_counter()
    bench_scale_out(args.workers, args.accounts, args.orders, args.latency)
    print(f"total  {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
