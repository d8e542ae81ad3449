"""Records take what users pass: any iterable for a collection, any case for a carrier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jet_orderhive import JetOrderhiveError
from jet_orderhive.jet.enums import Carrier
from jet_orderhive.orderhive import Address, Customer, Shipment, ShipmentLine
from jet_orderhive.orderhive.carriers import JET_CARRIERS, normalize_carrier


def test_collections_accept_a_list_or_a_generator_and_store_tuples() -> None:
    lines = [ShipmentLine(sku="A", quantity_shipped=1), ShipmentLine(sku="B", quantity_shipped=2)]
    parcel = Shipment(lines=lines)
    assert parcel.lines == tuple(lines)
    assert isinstance(parcel.lines, tuple)
    lines.append(ShipmentLine(sku="C", quantity_shipped=3))
    assert len(parcel.lines) == 2, "the record does not share the caller's list"
    buyer = Customer(email="a@example.com", addresses=(Address(city=c) for c in ("X", "Y")))
    assert buyer.addresses == (Address(city="X"), Address(city="Y"))
    assert parcel == Shipment(lines=tuple(lines[:2])), "a list and a tuple give equal records"


def test_a_wrong_entry_in_a_collection_is_named_by_field_and_index() -> None:
    with pytest.raises(
        TypeError, match=r"lines\[1\] must be a ShipmentLine, got str 'B'"
    ) as caught:
        Shipment(lines=[ShipmentLine(sku="A", quantity_shipped=1), "B"])  # type: ignore[list-item]
    assert isinstance(caught.value, JetOrderhiveError)


@pytest.mark.parametrize("given", ["A-1", ShipmentLine(sku="A", quantity_shipped=1), None])
def test_a_non_collection_is_refused_with_the_field_name(given: object) -> None:
    with pytest.raises(TypeError, match=r"lines must be an iterable of ShipmentLine"):
        Shipment(lines=given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("ups", "UPS"),
        ("  fedex smartpost ", "FedEx SmartPost"),
        ("Ups Freight", "UPS Freight"),
        ("LaserShip", "LaserShip"),
        ("laser ship", "Laser Ship"),
        ("Acme Couriers", "Acme Couriers"),
        (None, None),
    ],
)
def test_a_carrier_is_stored_in_jets_spelling(given: str | None, stored: str | None) -> None:
    parcel = Shipment(
        lines=[ShipmentLine(sku="A", quantity_shipped=1)],
        courier_name=given,
        shipping_date=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert parcel.courier_name == stored


def test_the_carrier_table_is_jets_and_normalises_as_the_jet_layer_reads() -> None:
    assert Carrier.documented() == JET_CARRIERS
    for name in ("ups", "FEDEX", "dhl global mail", "lasership", "jet express", "Other"):
        assert normalize_carrier(name) == str(Carrier(name))


def test_what_is_stored_for_a_carrier_is_what_is_sent_to_jet() -> None:
    from datetime import timedelta

    from jet_orderhive import Integration, MemoryStorage
    from jet_orderhive.testing import JetSandbox

    sandbox = JetSandbox(seed=21)
    order_id = sandbox.add_order(
        sandbox.factory.order(quantities={"SKU-A": 2}, placed_at=sandbox.now() - timedelta(hours=1))
    )
    storage = MemoryStorage()
    integration = Integration(sandbox.client(), storage)
    integration.import_orders()
    parcel = Shipment(
        lines=[ShipmentLine(sku="SKU-A", quantity_shipped=1)],
        courier_name="ups",
        tracking_number="1Z999AA10123456784",
    )
    assert integration.ship(order_id, parcel).ok
    (request,) = [r for r in sandbox.requests if r.kind == "shipped"]
    assert isinstance(request.body, dict)
    sent = request.body["shipments"][0]["carrier"]
    stored = storage.get_order(order_id)
    assert stored is not None
    assert [s.courier_name for s in stored.shipments] == [sent] == ["UPS"]
