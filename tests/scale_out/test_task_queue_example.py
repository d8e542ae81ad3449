"""``examples/scale_out`` end to end: procrastinate worker processes, the test server, sandboxes."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fleet import acknowledgements, all_done, open_storage, served

from jet_orderhive.testing.sandbox import JetSandbox

pytest.importorskip("procrastinate")
psycopg = pytest.importorskip("psycopg")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_ACCOUNTS = 3
_ORDERS = 100
_WORKERS = 3


def _command(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "procrastinate",
        "--app=scale_out.tasks.app",
        "--log-level=info",
        *args,
    ]


def test_procrastinate_workers_sync_every_account_one_job_at_a_time(
    pg_database: str, tmp_path: Path
) -> None:
    sandboxes = [JetSandbox(user=f"shop-{i}", seed=300 + i) for i in range(_ACCOUNTS)]
    ids = [s.generate_orders(_ORDERS) for s in sandboxes]
    with served(sandboxes) as accounts:
        config = tmp_path / "scale_out.json"
        config.write_text(
            json.dumps(
                {
                    "database": pg_database,
                    "cron": "* * * * * */2",  # every two seconds
                    "lease_seconds": 30,
                    "claim_seconds": 30,
                    "accounts": [
                        {"name": a.name, "user": a.user, "secret": a.secret, "base_url": a.base_url}
                        for a in accounts
                    ],
                }
            )
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(EXAMPLES), os.environ.get("PYTHONPATH", "")]),
            "SCALE_OUT_CONFIG": str(config),
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
        storage = open_storage(f"postgresql:{pg_database}")
        try:
            deadline = time.monotonic() + 90
            while not all_done(storage, accounts, _ORDERS) and time.monotonic() < deadline:
                assert [w.poll() for w in workers] == [None] * _WORKERS
                time.sleep(0.5)
            done = all_done(storage, accounts, _ORDERS)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            output = []
            for log in logs:
                log.seek(0)
                output.append(log.read().decode(errors="replace"))
                log.close()
        assert done, "the workers did not finish in time:\n" + "\n".join(output)

        for index, (sandbox, own) in enumerate(zip(sandboxes, ids, strict=True)):
            accepted, refused = acknowledgements(sandbox)
            assert refused == []
            assert accepted == dict.fromkeys(own, 1)
            stored = storage.list_orders(account=accounts[index].name)
            assert sorted(o.channel_order_id for o in stored) == sorted(own)
    storage.close()  # type: ignore[attr-defined]

    with psycopg.connect(pg_database) as connection:
        jobs = connection.execute(
            "SELECT j.lock, j.status::text, min(e.at) FILTER (WHERE e.type = 'deferred'),"
            " min(e.at) FILTER (WHERE e.type = 'started'),"
            " max(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed', 'cancelled', 'aborted'))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id"
            " WHERE j.task_name = 'jet.sync_account' GROUP BY j.id ORDER BY j.id"
        ).fetchall()
    ran = [job for job in jobs if job[3] is not None]
    assert {job[0] for job in ran} == {f"jet-sync:{a.name}" for a in accounts}
    assert all(job[1] in ("succeeded", "doing", "todo") for job in jobs), jobs
    # At most one sync of an account at a time: its jobs' run intervals never overlap.
    held_back = 0
    for lock in {job[0] for job in ran}:
        spans = sorted((job[3], job[4], job[2]) for job in ran if job[0] == lock and job[4])
        for (_, end, _), (begin, _, queued) in itertools.pairwise(spans):
            assert end <= begin, f"two syncs of {lock} overlapped"
            held_back += queued < end  # due while the previous one ran: the lock held it
    assert held_back, "no job waited for its account's lock: the test proved nothing"
    # The queue kept them apart, so no run found the account's lease taken.
    assert not any("another worker holds the lease" in text for text in output)
