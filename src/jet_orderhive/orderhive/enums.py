"""Orderhive's enumerations; each member's value is the string Orderhive's API uses."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CommentKind", "ExtraItemType", "OrderStatus", "PaymentStatus", "TaxType"]


class OrderStatus(StrEnum):
    """Orderhive's default sales-order statuses (the only ones that move stock)."""

    NOT_CONFIRMED = "NOT_CONFIRM"
    CONFIRMED = "CONFIRM"
    PARTIALLY_SHIPPED = "PARTIAL_SHIP"
    SHIPPED = "SHIP"
    DELIVERED = "DELIVER"
    CANCELLED = "CANCEL"
    RETURNED = "RETURN"


class PaymentStatus(StrEnum):
    """Whether an order is paid; Jet collected payment itself, so Jet orders are ``PAID``."""

    PAID = "PAID"
    NOT_PAID = "NOT_PAID"
    PARTIAL_PAID = "PARTIAL_PAID"


class TaxType(StrEnum):
    """Whether line prices include tax; Jet reports tax apart from price, so ``EXCLUSIVE``."""

    INCLUSIVE = "INCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"


class ExtraItemType(StrEnum):
    """The kinds of order-level charge Orderhive keeps beside the lines."""

    SHIPPING_COST = "SHIPPING_COST"
    TAX = "TAX"
    DISCOUNT = "DISCOUNT"


class CommentKind(StrEnum):
    """Why a comment was written on an order, so hosts can filter or route them."""

    DIRECTED_CANCEL = "directed_cancel"
    EXCEPTION = "exception"
    SERVICE_LEVEL = "service_level"
    UNKNOWN_STATUS = "unknown_status"
    NOTE = "note"
