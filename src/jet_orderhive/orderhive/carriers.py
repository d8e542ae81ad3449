"""Jet's carrier names, so a shipment stores the spelling that is sent to Jet.

The list mirrors ``jet_orderhive.jet.enums.Carrier`` (a test keeps the two equal); it lives here
because Orderhive records know nothing of the Jet layer.
"""

from __future__ import annotations

__all__ = ["JET_CARRIERS", "normalize_carrier"]

JET_CARRIERS: tuple[str, ...] = (
    "FedEx",
    "FedEx SmartPost",
    "FedEx Freight",
    "UPS",
    "UPS Freight",
    "UPS Mail Innovations",
    "UPS SurePost",
    "OnTrac",
    "OnTrac Direct Post",
    "DHL",
    "DHL Global Mail",
    "USPS",
    "CEVA",
    "Laser Ship",
    "LaserShip",
    "Spee Dee",
    "A&M Trucking",
    "A Duie Pyle",
    "A1",
    "ABF",
    "APEX",
    "Averitt",
    "Dynamex",
    "Eastern Connection",
    "Ensenda",
    "Estes",
    "GSO",
    "Land Air Express",
    "Lone Star",
    "Meyer",
    "New Penn",
    "Pilot",
    "Prestige",
    "RBF",
    "Reddaway",
    "RL Carriers",
    "Roadrunner",
    "SAIA Freight",
    "Southeastern Freight",
    "UDS",
    "UES",
    "YRC",
    "Other",
    "Old Dominion",
    "Parcel",
    "ConveyDecisioning",
    "JetExpress",
)


def _fold(text: str) -> str:
    # The same folding the Jet layer reads carriers with: case and spacing do not count.
    return "".join(text.split()).casefold()


_BY_FOLD: dict[str, str] = {}
for _name in JET_CARRIERS:
    _BY_FOLD.setdefault(_fold(_name), _name)


def normalize_carrier(name: str | None) -> str | None:
    """Jet's spelling of ``name`` (``"ups"`` -> ``"UPS"``); an unknown name is kept, stripped.

    An unknown carrier is kept so the host sees what it gave; pushing its shipment to Jet is
    refused with a `MappingError` that lists the documented names.
    """
    if name is None:
        return None
    text = name.strip()
    if text in JET_CARRIERS:
        return text
    return _BY_FOLD.get(_fold(text), text)
