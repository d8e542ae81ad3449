"""Import N ready orders from a sandbox served in another process: the engine against a plain loop.

The baseline is what a sequential client does (Jet's public ``jet-python`` works this way):
a token, the ``ready`` list, then for each order one detail read and one acknowledgement, one
request at a time, with plain ``httpx``. The ideal is the protocol's own cost at concurrency C
and latency L: about ``(1 + 2N/C) * L``. Each measurement gets a fresh served sandbox.

Beside the wall times it prints the CPU each side spent per order: the client's (this process,
every thread) and the server's (the sandbox's process). At 0 ms they are the bound: on a machine
with K cores the run cannot take less than ``max(client, (client + server) / K)`` CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import attrs
import httpx
from _served import Served, served_sandbox

from jet_orderhive import Integration, IntegrationSettings, JetClient, MemoryStorage
from jet_orderhive.jet import ClientHooks, RequestEvent


@attrs.frozen
class Run:
    """One measured import: wall seconds, client and server CPU seconds, requests, acks."""

    wall: float
    client_cpu: float
    server_cpu: float
    requests: int = 0
    acknowledged: int = 0
    #: Seconds from the start to the first acknowledgement sent, and to the last detail read.
    first_ack: float = 0.0
    last_read: float = 0.0


def _sequential(served: Served) -> Run:
    server, client = served.cpu(), time.process_time()
    started = time.perf_counter()
    with httpx.Client(base_url=served.base_url + "/", timeout=30) as http:
        token = http.post("token", json={"user": served.user, "pass": served.secret})
        headers = {"Authorization": f"Bearer {token.json()['id_token']}"}
        listed = http.get("orders/ready", headers=headers).json()["order_urls"]
        for url in listed:
            order_id = url.rsplit("/", 1)[-1]
            order = http.get(f"orders/withoutShipmentDetail/{order_id}", headers=headers).json()
            items = [
                {
                    "order_item_acknowledgement_status": "fulfillable",
                    "order_item_id": i["order_item_id"],
                }
                for i in order["order_items"]
            ]
            body = {"acknowledgement_status": "accepted", "order_items": items}
            http.put(f"orders/{order_id}/acknowledge", json=body, headers=headers)
    wall = time.perf_counter() - started
    return Run(wall, time.process_time() - client, served.cpu() - server, 1 + 2 * len(listed))


def _engine(served: Served, concurrency: int) -> Run:
    sent: dict[str, list[float]] = {"acknowledge_order": [], "get_order": []}

    def on_request(event: RequestEvent) -> None:
        times = sent.get(event.operation)
        if times is not None:
            times.append(time.perf_counter())  # list.append is atomic across threads

    client = JetClient(
        user=served.user,
        secret=served.secret,
        base_url=served.base_url,
        hooks=ClientHooks(on_request=on_request),
    )
    settings = IntegrationSettings(concurrency=concurrency)
    server, cpu = served.cpu(), time.process_time()
    started = time.perf_counter()
    with client:
        report = Integration(client, MemoryStorage(), settings=settings).import_orders()
    wall = time.perf_counter() - started
    return Run(
        wall,
        time.process_time() - cpu,
        served.cpu() - server,
        report.counts.requests,
        report.counts.acknowledged,
        min(sent["acknowledge_order"]) - started,
        max(sent["get_order"]) - started,
    )


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def bench_import(orders: int, latencies: list[float], concurrency: int, repeats: int = 3) -> None:
    """Print the median wall time, orders/s, ratios and CPU per order for each latency."""
    cores = os.cpu_count() or 1
    for latency in latencies:
        loops: list[Run] = []
        engines: list[Run] = []
        for _ in range(repeats):
            with served_sandbox(orders, latency=latency) as served:
                loops.append(_sequential(served))
            with served_sandbox(orders, latency=latency) as served:
                engines.append(_engine(served, concurrency))
        ratios = [loop.wall / engine.wall for loop, engine in zip(loops, engines, strict=True)]
        elapsed, baseline = _median(engines, "wall"), _median(loops, "wall")
        ideal = (1 + 2 * orders / concurrency) * latency
        print(
            f"import  {orders} orders at {latency * 1000:.0f} ms, concurrency {concurrency}, "
            f"median of {repeats}: engine {elapsed:.2f}s ({orders / elapsed:.0f} orders/s, "
            f"{engines[0].acknowledged} acked, {engines[0].requests} requests); sequential loop "
            f"{baseline:.2f}s -> {statistics.median(ratios):.1f}x faster "
            f"(runs: {', '.join(f'{r:.1f}x' for r in ratios)})"
            + (
                f"; {elapsed / ideal:.2f}x the ideal {ideal:.2f}s"
                f" (runs: {', '.join(f'{e.wall / ideal:.2f}x' for e in engines)})"
                if latency
                else ""
            )
        )
        print(
            f"import    pipeline: first acknowledgement sent at"
            f" {_median(engines, 'first_ack'):.2f}s, last detail read started at"
            f" {_median(engines, 'last_read'):.2f}s"
            f" of {elapsed:.2f}s"
        )
        client_cpu = _median(engines, "client_cpu")
        server_cpu = _median(engines, "server_cpu")
        bound = max(client_cpu, (client_cpu + server_cpu) / cores)
        print(
            f"import    CPU per order: engine's client {client_cpu / orders * 1e3:.2f} ms, "
            f"server {server_cpu / orders * 1e3:.2f} ms; sequential loop's client "
            f"{_median(loops, 'client_cpu') / orders * 1e3:.2f} ms, server "
            f"{_median(loops, 'server_cpu') / orders * 1e3:.2f} ms; CPU bound on {cores} cores "
            f"{bound:.2f}s = {bound / elapsed:.0%} of the engine's wall time"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, nargs="+", default=[50.0, 0.0], help="ms")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_import(args.orders, [ms / 1000 for ms in args.latency], args.concurrency, args.repeats)
