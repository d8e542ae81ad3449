"""Linking: every SKU the engine sees in a stored order or an accepted push becomes managed.

A linked SKU is one auto-archive checks on Jet (`sync/archive.py`). Linking as the engine goes
means a host never calls ``storage.link_sku`` itself: the SKUs its buyers order and the SKUs it
pushes stock or prices for are exactly the products it sells on Jet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from jet_orderhive.jet._urls import segment_refusals
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.sync._engine import Engine

__all__ = ["link_order_skus", "link_seen_skus"]

log = logging.getLogger("jet_orderhive.sync")


def _linkable(skus: Iterable[str]) -> list[str]:
    """The SKUs a request can name; the others could never be checked on Jet."""
    unique = dict.fromkeys(skus)
    refused = segment_refusals(unique, "SKU")
    return [sku for sku in unique if sku not in refused]


def link_seen_skus(engine: Engine, skus: Iterable[str]) -> list[str]:
    """Link every usable SKU in ``skus`` in one storage call; return the newly linked ones.

    Nothing is written in a dry run.
    """
    wanted = _linkable(skus)
    if engine.dry_run or not wanted:
        return []
    newly = engine.storage.link_skus(wanted, account=engine.account)
    if newly:
        log.debug("linked %d new SKU(s) for auto-archive", len(newly))
    return newly


def link_order_skus(engine: Engine, order: SalesOrder) -> list[str]:
    """Link the SKUs of an order's lines; call it inside the transaction that stores the order."""
    return link_seen_skus(engine, (line.sku for line in order.line_items))
