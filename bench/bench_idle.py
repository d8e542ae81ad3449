"""An idle incremental import over 1,000 and over 10,000 stored open orders: what does a run
that finds nothing new cost as the store grows?

The sandbox (served in its own process) holds N acknowledged orders; the same orders are
mapped and stored directly into a ``SQLiteStorage`` on a temporary file. One import then
runs as the initial sync (it finds them all stored), and the runs after it are the idle
incremental runs measured here: their requests, by kind, and their wall time. The 1,000-order
run is the baseline of the ratio. Jet lists at most 1,000 ids per status, so with 10,000
stored open orders 9,000 are in no list: each run re-reads ``refresh_budget`` of them (100 by
default) in turn, so they are measured with the default budget and with ``refresh_budget=0``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _served import Served, served_sandbox

from jet_orderhive import Integration, IntegrationSettings, JetClient, SQLiteStorage
from jet_orderhive.jet import JetOrder, from_json
from jet_orderhive.mapping import MappingContext, Mappings
from jet_orderhive.storage import OrderIntent
from jet_orderhive.sync._sides import snapshot_of


def _store(storage: SQLiteStorage, served: Served) -> None:
    mappings, ctx = Mappings.default(), MappingContext()
    with storage.transaction():
        for payload in served.payloads():
            order = from_json(payload, JetOrder)
            # Both sides as an import writes them, so a budgeted re-read finds nothing new.
            storage.upsert_order(
                mappings.map_order(order, ctx),
                snapshot=snapshot_of(order, listed_cancelled=False),
                intent=OrderIntent(confirmed=True),
            )


def _idle_runs(
    served: Served, folder: str, budget: int, concurrency: int, repeats: int
) -> list[tuple[float, dict[str, int], float, float]]:
    storage = SQLiteStorage(Path(folder) / f"idle-{budget}.db")
    try:
        _store(storage, served)
        settings = IntegrationSettings(concurrency=concurrency, refresh_budget=budget)
        with JetClient(served.user, served.secret, base_url=served.base_url) as client:
            client.authenticate()
            integration = Integration(client, storage, settings=settings)
            integration.import_orders()  # the initial sync: everything is already stored
            runs = []
            for _ in range(repeats):
                served.reset()
                server, cpu = served.cpu(), time.process_time()
                started = time.perf_counter()
                report = integration.import_orders()
                wall = time.perf_counter() - started
                cpu, server = time.process_time() - cpu, served.cpu() - server
                if report.counts.created or report.counts.updated:
                    raise RuntimeError(f"an idle run changed records: {report.counts}")
                runs.append((wall, served.kinds(), cpu, server))
    finally:
        storage.close()
    return runs


def bench_idle(sizes: list[int], latency: float, concurrency: int, repeats: int = 3) -> None:
    """Print requests and median wall time of idle runs per store size, and the ratio."""
    with tempfile.TemporaryDirectory() as folder:
        for budget in (IntegrationSettings().refresh_budget, 0):
            medians: dict[int, float] = {}
            cpus: dict[int, float] = {}
            for size in sizes:
                with served_sandbox(size, latency=latency, status="acknowledged") as served:
                    try:
                        runs = _idle_runs(served, folder, budget, concurrency, repeats)
                    except Exception as error:  # a tree under test that fails: say so, go on
                        print(f"idle    {size} stored, refresh_budget={budget}: failed: {error!r}")
                        break
                walls = [wall for wall, *_ in runs]
                medians[size] = statistics.median(walls)
                cpus[size] = statistics.median(cpu for *_, cpu, _server in runs)
                server_cpu = statistics.median(server for *_, server in runs)
                kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(runs[0][1].items()))
                print(
                    f"idle    {size} stored open orders at {latency * 1000:.0f} ms, "
                    f"refresh_budget={budget}, median of {repeats}: {medians[size]:.3f}s "
                    f"({kinds}; runs: {', '.join(f'{w:.3f}s' for w in walls)}); CPU: client "
                    f"{cpus[size] * 1e3:.0f} ms, server {server_cpu * 1e3:.0f} ms"
                )
            small, large = min(sizes), max(sizes)
            if len(medians) < len(sizes):
                continue
            print(
                f"idle    {large} / {small} stored, refresh_budget={budget}: "
                f"{medians[large] / medians[small]:.2f}x the time, "
                f"{cpus[large] / cpus[small]:.2f}x the client's CPU"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency", type=float, default=50.0, help="ms")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_idle(args.sizes, args.latency / 1000, args.concurrency, args.repeats)
