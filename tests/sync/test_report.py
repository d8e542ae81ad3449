from datetime import UTC, datetime, timedelta

import pytest

from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder, SyncReport

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
    with pytest.raises(KeyError, match="nope"):
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
    assert data["counts"]["fetched"] == 5  # type: ignore[index]
    assert data["duration_seconds"] == 2


def test_html_escapes_problem_text() -> None:
    builder = ReportBuilder("x", T0)
    builder.problem("order", "<b>", "bad <script>")
    assert "<script>" not in builder.build(T0)._repr_html_()
