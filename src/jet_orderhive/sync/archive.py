"""Auto-archive: a linked SKU that Jet archived (or lost) is marked archived in storage.

Nothing is ever deleted: "deleting" a product on Jet means archiving it, and the host decides
what an archived product means for its catalogue.
"""

from __future__ import annotations

from jet_orderhive.jet.enums import ProductStatus
from jet_orderhive.jet.errors import JetError, JetNotFound
from jet_orderhive.jet.models import MerchantSku
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync.report import ReportBuilder

__all__ = ["is_archived_on_jet", "sync_archived"]


def is_archived_on_jet(sku: MerchantSku) -> bool:
    """Whether Jet shows the SKU archived, by its flag or its status."""
    return bool(sku.is_archived) or sku.status == ProductStatus.ARCHIVED


def sync_archived(engine: Engine, report: ReportBuilder) -> None:
    """Check every linked, not yet archived SKU on Jet and mark the archived ones."""
    if not engine.settings.auto_archive:
        report.note("auto_archive is off: no product was checked")
        return
    linked = [entry for entry in engine.storage.linked_skus() if not entry.archived]
    for index, entry in enumerate(linked, start=1):
        engine.tick("check archived products", index, len(linked))
        try:
            archived = is_archived_on_jet(engine.client.get_sku(entry.sku))
            why = "archived on Jet"
        except JetNotFound:
            archived, why = True, "no longer known to Jet"
        except JetError as error:
            report.problem("sku", entry.sku, f"could not read the SKU on Jet: {error}")
            continue
        if not archived:
            continue
        report.count("archived")
        report.note(
            f"SKU {entry.sku} is {why}" + (" (would be archived)" if engine.dry_run else "")
        )
        if not engine.dry_run:
            engine.storage.set_sku_archived(entry.sku, True)
