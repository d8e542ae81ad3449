"""Desired-state bookkeeping shared by stock and price pushes: collapse, diff, bulk errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

import attrs

from jet_orderhive.storage.records import PushedKey

__all__ = ["DesiredPlan", "diff_desired", "group_by_sku", "skus_named_in_errors"]

V = TypeVar("V")


@attrs.frozen(kw_only=True)
class DesiredPlan(Generic[V]):
    """What a desired-state push must send, and what it skips because Jet already has it.

    Attributes:
        send: ``(sku, node)`` → value, for values that differ from the last one pushed.
        skip: ``(sku, node)`` → value, for values equal to the last one pushed.
    """

    send: dict[PushedKey, V]
    skip: dict[PushedKey, V]

    @property
    def skus_to_send(self) -> list[str]:
        """The SKUs with something to send, each once, in first-seen order."""
        return list(dict.fromkeys(sku for sku, _node in self.send))


def diff_desired(desired: Mapping[PushedKey, V], last: Mapping[PushedKey, V]) -> DesiredPlan[V]:
    """Split desired values into those to send and those equal to the last pushed value."""
    send: dict[PushedKey, V] = {}
    skip: dict[PushedKey, V] = {}
    for key, value in desired.items():
        if key in last and last[key] == value:
            skip[key] = value
        else:
            send[key] = value
    return DesiredPlan(send=send, skip=skip)


def group_by_sku(values: Mapping[PushedKey, V]) -> dict[str, dict[str, V]]:
    """``{(sku, node): v}`` → ``{sku: {node: v}}``, keeping first-seen order."""
    grouped: dict[str, dict[str, V]] = {}
    for (sku, node), value in values.items():
        grouped.setdefault(sku, {})[node] = value
    return grouped


# Jet's bulk error lines read "Position 12, 14: Error: parsing sku 'ABCD' You must ..."; one of
# Jet's own examples spells it "sky", so both spellings are accepted.
_SKU_IN_ERROR = re.compile(r"\bsk[uy]\s+'(?P<sku>[^']*)'", re.IGNORECASE)


def skus_named_in_errors(lines: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Map each known SKU that a bulk-file error line names to that line (first line wins)."""
    wanted = set(known)
    found: dict[str, str] = {}
    for line in lines:
        for match in _SKU_IN_ERROR.finditer(line):
            sku = match["sku"]
            if sku in wanted and sku not in found:
                found[sku] = line
    return found
