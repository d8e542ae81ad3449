"""The procrastinate app: one periodic sync job per account, never two of one account at once.

Run workers with ``procrastinate --app=scale_out.tasks.app worker`` (``examples`` on
``PYTHONPATH``, ``SCALE_OUT_CONFIG`` set). Each account gets its own periodic schedule
(``periodic_id`` is the account name) and its jobs carry the account's ``lock`` and
``queueing_lock``: procrastinate runs at most one job per lock at a time and keeps at most one
waiting, so a slow sync never piles up runs behind it. Inside the job ``run_once()`` takes the
library's lease on the account too, which also holds against anything outside the queue (a
cron job, a shell) that syncs the same account.

A worker that dies leaves its job ``doing``, and with it the account's lock: no later sync of
that account could start. ``recover_stalled_syncs`` marks such jobs failed once their worker
stopped beating, so the next scheduled sync runs; the library's lease and outbox claims the
dead worker held lapse on their own, and that sync resumes its work.
"""

from __future__ import annotations

import logging

import procrastinate
from procrastinate.jobs import Status

from jet_orderhive import Integration, JetClient
from jet_orderhive.storage.postgres import PostgresStorage

from .config import Config, load_config

__all__ = ["app", "lock_for", "recover_stalled_syncs", "sync_account"]

log = logging.getLogger("scale_out")

CONFIG: Config = load_config()

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=CONFIG.database),
    worker_defaults={
        "update_heartbeat_interval": CONFIG.heartbeat,
        "stalled_worker_timeout": CONFIG.stalled,
    },
)

SYNC_TASK = "jet.sync_account"


def lock_for(account: str) -> str:
    """The procrastinate lock (and queueing lock) of one account's sync jobs."""
    return f"jet-sync:{account}"


@app.task(name=SYNC_TASK, queue="jet-sync")
def sync_account(timestamp: int, account: str) -> None:
    """Sync one account: ``run_once()`` under the account's lease, then log the counts.

    ``timestamp`` is the scheduled time procrastinate passes to periodic tasks.
    """
    target = CONFIG.account(account)
    client = JetClient(user=target.user, secret=target.secret, base_url=target.base_url)
    with client, PostgresStorage(CONFIG.database) as storage:
        report = Integration(client, storage, settings=CONFIG.settings(target)).run_once()
    counts = report.counts
    log.info(
        "synced %s (due %d): %d created, %d acknowledged, %d problems",
        account,
        timestamp,
        counts.created,
        counts.acknowledged,
        len(report.problems),
    )
    for note in report.notes:
        log.info("%s: %s", account, note)


@app.periodic(cron=CONFIG.recover_cron)
@app.task(name="jet.recover_stalled_syncs", queue="jet-sync", queueing_lock="jet-recover")
async def recover_stalled_syncs(timestamp: int) -> int:
    """Mark failed the sync jobs whose worker stopped beating; return how many."""
    stalled = await app.job_manager.get_stalled_jobs(
        task_name=SYNC_TASK, seconds_since_heartbeat=CONFIG.stalled
    )
    count = 0
    for job in stalled:
        # Failed rather than retried: a retry would collide with the account's next sync,
        # already waiting under the same queueing lock, and would do the same work.
        await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        log.warning("marked the sync job %s of a dead worker failed (due %d)", job.id, timestamp)
        count += 1
    return count


for _account in CONFIG.accounts:
    app.periodic(
        cron=CONFIG.cron,
        periodic_id=_account.name,
        task_kwargs={"account": _account.name},
        lock=lock_for(_account.name),
        queueing_lock=lock_for(_account.name),
    )(sync_account)
