"""Credentials stay out of httpx's and httpcore's own log records, and odd tokens are refused.

The host's logging is set up the ordinary way (everything at DEBUG reaches the root logger), so
what httpx logs about the client's requests (``HTTP Request: PUT https://…?sig=…``) is captured.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from client_fixtures import FakeClock, FakeJet, Harness, both_clients, harness, order_id

from jet_orderhive.jet import _logging
from jet_orderhive.jet.enums import FileType
from jet_orderhive.jet.errors import JetAuthError
from jet_orderhive.testing import JetSandbox

SIGNATURE = "Zm9vYmFyc2lnbmF0dXJlc2VjcmV0"
SAS = (
    "https://jetupload.blob.core.windows.net/merchant-files/"
    + order_id(8)
    + f"?sv=2015-04-05&sr=b&sig={SIGNATURE}&se=2016-05-10T13%3A00%3A00Z&sp=w"
)


def _all_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records) + caplog.text


@both_clients
async def test_httpx_request_log_never_shows_the_signed_upload_url(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", "/api/files/uploadToken", _upload_token())
        h.jet.script("PUT", "/merchant-files/" + order_id(8), httpx.Response(201))
        h.jet.script(
            "POST",
            "/api/files/uploaded",
            httpx.Response(200, json={"jet_file_id": "f1", "status": "Acknowledged"}),
        )
        await h.call("upload_file", FileType.PRICE, {"S": {"price": Decimal(2)}})
        tokens = list(h.jet.tokens)
    httpx_records = [r for r in caplog.records if r.name == "httpx"]
    assert any("merchant-files" in r.getMessage() for r in httpx_records), (
        "httpx should have logged the blob PUT (with the signature masked)"
    )
    text = _all_text(caplog)
    assert SIGNATURE not in text
    for token in tokens:
        assert token not in text


def test_nothing_httpx_or_httpcore_log_over_a_real_socket_shows_a_credential(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = JetSandbox()
    sandbox.add_sku("SKU-1", price=Decimal("5.00"))
    signatures: list[str] = []

    def keep_signature(request: httpx.Request) -> None:
        if "sig" in request.url.params:
            signatures.append(request.url.params["sig"])

    with (
        sandbox.serve() as base_url,
        httpx.Client(event_hooks={"request": [keep_signature]}) as http,
        sandbox.client(base_url=base_url, transport=None, http_client=http) as jet,
    ):
        jet.upload_file(FileType.PRICE, {"SKU-1": {"price": Decimal("6.00")}})
    assert signatures, "the upload should have used a signed URL"
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    text = _all_text(caplog)
    for signature in signatures:
        assert signature not in text
    assert sandbox.secret not in text


def test_the_httpx_filters_are_removed_when_the_last_client_closes() -> None:
    def filtered() -> bool:
        return any(
            isinstance(f, _logging.RedactingFilter) for f in logging.getLogger("httpx").filters
        )

    assert not filtered()
    first = Harness("sync", FakeJet(FakeClock()))
    second = Harness("sync", FakeJet(FakeClock()))
    assert filtered()
    first.client.close()
    assert filtered()
    second.client.close()
    assert not filtered()


BAD_TOKENS = {
    "newline": "eyJ0eXAi.tok\nen.sig",
    "CRLF": "eyJ0eXAi.tok\r\nX-Injected: 1",
    "NUL": "eyJ0eXAi.tok\x00en.sig",
    "non-ASCII": "eyJ0eXAi.tokén.sig",
    "space": "eyJ0eXAi tok.sig",
    "DEL": "eyJ0eXAi.tok\x7f",
}


@both_clients
@pytest.mark.parametrize("what", sorted(BAD_TOKENS))
async def test_a_token_that_is_not_printable_ascii_is_refused_unquoted(
    kind: str, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = BAD_TOKENS[what]
    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "POST",
            "/api/token",
            httpx.Response(200, json={"id_token": token, "expires_on": "2016-05-10T22:00:00Z"}),
        )
        with pytest.raises(JetAuthError) as caught:
            await h.call("list_order_ids", "ready")
        sent = [r for r in h.jet.requests if r.url.path != "/api/token"]
    assert sent == [], "no request may go out with that token"
    rendered = [str(caught.value), repr(caught.value), _all_text(caplog)]
    fragments = [part for part in token.replace("\r", "\n").split("\n") if len(part) > 5]
    for text in rendered:
        assert token not in text
        for fragment in fragments:
            assert fragment not in text
    assert "token" in str(caught.value)


@both_clients
async def test_the_redaction_set_holds_only_the_secret_and_the_live_token(kind: str) -> None:
    before = _logging.registered_count()
    jet = FakeJet(FakeClock(), token_ttl=timedelta(minutes=20))
    async with Harness(kind, jet, rate_limit=None, token_refresh_margin=timedelta(0)) as h:
        for _ in range(30):
            await h.call("list_order_ids", "ready")
            h.clock.advance(60 * 20)  # the token expires: the next call fetches a new one
        assert len(jet.tokens) == 30
        assert _logging.registered_count() - before == 2
    assert _logging.registered_count() == before


def _upload_token() -> httpx.Response:
    return httpx.Response(200, json={"url": SAS, "jet_file_type": "Price", "jet_file_id": "f1"})
