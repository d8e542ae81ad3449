"""Nothing is left open: no thread, socket or file survives closed clients, storages, sandboxes.

The suite runs with ``ResourceWarning`` and unraisable exceptions as errors (``pyproject.toml``),
so an unclosed socket or file anywhere in the tests fails the run; this test also compares the
threads and open file descriptors before and after a full run over a real loopback server.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest
from reliability_helpers import record

from jet_orderhive.jet.client import JetClient
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

FD_DIR = Path("/proc/self/fd")


def _fds() -> set[str]:
    return {os.readlink(FD_DIR / name) for name in os.listdir(FD_DIR) if _alive(name)}


def _alive(name: str) -> bool:
    try:
        os.readlink(FD_DIR / name)
    except OSError:
        return False
    return True


@pytest.mark.skipif(not FD_DIR.is_dir(), reason="needs /proc/self/fd")
def test_clients_storages_and_served_sandboxes_leave_no_thread_socket_or_file_open(
    tmp_path: Path,
) -> None:
    gc.collect()
    threads = set(threading.enumerate())
    fds = _fds()

    sandbox = JetSandbox(seed=4)
    sandbox.generate_orders(20)
    with sandbox.serve() as base_url:
        client = JetClient(sandbox.user, sandbox.secret, base_url=base_url, rate_limit=None)
        with client, SQLiteStorage(tmp_path / "r.db") as storage:
            report = Integration(client, storage).run_once()
            assert report.counts.acknowledged == 20
        in_process = sandbox.client()
        with in_process, SQLiteStorage(tmp_path / "s.db") as other:
            Integration(in_process, other).import_orders()
    gc.collect()

    left_threads = set(threading.enumerate()) - threads
    left_fds = _fds() - fds
    record("resources", runs=1, threads_left=len(left_threads), fds_left=len(left_fds))
    assert left_threads == set()
    assert left_fds == set()
