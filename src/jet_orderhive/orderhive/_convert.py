"""The one converter between Orderhive records and JSON-ready values.

``Decimal`` stays ``Decimal`` (``jet_orderhive._json.dumps`` writes it exactly), datetimes become
ISO 8601 text with their offset, enums their API string, tuples lists. Reading back accepts what
``_json.loads`` produces for that text (a whole amount comes back as an ``int``) and refuses
floats and naive datetimes, so a round trip through JSON text is exact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

import cattrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue

__all__ = ["structure", "unstructure"]

_T = TypeVar("_T")

_converter = cattrs.Converter(forbid_extra_keys=True)


def _structure_decimal(value: object, _type: type[Decimal]) -> Decimal:
    if isinstance(value, (bool, float)):
        raise JetOrderhiveTypeError(
            f"expected an exact amount (Decimal, int or str), got {value!r}"
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            raise JetOrderhiveValueError("expected a decimal number in text form") from None
    raise JetOrderhiveTypeError(f"expected an amount, got {type(value).__name__}")


def _structure_datetime(value: object, _type: type[datetime]) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:
        raise JetOrderhiveTypeError(
            f"expected an ISO 8601 date-time string, got {type(value).__name__}"
        )
    if parsed.utcoffset() is None:
        raise JetOrderhiveValueError(
            f"date-time {value!s} has no offset; records hold aware datetimes only"
        )
    return parsed


def _structure_int(value: object, _type: type[int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise JetOrderhiveTypeError(f"expected an integer, got {value!r}")
    return value


def _structure_str(value: object, _type: type[str]) -> str:
    # cattrs would call str() on anything, turning a stray null into the text "None".
    if not isinstance(value, str):
        raise JetOrderhiveTypeError(f"expected a string, got {value!r}")
    return value


def _structure_bool(value: object, _type: type[bool]) -> bool:
    if not isinstance(value, bool):
        raise JetOrderhiveTypeError(f"expected true or false, got {value!r}")
    return value


def _is_tuple(cls: object) -> bool:
    return cls is tuple or getattr(cls, "__origin__", None) is tuple


_converter.register_unstructure_hook(Decimal, lambda value: value)
_converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
_converter.register_structure_hook(Decimal, _structure_decimal)
_converter.register_structure_hook(datetime, _structure_datetime)
_converter.register_structure_hook(int, _structure_int)
_converter.register_structure_hook(bool, _structure_bool)
_converter.register_structure_hook(str, _structure_str)
_converter.register_structure_hook(StrEnum, lambda value, cls: cls(value))
# StrEnum needs its own hook: its MRO puts ``str`` (an identity hook) before ``Enum``.
_converter.register_unstructure_hook(StrEnum, lambda member: member.value)
_converter.register_unstructure_hook_func(
    _is_tuple, lambda items: [_converter.unstructure(item) for item in items]
)


def _describe(exc: BaseException, _type: object) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    return str(exc) or type(exc).__name__


def unstructure(record: object) -> dict[str, JsonValue]:
    """Turn an attrs record into a JSON-ready dict."""
    data: dict[str, JsonValue] = _converter.unstructure(record)
    return data


def structure(data: dict[str, JsonValue], cls: type[_T]) -> _T:
    """Build ``cls`` from ``data``, raising a path-qualified ``ValueError`` when it does not fit."""
    try:
        return _converter.structure(data, cls)
    except Exception as exc:  # cattrs raises exception groups; flatten them into one message
        messages = cattrs.transform_error(exc, path=cls.__name__, format_exception=_describe)
        raise JetOrderhiveValueError(f"cannot read {cls.__name__}: " + "; ".join(messages)) from exc
