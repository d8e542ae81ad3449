"""Token cache arithmetic: the refresh margin, the refused token, an unknown expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jet_orderhive.jet._auth import ASSUMED_LIFETIME, TokenCache, with_expiry
from jet_orderhive.jet.models import Token

NOW = datetime(2016, 5, 10, 12, 0, tzinfo=UTC)


def _token(text: str, minutes_left: float | None) -> Token:
    expires = None if minutes_left is None else NOW + timedelta(minutes=minutes_left)
    return Token(id_token=text, expires_on=expires)


def test_a_token_inside_the_margin_is_not_used() -> None:
    cache = TokenCache(timedelta(minutes=5))
    cache.adopt(_token("t1", 6))
    assert cache.valid(NOW) == "t1"
    assert cache.valid(NOW + timedelta(minutes=1, seconds=1)) is None


def test_the_token_jet_refused_is_not_offered_again() -> None:
    cache = TokenCache(timedelta(0))
    cache.adopt(_token("t1", 60))
    assert cache.valid(NOW, stale="t1") is None
    assert cache.valid(NOW, stale="t0") == "t1"


def test_a_token_without_expiry_is_never_usable_until_given_one() -> None:
    cache = TokenCache(timedelta(0))
    token = _token("t1", None)
    assert not cache.usable(token, NOW)
    dated = with_expiry(token, NOW)
    assert dated.expires_on == NOW + ASSUMED_LIFETIME
    assert cache.usable(dated, NOW)
    assert with_expiry(_token("t2", 1), NOW).expires_on == NOW + timedelta(minutes=1)


def test_an_empty_cache_has_no_token() -> None:
    assert TokenCache(timedelta(0)).valid(NOW) is None


def test_token_repr_hides_the_token_text() -> None:
    assert "secret-token-text" not in repr(_token("secret-token-text", 10))


def test_a_token_shorter_than_twice_the_margin_is_used_for_half_its_life() -> None:
    cache = TokenCache(timedelta(minutes=5))
    cache.adopt(_token("t1", 2), fetched_at=NOW)
    assert cache.valid(NOW) == "t1"
    assert cache.valid(NOW + timedelta(seconds=59)) == "t1"
    assert cache.valid(NOW + timedelta(minutes=1)) is None


def test_a_token_already_expired_by_a_skewed_clock_is_used_for_the_assumed_lifetime() -> None:
    cache = TokenCache(timedelta(minutes=5))
    cache.adopt(_token("t1", -120), fetched_at=NOW)  # this machine runs 2 h ahead of Jet
    assert cache.valid(NOW) == "t1"
    assert cache.valid(NOW + ASSUMED_LIFETIME - timedelta(minutes=6)) == "t1"
    assert cache.valid(NOW + ASSUMED_LIFETIME - timedelta(minutes=5)) is None


def test_a_stored_token_keeps_the_plain_margin() -> None:
    cache = TokenCache(timedelta(minutes=5))
    cache.adopt(_token("t1", 2))
    assert cache.valid(NOW) is None
