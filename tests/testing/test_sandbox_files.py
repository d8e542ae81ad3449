"""The bulk-file flow: upload token, blob PUT, uploaded notice, processing."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from jet_orderhive._json import dumps
from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
NODE = "a" * 32


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(seed=9, clock=lambda: NOW, fulfillment_node_ids=(NODE,))


def upload(api: httpx.Client, sandbox: JetSandbox, file_type: str, records: object) -> str:
    slot = api.get("files/uploadToken").json()
    with httpx.Client(transport=sandbox.transport()) as blob:
        put = blob.put(
            slot["url"],
            content=gzip.compress(dumps(records).encode()),
            headers={"x-ms-blob-type": "BlockBlob"},
        )
    assert put.status_code == 201
    notice = {"url": slot["url"], "file_type": file_type, "file_name": "feed.json.gz"}
    uploaded = api.post("files/uploaded", content=dumps(notice))
    assert uploaded.status_code == 200
    assert uploaded.json()["status"] == "Acknowledged"
    return str(slot["jet_file_id"])


def test_upload_token_points_at_the_same_host(sandbox: JetSandbox, api: httpx.Client) -> None:
    slot = api.get("files/uploadToken").json()

    url = urlsplit(slot["url"])
    assert f"{url.scheme}://{url.netloc}" == "https://merchant-api.jet.com"
    assert url.path == f"/_blob/merchant-files/{slot['jet_file_id']}"
    assert "sig=" in url.query
    assert "sp=w" in url.query
    assert slot["expires_in_seconds"] == 1800


def test_inventory_file_of_5000_skus_is_applied_and_reports_unknown_nodes(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    skus = [f"SKU-{index:05d}" for index in range(5000)]
    for sku in skus:
        sandbox.add_sku(sku, quantities={NODE: 1})
    records = {
        sku: {"fulfillment_nodes": [{"fulfillment_node_id": NODE, "quantity": 9}]} for sku in skus
    }
    for sku in skus[100:103]:
        records[sku] = {"fulfillment_nodes": [{"fulfillment_node_id": "f" * 32, "quantity": 9}]}

    file_id = upload(api, sandbox, "Inventory", records)
    status = api.get(f"files/{file_id}").json()

    assert status["status"] == "Processed with errors"
    assert status["total_processed"] == 5000
    assert status["error_count"] == 3
    assert all(
        "is not one of the merchant's fulfillment nodes" in e for e in status["error_excerpt"]
    )
    assert status["error_excerpt"][0].startswith("Position 101: Error: parsing sku 'SKU-00100'")
    assert sandbox.sku("SKU-04999")["inventory_by_fulfillment_node"] == [
        {"fulfillment_node_id": NODE, "quantity": 9}
    ]
    assert sandbox.sku("SKU-00100")["inventory_by_fulfillment_node"] == [
        {"fulfillment_node_id": NODE, "quantity": 1}
    ]


def test_price_and_archive_files_are_applied(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.add_sku("P1")
    sandbox.add_sku("P2")

    price_file = upload(api, sandbox, "Price", {"P1": {"price": 12}, "P2": {"price": 3}})
    archive_file = upload(api, sandbox, "Archive", {"P2": {"is_archived": True}})

    assert api.get(f"files/{price_file}").json()["status"] == "Processed successfully"
    assert api.get(f"files/{archive_file}").json()["status"] == "Processed successfully"
    assert sandbox.sku("P1")["price"] == 12
    assert sandbox.sku("P2")["status"] == "Archived"


def test_unknown_sku_in_a_file_is_an_error_line(sandbox: JetSandbox, api: httpx.Client) -> None:
    file_id = upload(api, sandbox, "Price", {"GHOST": {"price": 1}})

    status = api.get(f"files/{file_id}").json()

    assert status["error_count"] == 1
    assert "GHOST" in status["error_excerpt"][0]


def test_blob_put_needs_the_block_blob_header_and_the_signature(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    slot = api.get("files/uploadToken").json()
    body = gzip.compress(b"{}")
    with httpx.Client(transport=sandbox.transport()) as blob:
        no_header = blob.put(slot["url"], content=body)
        forged = blob.put(
            slot["url"].replace("sig=", "sig=x"),
            content=body,
            headers={"x-ms-blob-type": "BlockBlob"},
        )
        sandbox.advance(timedelta(minutes=31))
        late = blob.put(slot["url"], content=body, headers={"x-ms-blob-type": "BlockBlob"})

    assert no_header.status_code == 400
    assert forged.status_code == 403
    assert late.status_code == 403


def test_uploaded_notice_before_the_blob_put_is_400(api: httpx.Client) -> None:
    slot = api.get("files/uploadToken").json()
    notice = {"url": slot["url"], "file_type": "Inventory", "file_name": "x.json.gz"}

    response = api.post("files/uploaded", content=dumps(notice))

    assert response.status_code == 400


def test_file_that_is_not_gzip_is_processed_with_errors(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    slot = api.get("files/uploadToken").json()
    with httpx.Client(transport=sandbox.transport()) as blob:
        blob.put(slot["url"], content=b"{}", headers={"x-ms-blob-type": "BlockBlob"})
    api.post(
        "files/uploaded",
        content=dumps({"url": slot["url"], "file_type": "Price", "file_name": "p"}),
    )

    status = api.get(f"files/{slot['jet_file_id']}").json()

    assert status["status"] == "Processed with errors"
    assert "not gzipped JSON" in status["error_excerpt"][0]
