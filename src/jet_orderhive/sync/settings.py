"""The integration's settings: Orderhive's Jet channel toggles plus the engine's own knobs."""

from __future__ import annotations

from datetime import timedelta

import attrs

from jet_orderhive._errors import JetOrderhiveValueError

__all__ = ["IntegrationSettings"]


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise JetOrderhiveValueError(f"{attribute.name} must be at least 1, got {value}")


def _not_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise JetOrderhiveValueError(f"{attribute.name} must not be negative, got {value}")


@attrs.frozen(kw_only=True)
class IntegrationSettings:
    """What the engine does on each run; every push toggle defaults to on, as in Orderhive.

    Attributes:
        push_stock: "Push Stock Quantities": send stock levels to Jet.
        push_order_status: "Push Order Status Updates": acknowledge, ship, cancel and reject.
        push_price: "Push Price Updates": send prices to Jet.
        auto_archive: mark a linked SKU archived in storage when Jet archived or lost it.
        initial_sync_days: how far back the first import reaches, by order placement date.
        import_created: also import ``created`` orders (as NOT_CONFIRMED) to reserve stock.
        confirm_on_import: map ``ready`` orders to CONFIRMED (and acknowledge them when
            ``push_order_status`` is on); when off they import as NOT_CONFIRMED for review.
        fulfillment_node_id: the Jet node that stock and node prices go to; when ``None`` the
            engine asks Jet for the merchant's nodes and uses the first one.
        concurrency: how many requests go to Jet at once: order lists, order reads and status
            pushes (one push at a time per order).
        bulk_threshold: stock or price batches larger than this go through Jet's bulk files.
        dry_run: compute everything, write nothing to Jet or to storage.
        payment_method: the payment method name written on imported orders.
        currency: the currency of imported orders (Jet sold in USD only).
        push_retry_delay: first wait before a failed push is tried again; it doubles per attempt.
        max_push_attempts: after this many failures a push stays failed and is reported.
        refresh_budget: open stored orders that no Jet list shows (past its 1,000-id cap) that
            one import re-reads by id; the others are re-read in turn on later runs.
        max_ready_passes: how many times one import lists ``ready`` again while the orders it
            acknowledged make room for more (Jet lists at most 1,000 per status).
        push_attempts_per_run: tries of a status push within one call when Jet's answer is
            unknown (a 5xx, a dropped connection): each later try re-reads the order first.
        push_backoff: wait before the second such try; it doubles for each later one.
        claim_ttl: how long a worker holds an outbox entry it is sending before another worker
            may take it over (and re-read the order on Jet before sending it again).
        lease_ttl: how long ``run_once`` holds its lease before another worker may take over.
        account: the merchant account every record this integration stores belongs to
            (orders, customers, outbox, pushed values, linked SKUs, quarantine, state, leases),
            so one database serves several accounts without one seeing another's data.
    """

    push_stock: bool = True
    push_order_status: bool = True
    push_price: bool = True
    auto_archive: bool = True
    initial_sync_days: int = attrs.field(default=30, validator=_positive)
    import_created: bool = False
    confirm_on_import: bool = True
    fulfillment_node_id: str | None = None
    concurrency: int = attrs.field(default=8, validator=_positive)
    bulk_threshold: int = attrs.field(default=500, validator=_not_negative)
    dry_run: bool = False
    payment_method: str = "Jet"
    currency: str = "USD"
    push_retry_delay: timedelta = timedelta(minutes=1)
    max_push_attempts: int = attrs.field(default=8, validator=_positive)
    refresh_budget: int = attrs.field(default=100, validator=_not_negative)
    max_ready_passes: int = attrs.field(default=50, validator=_positive)
    push_attempts_per_run: int = attrs.field(default=5, validator=_positive)
    push_backoff: timedelta = timedelta(milliseconds=250)
    claim_ttl: timedelta = timedelta(minutes=5)
    lease_ttl: timedelta = timedelta(minutes=15)
    account: str = "default"
