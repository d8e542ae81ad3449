"""Four worker processes, five accounts, one shared database: each order once, per account."""

from __future__ import annotations

import signal

import pytest
from fleet import WorkerPlan, acknowledgements, open_storage, run_fleet, served

from jet_orderhive.testing.sandbox import JetSandbox

_ACCOUNTS = 5
_ORDERS = 200
_WORKERS = 4


@pytest.fixture
def storage_spec(postgres_conninfo: str) -> str:
    """One PostgreSQL database for every worker, its schema in place before the race."""
    spec = f"postgresql:{postgres_conninfo}"
    open_storage(spec).close()  # type: ignore[attr-defined]
    return spec


def _check(sandboxes: list[JetSandbox], ids: list[list[str]], spec: str) -> None:
    storage = open_storage(spec)
    try:
        for index, (sandbox, own) in enumerate(zip(sandboxes, ids, strict=True)):
            account = f"acct-{index}"
            accepted, refused = acknowledgements(sandbox)
            assert refused == [], f"Jet refused acknowledgements of {account}"
            assert accepted == dict.fromkeys(own, 1), f"{account}: not each order acked once"
            stored = storage.list_orders(account=account)
            assert sorted(o.channel_order_id for o in stored) == sorted(own)
            # No account sees another's orders or buyers.
            emails = {str(sandbox.order(i)["hash_email"]).casefold() for i in own}
            customers = {c.email.casefold() for c in storage.list_customers(account=account)}
            assert customers <= emails
            assert {e.target for e in storage.pushes(account=account)} == set(own)
            assert {e.status.value for e in storage.pushes(account=account)} == {"done"}
    finally:
        storage.close()  # type: ignore[attr-defined]


def _sandboxes(seed: int) -> tuple[list[JetSandbox], list[list[str]]]:
    sandboxes = [JetSandbox(user=f"user-{i}", seed=seed + i) for i in range(_ACCOUNTS)]
    ids = [s.generate_orders(_ORDERS) for s in sandboxes]
    everyone = [i for own in ids for i in own]
    assert len(set(everyone)) == len(everyone)
    return sandboxes, ids


def test_workers_over_accounts_store_and_acknowledge_each_order_once(storage_spec: str) -> None:
    sandboxes, ids = _sandboxes(100)
    with served(sandboxes) as accounts:
        plans = [WorkerPlan(accounts, storage_spec, seed=w) for w in range(_WORKERS)]
        exits, _ = run_fleet(plans, accounts, _ORDERS)
    assert exits == [0] * _WORKERS
    _check(sandboxes, ids, storage_spec)


def test_a_killed_worker_leaves_its_accounts_to_the_others(storage_spec: str) -> None:
    sandboxes, ids = _sandboxes(200)
    with served(sandboxes) as accounts:
        plans = [
            WorkerPlan(accounts, storage_spec, seed=w, die_at=30 if w == 0 else None)
            for w in range(_WORKERS)
        ]
        exits, _ = run_fleet(plans, accounts, _ORDERS)
    assert exits == [-signal.SIGKILL] + [0] * (_WORKERS - 1)
    _check(sandboxes, ids, storage_spec)
