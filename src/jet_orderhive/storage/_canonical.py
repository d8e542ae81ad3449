"""Canonical JSON of the host records, written straight from their fields.

A storage writes every order it stores as canonical JSON (sorted keys, exact ``Decimal``) and
compares that text to tell an unchanged re-import from an update. Building it the general way,
``_json.dumps(order.to_dict(), sort_keys=True)``, unstructures the record into dicts, walks them
to mark each ``Decimal``, sorts every dict while encoding and unmarks the numbers afterwards. A
record's fields are known in advance, so this module generates, once per record class, one
function that writes those fields in sorted order directly.

The text is the same, byte for byte, as the general way writes
(``tests/storage/test_canonical_json.py`` holds the two to each other). Anything the generated
writer was not made for (a subclass, a field holding another type than declared, a non-finite
amount) makes it give up, and the general way writes the record instead, or raises what it
raises.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import attrs

from jet_orderhive import _json
from jet_orderhive._errors import JetOrderhiveTypeError
from jet_orderhive.orderhive.models import Customer, SalesOrder

__all__ = ["build_writer", "record_json", "writer_of"]


class _Unfit(Exception):
    """The value is not what the generated writer expects: write it the general way."""


def _unfit() -> str:
    raise _Unfit


#: Names the generated code refers to.
_GLOBALS: dict[str, Any] = {
    "_enc": encode_basestring,
    "_unfit": _unfit,
    "_Unfit": _Unfit,
    "_Decimal": Decimal,
    "_datetime": datetime,
    "_int_text": int.__repr__,
}

#: How each scalar type is written, as an expression of the variable ``{v}``. Each one
#: gives up (``_unfit()`` or the encoder's ``TypeError``) on a value of another type, as the
#: general writer would write that value differently or refuse it.
_SCALARS: dict[object, str] = {
    # The encoder takes str subclasses (a StrEnum member put in a str field) as the general
    # writer does, and raises TypeError on anything else.
    str: "_enc({v})",
    # ``str`` writes a Decimal in fixed point (as ``format(value, "f")`` does) unless it
    # chooses an exponent, and is three times faster: it runs first.
    Decimal: "((_t if 'E' not in (_t := str({v})) else format({v}, 'f'))"
    " if type({v}) is _Decimal and {v}.is_finite() else _unfit())",
    # ISO 8601 text holds digits, "-", ":", ".", "+" and "T" only: nothing to escape.
    datetime: "('\"' + {v}.isoformat() + '\"' if type({v}) is _datetime else _unfit())",
    int: "(_int_text({v}) if type({v}) is int else _unfit())",
    bool: "('true' if {v} is True else 'false' if {v} is False else _unfit())",
}


def _expression(kind: object, made: dict[type, str], namespace: dict[str, Any]) -> str:
    """The expression that writes a value of the declared type ``kind`` held in ``{v}``."""
    if kind in _SCALARS:
        return _SCALARS[kind]
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return f"('null' if {{v}} is None else {_expression(inner, made, namespace)})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _expression(args[0], made, namespace).format(v="_item")
        joined = f"'[' + ','.join([{item} for _item in {{v}}]) + ']'"
        return f"({joined} if type({{v}}) is tuple else _unfit())"
    if isinstance(kind, type) and issubclass(kind, enum.StrEnum):
        name = f"_E{len(namespace)}"
        namespace[name] = kind
        return f"(_enc({{v}}) if type({{v}}) is {name} else _unfit())"
    if isinstance(kind, type) and attrs.has(kind):
        return f"{_record_writer(kind, made, namespace)}({{v}})"
    raise JetOrderhiveTypeError(f"no canonical writer for {kind!r}")


def _record_writer(cls: type, made: dict[type, str], namespace: dict[str, Any]) -> str:
    """Generate ``write(record) -> str`` for the attrs class ``cls`` (and its field types)
    into ``namespace``; return its name there."""
    if cls in made:
        return made[cls]
    name = made[cls] = f"_write_{cls.__name__}_{len(made)}"
    namespace[f"{name}_cls"] = cls
    hints = typing.get_type_hints(cls)
    fields = sorted(attrs.fields(cls), key=lambda field: field.name)
    lines = [f"def {name}(value):", f"    if type(value) is not {name}_cls:", "        _unfit()"]
    text = ""
    for index, field in enumerate(fields):
        write = _expression(hints[field.name], made, namespace).format(v=f"_{index}")
        lines.append(f"    _{index} = value.{field.name}")
        lines.append(f"    _{index} = {write}")
        key = encode_basestring(field.name).replace("{", "{{").replace("}", "}}")
        text += ("{{" if index == 0 else ",") + f"{key}:{{_{index}}}"
    text += "}}" if fields else "{{}}"
    lines.append(f"    return f{text!r}")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<canonical writer of {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return name


def build_writer(cls: type) -> Callable[[object], str] | None:
    """A generated writer for the attrs class ``cls``, or ``None`` if one of its field types
    has none (its records are then written the general way)."""
    namespace: dict[str, Any] = dict(_GLOBALS)
    try:
        name = _record_writer(cls, {}, namespace)
    except JetOrderhiveTypeError:
        return None
    write: Callable[[object], str] = namespace[name]
    return write


_WRITERS: dict[type, Callable[[object], str]] = {
    cls: write for cls in (SalesOrder, Customer) if (write := build_writer(cls)) is not None
}


def writer_of(cls: type[SalesOrder] | type[Customer]) -> Callable[[object], str]:
    """The generated writer of ``cls``; it raises instead of falling back."""
    return _WRITERS[cls]


def record_json(record: SalesOrder | Customer) -> str:
    """``_json.dumps(record.to_dict(), sort_keys=True)``, written from the fields directly."""
    write = _WRITERS.get(type(record))
    if write is not None:
        try:
            return write(record)
        except (_Unfit, TypeError):
            pass
    return _json.dumps(record.to_dict(), sort_keys=True)
