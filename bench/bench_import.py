"""Import N ready orders from a sandbox served in another process: the engine against a plain loop.

The baseline is what a sequential client does (Jet's public ``jet-python`` works this way):
a token, the ``ready`` list, then for each order one detail read and one acknowledgement, one
request at a time, with plain ``httpx``. The ideal is the protocol's own cost at concurrency C
and latency L: about ``(1 + 2N/C) * L``. Each measurement gets a fresh served sandbox.
"""

from __future__ import annotations

import argparse
import time

import httpx
from _served import Served, served_sandbox

from jet_orderhive import Integration, IntegrationSettings, JetClient, MemoryStorage


def _sequential(served: Served) -> float:
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
    return time.perf_counter() - started


def _engine(served: Served, concurrency: int) -> tuple[float, int, int]:
    client = JetClient(user=served.user, secret=served.secret, base_url=served.base_url)
    settings = IntegrationSettings(concurrency=concurrency)
    started = time.perf_counter()
    with client:
        report = Integration(client, MemoryStorage(), settings=settings).import_orders()
    elapsed = time.perf_counter() - started
    return elapsed, report.counts.acknowledged, report.counts.requests


def bench_import(orders: int, latencies: list[float], concurrency: int) -> None:
    """Print wall time, orders/s and the ratios for each latency."""
    for latency in latencies:
        with served_sandbox(orders, latency=latency) as served:
            baseline = _sequential(served)
        with served_sandbox(orders, latency=latency) as served:
            elapsed, acknowledged, requests = _engine(served, concurrency)
        ideal = (1 + 2 * orders / concurrency) * latency
        print(
            f"import  {orders} orders at {latency * 1000:.0f} ms, concurrency {concurrency}: "
            f"engine {elapsed:.2f}s ({orders / elapsed:.0f} orders/s, {acknowledged} acked, "
            f"{requests} requests); sequential loop {baseline:.2f}s -> "
            f"{baseline / elapsed:.1f}x faster"
            + (f"; {elapsed / ideal:.2f}x the ideal {ideal:.2f}s" if latency else "")
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    bench_import(args.orders, [0.05, 0.0], args.concurrency)
