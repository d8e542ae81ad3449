"""JSON text <-> Python values with money kept exact.

Numbers with a fraction or exponent are read as :class:`decimal.Decimal` straight from the text,
never through ``float``, and a ``Decimal`` is written back as a plain JSON number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import cast

from typing_extensions import TypeAliasType

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError

__all__ = ["JsonValue", "dumps", "loads"]

# A real alias object (not a string-referencing union) so that ``typing.get_type_hints`` can
# resolve public signatures that mention it from any module.
JsonValue = TypeAliasType(
    "JsonValue",
    "bool | int | Decimal | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None",
)


def loads(text: str | bytes | bytearray) -> JsonValue:
    """Parse JSON, reading every non-integer number as an exact ``Decimal``."""
    # json.loads(text, parse_float=Decimal), without building a decoder on every call.
    if isinstance(text, str):
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    elif isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    else:
        return json.loads(text, parse_float=Decimal)  # for its TypeError
    value: JsonValue = _DECODER.decode(text)
    return value


_DECODER = json.JSONDecoder(parse_float=Decimal)


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise JetOrderhiveValueError(f"cannot write {value} as a JSON number")
    # Fixed-point text ("10.10", "0.000001"): JSON allows exponents, but Jet's parser is .NET's
    # and plain digits are what every Jet example shows.
    return format(value, "f")


def dumps(value: object, *, sort_keys: bool = False) -> str:
    """Write ``value`` as compact JSON; ``Decimal`` becomes a number, ``float`` is refused."""
    # The C encoder cannot write a Decimal as a number, so each one travels through it as a
    # marked string and the marks are taken off afterwards. A NUL in a real string would make
    # the marks ambiguous; such rare values take the pure-Python writer instead.
    try:
        prepared = _prepare(value)
    except _HasNul:
        parts: list[str] = []
        _write(value, parts, sort_keys)
        return "".join(parts)
    text = _ENCODER_SORTED.encode(prepared) if sort_keys else _ENCODER.encode(prepared)
    return _unmark(text) if _OPEN in text else text


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_ENCODER_SORTED = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
)
#: How the C encoder writes a marked Decimal, ``"\\u0000<digits>\\u0000"``: the NUL is
#: escaped, the number text is not. No real string holds a NUL, so the opening mark (a string
#: that starts with an escaped NUL) occurs nowhere else, and the first closing mark after it
#: ends the number, whose digits hold no backslash.
_OPEN = '"\\u0000'
_CLOSE = '\\u0000"'


def _unmark(text: str) -> str:
    head, *numbers = text.split(_OPEN)
    return head + "".join([number.replace(_CLOSE, "", 1) for number in numbers])


class _HasNul(Exception):
    """A string holds NUL, which the Decimal marks use."""


def _prepare(value: object) -> object:
    """``value`` with each Decimal as ``"\\0<digits>\\0"``, checked as :func:`_write` checks it."""
    kind = type(value)
    # The exact common types first; subclasses and other mappings take the general checks.
    if kind is dict:
        return _prepare_mapping(cast("dict[object, object]", value))
    if kind is str or isinstance(value, str):
        if "\0" in cast("str", value):
            raise _HasNul
        return value
    if value is None or kind is bool or kind is int:
        return value
    if kind is Decimal or isinstance(value, Decimal):
        return f"\0{_decimal_text(cast('Decimal', value))}\0"
    if kind is list or kind is tuple:
        return [_prepare(item) for item in cast("list[object]", value)]
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        raise JetOrderhiveTypeError("refusing to write a float as money; pass a Decimal")
    if isinstance(value, Mapping):
        return _prepare_mapping(value)
    if isinstance(value, (list, tuple)):
        return [_prepare(item) for item in value]
    raise JetOrderhiveTypeError(f"cannot write {type(value).__name__} as JSON")


def _prepare_mapping(value: Mapping[object, object]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise JetOrderhiveTypeError(
                f"JSON object keys must be strings, not {type(key).__name__}"
            )
        if "\0" in key:
            raise _HasNul
        # Leaves inline: most values are, and a call per value is most of the walk's cost.
        kind = type(item)
        if kind is str:
            if "\0" in cast("str", item):
                raise _HasNul
            result[key] = item
        elif kind is int or item is None or kind is bool:
            result[key] = item
        else:
            result[key] = _prepare(item)
    return result


def _write(value: object, out: list[str], sort_keys: bool) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    elif isinstance(value, float):
        raise JetOrderhiveTypeError("refusing to write a float as money; pass a Decimal")
    elif isinstance(value, Mapping):
        items = sorted(value.items()) if sort_keys else value.items()
        out.append("{")
        for index, (key, item) in enumerate(items):
            if not isinstance(key, str):
                raise JetOrderhiveTypeError(
                    f"JSON object keys must be strings, not {type(key).__name__}"
                )
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(item, out, sort_keys)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, sort_keys)
        out.append("]")
    else:
        raise JetOrderhiveTypeError(f"cannot write {type(value).__name__} as JSON")
