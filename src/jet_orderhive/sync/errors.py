"""Errors the engine raises for a call the host can correct."""

from __future__ import annotations

from jet_orderhive._errors import JetOrderhiveError

__all__ = ["OrderNotStored"]


class OrderNotStored(JetOrderhiveError, KeyError):
    """``confirm``, ``ship`` or ``cancel`` named an order that storage does not hold.

    It is also a ``KeyError``. Import the order first, or check the Jet order id.
    """

    def __str__(self) -> str:
        return (
            f"order {self.args[0]} is not in storage; run import_orders() first "
            "(or check the Jet order id)"
        )
