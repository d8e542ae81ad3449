"""A full run at DEBUG, with faults and expiring tokens, leaks no secret and no buyer data.

The engine imports, acknowledges (some answers lost after Jet applied them), pushes stock
above ``bulk_threshold`` (so a signed upload URL is issued and used) and prices, over a real
loopback server, while tokens are revoked between steps. Every record the root logger sees
(the library's, httpx's and httpcore's, at DEBUG) is formatted with its traceback. The secret,
every token Jet issued and every signed upload URL (and its signature) appear in none of them,
nor in any repr, error, report (``str``, ``repr``, ``to_dict``, ``_repr_html_``) or in the
bytes of the SQLite database. Buyer names, addresses, phones and e-mails appear in no record
at INFO or above.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from reliability_helpers import record

from jet_orderhive.jet.client import JetClient
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.report import SyncReport
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox

SKUS = 12


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Recording(httpx.BaseTransport):
    """Keeps what Jet answered on the token and upload-token endpoints: the secrets to hunt."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.secrets: set[str] = set()
        self.tokens: set[str] = set()
        self.urls: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        path = request.url.path
        if path.endswith(("/token", "/files/uploadToken")) and response.status_code == 200:
            raw = response.read()
            response.close()
            body = json.loads(raw)
            if "id_token" in body:
                self.secrets.add(body["id_token"])
                self.tokens.add(body["id_token"])
            if "url" in body:
                self.secrets.add(body["url"])
                self.urls.add(body["url"])
                for values in parse_qs(urlsplit(body["url"]).query).values():
                    self.secrets.update(v for v in values if len(v) >= 16)
            headers = [(k, v) for k, v in response.headers.items() if k != "content-encoding"]
            return httpx.Response(
                response.status_code, headers=headers, stream=httpx.ByteStream(raw)
            )
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    names = ("", "httpx", "httpcore", "jet_orderhive")
    levels = {name: logging.getLogger(name).level for name in names}
    root.addHandler(handler)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _buyer_data(sandbox: JetSandbox, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for order_id in ids:
        order = sandbox.order(order_id)
        buyer, ship_to = order["buyer"], order["shipping_to"]
        assert isinstance(buyer, dict)
        assert isinstance(ship_to, dict)
        recipient, address = ship_to["recipient"], ship_to["address"]
        assert isinstance(recipient, dict)
        assert isinstance(address, dict)
        for value in (
            buyer.get("name"),
            buyer.get("phone_number"),
            recipient.get("name"),
            recipient.get("phone_number"),
            address.get("address1"),
            order.get("hash_email"),
        ):
            if isinstance(value, str) and len(value) >= 6:
                found.add(value)
    return found


def _texts(report: SyncReport) -> list[str]:
    return [
        str(report),
        repr(report),
        json.dumps(report.to_dict(), default=str),
        report._repr_html_(),
    ]


def test_a_debug_run_with_faults_and_token_expiry_leaks_no_secret_and_no_buyer_data(
    tmp_path: Path, captured: Capture
) -> None:
    sandbox = JetSandbox(seed=9)
    ids = sandbox.generate_orders(30)
    skus = [f"SKU-{n:03d}" for n in range(SKUS)]
    for sku in skus:
        sandbox.add_sku(sku, price=Decimal("9.99"))
    sandbox.fail_randomly(0.1, status=503)
    sandbox.throttle(every=7, retry_after=0.01)
    recording = Recording()
    path = tmp_path / "secrets.db"
    texts: list[str] = []
    with sandbox.serve() as base_url:
        client = JetClient(
            sandbox.user,
            sandbox.secret,
            base_url=base_url,
            transport=recording,
            rate_limit=None,
            # The import's lists are read together, so which request is every 7th varies run to
            # run; enough retries that no list runs out of them (this test hunts leaks only).
            max_retries=12,
            sleep=lambda _s: None,
        )
        settings = IntegrationSettings(bulk_threshold=5, auto_archive=False)
        with client, SQLiteStorage(path) as storage:
            integration = Integration(client, storage, settings=settings, sleep=lambda _s: None)
            reports = [integration.import_orders()]
            sandbox.expire_tokens()
            reports.append(integration.push_stock(dict.fromkeys(skus, 5)))
            sandbox.expire_tokens()
            reports.append(integration.push_prices(dict.fromkeys(skus, Decimal("12.50"))))
            sandbox.expire_tokens()
            reports.append(integration.run_once())
            texts += [repr(client), repr(integration), repr(storage), repr(sandbox)]
        for report in reports:
            texts += _texts(report)
    database = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secrets"))

    formatter = captured.formatter
    assert formatter is not None
    logged = [(r.levelno, formatter.format(r)) for r in captured.records]
    hunted = {sandbox.secret, *recording.secrets}
    tokens = len(recording.tokens)
    assert tokens >= 2, "the run should have refreshed its token after a revocation"
    assert recording.urls, "no signed upload URL was issued"
    assert any(r.name.startswith("httpx") for r in captured.records), "httpx logged nothing"
    for secret in hunted:
        assert all(secret not in text for _level, text in logged), "a secret was logged"
        assert all(secret not in text for text in texts), "a secret is in a repr or report"
        assert secret.encode() not in database, "a secret is in the database"
    buyers = _buyer_data(sandbox, ids)
    loud = [text for level, text in logged if level >= logging.INFO]
    leaked = sorted(b for b in buyers if any(b in text for text in loud))
    assert leaked == [], "buyer data in a record at INFO or above"
    record(
        "secrets_and_pii",
        log_records=len(logged),
        records_at_info_or_above=len(loud),
        secrets_hunted=len(hunted),
        tokens_issued=tokens,
        signed_urls_issued=len(recording.urls),
        buyer_values_hunted=len(buyers),
        leaks=0,
    )
