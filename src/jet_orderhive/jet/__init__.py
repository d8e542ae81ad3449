"""The Jet Merchant API layer: wire models, converter, clients and errors."""

from __future__ import annotations

from jet_orderhive.jet.errors import (
    JetAuthError,
    JetConflict,
    JetError,
    JetNotFound,
    JetPayloadError,
    JetRateLimited,
    JetServerError,
    JetTransportError,
    JetValidationError,
)

__all__ = [
    "JetAuthError",
    "JetConflict",
    "JetError",
    "JetNotFound",
    "JetPayloadError",
    "JetRateLimited",
    "JetServerError",
    "JetTransportError",
    "JetValidationError",
]
