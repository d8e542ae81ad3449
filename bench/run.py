"""Benchmarks, run on demand with ``make bench`` (a few minutes); each prints its figures and a
ratio against a baseline measured in the same run, so they compare like with like on whatever
machine runs them. Each is also a script of its own with options (``--help``):

- ``bench_throttle.py``: under a server limit of 20 requests/s (sandbox served in its own
  process), the share of the limit achieved and the share of requests answered 429, for the
  default adaptive client against no rate control and the old fixed 10 requests/s cap.
- ``bench_fetch.py``: ``AsyncJetClient.fetch_orders`` against ``JetClient.fetch_orders`` of
  1,000 orders at concurrency 16 and 64, at 50 ms and 0 ms latency.
- ``bench_scale_out.py``: orders per second of 1, 2, 4 and 8 worker processes syncing 8 accounts
  over one throwaway PostgreSQL database, against the 1-worker run.
- ``bench_cpu.py``: CPU per order to parse, and to parse and map, as multiples of
  ``json.loads`` of the same bytes; canonical JSON against ``json.dumps``.
"""

from __future__ import annotations

import argparse
import time

from bench_cpu import bench_cpu
from bench_fetch import bench_fetch
from bench_import import bench_import
from bench_scale_out import bench_scale_out
from bench_throttle import bench_throttle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        choices=["throttle", "fetch", "cpu", "import", "scale-out"],
        help="run one benchmark only",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.only in (None, "cpu"):
        bench_cpu(orders=2000, repeats=7)
    if args.only in (None, "throttle"):
        bench_throttle(orders=300, limit=20.0, concurrency=16, latency=0.05)
    if args.only in (None, "fetch"):
        bench_fetch(orders=1000, latencies=[0.05, 0.0], widths=[16, 64], repeats=2)
    if args.only in (None, "import"):
        bench_import(orders=1000, latencies=[0.05, 0.0], concurrency=16)
    if args.only in (None, "scale-out"):
        bench_scale_out(workers=[1, 2, 4, 8], accounts=8, orders=100, latency=0.05)
    print(f"total  {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
