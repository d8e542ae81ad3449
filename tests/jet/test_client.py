"""Each client operation sends Jet's request and reads Jet's answer, in both clients alike."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from client_fixtures import (
    BASE,
    SECRET,
    USER,
    FakeClock,
    FakeJet,
    Harness,
    both_clients,
    harness,
    json_response,
    order_body,
    order_id,
)

from jet_orderhive.jet._hooks import ClientHooks, RequestEvent, ResponseEvent, ThrottleEvent
from jet_orderhive.jet._ratelimit import RateLimit
from jet_orderhive.jet.client import AsyncJetClient, JetClient
from jet_orderhive.jet.enums import FileStatus, FileType, OrderStatus
from jet_orderhive.jet.errors import JetAuthError, JetError, JetNotFound, JetPayloadError
from jet_orderhive.jet.models import InventoryUpdate, NodePrice, NodeQuantity, PriceUpdate

NODE = "f" * 32


@both_clients
@pytest.mark.parametrize(
    ("sku", "encoded"),
    [
        ("A/B 1", "A%2FB%201"),
        ("../x", "%2E%2E%2Fx"),
        ("..", "%2E%2E"),
        ("%41", "%2541"),
        ("café", "caf%C3%A9"),
    ],
)
async def test_skus_are_percent_encoded_into_one_path_segment(
    kind: str, sku: str, encoded: str
) -> None:
    async with harness(kind, rate_limit=None) as h:
        await h.call("update_price", sku, Decimal("19.99"))
        sent = next(r for r in h.jet.requests if r.method == "PUT")
        assert sent.url.raw_path.decode() == f"/api/merchant-skus/{encoded}/price"


@both_clients
async def test_price_is_sent_as_an_exact_json_number(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        await h.call(
            "update_price",
            "SKU1",
            Decimal("19.99"),
            [NodePrice(fulfillment_node_id=NODE, fulfillment_node_price=Decimal("20.10"))],
        )
        sent = h.jet.last("PUT", "/api/merchant-skus/SKU1/price")
        assert sent.content == (
            b'{"price":19.99,"fulfillment_nodes":[{"fulfillment_node_id":"'
            + NODE.encode()
            + b'","fulfillment_node_price":20.10}]}'
        )
        assert PriceUpdate.from_dict(
            json.loads(sent.content, parse_float=Decimal)
        ).price == Decimal("19.99")


@both_clients
async def test_inventory_is_patched_from_quantities_or_a_body(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        quantities = [NodeQuantity(fulfillment_node_id=NODE, quantity=5)]
        await h.call("update_inventory", "SKU1", quantities)
        await h.call(
            "update_inventory", "SKU1", InventoryUpdate(fulfillment_nodes=tuple(quantities))
        )
        sent = [r for r in h.jet.requests if r.url.path.endswith("/inventory")]
        assert [r.method for r in sent] == ["PATCH", "PATCH"]
        expected = {"fulfillment_nodes": [{"fulfillment_node_id": NODE, "quantity": 5}]}
        assert [json.loads(r.content) for r in sent] == [expected, expected]


@both_clients
async def test_archive_sends_the_flag(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        await h.call("archive_sku", "SKU1")
        await h.call("archive_sku", "SKU1", archived=False)
        sent = [r for r in h.jet.requests if r.url.path.endswith("/status/archive")]
        assert [json.loads(r.content) for r in sent] == [
            {"is_archived": True},
            {"is_archived": False},
        ]


@both_clients
async def test_order_list_sends_the_cancelled_flag_and_node(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "GET",
            "/api/orders/complete",
            json_response(200, {"order_urls": ["/orders/withoutShipmentDetail/" + order_id(5)]}),
        )
        ids = await h.call("list_order_ids", OrderStatus.COMPLETE, cancelled=True, node=NODE)
        assert ids == [order_id(5)]
        sent = h.jet.last("GET", "/api/orders/complete")
        assert dict(sent.url.params) == {"isCancelled": "true", "fulfillment_node": NODE}


@both_clients
async def test_get_order_reads_the_typed_order(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        order = await h.call("get_order", order_id(9))
        assert order.merchant_order_id == order_id(9)
        assert isinstance(order.order_totals.item_price.base_price, Decimal)


@both_clients
async def test_an_unreadable_order_names_the_call_and_json_path(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        body = order_body(order_id(3))
        body["order_items"][0]["item_price"]["base_price"] = "twenty"
        path = "/api/orders/withoutShipmentDetail/" + order_id(3)
        h.jet.script("GET", path, json_response(200, body))
        with pytest.raises(JetPayloadError) as caught:
            await h.call("get_order", order_id(3))
        assert caught.value.method == "GET"
        assert caught.value.path == "/orders/withoutShipmentDetail/" + order_id(3)
        assert any(
            e.startswith("order_items[0].item_price.base_price") for e in caught.value.errors
        )


@both_clients
async def test_fetch_orders_keeps_input_order_and_reports_each_failure(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        ids = [order_id(n) for n in range(12)]
        broken = b'{"merchant_order_id": 12'
        h.jet.script("GET", "/api/orders/withoutShipmentDetail/" + ids[3], httpx.Response(404))
        h.jet.script(
            "GET",
            "/api/orders/withoutShipmentDetail/" + ids[7],
            httpx.Response(200, content=broken),
        )
        fetched = await h.collect("fetch_orders", ids, concurrency=4)
        assert [f.order_id for f in fetched] == ids
        assert isinstance(fetched[3].error, JetNotFound)
        assert fetched[3].raw is None
        assert isinstance(fetched[7].error, JetPayloadError)
        assert fetched[7].raw == broken
        good = [f for i, f in enumerate(fetched) if i not in (3, 7)]
        assert all(
            f.ok and f.order is not None and f.order.merchant_order_id == f.order_id for f in good
        )
        assert all(f.raw for f in good)


@both_clients
async def test_fetch_orders_raises_when_the_credentials_fail(kind: str) -> None:
    async with harness(kind, rate_limit=None, secret="not-the-secret") as h:
        with pytest.raises(JetAuthError):
            await h.collect("fetch_orders", [order_id(1), order_id(2)])


@both_clients
async def test_iter_orders_lists_then_fetches_and_raises_at_a_failure(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        urls = ["/orders/withoutShipmentDetail/" + order_id(n) for n in (1, 2, 3)]
        h.jet.script("GET", "/api/orders/ready", json_response(200, {"order_urls": urls}))
        orders = await h.collect("iter_orders", "ready")
        assert [o.merchant_order_id for o in orders] == [order_id(1), order_id(2), order_id(3)]
        h.jet.script("GET", "/api/orders/ready", json_response(200, {"order_urls": urls}))
        h.jet.script("GET", "/api/orders/withoutShipmentDetail/" + order_id(2), httpx.Response(404))
        with pytest.raises(JetNotFound):
            await h.collect("iter_orders", "ready")


@both_clients
async def test_iter_skus_pages_until_a_short_page(kind: str) -> None:
    skus = ["A", "B/1", "C", "D", "E"]

    def page(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        chunk = skus[offset : offset + limit]
        return json_response(
            200, {"sku_urls": ["merchant-skus/" + s.replace("/", "%2F") for s in chunk]}
        )

    async with harness(kind, rate_limit=None) as h:
        h.jet.routes[("GET", "/api/merchant-skus")] = page
        assert await h.collect("iter_skus", page_size=2) == skus
        offsets = [
            r.url.params["offset"] for r in h.jet.requests if r.url.path == "/api/merchant-skus"
        ]
        assert offsets == ["0", "2", "4"]


@both_clients
async def test_rate_limiter_spaces_requests_through_the_injected_sleep(kind: str) -> None:
    throttled: list[ThrottleEvent] = []
    hooks = ClientHooks(on_throttle=throttled.append)
    async with harness(kind, rate_limit=RateLimit(rate=10, burst=2), hooks=hooks) as h:
        for _ in range(4):
            await h.call("list_order_ids", "ready")
        # 5 requests (token + 4 lists): 2 from the burst, then one every 0.1 s.
        assert h.clock.sleeps == pytest.approx([0.1, 0.1, 0.1])
        assert h.client.stats.throttle_waits == 3
        assert [e.wait for e in throttled] == pytest.approx([0.1, 0.1, 0.1])


@both_clients
async def test_no_rate_limit_means_no_waits(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        for _ in range(30):
            await h.call("list_order_ids", "ready")
        assert h.clock.sleeps == []


@both_clients
async def test_upload_file_puts_gzip_to_the_blob_without_jet_auth(kind: str) -> None:
    blob = "https://jetupload.blob.core.windows.net/merchant-files/" + order_id(77)
    sas = blob + "?sv=2015&sig=SIGNATURE-abc&se=2016&sp=w"

    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "GET",
            "/api/files/uploadToken",
            json_response(
                200, {"url": sas, "jet_file_id": order_id(77), "expires_in_seconds": 1800}
            ),
        )
        h.jet.script("PUT", "/merchant-files/" + order_id(77), httpx.Response(201))
        h.jet.script(
            "POST",
            "/api/files/uploaded",
            json_response(
                200,
                {"jet_file_id": order_id(77), "status": "Acknowledged", "file_type": "Inventory"},
            ),
        )
        records = {
            "SKU1": InventoryUpdate(
                fulfillment_nodes=(NodeQuantity(fulfillment_node_id=NODE, quantity=3),)
            ),
            "SKU2": {"fulfillment_nodes": [{"fulfillment_node_id": NODE, "quantity": 0}]},
        }
        status = await h.call("upload_file", FileType.INVENTORY, records)
        assert status.status is FileStatus.ACKNOWLEDGED
        put = h.jet.last("PUT", "/merchant-files/" + order_id(77))
        assert str(put.url) == sas
        assert put.headers["x-ms-blob-type"] == "BlockBlob"
        assert "authorization" not in put.headers
        assert json.loads(gzip.decompress(put.content)) == {
            "SKU1": {"fulfillment_nodes": [{"fulfillment_node_id": NODE, "quantity": 3}]},
            "SKU2": {"fulfillment_nodes": [{"fulfillment_node_id": NODE, "quantity": 0}]},
        }
        uploaded = json.loads(h.jet.last("POST", "/api/files/uploaded").content)
        assert uploaded == {
            "url": sas,
            "file_type": "Inventory",
            "file_name": f"inventory-{order_id(77)}.json.gz",
        }
        assert (
            h.jet.last("POST", "/api/files/uploaded").headers["authorization"].startswith("Bearer ")
        )


@both_clients
async def test_upload_to_a_plain_http_blob_url_is_refused(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "GET",
            "/api/files/uploadToken",
            json_response(
                200, {"url": "http://evil.example/blob?sig=x", "jet_file_id": order_id(1)}
            ),
        )
        with pytest.raises(JetPayloadError, match="refusing plain http"):
            await h.call("upload_file", FileType.PRICE, {"SKU1": {"price": Decimal(1)}})


@both_clients
async def test_wait_for_file_polls_with_the_injected_sleep(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        path = "/api/files/" + order_id(4)
        h.jet.script(
            "GET",
            path,
            json_response(200, {"status": "Acknowledged"}),
            json_response(200, {"status": "Processing"}),
            json_response(200, {"status": "Processed successfully", "total_processed": 2}),
        )
        done = await h.call("wait_for_file", order_id(4), timeout=60, poll_interval=5)
        assert done.status is FileStatus.PROCESSED_SUCCESSFULLY
        # A short first wait that doubles: a small file is seen done in well under a second.
        assert h.clock.sleeps == [0.25, 0.5]


@both_clients
async def test_wait_for_file_waits_grow_up_to_the_poll_interval(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        pending = [json_response(200, {"status": "Processing"}) for _ in range(8)]
        done = json_response(200, {"status": "Processed successfully", "total_processed": 2})
        h.jet.script("GET", "/api/files/" + order_id(4), *pending, done)
        await h.call("wait_for_file", order_id(4), timeout=60, poll_interval=3)
        assert h.clock.sleeps == [0.25, 0.5, 1, 2, 3, 3, 3, 3]


@both_clients
async def test_wait_for_file_gives_up_at_the_timeout(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.routes[("GET", "/api/files/" + order_id(4))] = lambda _r: json_response(
            200, {"status": "Processing"}
        )
        with pytest.raises(TimeoutError, match=order_id(4)):
            await h.call("wait_for_file", order_id(4), timeout=12, poll_interval=5)
        assert h.clock.sleeps == [0.25, 0.5, 1, 2, 4, 4.25]


@both_clients
async def test_request_and_response_hooks_and_stats(kind: str) -> None:
    requests: list[RequestEvent] = []
    responses: list[ResponseEvent] = []
    hooks = ClientHooks(on_request=requests.append, on_response=responses.append)
    async with harness(kind, rate_limit=None, hooks=hooks) as h:
        await h.call("get_order", order_id(1))
        assert [(e.method, e.path) for e in requests] == [
            ("POST", "/token"),
            ("GET", "/orders/withoutShipmentDetail/" + order_id(1)),
        ]
        assert [e.status for e in responses] == [200, 200]
        assert responses[1].operation == "get_order"
        assert h.client.stats.requests == 2
        assert h.client.stats.token_fetches == 1


@both_clients
async def test_every_request_carries_a_finite_timeout(kind: str) -> None:
    seen: list[dict[str, float | None]] = []
    clock = FakeClock()
    jet = FakeJet(clock)

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return jet(request)

    h = Harness(kind, jet, rate_limit=None, timeout=7.5, transport=httpx.MockTransport(spy))
    await h.call("list_order_ids", "ready")
    await h.close()
    assert seen == [{"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}] * 2


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_plain_http_base_url_is_refused_except_loopback(
    cls: type[JetClient | AsyncJetClient],
) -> None:
    with pytest.raises(ValueError, match="refusing plain http"):
        cls(USER, SECRET, base_url="http://merchant-api.jet.com/api")
    assert (
        cls(USER, SECRET, base_url="http://127.0.0.1:8000/api").base_url
        == "http://127.0.0.1:8000/api"
    )


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_an_unbounded_timeout_is_refused(cls: type[JetClient | AsyncJetClient]) -> None:
    with pytest.raises(ValueError, match="timeout"):
        cls(USER, SECRET, timeout=httpx.Timeout(None))


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_from_env_reads_credentials_and_base_url(cls: type[JetClient | AsyncJetClient]) -> None:
    env = {
        "JET_API_USER": USER,
        "JET_API_SECRET": SECRET,
        "JET_API_BASE_URL": "http://localhost:9/api",
    }
    client = cls.from_env(env)
    assert (client.user, client.base_url) == (USER, "http://localhost:9/api")
    assert cls.from_env(env, base_url=BASE).base_url == BASE
    assert cls.from_env({"JET_API_USER": USER, "JET_API_SECRET": SECRET}).base_url == BASE


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"JET_API_SECRET": SECRET}, "JET_API_USER is not set"),
        ({"JET_API_USER": USER, "JET_API_SECRET": ""}, "JET_API_SECRET is not set"),
        ({}, "JET_API_USER and JET_API_SECRET are not set"),
    ],
)
def test_from_env_names_the_missing_variable(
    cls: type[JetClient | AsyncJetClient], env: dict[str, str], missing: str
) -> None:
    with pytest.raises(ValueError, match=missing):
        cls.from_env(env)


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JET_API_USER", USER)
    monkeypatch.setenv("JET_API_SECRET", SECRET)
    monkeypatch.delenv("JET_API_BASE_URL", raising=False)
    with JetClient.from_env() as client:
        assert client.user == USER


def test_repr_shows_user_and_url_only() -> None:
    with JetClient(USER, SECRET) as client:
        assert repr(client) == f"JetClient(user={USER!r}, base_url={BASE!r})"


def test_an_injected_http_client_is_left_open() -> None:
    clock = FakeClock()
    http = httpx.Client(transport=httpx.MockTransport(FakeJet(clock)))
    with JetClient(USER, SECRET, http_client=http, clock=clock.now, rate_limit=None) as client:
        client.list_order_ids("ready")
    assert not http.is_closed
    http.close()


async def test_an_injected_async_http_client_is_left_open() -> None:
    clock = FakeClock()
    http = httpx.AsyncClient(transport=httpx.MockTransport(FakeJet(clock)))
    async with AsyncJetClient(USER, SECRET, http_client=http, clock=clock.now) as client:
        await client.list_order_ids("ready")
    assert not http.is_closed
    await http.aclose()


def test_an_owned_http_client_is_closed() -> None:
    client = JetClient(USER, SECRET, transport=httpx.MockTransport(FakeJet(FakeClock())))
    client.close()
    assert client._http.is_closed
    client.close()  # closing twice is harmless


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_max_retries_sets_the_attempt_budget(cls: type[JetClient | AsyncJetClient]) -> None:
    assert cls(USER, SECRET, max_retries=0).retry.max_attempts == 1
    assert cls(USER, SECRET, max_retries=5).retry.max_attempts == 6
    with pytest.raises(ValueError, match="max_retries"):
        cls(USER, SECRET, max_retries=-1)


def test_pacing_follows_the_injected_clock_only_with_an_injected_sleep() -> None:
    # A frozen clock with real sleeps (a sandbox's clock, say) must not stall the rate limiter.
    frozen = FakeClock()
    with JetClient(USER, SECRET, clock=frozen.now) as real_sleeps:
        assert real_sleeps._core.monotonic() == pytest.approx(time.monotonic(), abs=5)
    with JetClient(USER, SECRET, clock=frozen.now, sleep=frozen.sleep) as fake_sleeps:
        assert fake_sleeps._core.monotonic() == frozen.current.timestamp()


@both_clients
async def test_a_refused_blob_upload_says_the_signature_may_have_expired(kind: str) -> None:
    sas = "https://jetupload.blob.core.windows.net/merchant-files/" + order_id(8) + "?sig=x"
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", "/api/files/uploadToken", json_response(200, {"url": sas}))
        h.jet.script("PUT", "/merchant-files/" + order_id(8), httpx.Response(403))
        with pytest.raises(JetAuthError, match="signature may have expired") as caught:
            await h.call("upload_file", FileType.PRICE, {"S": {"price": Decimal(2)}})
        assert "sig=" not in str(caught.value)
        assert h.jet.count("POST", "/api/files/uploaded") == 0


def test_fetch_orders_runs_at_most_twice_the_concurrency_ahead_of_its_consumer() -> None:
    ids = [order_id(n) for n in range(100)]
    jet = FakeJet(FakeClock())
    arrived = threading.Condition()
    details: list[str] = []

    def counting(request: httpx.Request) -> httpx.Response:
        if "/withoutShipmentDetail/" in request.url.path:
            with arrived:
                details.append(request.url.path.rsplit("/", 1)[-1])
                arrived.notify_all()
                if details[-1] == ids[0]:
                    # Hold the first order until the window behind it has been fetched.
                    assert arrived.wait_for(lambda: len(details) >= 4, timeout=5)
        return jet(request)

    h = Harness("sync", jet, rate_limit=None, transport=httpx.MockTransport(counting))
    assert isinstance(h.client, JetClient)
    fetched = h.client.fetch_orders(ids, concurrency=2)
    assert next(fetched).order_id == ids[0]
    fetched.close()  # type: ignore[attr-defined]
    assert sorted(details) == ids[:4]
    h.client.close()


async def test_async_fetch_orders_runs_at_most_twice_the_concurrency_ahead_of_its_consumer() -> (
    None
):
    ids = [order_id(n) for n in range(100)]
    async with harness("async", rate_limit=None) as h:
        assert isinstance(h.client, AsyncJetClient)
        fetched = h.client.fetch_orders(ids, concurrency=2)
        assert (await anext(fetched)).order_id == ids[0]
        for _ in range(200):  # the consumer dawdles: nothing may run on without it
            await asyncio.sleep(0)
        assert h.jet.count("GET", "/api/orders/withoutShipmentDetail/" + ids[4]) == 0
        sent = [r.url.path.rsplit("/", 1)[-1] for r in h.jet.requests if r.method == "GET"]
        assert [i for i in sent if i in ids] == ids[:4]
        await fetched.aclose()  # type: ignore[attr-defined]
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(h.jet.requests) == len(sent) + 1  # + the token request


def test_iter_orders_stops_its_fetch_threads_before_raising() -> None:
    jet = FakeJet(FakeClock())
    h = Harness("sync", jet, rate_limit=None)
    assert isinstance(h.client, JetClient)
    urls = ["/orders/withoutShipmentDetail/" + order_id(n) for n in range(6)]
    jet.script("GET", "/api/orders/ready", json_response(200, {"order_urls": urls}))
    jet.script("GET", "/api/orders/withoutShipmentDetail/" + order_id(0), httpx.Response(404))
    with pytest.raises(JetNotFound):
        for _ in h.client.iter_orders("ready", concurrency=3):
            pass
    assert [t for t in threading.enumerate() if t.name.startswith("jet-fetch")] == []
    h.client.close()


async def test_async_iter_orders_cancels_its_fetches_before_raising() -> None:
    release = asyncio.Event()
    jet = FakeJet(FakeClock())

    async def held(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith(order_id(0)) and "/withoutShipment" in request.url.path:
            await release.wait()  # never set: only cancellation ends these fetches
        return jet(request)

    h = Harness("async", jet, rate_limit=None, transport=httpx.MockTransport(held))
    assert isinstance(h.client, AsyncJetClient)
    urls = ["/orders/withoutShipmentDetail/" + order_id(n) for n in range(6)]
    jet.script("GET", "/api/orders/ready", json_response(200, {"order_urls": urls}))
    jet.script("GET", "/api/orders/withoutShipmentDetail/" + order_id(0), httpx.Response(404))
    before = asyncio.all_tasks()
    with pytest.raises(JetNotFound):
        async for _ in h.client.iter_orders("ready", concurrency=3):
            pass
    assert [t for t in asyncio.all_tasks() - before if not t.done()] == []
    await h.close()


@both_clients
async def test_a_redirect_is_not_followed_even_by_an_injected_client(kind: str) -> None:
    jet = FakeJet(FakeClock())
    moved = httpx.Response(307, headers={"Location": "http://evil.example/steal"})
    jet.script("PATCH", "/api/merchant-skus/SKU1/inventory", moved)
    http: httpx.Client | httpx.AsyncClient
    if kind == "sync":
        http = httpx.Client(transport=httpx.MockTransport(jet), follow_redirects=True)
    else:
        http = httpx.AsyncClient(transport=httpx.MockTransport(jet), follow_redirects=True)
    async with Harness(kind, jet, rate_limit=None, transport=None, http_client=http) as h:
        with pytest.raises(JetError) as caught:
            await h.call(
                "update_inventory", "SKU1", [NodeQuantity(fulfillment_node_id=NODE, quantity=3)]
            )
        assert caught.value.status == 307
    assert [r.url.host for r in jet.requests] == ["merchant-api.jet.com"] * 2


@both_clients
@pytest.mark.parametrize("total", [3, 5], ids=["exactly-a-page", "more-than-a-page"])
async def test_iter_skus_ends_when_jet_ignores_the_paging_parameters(kind: str, total: int) -> None:
    skus = [f"SKU{n}" for n in range(total)]
    urls = {"sku_urls": ["merchant-skus/" + s for s in skus]}
    async with harness(kind, rate_limit=None) as h:
        h.jet.routes[("GET", "/api/merchant-skus")] = lambda _request: json_response(200, urls)
        listed = []
        async for sku in _aiter(h.client.iter_skus(page_size=3)):
            listed.append(sku)
            assert len(listed) <= 2 * total, "the listing never ended"
        assert listed == skus
        assert h.jet.count("GET", "/api/merchant-skus") <= 2


async def _aiter(items: Any) -> Any:
    if hasattr(items, "__aiter__"):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class _InFlight:
    """Counts overlapping order fetches; each waits until its group of ``width`` has started."""

    def __init__(self, jet: FakeJet, width: int, total: int) -> None:
        self.jet, self.width, self.total = jet, width, total
        self.active = self.started = self.most = 0
        self.lock = threading.Condition()

    def _enter(self) -> int:
        self.active += 1
        self.started += 1
        self.most = max(self.most, self.active)
        self.lock.notify_all()
        # The fetch may leave once every fetch of its group has started alongside it.
        return min(self.total, -(-self.started // self.width) * self.width)

    def sync(self, request: httpx.Request) -> httpx.Response:
        if "/withoutShipmentDetail/" not in request.url.path:
            return self.jet(request)
        with self.lock:
            group_end = self._enter()
            assert self.lock.wait_for(lambda: self.started >= group_end, timeout=5)
            self.active -= 1
        return self.jet(request)

    async def async_(self, request: httpx.Request) -> httpx.Response:
        if "/withoutShipmentDetail/" not in request.url.path:
            return self.jet(request)
        with self.lock:
            group_end = self._enter()
        for _ in range(10_000):
            if self.started >= group_end:
                break
            await asyncio.sleep(0)
        assert self.started >= group_end
        self.active -= 1
        return self.jet(request)


@both_clients
async def test_fetch_orders_keeps_exactly_concurrency_requests_in_flight(kind: str) -> None:
    jet = FakeJet(FakeClock())
    counter = _InFlight(jet, width=3, total=9)
    handler = counter.sync if kind == "sync" else counter.async_
    async with Harness(kind, jet, rate_limit=None, transport=httpx.MockTransport(handler)) as h:
        fetched = await h.collect("fetch_orders", [order_id(n) for n in range(9)], concurrency=3)
    assert all(f.ok for f in fetched)
    assert counter.most == 3


@both_clients
async def test_fetch_orders_with_one_worker_fetches_only_what_the_consumer_takes(
    kind: str,
) -> None:
    ids = [order_id(n) for n in range(5)]
    async with harness(kind, rate_limit=None) as h:
        fetched = h.client.fetch_orders(ids, concurrency=1)
        if kind == "sync":
            first = next(fetched)  # type: ignore[call-overload]
        else:
            first = await anext(fetched)  # type: ignore[call-overload]
        for _ in range(50):  # give any fetch running ahead the chance to send
            await asyncio.sleep(0)
        assert first.order_id == ids[0]
        details = [r for r in h.jet.requests if "/withoutShipmentDetail/" in r.url.path]
        assert len(details) == 1
        if kind == "sync":
            fetched.close()  # type: ignore[union-attr]
        else:
            await fetched.aclose()  # type: ignore[union-attr]
