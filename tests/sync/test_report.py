import json
import typing
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.sync.report import (
    Counts,
    PushOutcome,
    PushResult,
    ReportBuilder,
    SyncReport,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _report(operation: str = "import_orders", **counts: int) -> SyncReport:
    builder = ReportBuilder(operation, T0)
    for name, n in counts.items():
        builder.count(name, n)
    return builder.build(T0 + timedelta(seconds=2))


def test_builder_counts_pushes_by_result() -> None:
    builder = ReportBuilder("push_stock", T0)
    builder.push(PushOutcome(kind="stock", target="A", result=PushResult.SENT, value="3"))
    builder.push(PushOutcome(kind="stock", target="B", result=PushResult.SKIPPED))
    builder.push(PushOutcome(kind="stock", target="C", result=PushResult.FAILED, reason="400"))
    builder.push(PushOutcome(kind="stock", target="D", result=PushResult.PLANNED))
    report = builder.build(T0)
    assert (report.counts.pushes_sent, report.counts.pushes_skipped) == (1, 1)
    assert report.counts.pushes_failed == 1
    assert report.push_results("stock")[PushResult.PLANNED] == 1
    assert not report.ok


def test_unknown_count_name_is_refused() -> None:
    with pytest.raises(JetOrderhiveValueError, match="nope"):
        ReportBuilder("x", T0).count("nope")


def test_combine_adds_counts_and_keeps_every_problem() -> None:
    first = _report(created=3, requests=4)
    builder = ReportBuilder("push_stock", T0 + timedelta(seconds=5))
    builder.count("requests", 2)
    builder.problem("order", "abc", "order_items[0].merchant_sku: missing")
    builder.directed_cancel("abc")
    second = builder.build(T0 + timedelta(seconds=9))
    total = SyncReport.combine("run_once", [first, second])
    assert total.counts.created == 3
    assert total.counts.requests == 6
    assert total.duration == 9
    assert total.problems[0].ref == "abc"
    assert total.directed_cancels == ("abc",)


def test_repr_html_and_dict_show_counts() -> None:
    report = _report(created=2, fetched=5)
    assert "created=2" in repr(report)
    assert "fetched=5" in repr(report)
    assert "<td>created</td><td>2</td>" in report._repr_html_()
    data = report.to_dict()
    assert data["counts"]["fetched"] == 5
    assert data["duration_seconds"] == 2


def test_html_escapes_problem_text() -> None:
    builder = ReportBuilder("x", T0)
    builder.problem("order", "<b>", "bad <script>")
    assert "<script>" not in builder.build(T0)._repr_html_()


def test_to_dict_is_typed_key_by_key_for_strict_type_checkers() -> None:
    returned = typing.get_type_hints(SyncReport.to_dict)["return"]
    assert typing.is_typeddict(returned)
    keys = typing.get_type_hints(returned)
    assert keys["ok"] is bool
    counts = keys["counts"]
    assert typing.is_typeddict(counts)
    assert typing.get_type_hints(counts) == {field.name: int for field in attrs.fields(Counts)}


def test_to_dict_has_exactly_its_typed_keys_and_is_json_ready() -> None:
    builder = ReportBuilder("push_stock", T0)
    builder.push(PushOutcome(kind="stock", target="A", result=PushResult.FAILED, reason="400"))
    builder.problem("order", "abc", "cannot map")
    data = builder.build(T0).to_dict()
    hints = typing.get_type_hints(typing.get_type_hints(SyncReport.to_dict)["return"])
    assert set(data) == set(hints)
    assert data["ok"] is False
    push_keys = typing.get_type_hints(hints["pushes"].__args__[0])
    assert set(data["pushes"][0]) == set(push_keys)
    assert data["pushes"][0]["result"] == "failed"
    assert data["problems"] == [
        {"kind": "order", "ref": "abc", "reason": "cannot map"},
        {"kind": "push", "ref": "A", "reason": "stock failed: 400"},
    ]
    assert data["pushes_pending"] == 0
    assert data["next_push_at"] is None
    assert json.loads(json.dumps(data)) == data
