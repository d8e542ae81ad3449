"""``_json.loads`` reuses one decoder, and reads every input exactly as
``json.loads(text, parse_float=Decimal)`` does: the same values, the same errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest

from jet_orderhive._json import loads

INPUTS: list[object] = [
    '{"a": 1.50, "b": [1, 2e3, -0.0], "c": "\\u00e9"}',
    b'{"a": 1.5}',
    bytearray(b"[1.25]"),
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-32-le"),
    b"\xef\xbb\xbf[1]",  # a UTF-8 BOM in bytes is skipped
    "\ufeff[1]",  # in text it is refused
    "[1",
    "",
    "NaN",
    b"\xff\xfe\x00",
    "  [1]  ",
    "[1] x",
    5,
    None,
]


def _outcome(read: Callable[[], object]) -> tuple[str, object]:
    try:
        value = read()
    except Exception as error:  # the error itself is what is compared
        return ("error", (type(error), str(error)))
    return ("value", (repr(value), value))


@pytest.mark.parametrize("text", INPUTS, ids=repr)
def test_loads_reads_as_json_loads_with_decimal_fractions(text: object) -> None:
    expected = _outcome(lambda: json.loads(text, parse_float=Decimal))  # type: ignore[arg-type]
    assert _outcome(lambda: loads(text)) == expected  # type: ignore[arg-type]


def test_threads_share_the_decoder_safely() -> None:
    payload = json.dumps({"items": [{"price": f"{n}.25", "n": n} for n in range(50)]})
    payload = payload.replace('"price": "', '"price": ').replace('.25"', ".25")
    expected = json.loads(payload, parse_float=Decimal)
    results: list[bool] = []

    def read() -> None:
        results.extend(loads(payload) == expected for _ in range(200))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 800
