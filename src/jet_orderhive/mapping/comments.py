"""Order comments: Jet has no buyer notes, so comments record what a person should see.

Each comment has a stable ``key`` so a re-import yields the same comments and a host posting
them to Orderhive (``/orders/comments``) can post each once. Comments never carry buyer
personal data.
"""

from __future__ import annotations

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.mapping.status import StatusDecision
from jet_orderhive.orderhive.enums import CommentKind
from jet_orderhive.orderhive.models import Comment

__all__ = ["map_comments"]


def _directed_cancel(jet_order: JetOrder) -> Comment:
    asked = [
        f"{item.merchant_sku} x{item.request_order_cancel_qty}"
        for item in jet_order.order_items
        if item.request_order_cancel_qty
    ]
    what = ", ".join(asked) if asked else "the whole order"
    return Comment(
        key="jet:directed_cancel",
        kind=CommentKind.DIRECTED_CANCEL,
        text=f"Jet asked the merchant to cancel {what}. Answer with a cancellation "
        "(cancel the units) so Jet can close the order.",
    )


def _service_level(jet_order: JetOrder) -> Comment | None:
    detail = jet_order.order_detail
    level = detail.request_service_level if detail is not None else None
    if detail is None or level is None:
        return None
    parts = [f"Requested service level: {level}"]
    if detail.request_shipping_method:
        parts.append(f"method {detail.request_shipping_method}")
    if detail.request_ship_by is not None:
        parts.append(f"ship by {detail.request_ship_by.isoformat()}")
    return Comment(key="jet:service_level", kind=CommentKind.SERVICE_LEVEL, text="; ".join(parts))


def map_comments(
    jet_order: JetOrder, ctx: MappingContext, decision: StatusDecision
) -> tuple[Comment, ...]:
    """Comments for a directed cancel, an exception state and the requested service level."""
    comments: list[Comment] = []
    if decision.directed_cancel:
        comments.append(_directed_cancel(jet_order))
    state = jet_order.exception_state
    if state is not None:
        comments.append(
            Comment(
                key=f"jet:exception:{state}",
                kind=CommentKind.EXCEPTION,
                text=f"Jet exception state: {state}",
            )
        )
    service = _service_level(jet_order)
    if service is not None:
        comments.append(service)
    return tuple(comments)
