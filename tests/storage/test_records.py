"""The records a storage hands back keep buyer data out of their reprs."""

from __future__ import annotations

from datetime import UTC, datetime

from jet_orderhive.storage import QuarantineEntry


def test_quarantine_entry_repr_leaves_out_the_raw_payload() -> None:
    seen = datetime(2020, 1, 6, 9, 30, tzinfo=UTC)
    entry = QuarantineEntry(
        kind="order",
        external_id="9b13bdd68c314d1b9c8b93277dea4da1",
        payload=b'{"buyer": {"name": "Jane Doe", "phone_number": "555-111-2222"}}',
        reason="order_items: required field is missing",
        first_seen=seen,
        last_seen=seen,
    )
    shown = repr(entry)
    assert "Jane Doe" not in shown
    assert "555-111-2222" not in shown
    assert "9b13bdd68c314d1b9c8b93277dea4da1" in shown
    assert "required field is missing" in shown
