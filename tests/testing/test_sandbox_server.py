"""The sandbox over a real loopback HTTP server, and parity with the in-process transport."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)


def script(client: httpx.Client, sandbox: JetSandbox) -> list[tuple[int, Any]]:
    """A realistic sequence of calls; returns each status and parsed body."""
    seen: list[tuple[int, Any]] = []

    def note(response: httpx.Response) -> httpx.Response:
        seen.append((response.status_code, loads(response.content) if response.content else None))
        return response

    note(client.post("token", json={"user": sandbox.user, "pass": "wrong"}))
    token = note(client.post("Token", json={"user": sandbox.user, "pass": sandbox.secret}))
    client.headers["Authorization"] = f"bearer {token.json()['id_token']}"
    note(
        client.post(
            "orders/generate/3", content=dumps({"fulfillment_node": sandbox.fulfillment_node_id})
        )
    )
    urls = note(client.get("orders/ready")).json()["order_urls"]
    order = note(client.get(urls[0].lstrip("/"))).json()
    items = [
        {"order_item_id": i["order_item_id"], "order_item_acknowledgement_status": "fulfillable"}
        for i in order["order_items"]
    ]
    note(
        client.put(
            f"orders/{order['merchant_order_id']}/acknowledge",
            content=dumps({"acknowledgement_status": "accepted", "order_items": items}),
        )
    )
    note(client.put(f"orders/{order['merchant_order_id']}/acknowledge", content=b'{"bad": 1}'))
    note(
        client.put(
            "merchant-skus/A%2FB%201",
            content=dumps(
                {
                    "product_title": "Parity product",
                    "brand": "Acme",
                    "multipack_quantity": 1,
                    "mfr_part_number": "P-1",
                    "main_image_url": "https://example.com/p.jpg",
                }
            ),
        )
    )
    note(client.get("merchant-skus/A%2FB%201"))
    note(client.get("merchant-skus"))
    note(client.get("returns/completed%20by%20merchant"))
    slot = client.get("files/uploadToken").json()
    blob = client.put(
        slot["url"], content=gzip.compress(b"{}"), headers={"x-ms-blob-type": "BlockBlob"}
    )
    seen.append((blob.status_code, None))
    note(client.get("orders/withoutShipmentDetail/" + "0" * 32))
    note(client.delete("orders/ready"))
    return seen


T = TypeVar("T")


def both_ways(
    run: Callable[[httpx.Client, JetSandbox], T], *, seed: int
) -> tuple[T, T, JetSandbox, JetSandbox]:
    """``run`` against twin sandboxes: one served on loopback HTTP, one in-process."""
    served = JetSandbox(secret="same", seed=seed, clock=lambda: NOW)
    local = JetSandbox(secret="same", seed=seed, clock=lambda: NOW)
    with served.serve() as base_url, httpx.Client(base_url=base_url + "/", timeout=5) as client:
        over_http = run(client, served)
    with httpx.Client(transport=local.transport(), base_url=local.base_url + "/") as client:
        in_process = run(client, local)
    return over_http, in_process, served, local


def test_loopback_server_and_in_process_transport_answer_identically() -> None:
    over_http, in_process, served, local = both_ways(script, seed=8)

    assert over_http == in_process
    assert [r.kind for r in served.requests] == [r.kind for r in local.requests]


def test_serve_yields_a_loopback_api_url_and_stops_on_exit() -> None:
    sandbox = JetSandbox(seed=1, clock=lambda: NOW)

    with sandbox.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api")
        assert httpx.get(base_url + "/authcheck", timeout=5).status_code == 401

    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/authcheck", timeout=2)


def test_a_chunked_request_body_is_read_like_a_sized_one() -> None:
    sandbox = JetSandbox(seed=1, clock=lambda: NOW)
    login = dumps({"user": sandbox.user, "pass": sandbox.secret}).encode()

    def streamed() -> Iterator[bytes]:
        yield login[:7]
        yield login[7:]

    with sandbox.serve() as base_url, httpx.Client(base_url=base_url + "/", timeout=5) as client:
        first = client.post("token", content=streamed())
        second = client.post("token", content=login)  # the same connection, still in step

    assert first.request.headers["transfer-encoding"] == "chunked"
    assert (first.status_code, second.status_code) == (200, 200)
    assert sandbox.count("token") == 2


def _other_verbs(client: httpx.Client) -> list[tuple[Any, ...]]:
    answers = []
    for method in ("HEAD", "OPTIONS", "TRACE"):
        response = client.request(method, "orders/ready")
        answers.append((method, response.status_code, response.headers.get("allow")))
    answers.append(("GET", client.get("authcheck").status_code, None))  # connection still in step
    return answers


def test_other_verbs_get_the_same_405_over_http_as_in_process() -> None:
    over_http, in_process, _, _ = both_ways(lambda client, _sandbox: _other_verbs(client), seed=1)

    assert over_http == in_process
    assert [a[1] for a in in_process] == [405, 405, 405, 401]


def test_a_kept_alive_connection_is_not_answered_after_serve_exits() -> None:
    sandbox = JetSandbox(seed=1, clock=lambda: NOW)

    with httpx.Client(timeout=2) as client:
        with sandbox.serve() as base_url:
            assert client.get(base_url + "/authcheck").status_code == 401
        with pytest.raises(httpx.TransportError):
            client.get(base_url + "/authcheck")

    assert sandbox.count("authcheck") == 1


def test_dropped_connection_over_http_surfaces_as_a_protocol_error() -> None:
    sandbox = JetSandbox(seed=1, clock=lambda: NOW)
    sandbox.drop_connections(next=1, after_apply=True, kind="token")

    with sandbox.serve() as base_url, httpx.Client(base_url=base_url + "/", timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
        assert (
            client.post("token", json={"user": sandbox.user, "pass": sandbox.secret}).status_code
            == 200
        )

    assert sandbox.count("token") == 2


def _fault_answers(client: httpx.Client, sandbox: JetSandbox) -> list[tuple[Any, ...]]:
    token = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret}).json()
    client.headers["Authorization"] = f"Bearer {token['id_token']}"
    sandbox.throttle(every=2, retry_after=3, kind="order_list")
    sandbox.fail_next(1, status=503, kind="/merchant-skus", retry_after=2.5)
    answers = []
    for response in (
        client.get("orders/ready"),
        client.get("orders/ready"),
        client.get("merchant-skus"),
        client.delete("orders/ready"),
    ):
        answers.append(
            (
                response.status_code,
                response.headers.get("retry-after"),
                response.headers.get("allow"),
                response.headers.get("content-type"),
                response.content,
            )
        )
    return answers


def test_injected_faults_answer_with_the_same_headers_over_http_and_in_process() -> None:
    over_http, in_process, _, _ = both_ways(_fault_answers, seed=3)

    assert over_http == in_process
    assert [(a[0], a[1]) for a in in_process] == [
        (200, None),
        (429, "3"),
        (503, "2.5"),
        (405, None),
    ]
    assert in_process[3][2] is not None


def test_served_answers_are_not_held_back_by_nagle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each answer leaves in full as soon as it is written. With Nagle's algorithm on the
    server's socket, an answer's body waits for the client's delayed acknowledgement of its
    headers (about 40 ms on Linux), so the sandbox's latency would not be the one asked for."""
    import socket

    from jet_orderhive.testing._sandbox import server as served

    accepted: list[socket.socket] = []
    original = served._Server.process_request

    def record(self: Any, request: Any, client_address: Any) -> None:
        accepted.append(request)
        original(self, request, client_address)

    monkeypatch.setattr(served._Server, "process_request", record)
    sandbox = JetSandbox(seed=3)
    with sandbox.serve() as url, httpx.Client(base_url=url + "/") as client:
        answer = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
        assert answer.status_code == 200
        assert accepted, "the served sandbox took no connection"
        assert all(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for sock in accepted)


def test_the_served_sandbox_takes_many_connections_at_once() -> None:
    """A client opening dozens of connections together (concurrency 64) has them all taken by
    the kernel, even before the server accepts one: with socketserver's backlog of 5 the rest
    of the SYNs were dropped and retried a second or more later."""
    import socket

    from jet_orderhive.testing._sandbox import server as served

    server = served._Server(("127.0.0.1", 0), served._handler_class(JetSandbox()._app, None))
    clients: list[socket.socket] = []
    try:
        for _ in range(64):  # nothing accepts: each connection waits in the backlog
            clients.append(socket.create_connection(server.server_address[:2], timeout=0.5))
    finally:
        for client in clients:
            client.close()
        server.server_close()
    assert len(clients) == 64
