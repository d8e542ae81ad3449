"""Peak memory and wall time of importing 2,000 and 20,000 ready orders: does a backlog cost
memory in proportion to its size, and time more than in proportion?

Jet lists at most 1,000 ids per status, so the engine drains a larger backlog pass by pass,
listing ``ready`` again as its acknowledgements make room (``max_ready_passes``). The engine
runs in a child process of its own, with a ``SQLiteStorage`` on a temporary file (a
``MemoryStorage`` holds every record by design); the sandbox is served from another process.
Memory is the child's peak resident set (Linux's ``VmHWM``, else ``ru_maxrss``), read
once the client, storage and modules are set up and again after the import: the first reading
is the baseline, measured in the same process. The smaller import is the baseline of both
ratios (peak memory and wall time, larger / smaller).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from _served import served_sandbox


def _rss_mib() -> float:
    """This process's peak resident set, in MiB.

    Linux's ``VmHWM`` is the peak of this program's own memory. ``ru_maxrss`` is not: it keeps
    the peak from before ``exec``, so a child spawned by a parent that had grown (``bench/run.py``
    after the CPU bench) would report the parent's size as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _engine_child(
    conn: Connection, base_url: str, user: str, secret: str, concurrency: int
) -> None:
    from jet_orderhive import Integration, IntegrationSettings, JetClient, SQLiteStorage

    with tempfile.TemporaryDirectory() as folder:
        storage = SQLiteStorage(Path(folder) / "bench.db")
        settings = IntegrationSettings(concurrency=concurrency, max_ready_passes=1000)
        with JetClient(user=user, secret=secret, base_url=base_url) as client:
            client.authenticate()
            integration = Integration(client, storage, settings=settings)
            before = _rss_mib()
            started = time.perf_counter()
            report = integration.import_orders()
            wall = time.perf_counter() - started
            after = _rss_mib()
        storage.close()
    conn.send((before, after, wall, report.counts.acknowledged, report.counts.requests))


def _import(orders: int, concurrency: int) -> tuple[float, float, float, int, int]:
    """Import ``orders`` ready orders in a fresh child; its RSS before and after, wall, counts."""
    context = multiprocessing.get_context("spawn")
    with served_sandbox(orders) as served:
        parent, child = context.Pipe()
        args = (child, served.base_url, served.user, served.secret, concurrency)
        process = context.Process(target=_engine_child, args=args)
        process.start()
        try:
            result: tuple[float, float, float, int, int] = parent.recv()
        finally:
            process.join()
    if result[3] != orders:
        raise RuntimeError(f"imported and acknowledged {result[3]} of {orders} orders")
    return result


def bench_memory(small: int, large: int, concurrency: int, repeats: int = 3) -> None:
    """Print each size's peak memory and wall time (medians) and the ratios large / small."""
    runs: dict[int, list[tuple[float, float, float, int, int]]] = {small: [], large: []}
    for _ in range(repeats):
        for size in (small, large):
            runs[size].append(_import(size, concurrency))
    medians = {}
    for size, results in runs.items():
        before = statistics.median(r[0] for r in results)
        peak = statistics.median(r[1] for r in results)
        wall = statistics.median(r[2] for r in results)
        medians[size] = (before, peak, wall)
        print(
            f"memory  {size} orders, median of {repeats}: peak RSS {peak:.1f} MiB "
            f"({peak - before:+.1f} MiB over the set-up process's {before:.1f} MiB), "
            f"{wall:.1f}s, {size / wall:.0f} orders/s, {results[0][4]} requests"
        )
    peak_ratio = [b[1] / a[1] for a, b in zip(runs[small], runs[large], strict=True)]
    wall_ratio = [b[2] / a[2] for a, b in zip(runs[small], runs[large], strict=True)]
    growth = (medians[large][1] - medians[large][0]) / max(medians[small][1] - medians[small][0], 1)
    print(
        f"memory  {large} / {small}: peak RSS {statistics.median(peak_ratio):.2f}x "
        f"(runs: {', '.join(f'{r:.2f}x' for r in peak_ratio)}; growth over set-up {growth:.1f}x), "
        f"wall time {statistics.median(wall_ratio):.1f}x "
        f"(runs: {', '.join(f'{r:.1f}x' for r in wall_ratio)}; {large / small:.0f}x the orders)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_memory(args.small, args.large, args.concurrency, args.repeats)
