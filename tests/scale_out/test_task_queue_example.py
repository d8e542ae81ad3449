"""``examples/scale_out`` end to end: procrastinate worker processes, the test server, sandboxes."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest
from fleet import Account, acknowledgements, all_done, open_storage, served

from jet_orderhive.testing.sandbox import JetSandbox
from postgres_server import REQUIRE_ENV

try:
    import procrastinate  # noqa: F401
except ImportError:  # pragma: no cover - the dev extra brings it
    if os.environ.get(REQUIRE_ENV) == "1":
        raise
    pytest.skip("procrastinate is not installed (the dev extra)", allow_module_level=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_ACCOUNTS = 3
_ORDERS = 100
_WORKERS = 3
_SYNC = "Starting job jet.sync_account"
_ENDED = re.compile(r"Job jet\.sync_account\[.*ended with status")


def _command(*args: str) -> list[str]:
    app = "--app=scale_out.tasks.app"
    return [sys.executable, "-m", "procrastinate", app, "--log-level=info", *args]


def _write_config(path: Path, database: str, accounts: tuple[Account, ...]) -> None:
    config = {
        "database": database,
        "cron": "* * * * * */2",  # every two seconds
        "lease_seconds": 4,
        "claim_seconds": 4,
        "heartbeat_seconds": 0.5,
        "stalled_seconds": 2,
        "recover_cron": "* * * * * *",
        "accounts": [
            {"name": a.name, "user": a.user, "secret_env": f"SECRET_{i}", "base_url": a.base_url}
            for i, a in enumerate(accounts)
        ],
    }
    path.write_text(json.dumps(config))


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _jobs(database: str) -> list[tuple[str, str, object, object, object]]:
    """Every job: lock, status, when it was deferred, when it started, when it ended."""
    import psycopg

    with psycopg.connect(database) as connection:
        return connection.execute(
            "SELECT j.lock, j.status::text,"
            " min(e.at) FILTER (WHERE e.type = 'deferred'),"
            " min(e.at) FILTER (WHERE e.type = 'started'),"
            " max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed', 'cancelled', 'aborted'))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " WHERE j.task_name = 'jet.sync_account' GROUP BY j.id ORDER BY j.id"
        ).fetchall()


@pytest.mark.parametrize("kill", [False, True], ids=["all-live", "one-killed"])
def test_procrastinate_workers_sync_every_account_one_job_at_a_time(
    kill: bool, postgres_conninfo: str, tmp_path: Path
) -> None:
    sandboxes = [
        JetSandbox(user=f"shop-{i}", seed=300 + i, sleep=time.sleep) for i in range(_ACCOUNTS)
    ]
    ids = [s.generate_orders(_ORDERS) for s in sandboxes]
    for sandbox in sandboxes:
        # A first sync then outlasts the two-second schedule, so the next job of its account
        # is due while it runs and the queue's lock must hold it back (checked at the end).
        sandbox.latency(0.25, kind="order_detail")
    with served(sandboxes) as accounts:
        config = tmp_path / "scale_out.json"
        _write_config(config, postgres_conninfo, accounts)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(EXAMPLES), os.environ.get("PYTHONPATH", "")]),
            "SCALE_OUT_CONFIG": str(config),
            **{f"SECRET_{i}": a.secret for i, a in enumerate(accounts)},
        }
        subprocess.run(_command("schema", "--apply"), env=env, check=True, capture_output=True)
        logs = [(tmp_path / f"worker-{w}.log").open("w+b") for w in range(_WORKERS)]
        workers = [
            subprocess.Popen(
                [*_command("worker", "--concurrency", "2"), "--name", f"w{w}"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for w, log in enumerate(logs)
        ]
        victim: int | None = None
        storage = open_storage(f"postgresql:{postgres_conninfo}")
        try:
            deadline = time.monotonic() + 90
            while not all_done(storage, accounts, _ORDERS) and time.monotonic() < deadline:
                if kill and victim is None:
                    busy = [w for w, log in enumerate(logs) if _SYNC in _read(log)]
                    if busy:
                        time.sleep(1.0)  # well into its first sync of 100 orders
                        victim = busy[0]
                        workers[victim].send_signal(signal.SIGKILL)
                        workers[victim].wait()
                alive = [w.poll() for i, w in enumerate(workers) if i != victim]
                assert alive == [None] * len(alive), "a worker exited"
                time.sleep(0.3)
            done = all_done(storage, accounts, _ORDERS)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            output = [_read(log) for log in logs]
            for log in logs:
                log.close()
        assert done, "the workers did not finish in time:\n" + "\n".join(output)
        assert all(w.returncode == 0 for i, w in enumerate(workers) if i != victim)

        for index, (sandbox, own) in enumerate(zip(sandboxes, ids, strict=True)):
            accepted, refused = acknowledgements(sandbox)
            assert refused == []
            assert accepted == dict.fromkeys(own, 1)
            stored = storage.list_orders(account=accounts[index].name)
            assert sorted(o.channel_order_id for o in stored) == sorted(own)
    storage.close()  # type: ignore[attr-defined]

    jobs = _jobs(postgres_conninfo)
    ran = [job for job in jobs if job[3] is not None]
    assert {job[0] for job in ran} == {f"jet-sync:{a.name}" for a in accounts}
    failed = [job for job in jobs if job[1] == "failed"]
    if kill:
        # The dead worker's job was marked failed (freeing the lock), never finished by it.
        assert victim is not None
        unfinished = output[victim].count(_SYNC) - len(_ENDED.findall(output[victim]))
        assert unfinished >= 1
        assert len(failed) == unfinished
    else:
        assert failed == []
        # The queue kept the syncs apart, so no run found the account's lease taken.
        assert not any("another worker holds the lease" in text for text in output)
    assert {job[1] for job in jobs} <= {"succeeded", "failed", "doing", "todo"}
    # At most one sync of an account at a time: its jobs' run intervals never overlap.
    held_back = 0
    for lock in {job[0] for job in ran}:
        spans = sorted((job[3], job[4], job[2]) for job in ran if job[0] == lock and job[4])
        for (_, end, _), (begin, _, _) in itertools.pairwise(spans):
            assert end <= begin, f"two syncs of {lock} overlapped"
        # A job of the account deferred while one of its syncs ran, and not started before
        # that sync ended (still waiting, or started after): the lock held it back.
        for begin, end, _ in spans:
            for other in jobs:
                if other[0] != lock or other[2] is None or not begin < other[2] < end:
                    continue
                assert other[3] is None or other[3] >= end, f"a sync of {lock} did not wait"
                held_back += 1
    assert held_back, "no job was due while its account's sync ran: the test proved nothing"
