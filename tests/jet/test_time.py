"""Jet's date forms: every form Jet produced reads as aware, and the request form is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._time import (
    format_jet_timestamp,
    format_request_datetime,
    is_request_form,
    parse_jet_datetime,
)

_OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_AWARE = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=_OFFSETS
)


@pytest.mark.parametrize(
    "text",
    [
        "2015-01-01T21:00:00.0000000Z",
        "2015-01-01T21:00:00.0000000+00:00",
        "2015-01-01T21:00:00Z",
        "2015-01-01T21:00:00",
        "2015-01-01T16:00:00.0000000-05:00",
        "2015-01-01T21:00:00.000Z",
    ],
)
def test_every_jet_form_of_one_instant_reads_to_that_instant(text: str) -> None:
    value = parse_jet_datetime(text)
    assert value.tzinfo is not None
    assert value == datetime(2015, 1, 1, 21, tzinfo=UTC)


def test_the_seventh_fraction_digit_is_dropped_not_rounded() -> None:
    assert parse_jet_datetime("2016-04-06T17:25:06.4214069Z").microsecond == 421406


def test_us_report_dates_read_as_utc_midnight() -> None:
    assert parse_jet_datetime("12/31/2016") == datetime(2016, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2014-07-26T:04:00.0000000Z", "2016-05-10", "", "2016-05-10T03:19:34.12345678Z"]
)
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a Jet date-time"):
        parse_jet_datetime(text)


@given(_AWARE)
def test_request_form_round_trips_and_keeps_the_offset(value: datetime) -> None:
    text = format_request_datetime(value)
    assert is_request_form(text)
    again = parse_jet_datetime(text)
    assert again == value
    assert again.utcoffset() == value.utcoffset()


@given(_AWARE)
def test_jet_timestamp_form_is_utc_with_seven_digits(value: datetime) -> None:
    text = format_jet_timestamp(value)
    assert text.endswith("0Z")
    assert len(text) == len("2015-01-01T21:00:00.0000000Z")
    assert parse_jet_datetime(text) == value


def test_naive_datetimes_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        format_request_datetime(datetime(2016, 5, 10))
    with pytest.raises(ValueError, match="naive datetime"):
        format_jet_timestamp(datetime(2016, 5, 10))


def test_request_form_check_rejects_jets_own_timestamp_form() -> None:
    assert is_request_form("2014-06-11T15:00:00.0000000-07:00")
    assert not is_request_form("2014-06-11T15:00:00.0000000Z")
    assert not is_request_form("2014-06-11T15:00:00-07:00")
