"""Auto-archive: a linked SKU that Jet archived (or lost) is marked archived in storage.

Nothing is ever deleted: "deleting" a product on Jet means archiving it, and the host decides
what an archived product means for its catalogue.
"""

from __future__ import annotations

import logging

from jet_orderhive.jet.enums import ProductStatus
from jet_orderhive.jet.errors import JetError, JetNotFound
from jet_orderhive.jet.models import MerchantSku
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync.report import ReportBuilder

__all__ = ["is_archived_on_jet", "sync_archived"]

log = logging.getLogger("jet_orderhive.sync")


def is_archived_on_jet(sku: MerchantSku) -> bool:
    """Whether Jet shows the SKU archived, by its flag or its status."""
    return bool(sku.is_archived) or sku.status == ProductStatus.ARCHIVED


def sync_archived(engine: Engine, report: ReportBuilder) -> None:
    """Check every linked, not yet archived SKU on Jet and mark the archived ones."""
    if not engine.settings.auto_archive:
        report.note("auto_archive is off: no product was checked")
        return
    linked = [
        entry for entry in engine.storage.linked_skus(account=engine.account) if not entry.archived
    ]
    newly: list[str] = []
    for index, entry in enumerate(linked, start=1):
        engine.tick("check archived products", index, len(linked))
        try:
            archived = is_archived_on_jet(engine.client.get_sku(entry.sku))
        except JetNotFound:
            archived = True
        except JetError as error:
            report.problem("sku", entry.sku, f"could not read the SKU on Jet: {error}")
            continue
        if not archived:
            continue
        newly.append(entry.sku)
        log.info("SKU %s is archived or gone on Jet", entry.sku)
        if not engine.dry_run:
            engine.storage.set_sku_archived(entry.sku, True, account=engine.account)
    report.count("archived", len(newly))
    if newly:
        shown = ", ".join(newly[:10]) + (f" and {len(newly) - 10} more" if len(newly) > 10 else "")
        verb = "would be" if engine.dry_run else "were"
        report.note(f"{len(newly)} SKU(s) archived or gone on Jet {verb} marked archived: {shown}")
