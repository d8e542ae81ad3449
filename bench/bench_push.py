"""Stock and price pushes of 10,000 SKUs: a full push, a second where 1% changed, a third with
nothing changed, against a sandbox served in its own process.

Requests are counted by the sandbox (the token is fetched before the first push and not
counted). A full push goes through one bulk file; its baseline is the bulk protocol done by
hand with plain ``httpx`` in the same run (upload token, the gzipped blob, the file's
registration, one status read), which is the server's own processing time plus four round
trips. The 1% delta (100 SKUs, below ``bulk_threshold``) goes out as one request per SKU;
its baseline is ``ceil(100 / concurrency)`` round trips of the injected latency, and at 0 ms a
plain sequential ``httpx`` loop of the same 100 requests.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

import httpx
from _served import Served, served_sandbox

from jet_orderhive import Integration, IntegrationSettings, JetClient, MemoryStorage


def _plain_bulk(served: Served, kind: str, records: dict[str, object]) -> float:
    """The bulk protocol by hand: what the server needs, with nothing of the engine's."""
    with httpx.Client(base_url=served.base_url + "/", timeout=60) as http:
        token = http.post("token", json={"user": served.user, "pass": served.secret})
        headers = {"Authorization": f"Bearer {token.json()['id_token']}"}
        started = time.perf_counter()
        upload = http.get("files/uploadToken", headers=headers).json()
        blob = gzip.compress(json.dumps(records).encode())
        http.put(upload["url"], content=blob, headers={"x-ms-blob-type": "BlockBlob"})
        body = {"url": upload["url"], "file_type": kind, "file_name": f"{kind}.json.gz"}
        http.post("files/uploaded", json=body, headers=headers).raise_for_status()
        status = http.get(f"files/{upload['jet_file_id']}", headers=headers).json()
        assert status["status"] == "Processed successfully", status
        return time.perf_counter() - started


def _plain_each(served: Served, kind: str, skus: list[str]) -> float:
    """One request per SKU, one at a time, plain ``httpx``."""
    with httpx.Client(base_url=served.base_url + "/", timeout=60) as http:
        token = http.post("token", json={"user": served.user, "pass": served.secret})
        headers = {"Authorization": f"Bearer {token.json()['id_token']}"}
        started = time.perf_counter()
        for sku in skus:
            if kind == "Inventory":
                body: dict[str, object] = {
                    "fulfillment_nodes": [{"fulfillment_node_id": served.node_id, "quantity": 7}]
                }
                http.patch(f"merchant-skus/{sku}/inventory", json=body, headers=headers)
            else:
                http.put(f"merchant-skus/{sku}/price", json={"price": 12.5}, headers=headers)
        return time.perf_counter() - started


def _pushes(
    served: Served, push: Callable[[Integration, int], object], concurrency: int
) -> list[tuple[float, int]]:
    """Wall time and requests of the full push, the 1% delta and the unchanged push."""
    settings = IntegrationSettings(concurrency=concurrency)
    results = []
    with JetClient(served.user, served.secret, base_url=served.base_url) as client:
        client.authenticate()
        integration = Integration(client, MemoryStorage(), settings=settings)
        for step in range(3):
            before = served.requests()
            started = time.perf_counter()
            push(integration, step)
            wall = time.perf_counter() - started
            results.append((wall, served.requests() - before))
    return results


def bench_push(skus: int, latencies: list[float], concurrency: int, repeats: int = 3) -> None:
    """Print the median requests and wall time of each push, and their ratios to the baselines."""
    names = [f"SKU-{i:06d}" for i in range(skus)]
    changed = names[::100]  # 1%

    def stock(integration: Integration, step: int) -> object:
        levels = dict.fromkeys(names, 5)
        if step:
            levels.update(dict.fromkeys(changed, 6))
        return integration.push_stock(levels)

    def prices(integration: Integration, step: int) -> object:
        levels = {sku: Decimal("11.00") for sku in names}
        if step:
            levels.update(dict.fromkeys(changed, Decimal("12.50")))
        return integration.push_prices(levels)

    for latency in latencies:
        for label, kind, push in (("stock", "Inventory", stock), ("price", "Price", prices)):
            runs: list[list[tuple[float, int]]] = []
            bulk_base: list[float] = []
            each_base: list[float] = []
            for _ in range(repeats):
                with served_sandbox(0, latency=latency, skus=skus) as served:
                    records: dict[str, object] = (
                        {
                            s: {
                                "fulfillment_nodes": [
                                    {"fulfillment_node_id": served.node_id, "quantity": 5}
                                ]
                            }
                            for s in names
                        }
                        if kind == "Inventory"
                        else {s: {"price": 11.0} for s in names}
                    )
                    bulk_base.append(_plain_bulk(served, kind, records))
                    if not latency:
                        each_base.append(_plain_each(served, kind, changed))
                    runs.append(_pushes(served, push, concurrency))
            ms = f"{latency * 1000:.0f} ms"
            full = statistics.median(r[0][0] for r in runs)
            delta = statistics.median(r[1][0] for r in runs)
            idle = statistics.median(r[2][0] for r in runs)
            plain = statistics.median(bulk_base)
            print(
                f"push    {label} {skus} SKUs at {ms}, concurrency {concurrency}, median of "
                f"{repeats}: full push {runs[0][0][1]} requests, {full:.2f}s; the bulk protocol "
                f"by hand {plain:.2f}s -> {full / plain:.2f}x, {full - plain:+.2f}s "
                f"(runs: {', '.join(f'{r[0][0]:.2f}s' for r in runs)})"
            )
            line = (
                f"push    {label} 1% delta: {runs[0][1][1]} requests, {delta:.3f}s"
                f" (runs: {', '.join(f'{r[1][0]:.3f}s' for r in runs)})"
            )
            if latency:
                ideal = math.ceil(len(changed) / concurrency) * latency
                line += f"; {delta / ideal:.2f}x ceil(100/{concurrency}) round trips ({ideal:.2f}s)"
            else:
                loop = statistics.median(each_base)
                line += f"; a sequential httpx loop {loop:.3f}s -> {loop / delta:.1f}x faster"
            print(line)
            print(f"push    {label} unchanged: {runs[0][2][1]} requests, {idle:.3f}s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, nargs="+", default=[50.0, 0.0], help="ms")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_push(args.skus, [ms / 1000 for ms in args.latency], args.concurrency, args.repeats)
