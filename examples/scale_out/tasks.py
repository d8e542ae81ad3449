"""The procrastinate app: one periodic sync job per account, never two of one account at once.

Run workers with ``procrastinate --app=scale_out.tasks.app worker`` (``examples`` on
``PYTHONPATH``, ``SCALE_OUT_CONFIG`` set). Each account gets its own periodic schedule
(``periodic_id`` is the account name) and its jobs carry the account's ``lock`` and
``queueing_lock``: procrastinate runs at most one job per lock at a time and keeps at most one
waiting, so a slow sync never piles up runs behind it. Inside the job ``run_once()`` takes the
library's lease on the account too, which also holds against anything outside the queue (a
cron job, a shell) that syncs the same account.
"""

from __future__ import annotations

import logging

import procrastinate

from jet_orderhive import Integration, JetClient
from jet_orderhive.storage.postgres import PostgresStorage

from .config import Config, load_config

__all__ = ["app", "lock_for", "sync_account"]

log = logging.getLogger("scale_out")

CONFIG: Config = load_config()

app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=CONFIG.database))


def lock_for(account: str) -> str:
    """The procrastinate lock (and queueing lock) of one account's sync jobs."""
    return f"jet-sync:{account}"


@app.task(name="jet.sync_account", queue="jet-sync")
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


for _account in CONFIG.accounts:
    app.periodic(
        cron=CONFIG.cron,
        periodic_id=_account.name,
        task_kwargs={"account": _account.name},
        lock=lock_for(_account.name),
        queueing_lock=lock_for(_account.name),
    )(sync_account)
