from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jet_orderhive.cli import main
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.storage.records import PushStatus
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.testing.sandbox import JetSandbox


def test_demo_figures_match_what_the_database_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--orders", "16", "--seed", "3", "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    figures = output["figures"]

    storage = SQLiteStorage(db)
    try:
        orders = storage.list_orders()
        assert figures["orders_stored"] == len(orders) == figures["orders_on_jet"]
        assert figures["customers_stored"] == len(storage.list_customers())
        acks = [p for p in storage.pushes(status=PushStatus.DONE) if p.kind == "acknowledge"]
        assert figures["acknowledged_on_jet"] == len(acks)
        shipped = storage.get_order(figures["partially_shipped_order"])
        assert shipped is not None
        assert shipped.order_status is OrderStatus.PARTIALLY_SHIPPED
        assert figures["its_jet_status"] == "inprogress"
        cancelled = storage.get_order(figures["cancelled_order"])
        assert cancelled is not None
        assert cancelled.order_status is OrderStatus.CANCELLED
        assert figures["second_run_new_orders"] == figures["orders_on_jet"] - 16
        linked = [entry.sku for entry in storage.linked_skus()]
        pushed = storage.pushed_stock_many(
            (sku, node) for sku in linked for node in {o.fulfillment_node_id or "" for o in orders}
        )
        assert figures["skus_stock_pushed"] == len(pushed) == len(linked)
    finally:
        storage.close()
    assert output["report"]["problems"] == []


def test_demo_refuses_an_existing_database(tmp_path: Path) -> None:
    db = tmp_path / "taken.db"
    db.write_text("")
    assert main(["demo", "--db", str(db)]) == 2


def test_python_dash_m_runs_the_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jet_orderhive",
            "demo",
            "--orders",
            "4",
            "--db",
            str(tmp_path / "d.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "orders stored" in result.stdout
    assert result.stderr == "", "progress stays off stderr when it is not a terminal"


def test_sync_without_credentials_names_the_missing_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JET_API_USER", raising=False)
    monkeypatch.setenv("JET_API_SECRET", "hunter2-secret")
    assert main(["sync", "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert "JET_API_USER" in err
    assert "hunter2-secret" not in err


def test_sync_dry_run_against_a_served_sandbox_writes_nothing_to_jet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = JetSandbox(seed=5)
    sandbox.generate_orders(6)
    with sandbox.serve() as base_url:
        monkeypatch.setenv("JET_API_USER", sandbox.user)
        monkeypatch.setenv("JET_API_SECRET", sandbox.secret)
        monkeypatch.setenv("JET_API_BASE_URL", base_url)
        code = main(["sync", "--db", str(tmp_path / "dry.db"), "--dry-run", "--json"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == 0
    assert report["dry_run"] is True
    assert report["counts"]["created"] == 6
    assert sandbox.secret not in out
    assert {r.method for r in sandbox.requests if r.kind != "token"} == {"GET"}
    assert sandbox.count("acknowledge") == 0
    storage = SQLiteStorage(tmp_path / "dry.db")
    try:
        assert storage.list_orders() == []
        assert storage.pushes() == []
        assert storage.get_state("import:window_start") is None
    finally:
        storage.close()


def test_sync_with_refused_credentials_exits_3_with_a_message_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = JetSandbox(seed=5)
    with sandbox.serve() as base_url:
        monkeypatch.setenv("JET_API_USER", sandbox.user)
        monkeypatch.setenv("JET_API_SECRET", "wrong-secret-value")
        monkeypatch.setenv("JET_API_BASE_URL", base_url)
        code = main(["sync", "--db", str(tmp_path / "x.db")])
    captured = capsys.readouterr()
    assert code == 3
    assert "JET_API_SECRET" in captured.err
    assert "wrong-secret-value" not in captured.err + captured.out
    assert sandbox.count("order_list") == 0
