"""Cheap checks that let the default mappings build records without re-running validators.

A record's validators run one call per field. The default mappings check the same rules inline,
all at once, and then build the record with `_unvalidated` constructors; when any value fails
the inline check they call the record class itself, so its validator raises exactly the error it
always raised. Records built by users always go through their validators.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from jet_orderhive.orderhive.models import (
    ExtraItem,
    LineItem,
    SalesOrder,
    _unvalidated,
)

__all__ = [
    "aware",
    "counts",
    "make_extra_item",
    "make_line_item",
    "make_sales_order",
    "money",
    "records",
]

make_line_item = _unvalidated(LineItem)
make_extra_item = _unvalidated(ExtraItem)
make_sales_order = _unvalidated(SalesOrder)


def money(*values: object) -> bool:
    """Whether every value passes the records' money validator (a finite ``Decimal``)."""
    for value in values:  # noqa: SIM110 - a loop is cheaper than all() over a generator
        if type(value) is not Decimal or not value.is_finite():
            return False
    return True


def counts(*values: object) -> bool:
    """Whether every value passes the records' count validator (an ``int``, not negative)."""
    for value in values:  # noqa: SIM110 - a loop is cheaper than all() over a generator
        if type(value) is not int or value < 0:
            return False
    return True


def records(value: object, kind: type) -> bool:
    """Whether ``value`` is a tuple of exactly ``kind`` (what the tuple validators accept)."""
    if type(value) is not tuple:
        return False
    for item in value:  # noqa: SIM110 - a loop is cheaper than all() over a generator
        if type(item) is not kind:
            return False
    return True


def aware(value: object, optional: bool = False) -> bool:
    """Whether ``value`` passes the records' aware-datetime validator (or is ``None``)."""
    if value is None:
        return optional
    return isinstance(value, datetime) and value.utcoffset() is not None
