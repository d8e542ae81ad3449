"""The sans-I/O core: path encoding, base-URL and timeout checks, and answer classification."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._effects import (
    ApiCall,
    RawResponse,
    check_timeout,
    failure_from_exception,
)
from jet_orderhive.jet._retry import FailureKind
from jet_orderhive.jet._status_errors import error_for_response
from jet_orderhive.jet._urls import check_base_url, encode_segment, jet_path
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetConflict,
    JetError,
    JetInputError,
    JetNotFound,
    JetRateLimited,
    JetServerError,
    JetValidationError,
)

CALL = ApiCall(operation="get_sku", method="GET", path="/merchant-skus/A")


@pytest.mark.parametrize(
    ("sku", "encoded"),
    [
        ("A/B 1", "A%2FB%201"),
        ("../x", "%2E%2E%2Fx"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("%41", "%2541"),
        ("café-€", "caf%C3%A9-%E2%82%AC"),
        ("a?b#c&d=e+f", "a%3Fb%23c%26d%3De%2Bf"),
        ("v1.2", "v1.2"),
    ],
)
def test_path_segments_are_encoded_with_no_safe_characters(sku: str, encoded: str) -> None:
    assert encode_segment(sku) == encoded


@pytest.mark.parametrize("sku", ["A/B 1", "../x", "..", ".", "%41", "café"])
def test_encoded_sku_survives_url_normalisation_as_one_segment(sku: str) -> None:
    url = httpx.URL("https://merchant-api.jet.com/api" + jet_path("/merchant-skus/{}/price", sku))
    segments = url.raw_path.decode().split("/")
    assert segments[:3] == ["", "api", "merchant-skus"]
    assert segments[4:] == ["price"]
    assert unquote(segments[3]) == sku


@given(st.text(min_size=1, max_size=300))
def test_any_text_stays_exactly_one_segment_or_is_refused(value: str) -> None:
    try:
        encoded = encode_segment(value)
    except JetInputError:
        assert len(value) > 255 or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)
        return
    assert "/" not in encoded
    assert encoded not in (".", "..")
    assert set(encoded) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"
    )


def test_empty_id_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        encode_segment("")


@pytest.mark.parametrize(
    "url",
    [
        "https://merchant-api.jet.com/api",
        "http://127.0.0.1:8080/api",
        "http://127.9.9.9/api",
        "http://localhost:1234/api",
        "http://[::1]:9000/api",
    ],
)
def test_https_and_loopback_http_base_urls_are_accepted(url: str) -> None:
    assert check_base_url(url + "/") == url


@pytest.mark.parametrize(
    "url", ["http://merchant-api.jet.com/api", "http://10.0.0.1/api", "http://128.0.0.1/api"]
)
def test_plain_http_to_other_hosts_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="refusing plain http"):
        check_base_url(url)


@pytest.mark.parametrize("url", ["ftp://x/api", "merchant-api.jet.com/api", "https://x/api?k=v"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        check_base_url(url)


@pytest.mark.parametrize(
    "url", ["https://user:hunter2-pw@merchant-api.jet.com/api", "http://u@127.0.0.1:8080/api"]
)
def test_base_urls_with_credentials_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="user name or password") as caught:
        check_base_url(url)
    assert "hunter2" not in str(caught.value)
    assert "u@" not in str(caught.value)


def test_every_timeout_phase_must_be_finite() -> None:
    assert check_timeout(5).read == 5
    with pytest.raises(ValueError, match="read"):
        check_timeout(httpx.Timeout(5, read=None))
    with pytest.raises(ValueError, match="connect"):
        check_timeout(0)


@pytest.mark.parametrize("seconds", [float("inf"), float("nan")])
def test_an_infinite_or_nan_timeout_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        check_timeout(seconds)
    with pytest.raises(ValueError, match="read"):
        check_timeout(httpx.Timeout(5, read=seconds))


def _answer(status: int, body: bytes = b"") -> RawResponse:
    return RawResponse(status=status, headers={}, body=body)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, JetValidationError),
        (401, JetAuthError),
        (403, JetAuthError),
        (404, JetNotFound),
        (409, JetConflict),
        (429, JetRateLimited),
        (500, JetServerError),
        (503, JetServerError),
        (418, JetError),
    ],
)
def test_statuses_map_to_typed_errors_naming_method_path_status(
    status: int, kind: type[JetError]
) -> None:
    error = error_for_response(CALL, _answer(status), attempts=2)
    assert type(error) is kind
    assert (error.method, error.path, error.status, error.attempts) == (
        "GET",
        "/merchant-skus/A",
        status,
        2,
    )


def test_validation_error_carries_jets_errors_list() -> None:
    error = error_for_response(CALL, _answer(400, b'{"errors": ["price: must be > 0", "x"]}'))
    assert isinstance(error, JetValidationError)
    assert error.errors == ("price: must be > 0", "x")


def test_validation_error_also_reads_a_single_error_string() -> None:
    error = error_for_response(CALL, _answer(400, b'{"error": "Date is expected"}'))
    assert isinstance(error, JetValidationError)
    assert error.errors == ("Date is expected",)


def test_rate_limited_error_carries_retry_after() -> None:
    error = error_for_response(CALL, _answer(429), retry_after=12.0)
    assert isinstance(error, JetRateLimited)
    assert error.retry_after == 12.0


def test_bad_login_is_an_auth_error_that_does_not_quote_the_body() -> None:
    login = ApiCall(operation="authenticate", method="POST", path="/token")
    error = error_for_response(login, _answer(400, b'{"errors": ["bad pass hunter2"]}'))
    assert isinstance(error, JetAuthError)
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), FailureKind.NOT_SENT),
        (httpx.ConnectTimeout("slow"), FailureKind.NOT_SENT),
        (httpx.PoolTimeout("busy"), FailureKind.NOT_SENT),
        (httpx.ReadTimeout("slow"), FailureKind.MAYBE_SENT),
        (httpx.WriteTimeout("slow"), FailureKind.MAYBE_SENT),
        (httpx.RemoteProtocolError("dropped"), FailureKind.MAYBE_SENT),
        (httpx.ReadError("reset"), FailureKind.MAYBE_SENT),
    ],
)
def test_transport_failures_are_classified_by_whether_jet_may_have_acted(
    exc: httpx.TransportError, kind: FailureKind
) -> None:
    failure = failure_from_exception(exc)
    assert failure.kind is kind
    assert failure.description.startswith(type(exc).__name__)
