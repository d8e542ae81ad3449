"""How a storage folds a re-imported customer into the one it already holds."""

from __future__ import annotations

from typing import Any

import attrs

from jet_orderhive.orderhive.models import Customer

__all__ = ["merge_customer"]


def _is_blank(value: object) -> bool:
    return value is None or value == "" or value == () or value == []


def merge_customer(existing: Customer, incoming: Customer) -> Customer:
    """Return ``existing`` updated with what ``incoming`` knows.

    A value ``incoming`` carries replaces the stored one; a missing (``None`` or empty) value
    keeps the stored one, because a later Jet order may omit what an earlier one had. Sequence
    fields (addresses) accumulate: stored items first, then new ones not already present.
    Adapter authors call this from their ``upsert_customer`` to match the reference adapters.
    """
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(existing)):
        if not field.init:
            continue
        old = getattr(existing, field.name)
        new = getattr(incoming, field.name)
        if isinstance(old, tuple) and isinstance(new, tuple):
            merged = list(old)
            for item in new:
                if item not in merged:
                    merged.append(item)
            if len(merged) != len(old):
                changes[field.alias or field.name] = tuple(merged)
        elif not _is_blank(new) and new != old:
            changes[field.alias or field.name] = new
    return attrs.evolve(existing, **changes) if changes else existing
