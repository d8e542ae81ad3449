"""Reports that tell the truth: failures in the headline, in the HTML, and in a dry run."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive import JetOrderhiveError, SyncProblemsError
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder, SyncReport
from jet_orderhive.testing.sandbox import JetSandbox

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _failed_push_report() -> SyncReport:
    builder = ReportBuilder("run_once", T0)
    builder.count("created", 2)
    builder.count("requests", 7)
    builder.push(PushOutcome(kind="acknowledge", target="o-1", result=PushResult.SENT))
    builder.push(
        PushOutcome(
            kind="acknowledge",
            target="o-2",
            result=PushResult.FAILED,
            reason="Jet failed (HTTP 503); retried at 2026-01-01T00:01:00+00:00",
        )
    )
    builder.directed_cancel("o-3")
    builder.note("initial sync: <all> orders were considered")
    builder.outbox(1, T0 + timedelta(minutes=1))
    return builder.build(T0 + timedelta(seconds=2))


def test_headline_counts_failed_pushes_as_problems_and_says_when_pending_ones_retry() -> None:
    report = _failed_push_report()
    assert repr(report) == (
        "<SyncReport run_once 2.00s: created=2 pushes_sent=1 pushes_failed=1 requests=7;"
        " 1 problem(s), 1 push(es) failed, 1 pending (next attempt 2026-01-01T00:01:00+00:00)>"
    )
    assert str(report).splitlines()[0] == repr(report)
    assert not report.ok


PINNED_HTML = (
    '<div><p><strong><span style="color:#cf222e">&#10007; failed</span></strong>'
    " <strong>SyncReport run_once</strong>: 1 problem(s), 1 push(es) failed, 1 pending"
    " (next attempt 2026-01-01T00:01:00+00:00)</p>"
    "<p>started 2026-01-01T00:00:00+00:00, finished 2026-01-01T00:00:02+00:00 (2.00s)</p>"
    "<table><thead><tr><th>count</th><th>value</th></tr></thead><tbody>"
    "<tr><td>created</td><td>2</td></tr><tr><td>pushes sent</td><td>1</td></tr>"
    "<tr><td>pushes failed</td><td>1</td></tr><tr><td>requests</td><td>7</td></tr>"
    "</tbody></table>"
    "<p>Notes</p><ul><li>initial sync: &lt;all&gt; orders were considered</li></ul>"
    "<p>Directed cancels requested</p><ul><li><code>o-3</code></li></ul>"
    "<p>Problems</p><ul><li><code>push o-2</code>: acknowledge failed: Jet failed (HTTP 503);"
    " retried at 2026-01-01T00:01:00+00:00</li></ul>"
    "<p>Pushes</p><table><thead><tr><th>kind</th><th>target</th><th>node</th><th>value</th>"
    "<th>result</th><th>reason</th></tr></thead><tbody>"
    "<tr><td>acknowledge</td><td>o-1</td><td></td><td></td><td>sent</td><td></td></tr>"
    "<tr><td>acknowledge</td><td>o-2</td><td></td><td></td><td>failed</td>"
    "<td>Jet failed (HTTP 503); retried at 2026-01-01T00:01:00+00:00</td></tr>"
    "</tbody></table></div>"
)


def test_html_of_a_report_with_a_failed_push_is_pinned() -> None:
    assert _failed_push_report()._repr_html_() == PINNED_HTML


def _text_of(line: str) -> str:
    """What one ``str()`` line says, without its label, as the HTML escapes it."""
    return html.escape(line.split("]: ", 1)[-1].split(": ", 1)[-1].strip())


def test_html_shows_everything_str_shows() -> None:
    report = _failed_push_report()
    page = report._repr_html_()
    for line in str(report).splitlines()[1:]:
        assert _text_of(line) in page, line
    assert html.escape(report.summary()) in page
    assert report.started_at.isoformat() in page


def test_an_ok_report_is_marked_ok() -> None:
    builder = ReportBuilder("push_stock", T0)
    builder.push(PushOutcome(kind="stock", target="A", result=PushResult.SENT, value="3"))
    page = builder.build(T0)._repr_html_()
    assert "&#10003; ok" in page
    assert "failed</span>" not in page
    assert "<td>stock</td><td>A</td><td></td><td>3</td><td>sent</td>" in page


def test_a_refused_push_is_one_problem_not_two() -> None:
    builder = ReportBuilder("flush_pushes", T0)
    reason = "Jet refused it: bad request (HTTP 400)"
    builder.push(PushOutcome(kind="ship", target="o-1", result=PushResult.FAILED, reason=reason))
    builder.problem("push", "o-1", f"ship ship:o-1:1 is not sent: {reason}; ship it again")
    report = builder.build(T0)
    assert len(report.problems) == 1
    assert report.summary().startswith("1 problem(s), 1 push(es) failed")


def test_raise_for_problems_raises_a_typed_error_carrying_the_report() -> None:
    report = _failed_push_report()
    with pytest.raises(SyncProblemsError) as caught:
        report.raise_for_problems()
    assert isinstance(caught.value, JetOrderhiveError)
    assert caught.value.report is report
    assert "run_once: 1 problem(s), 1 push(es) failed" in str(caught.value)
    assert "[push o-2] acknowledge failed" in str(caught.value)


def test_raise_for_problems_returns_an_ok_report_so_it_chains() -> None:
    report = ReportBuilder("push_stock", T0).build(T0)
    assert report.raise_for_problems() is report


# -- against the sandbox: the measured examples ------------------------------------------------


def test_run_with_failing_acknowledgements_headlines_its_problems(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(4)
    sandbox.fail_randomly(1.0, kind="acknowledge")
    report = make_integration().run_once()
    assert report.counts.pushes_failed == 4
    assert len(report.problems) == 4
    assert {p.kind for p in report.problems} == {"push"}
    assert report.pushes_pending == 4
    assert report.next_push_at is not None
    assert "4 problem(s), 4 push(es) failed, 4 pending (next attempt " in repr(report)
    assert "HTTP 503" in report._repr_html_()
    with pytest.raises(SyncProblemsError):
        report.raise_for_problems()


def test_dry_run_says_would_create_and_lists_its_planned_acknowledgements(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(3)
    report = make_integration(dry_run=True).run_once()
    assert "would_create=3" in repr(report)
    assert " created=" not in repr(report)
    assert "would_push=3" in repr(report)
    text = str(report)
    page = report._repr_html_()
    for order_id in ids:
        assert f"would push [acknowledge {order_id}]" in text
        assert f"<td>acknowledge</td><td>{order_id}</td><td></td><td></td><td>planned</td>" in page
    assert "would create" in page
    assert "(dry run)" in page


def test_sync_archived_products_with_nothing_linked_says_why(
    make_integration: MakeIntegration,
) -> None:
    report = make_integration().sync_archived_products()
    assert any("no SKU is linked" in note and "link_sku" in note for note in report.notes)


def test_sync_archived_products_says_what_it_checked(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    sandbox.add_sku("SKU-1")
    memory.link_sku("SKU-1")
    report = make_integration().sync_archived_products()
    assert report.notes == ("1 linked SKU(s) were checked on Jet; none is archived or gone",)


def test_every_idle_step_says_why_it_did_nothing(make_integration: MakeIntegration) -> None:
    integration = make_integration()
    reports = [
        integration.import_orders(),
        integration.flush_pushes(),
        integration.import_returns(),
        integration.push_stock({}),
        integration.push_prices({}),
    ]
    for report in reports:
        assert report.notes, report.operation
    assert "outbox holds none" in reports[1].notes[0]


def test_an_import_with_nothing_new_says_so(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(2)
    integration = make_integration()
    integration.import_orders()
    again = integration.import_orders()
    assert again.notes == ("Jet listed no new or changed order; 2 stored order(s) are as listed",)


def test_idle_flush_names_the_next_attempt(
    sandbox: JetSandbox, make_integration: MakeIntegration, clock: Clock
) -> None:
    sandbox.generate_orders(1)
    sandbox.fail_randomly(1.0, kind="acknowledge")
    integration = make_integration()
    integration.import_orders()
    report = integration.flush_pushes()
    assert report.next_push_at is not None
    assert report.notes == (
        "no status push was due: 1 wait(s) for a later attempt, the earliest at "
        f"{report.next_push_at.isoformat()}",
    )
