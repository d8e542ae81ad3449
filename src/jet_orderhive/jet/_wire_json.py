"""Jet's JSON as the client accepts it: UTF-8 text, one value per key, finite numbers, bounded
nesting, and strings that every store can keep.

``json.loads`` alone takes a last duplicate key silently, reads ``NaN`` and ``Infinity``, keeps
a ``"\\udc80"`` escape as a lone surrogate (which no UTF-8 store can write) and raises
``RecursionError`` on deep nesting. :func:`read_json` turns each of those into a problem naming
its JSON path, such as ``buyer.name: lone surrogate U+DC80 at index 0``, and reports them all
together in one :class:`JsonProblems` (a ``ValueError``).
"""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal
from typing import Final, cast

from jet_orderhive._json import JsonValue

__all__ = ["MAX_DEPTH", "JsonProblems", "read_json"]

#: How deeply arrays and objects may nest. Jet's deepest real payload (an order's
#: ``order_items[].tax_info.taxable_amounts.tax_districts[]``) is 6 levels; 64 is generous, and
#: shallow enough that nothing downstream (storage, logging, ``copy``) recurses too deeply.
MAX_DEPTH: Final = 64
#: How many problems one error lists; a body with thousands of bad strings gives a short error.
_MAX_PROBLEMS: Final = 20
#: A ``\uD800``-``\uDFFF`` escape: the only way a lone surrogate gets into UTF-8 JSON text.
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


class JsonProblems(ValueError):
    """The text is not acceptable JSON; ``errors`` holds each problem with its JSON path."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = tuple(errors)
        more = (total or len(errors)) - len(errors)
        text = "; ".join(errors) + (f"; and {more} more problems" if more > 0 else "")
        super().__init__(text)


class _NonFinite:
    """Stands for ``NaN``/``Infinity`` until the walk reports it with its path."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Duplicated(dict[str, object]):
    """An object whose text named some keys more than once (the last value won)."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, object]], duplicates: list[str]) -> None:
        super().__init__(pairs)
        self.duplicates = duplicates


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    return _Duplicated(pairs, duplicates)


def _key_path(path: str, key: str) -> str:
    if key.isascii() and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!a}]"


def _string_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"lone surrogate U+{ord(text[exc.start]):04X} at index {exc.start}"
    return None


def _decode(data: str | bytes | bytearray) -> str:
    if isinstance(data, str):
        return data
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = bytes(data)[exc.start]
        raise JsonProblems(
            [f"the payload is not UTF-8: byte 0x{bad:02x} at offset {exc.start}"]
        ) from None
    return text.removeprefix("\ufeff")


class _Reader(threading.local):
    """One JSON decoder per thread, whose hooks note in ``marks`` when they met a repeated key
    or a non-number (building a decoder costs as much as reading a small object)."""

    def __init__(self) -> None:
        self.marks: list[str] = []
        marks = self.marks

        def constant(name: str) -> _NonFinite:
            marks.append(name)
            return _NonFinite(name)

        def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
            result = dict(items)
            if len(result) == len(items):
                return result
            marks.append("duplicate")
            return _object(items)

        self.decoder = json.JSONDecoder(
            parse_float=Decimal, parse_constant=constant, object_pairs_hook=pairs
        )


_reader = _Reader()


def _parse(text: str) -> tuple[object, bool]:
    """``json.loads`` with exact fractions; also whether it met a repeated key or a non-number."""
    reader = _reader
    marks = reader.marks
    marks.clear()
    try:
        if text.startswith("\ufeff"):  # as json.loads says of a text that still starts with one
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = reader.decoder.decode(text)
    except RecursionError:
        raise JsonProblems(
            [f"the payload nests arrays or objects far more than {MAX_DEPTH} levels deep"]
        ) from None
    except ValueError as exc:
        raise JsonProblems([f"the payload is not valid JSON: {exc}"]) from None
    return value, bool(marks)


def _plainly_fine(text: str, *, from_bytes: bool) -> bool:
    """Whether the text alone rules out lone surrogates and deep nesting, so the walk that
    names their paths (most of the cost of reading) can be skipped."""
    if not from_bytes and not text.isascii():
        try:
            text.encode("utf-8")  # strict UTF-8 bytes can never decode to a lone surrogate
        except UnicodeEncodeError:
            return False
    # One character is found at memchr speed: the escape pattern is searched for only after a
    # backslash turned up.
    if "\\" in text and _SURROGATE_ESCAPE.search(text) is not None:
        return False
    # Nesting can be no deeper than the number of brackets that open it.
    return text.count("{") + text.count("[") <= MAX_DEPTH


def read_json(data: str | bytes | bytearray) -> JsonValue:
    """Parse Jet's JSON (fractions as exact ``Decimal``); raise :class:`JsonProblems` if it is
    not UTF-8, not JSON, nests deeper than :data:`MAX_DEPTH`, repeats a key, holds ``NaN`` or
    ``Infinity``, or holds a string (or key) with a lone surrogate."""
    text = _decode(data)
    value, marked = _parse(text)
    if not marked and _plainly_fine(text, from_bytes=not isinstance(data, str)):
        return cast(JsonValue, value)
    problems: list[str] = []
    total = 0

    def problem(path: str, message: str) -> None:
        nonlocal total
        total += 1
        if len(problems) < _MAX_PROBLEMS:
            problems.append(f"{path}: {message}" if path else message)

    # Iterative, so a payload can never exhaust the stack here either.
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            found = _string_problem(item)
            if found is not None:
                problem(path, found)
        elif isinstance(item, _NonFinite):
            problem(path, f"{item.name} is not a JSON number")
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                problem(path, f"nests more than {MAX_DEPTH} levels deep")
                continue
            if isinstance(item, _Duplicated):
                for key in item.duplicates:
                    problem(_key_path(path, key), "the key appears more than once")
            if isinstance(item, dict):
                children = [
                    (child, _key_path(path, key), key) for key, child in reversed(item.items())
                ]
                for child, child_path, key in children:
                    found = _string_problem(key)
                    if found is not None:
                        problem(child_path, f"the key has a {found}")
                    stack.append((child, child_path, depth + 1))
            else:
                for index in range(len(item) - 1, -1, -1):
                    stack.append((item[index], f"{path}[{index}]", depth + 1))
    if problems:
        raise JsonProblems(problems, total)
    return cast(JsonValue, value)
