"""Jet's date-time forms: every one Jet produced is read, and Jet's request form is written.

Jet emitted ``2015-01-01T21:00:00.0000000Z`` (orders, returns), ``…6347408+00:00`` (merchant
SKUs), ``2016-05-10T03:19:34Z`` (tokens), offset-less ``2016-05-10T03:19:34`` and ``MM/dd/yyyy``
(reports). Offset-less values are UTC. Python keeps microseconds, so a 7th fractional digit is
dropped on reading. Jet required request dates as ``yyyy-MM-ddTHH:mm:ss.fffffff±HH:MM``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from jet_orderhive._errors import JetOrderhiveValueError

__all__ = [
    "format_jet_timestamp",
    "format_request_datetime",
    "is_request_form",
    "parse_jet_datetime",
]

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d{1,7}))?"
    r"(?P<zone>Z|z|[+-]\d{2}:\d{2})?"
)
_US_DATE = re.compile(r"(?P<month>\d{2})/(?P<day>\d{2})/(?P<year>\d{4})")
_REQUEST_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}[+-]\d{2}:\d{2}")


def parse_jet_datetime(text: str) -> datetime:
    """Read any Jet date-time form as an aware ``datetime``; raise ``ValueError`` otherwise."""
    match = _ISO.fullmatch(text)
    if match is not None:
        fraction = (match["fraction"] or "").ljust(6, "0")[:6]
        zone = match["zone"]
        offset = "+00:00" if zone in (None, "Z", "z") else zone
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}{offset}")
    us = _US_DATE.fullmatch(text)
    if us is not None:
        return datetime(int(us["year"]), int(us["month"]), int(us["day"]), tzinfo=UTC)
    raise JetOrderhiveValueError(f"not a Jet date-time: {text!r}")


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise JetOrderhiveValueError(
            f"naive datetime {value.isoformat()!r}: Jet needs an explicit offset"
        )
    return value


def format_request_datetime(value: datetime) -> str:
    """Jet's request form: 7 fractional digits and the value's own offset (UTC as ``+00:00``)."""
    value = _require_aware(value)
    offset = value.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0{sign}{hours:02d}:{mins:02d}"


def format_jet_timestamp(value: datetime) -> str:
    """The form Jet itself wrote for order and return timestamps: UTC, 7 digits, ``Z``."""
    value = _require_aware(value).astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0Z"


def is_request_form(text: str) -> bool:
    """Whether ``text`` is in the exact form Jet accepts in request bodies."""
    return _REQUEST_FORM.fullmatch(text) is not None
