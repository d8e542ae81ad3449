"""The API secret and bearer tokens never show: not in reprs, logs, errors or hook events."""

from __future__ import annotations

import logging
import os
import traceback

import httpx
import pytest
from client_fixtures import SECRET, FakeClock, FakeJet, Harness, both_clients, order_id

from jet_orderhive.jet._effects import ApiCall
from jet_orderhive.jet._hooks import ClientHooks
from jet_orderhive.jet._logging import REDACTED, RedactingFilter
from jet_orderhive.jet._retry import RetryPolicy
from jet_orderhive.jet.errors import JetError

LIST = "/api/orders/ready"


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def _library_locals(error: BaseException) -> list[str]:
    """The local variables of the library's frames, rendered as error trackers render them."""
    summary = traceback.TracebackException.from_exception(error, capture_locals=True)
    frames = [f for f in summary.stack if f"{os.sep}jet_orderhive{os.sep}" in f.filename]
    assert frames, "the error should have passed through the library's frames"
    return [f"{f.name}: {f.locals}" for f in frames]


@both_clients
async def test_a_run_with_failures_leaks_no_credential_anywhere(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jet_orderhive")
    events: list[object] = []
    hooks = ClientHooks(
        on_request=events.append,
        on_response=events.append,
        on_retry=events.append,
        on_throttle=events.append,
    )
    errors: list[BaseException] = []
    clock = FakeClock()
    jet = FakeJet(clock)
    policy = RetryPolicy(max_attempts=3, jitter=0)
    h = Harness(kind, jet, hooks=hooks, retry=policy)
    jet.script("GET", LIST, httpx.Response(503), httpx.ReadTimeout("slow"))
    await h.call("list_order_ids", "ready")
    jet.revoked.update(jet.tokens)  # a 401 and a refresh
    await h.call("list_order_ids", "ready")
    jet.script("GET", LIST, *[httpx.Response(500)] * 3)
    with pytest.raises(JetError) as exhausted:
        await h.call("list_order_ids", "ready")
    errors.append(exhausted.value)
    jet.script("GET", LIST, httpx.Response(400, json={"errors": ["bad status"]}))
    with pytest.raises(JetError) as rejected:
        await h.call("list_order_ids", "ready")
    errors.append(rejected.value)
    fetched = await h.collect("fetch_orders", [order_id(1), order_id(2)])
    bad_login = Harness(kind, jet, secret=SECRET + "-wrong")
    with pytest.raises(JetError) as refused:
        await bad_login.call("authenticate")
    errors.append(refused.value)

    secrets = [SECRET, SECRET + "-wrong", *jet.tokens]
    assert len(jet.tokens) == 2
    assert h.client.stats.retries >= 3
    texts = [repr(h.client), str(h.client), repr(bad_login.client), repr(h.client.stats)]
    texts += [repr(event) for event in events]
    texts += [repr(fetch) for fetch in fetched]
    for error in errors:
        texts += [str(error), repr(error)]
        texts += traceback.format_exception(error)
        texts += _library_locals(error)
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert caplog.records, "the run should have logged requests and retries"
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    for text in texts:
        assert _leaks(text, secrets) == [], text
    await h.close()
    await bad_login.close()


def test_the_filter_redacts_a_secret_logged_by_mistake(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jet_orderhive")
    clock = FakeClock()
    h = Harness("sync", FakeJet(clock))
    logging.getLogger("jet_orderhive.jet").debug("oops %s", SECRET)
    logging.getLogger("jet_orderhive").error("Authorization: Bearer abcdefghijklmnop.qrs")
    logging.getLogger("jet_orderhive").info('body {"user": "u", "pass": "hunter2-long"}')
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"oops {REDACTED}",
        f"Authorization: Bearer {REDACTED}",
        f'body {{"user": "u", "pass": "{REDACTED}"}}',
    ]
    h.client.close()


def test_a_closed_client_stops_registering_its_secret() -> None:
    record = logging.LogRecord(
        "jet_orderhive", logging.INFO, __file__, 1, "x %s", ("zz-9-plural",), None
    )
    h = Harness("sync", FakeJet(FakeClock()), secret="zz-9-plural")
    RedactingFilter().filter(record)
    assert record.getMessage() == f"x {REDACTED}"
    h.client.close()
    record = logging.LogRecord(
        "jet_orderhive", logging.INFO, __file__, 1, "x %s", ("zz-9-plural",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "x zz-9-plural"


@pytest.mark.parametrize(
    "name", ["jet_orderhive", "jet_orderhive.jet", "jet_orderhive.sync", "jet_orderhive.storage"]
)
def test_a_secret_logged_on_any_library_logger_is_redacted(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jet_orderhive")
    h = Harness("sync", FakeJet(FakeClock()))
    logging.getLogger(name).warning("engine state: %s", SECRET)
    assert [record.getMessage() for record in caplog.records] == [f"engine state: {REDACTED}"]
    h.client.close()


def test_a_secret_in_a_logged_exception_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jet_orderhive")
    h = Harness("sync", FakeJet(FakeClock()))
    try:
        raise RuntimeError(f"login failed with {SECRET}")
    except RuntimeError:
        logging.getLogger("jet_orderhive.jet").exception("sign-in failed")
    assert SECRET not in caplog.text
    assert f"login failed with {REDACTED}" in caplog.text
    h.client.close()


def test_a_request_description_never_shows_its_body() -> None:
    call = ApiCall(
        operation="authenticate",
        method="POST",
        path="/token",
        body={"user": "u", "pass": SECRET},
        authenticated=False,
    )
    assert SECRET not in repr(call)
    assert "/token" in repr(call)
