"""The engine's shared context: the client, storage, settings and clock one run works with."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

import attrs

from jet_orderhive._clock import utc_now
from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet.client import JetClient
from jet_orderhive.jet.enums import AckStatus
from jet_orderhive.jet.models import Acknowledgement, JetOrder, ShipNotice
from jet_orderhive.mapping import Mappings
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.orderhive.models import Customer, SalesOrder, Shipment
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.sync._explain import annotate
from jet_orderhive.sync.progress import ProgressCallback, emit
from jet_orderhive.sync.report import ReportBuilder, SyncReport
from jet_orderhive.sync.settings import IntegrationSettings

__all__ = ["Engine", "Lease", "LeaseLost", "utc_now"]

log = logging.getLogger("jet_orderhive.sync")


class LeaseLost(Exception):
    """Another worker took over the lease mid-step; the step stops before its next item."""


@attrs.define(kw_only=True)
class Lease:
    """A storage lease ``run_once`` holds, renewed as work advances so a long step keeps it."""

    name: str
    owner: str
    ttl: timedelta
    renewed_at: datetime


@attrs.define(kw_only=True)
class Engine:
    """Everything the steps share; the `Integration` facade builds one and hands it around."""

    client: JetClient
    storage: Storage
    settings: IntegrationSettings
    mappings: Mappings
    clock: Callable[[], datetime] = utc_now
    progress: ProgressCallback | None = None
    sleep: Callable[[float], None] = time.sleep
    lease: Lease | None = None
    default_node: str | None = None
    """The merchant's first fulfillment node, once Jet was asked for it."""

    @property
    def dry_run(self) -> bool:
        """Whether this engine computes without writing to Jet or storage."""
        return self.settings.dry_run

    def now(self) -> datetime:
        """The injected clock's time, refused if naive (all engine times are aware)."""
        value = self.clock()
        if value.utcoffset() is None:
            raise JetOrderhiveValueError(f"the clock returned a naive datetime {value.isoformat()}")
        return value

    @property
    def account(self) -> str:
        """The merchant account every storage call of this engine is scoped to."""
        return self.settings.account

    def mapping_context(self) -> MappingContext:
        """The mapping environment these settings describe."""
        settings = self.settings
        return MappingContext(
            payment_method=settings.payment_method,
            currency=settings.currency,
            clock=self.now,
            fulfillment_node_id=settings.fulfillment_node_id,
            import_created=settings.import_created,
            confirm_on_import=settings.confirm_on_import,
        )

    # The mapping bundle is called only through these methods, so its shape lives in one place.

    def map_order(self, jet_order: JetOrder) -> SalesOrder:
        """Jet order → Orderhive sales order, by the configured mapping."""
        return self.mappings.order(jet_order, self.mapping_context(), mappings=self.mappings)

    def map_customer(self, jet_order: JetOrder) -> Customer | None:
        """Jet order → its buyer as an Orderhive customer (``None`` if it has none)."""
        return self.mappings.customer(jet_order, self.mapping_context())

    def acknowledgement(self, order: SalesOrder) -> Acknowledgement:
        """The ``accepted`` acknowledgement of a stored order."""
        return self.mappings.acknowledgement(order, self.mapping_context())

    def rejection(self, order: SalesOrder, reason: AckStatus) -> Acknowledgement:
        """The rejection of a stored order that Jet still shows as ``ready``."""
        return self.mappings.rejection(order, self.mapping_context(), reason=reason)

    def ship_notice(self, order: SalesOrder, shipment: Shipment) -> ShipNotice:
        """The shipped notification for one shipment of ``order`` (as it was before it)."""
        return self.mappings.ship_notice(order, shipment, self.mapping_context())

    def cancel_notice(
        self, order: SalesOrder, lines: Mapping[str, int], alt_shipment_id: str
    ) -> ShipNotice:
        """The cancel shipment for ``lines`` (SKU → units) of ``order`` (as it was before it)."""
        return self.mappings.cancel_notice(
            order, lines, self.mapping_context(), alt_shipment_id=alt_shipment_id
        )

    def tick(self, step: str, done: int, total: int | None) -> None:
        """Report progress to the host's callback, and keep a held lease alive.

        Raises:
            LeaseLost: the lease could not be renewed; another worker may be running.
        """
        emit(self.progress, step, done, total)
        self.keep_alive(step)

    def keep_alive(self, step: str) -> None:
        """Renew a held lease once a third of its TTL has passed since the last renewal.

        Called between units of work and right before each push is handed to a worker, so a
        long batch of pushes keeps the lease as a long fetch does.

        Raises:
            LeaseLost: the lease could not be renewed; another worker may be running.
        """
        lease = self.lease
        if lease is None:
            return
        now = self.now()
        # Renew well before expiry: a step longer than the TTL would otherwise let a second
        # worker start the same work (and send the same pushes) alongside this one.
        if now - lease.renewed_at < lease.ttl / 3:
            return
        if not self.storage.renew_lease(lease.name, lease.owner, lease.ttl, account=self.account):
            raise LeaseLost(f"lost the lease {lease.name!r} during {step!r}")
        lease.renewed_at = now

    @contextmanager
    def step(self, operation: str) -> Iterator[ReportBuilder]:
        """Collect one engine call's report, adding the Jet requests it cost."""
        before = self.client.stats
        builder = ReportBuilder(operation, self.now(), dry_run=self.dry_run)
        yield builder
        after = self.client.stats
        builder.count("requests", after.requests - before.requests)
        builder.count("retries", after.retries - before.retries)

    def finish(self, builder: ReportBuilder) -> SyncReport:
        """Freeze a builder at the clock's current time and log its counts (never buyer data)."""
        annotate(self, builder)
        report = builder.build(self.now())
        log.info("%s finished: %s", report.operation, report.counts.nonzero() or "nothing to do")
        return report
