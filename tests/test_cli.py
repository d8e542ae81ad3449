from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from jet_orderhive.cli import main
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.storage.records import PushStatus
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
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
    assert report["ok"] is True
    assert report["counts"]["created"] == 6
    assert sandbox.secret not in out
    assert {r.method for r in sandbox.requests if r.kind != "token"} == {"GET"}
    assert sandbox.count("acknowledge") == 0
    assert not (tmp_path / "dry.db").exists(), "a dry run creates no database file"


def test_sync_dry_run_on_an_existing_database_writes_nothing_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kept.db"
    SQLiteStorage(db).close()
    sandbox = JetSandbox(seed=5)
    sandbox.generate_orders(3)
    with sandbox.serve() as base_url:
        _point_at(monkeypatch, base_url, sandbox.user, sandbox.secret)
        code = main(["sync", "--db", str(db), "--dry-run", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["counts"]["created"] == 3
    storage = SQLiteStorage(db)
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
    assert not (tmp_path / "x.db").exists(), "the database is opened only once Jet says yes"


def _point_at(monkeypatch: pytest.MonkeyPatch, base_url: str, user: str, secret: str) -> None:
    monkeypatch.setenv("JET_API_USER", user)
    monkeypatch.setenv("JET_API_SECRET", secret)
    monkeypatch.setenv("JET_API_BASE_URL", base_url)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_ctrl_c_ends_with_one_line_saying_what_was_kept_and_exit_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(self: Integration) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(Integration, "run_once", interrupted)
    sandbox = JetSandbox(seed=5)
    db = tmp_path / "run.db"
    with sandbox.serve() as base_url:
        _point_at(monkeypatch, base_url, sandbox.user, sandbox.secret)
        code = main(["sync", "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 130
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "interrupted" in lines[0]
    assert str(db) in lines[0], "the line says where the committed work is"
    assert "Traceback" not in captured.err


def test_ctrl_c_with_json_is_one_json_document_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(self: Integration) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(Integration, "run_once", interrupted)
    sandbox = JetSandbox(seed=5)
    with sandbox.serve() as base_url:
        _point_at(monkeypatch, base_url, sandbox.user, sandbox.secret)
        code = main(["sync", "--db", str(tmp_path / "run.db"), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 130
    assert document["ok"] is False
    assert document["exit_code"] == 130
    assert document["error"]["type"] == "KeyboardInterrupt"
    assert "interrupted" in document["error"]["message"]


def test_json_usage_error_is_a_json_document_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JET_API_USER", raising=False)
    monkeypatch.setenv("JET_API_SECRET", "hunter2-secret")
    code = main(["sync", "--db", str(tmp_path / "x.db"), "--json"])
    out = capsys.readouterr().out
    document = json.loads(out)
    assert code == 2
    assert document == {
        "ok": False,
        "exit_code": 2,
        "error": {"type": "usage", "message": document["error"]["message"]},
    }
    assert "JET_API_USER" in document["error"]["message"]
    assert "hunter2-secret" not in out


def test_json_refused_credentials_are_a_json_document_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = JetSandbox(seed=5)
    with sandbox.serve() as base_url:
        _point_at(monkeypatch, base_url, sandbox.user, "wrong-secret-value")
        code = main(["sync", "--db", str(tmp_path / "x.db"), "--json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 3
    assert document["ok"] is False
    assert document["exit_code"] == 3
    assert document["error"]["type"] == "JetAuthError"
    assert document["error"]["status"] == 400
    assert "JET_API_SECRET" in document["error"]["hint"]
    assert "wrong-secret-value" not in captured.out + captured.err


def test_demo_usage_error_with_json_is_a_json_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--orders", "1", "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["error"]["type"] == "usage"
    assert "--orders" in document["error"]["message"]


def test_unreachable_host_says_the_attempt_count_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _point_at(monkeypatch, f"http://127.0.0.1:{_closed_port()}/api", "user", "secret-value")
    code = main(["sync", "--db", str(tmp_path / "x.db")])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("attempts") == 1, err
    assert "after 4 attempts" in err
    assert not (tmp_path / "x.db").exists()


def test_sync_help_shows_the_db_default_and_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "default: jet-orderhive.db" in text
    for variable in ("JET_API_USER", "JET_API_SECRET", "JET_API_BASE_URL"):
        assert variable in text
    assert "https://merchant-api.jet.com/api" in text, "the base URL default is named"


def test_json_mistyped_option_is_a_json_document_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sync", "--json", "--db-path", "x.db"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["ok"] is False
    assert document["error"]["type"] == "usage"
    assert "--db-path" in document["error"]["message"]
    assert "usage: jet-orderhive" in captured.err, "the usage line still helps a human"


def test_mistyped_option_without_json_keeps_argparse_usage_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--db-path", "x.db"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unrecognized arguments: --db-path" in captured.err


def test_a_database_of_a_newer_version_is_a_json_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "newer.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    sandbox = JetSandbox(seed=5)
    with sandbox.serve() as base_url:
        _point_at(monkeypatch, base_url, sandbox.user, sandbox.secret)
        code = main(["sync", "--db", str(db), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 2
    assert document["ok"] is False
    assert document["error"]["type"] == "UnsupportedSchemaError"
    assert str(db) in document["error"]["message"] or "newer" in document["error"]["message"]


# -- inspect and retry ---------------------------------------------------------------------------


def _synced_with_failing_acks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: JetSandbox, base_url: str
) -> Path:
    db = tmp_path / "jet.db"
    _point_at(monkeypatch, base_url, sandbox.user, sandbox.secret)
    sandbox.fail_randomly(1.0, kind="acknowledge")
    assert main(["sync", "--db", str(db)]) == 1
    sandbox.clear_faults()
    return db


def test_views_read_the_database_without_credentials_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = JetSandbox(seed=5)
    ids = sandbox.generate_orders(3)
    with sandbox.serve() as base_url:
        db = _synced_with_failing_acks(tmp_path, monkeypatch, sandbox, base_url)
    capsys.readouterr()
    monkeypatch.delenv("JET_API_USER")
    monkeypatch.delenv("JET_API_SECRET")
    assert main(["status", "--db", str(db), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["orders_by_jet_status"] == {"ready": 3}
    assert status["pushes_by_state"]["retrying"] == 3
    assert main(["pushes", "--db", str(db), "--json"]) == 0
    pushes = json.loads(capsys.readouterr().out)["pushes"]
    assert sorted(p["target"] for p in pushes) == sorted(ids)
    assert {p["state"] for p in pushes} == {"retrying"}
    assert main(["pushes", "--db", str(db), "--state", "done", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"pushes": []}
    assert main(["quarantine", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"quarantined": []}
    assert main(["orders", "--db", str(db), "--limit", "2", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [o["jet_order_id"] for o in first["orders"]] == sorted(ids)[:2]
    assert first["next_after"] == sorted(ids)[1]
    assert main(["orders", "--db", str(db), "--after", first["next_after"], "--json"]) == 0
    rest = json.loads(capsys.readouterr().out)
    assert [o["jet_order_id"] for o in rest["orders"]] == sorted(ids)[2:]
    assert rest["next_after"] is None
    assert main(["orders", "--db", str(db), "--owes-action"]) == 0
    assert "no stored order matches" in capsys.readouterr().out
    assert main(["pushes", "--db", str(db)]) == 0
    table = capsys.readouterr().out
    assert table.startswith("KEY ")
    assert all(order_id in table for order_id in ids)


def test_a_view_of_a_missing_database_is_a_json_error_and_creates_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "missing.db"
    assert main(["orders", "--db", str(db), "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert "no database there" in document["error"]["message"]
    assert not db.exists()


def test_retry_pushes_sends_the_failed_acknowledgements_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = JetSandbox(seed=5)
    ids = sandbox.generate_orders(3)
    with sandbox.serve() as base_url:
        db = _synced_with_failing_acks(tmp_path, monkeypatch, sandbox, base_url)
        capsys.readouterr()
        assert main(["retry", "pushes", "--db", str(db), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert main(["retry", "pushes", f"ack:{ids[0]}", "--db", str(db), "--json"]) == 0
        again = json.loads(capsys.readouterr().out)
        assert main(["retry", "pushes", "ack:nope", "--db", str(db), "--json"]) == 2
        unknown = json.loads(capsys.readouterr().out)
    assert report["operation"] == "retry_failed_pushes"
    assert report["counts"]["acknowledged"] == 3
    assert report["pushes_pending"] == 0
    assert {sandbox.order_status(i) for i in ids} == {"acknowledged"}
    assert again["notes"] == [f"push ack:{ids[0]} is done already; nothing to retry"]
    assert "ack:nope" in unknown["error"]["message"]
