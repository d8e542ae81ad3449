"""The two sides of a stored order: Jet's snapshot and the host's intent.

The engine keeps them apart because they change at different times and are written by
different code: imports write the snapshot, the host's commands write the intent, and every
push to Jet is decided from the two (`jet_orderhive.mapping.reconcile`). A `Storage` keeps them
as opaque JSON (`to_json` / `from_json`) beside the host view `SalesOrder`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive import _convert
from jet_orderhive.orderhive.models import Shipment

__all__ = ["OrderIntent", "OrderSides", "OrderSnapshot", "ReturnSeen"]


def _object(data: object, what: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise JetOrderhiveTypeError(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


def _text(data: Mapping[str, object], name: str, what: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise JetOrderhiveTypeError(f"{what}.{name} must be a string, got {type(value).__name__}")


def _units(data: object, what: str) -> dict[str, int]:
    units: dict[str, int] = {}
    for key, value in _object(data, what).items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise JetOrderhiveValueError(f"{what}[{key!r}] must be a count, got {value!r}")
        units[str(key)] = value
    return units


def _ids(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise JetOrderhiveTypeError("shipment_ids must be a collection of ids, not one string")
    return frozenset(value)


def _shipments(value: Iterable[Shipment]) -> tuple[Shipment, ...]:
    shipments = tuple(value)
    for shipment in shipments:
        if not isinstance(shipment, Shipment):
            raise JetOrderhiveTypeError(
                f"intent shipments must be Shipment records, got {type(shipment).__name__}"
            )
    return shipments


@attrs.frozen(kw_only=True)
class ReturnSeen:
    """One Jet return of an order, as last read: its status and the units per order item.

    Only returns the merchant completed count as returned (design §6); the others are kept so
    a later reading that completes them is recognised.
    """

    status: str
    units: Mapping[str, int] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class OrderSnapshot:
    """Jet's side of a stored order: what Jet last showed of it, written only by imports.

    The engine decides every push from this side and the host's `OrderIntent`; neither is
    ever guessed from the other.

    Attributes:
        status: Jet's order status (``ready``, ``acknowledged``, ``inprogress``, ...).
        listed_cancelled: the order was last listed with ``isCancelled=true``.
        acknowledgement_status: how Jet records the order's answer (``accepted``, ...).
        shipment_ids: the ``alt_shipment_id`` of every shipment Jet holds (or confirmed it took).
        directed_cancel: Jet's ``jet_request_directed_cancel`` flag, as Jet sends it.
        returns: return id → the return as last read.
    """

    status: str
    listed_cancelled: bool = False
    acknowledgement_status: str | None = None
    shipment_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)
    directed_cancel: bool = False
    returns: Mapping[str, ReturnSeen] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        """JSON-ready values; `from_json` reads them back equal."""
        return {
            "status": self.status,
            "listed_cancelled": self.listed_cancelled,
            "acknowledgement_status": self.acknowledgement_status,
            "shipment_ids": sorted(self.shipment_ids),
            "directed_cancel": self.directed_cancel,
            "returns": {
                return_id: {"status": seen.status, "units": dict(sorted(seen.units.items()))}
                for return_id, seen in sorted(self.returns.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> OrderSnapshot:
        """Read `to_json` output back; a malformed value raises a typed error naming it."""
        what = "snapshot"
        fields = _object(data, what)
        status = _text(fields, "status", what)
        if status is None:
            raise JetOrderhiveValueError("snapshot.status is missing")
        ids = fields.get("shipment_ids") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise JetOrderhiveTypeError("snapshot.shipment_ids must be a list of strings")
        returns: dict[str, ReturnSeen] = {}
        for return_id, seen in _object(fields.get("returns") or {}, f"{what}.returns").items():
            where = f"{what}.returns[{return_id!r}]"
            one = _object(seen, where)
            returns[str(return_id)] = ReturnSeen(
                status=_text(one, "status", where) or "",
                units=_units(one.get("units") or {}, f"{where}.units"),
            )
        return cls(
            status=status,
            listed_cancelled=bool(fields.get("listed_cancelled")),
            acknowledgement_status=_text(fields, "acknowledgement_status", what),
            shipment_ids=frozenset(ids),
            directed_cancel=bool(fields.get("directed_cancel")),
            returns=returns,
        )


@attrs.frozen(kw_only=True)
class OrderIntent:
    """The host's side of a stored order: what it asked for, written only by its commands.

    ``confirm``, ``ship`` and ``cancel`` (and ``confirm_on_import``) write it; an import
    never does. Asking twice for the same thing leaves it as it was.

    Attributes:
        confirmed: the order is to be acknowledged as ``accepted``.
        rejection: the order is to be rejected with this Jet reason (``rejected - ...``).
        shipments: every shipment and unit cancel asked for, each with its ``alt_shipment_id``.
    """

    confirmed: bool = False
    rejection: str | None = None
    shipments: tuple[Shipment, ...] = attrs.field(default=(), converter=_shipments)

    def shipment(self, alt_shipment_id: str) -> Shipment | None:
        """The asked shipment or cancel with this id, or ``None``."""
        return next((s for s in self.shipments if s.alt_shipment_id == alt_shipment_id), None)

    def to_json(self) -> dict[str, JsonValue]:
        """JSON-ready values; `from_json` reads them back equal."""
        return {
            "confirmed": self.confirmed,
            "rejection": self.rejection,
            "shipments": [_convert.unstructure(shipment) for shipment in self.shipments],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> OrderIntent:
        """Read `to_json` output back; a malformed value raises a typed error naming it."""
        what = "intent"
        fields = _object(data, what)
        items = fields.get("shipments") or []
        if not isinstance(items, list):
            raise JetOrderhiveTypeError("intent.shipments must be a list")
        shipments: tuple[Shipment, ...] = tuple(
            _convert.structure(item, Shipment) for item in items
        )
        return cls(
            confirmed=bool(fields.get("confirmed")),
            rejection=_text(fields, "rejection", what),
            shipments=shipments,
        )


@attrs.frozen(kw_only=True)
class OrderSides:
    """What a storage keeps of an order beside its host view; a side never written is ``None``.

    An order stored without sides (by a host, or by a release that kept none) has both
    ``None``; the engine then reads Jet's side from the host view.
    """

    snapshot: OrderSnapshot | None = None
    intent: OrderIntent | None = None
