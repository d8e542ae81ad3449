"""Benchmarks, run on demand with ``make bench`` (about twenty minutes, three runs of each); each
prints its figures and a ratio against a baseline measured in the same run, so they compare like
with like on whatever machine runs them. Each is also a script of its own with options (``--help``):

- ``bench_throttle.py``: under a server limit of 20 requests/s (sandbox served in its own
  process), the share of the limit achieved and the share of requests answered 429, for the
  default adaptive client against no rate control and the old fixed 10 requests/s cap.
- ``bench_fetch.py``: the client's CPU per request through its own connection pool against
  ``httpx.Client``; ``AsyncJetClient.fetch_orders`` against ``JetClient.fetch_orders`` of
  1,000 orders at concurrency 16 and 64, at 50 ms and 0 ms latency (median of five pairs).
- ``bench_scale_out.py``: orders per second of 1, 2, 4 and 8 worker processes syncing 8 accounts
  over one throwaway PostgreSQL database, against the 1-worker run.
- ``bench_cpu.py``: CPU per order to parse, to parse and map, and to parse, map and store in
  SQLite, as multiples of ``json.loads`` of the same bytes; the storing part alone (memory,
  SQLite with a transaction per order and per 50 orders); canonical JSON against
  ``json.dumps``.
- ``bench_import.py``: importing 1,000 ready orders at 50 ms and 0 ms against a sequential
  ``httpx`` loop and the protocol's ideal, with the client's and the server's CPU per order,
  and when the first acknowledgement went out against when the last detail read started.
- ``bench_memory.py``: peak memory and wall time importing 2,000 and 20,000 ready orders
  (paged as the engine pages Jet's 1,000-id lists), and the ratios.
- ``bench_push.py``: requests and wall time of full, 1% and unchanged stock and price pushes
  of 10,000 SKUs, against the bulk protocol by hand and the round-trip ideal.
- ``bench_idle.py``: requests, wall time and each side's CPU of an idle incremental import
  over 1,000 and 10,000 stored open orders.

Figures that vary with the load are the median of ``--repeats`` runs (3 by default).
"""

from __future__ import annotations

import argparse
import time

from bench_cpu import bench_cpu
from bench_fetch import bench_fetch
from bench_idle import bench_idle
from bench_import import bench_import
from bench_memory import bench_memory
from bench_push import bench_push
from bench_scale_out import bench_scale_out
from bench_throttle import bench_throttle

_ALL = ["throttle", "fetch", "cpu", "import", "memory", "push", "idle", "scale-out"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", choices=_ALL, action="append", help="run this benchmark only (repeatable)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    chosen = set(args.only or _ALL)
    started = time.perf_counter()
    if "cpu" in chosen:
        bench_cpu(orders=2000, repeats=7)
    if "throttle" in chosen:
        bench_throttle(orders=1000, limit=20.0, concurrency=16, latency=0.05)
    if "fetch" in chosen:
        bench_fetch(orders=1000, latencies=[0.05, 0.0], widths=[16, 64], repeats=5)
    if "import" in chosen:
        bench_import(orders=1000, latencies=[0.05, 0.0], concurrency=16, repeats=args.repeats)
    if "memory" in chosen:
        bench_memory(small=2000, large=20000, concurrency=16, repeats=args.repeats)
    if "push" in chosen:
        bench_push(skus=10000, latencies=[0.05, 0.0], concurrency=16, repeats=args.repeats)
    if "idle" in chosen:
        bench_idle(sizes=[1000, 10000], latency=0.05, concurrency=16, repeats=args.repeats)
    if "scale-out" in chosen:
        bench_scale_out(workers=[1, 2, 4, 8], accounts=8, orders=100, latency=0.05)
    print(f"total  {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
