"""The storage kit can fail: adapters that break one promise each are caught by it."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive import SalesOrder
from jet_orderhive.storage import MemoryStorage, Storage, UpsertResult
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract


class _AlwaysCreated(MemoryStorage):
    def upsert_order(self, order: SalesOrder, *, account: str = "default") -> UpsertResult:
        super().upsert_order(order, account=account)
        return UpsertResult.CREATED


class _NoRollback(MemoryStorage):
    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield


class _ForgetfulOutbox(MemoryStorage):
    def enqueue(
        self,
        key: str,
        *,
        kind: str,
        target: str,
        payload: Mapping[str, JsonValue],
        not_before: datetime | None = None,
        account: str = "default",
    ) -> bool:
        super().enqueue(
            key, kind=kind, target=target, payload=payload, not_before=not_before, account=account
        )
        return True


class _SharedLease(MemoryStorage):
    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = "default"
    ) -> bool:
        super().acquire_lease(name, owner, ttl, account=account)
        return True


class _TextQuarantine(MemoryStorage):
    def quarantine(self, kind: str, external_id: str, payload: bytes, reason: str, **kw):  # type: ignore[no-untyped-def]
        text = payload.decode("utf-8", errors="replace").encode()
        return super().quarantine(kind, external_id, text, reason, **kw)


class _WallClock(MemoryStorage):
    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clock=lambda: datetime.now(UTC))


class _DoneComesBack(MemoryStorage):
    def mark_done(self, key: str, *, account: str = "default") -> None:
        self.mark_failed(key, "pretend", datetime(2000, 1, 1, tzinfo=UTC), account=account)


class _CaseSensitiveCustomers(MemoryStorage):
    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clock=clock)

    def upsert_customer(self, customer, **kw):  # type: ignore[no-untyped-def]
        result = super().upsert_customer(customer, **kw)
        return UpsertResult.CREATED if result is UpsertResult.UNCHANGED else result


class _DirtyReads(MemoryStorage):
    """Reads orders without waiting for the open unit of work: uncommitted writes leak."""

    def get_order(self, jet_order_id: str, *, account: str = "default") -> SalesOrder | None:
        tables = self._accounts.get(account)
        stored = None if tables is None else tables.orders.get(jet_order_id)
        return None if stored is None else stored.order


def _adapter_without(*missing: str) -> Callable[..., object]:
    """An adapter written against an older protocol: it forwards all but ``missing``."""

    class Partial:
        def __init__(self, *, clock: FakeClock) -> None:
            self.inner = MemoryStorage(clock=clock)

    for name, value in vars(Storage).items():
        if callable(value) and not name.startswith("_") and name not in missing:
            setattr(Partial, name, _forward(name))
    return Partial


def _forward(name: str) -> Callable[..., object]:
    def method(self: Any, *args: object, **kwargs: object) -> object:
        return getattr(self.inner, name)(*args, **kwargs)

    return method


def _run_contract_test(name: str, storage: object, clock: FakeClock) -> None:
    method = getattr(StorageContract(), name)
    offered = {"storage": storage, "clock": clock, "other_connection": None, "payload": "text"}
    method(**{arg: offered[arg] for arg in inspect.signature(method).parameters})


@pytest.mark.parametrize(
    ("adapter", "test_name"),
    [
        (_AlwaysCreated, "test_upserting_the_same_order_again_is_unchanged"),
        (_NoRollback, "test_exception_inside_transaction_leaves_nothing_behind"),
        (_NoRollback, "test_swallowed_inner_failure_aborts_the_whole_unit"),
        (_ForgetfulOutbox, "test_same_key_enqueued_twice_is_one_entry"),
        (_SharedLease, "test_lease_is_exclusive_while_held"),
        (_TextQuarantine, "test_quarantine_keeps_the_raw_payload_byte_for_byte"),
        (_WallClock, "test_expired_lease_is_taken_over"),
        (_DoneComesBack, "test_done_entries_never_come_back"),
        (_CaseSensitiveCustomers, "test_case_and_space_variants_of_one_email_are_one_customer"),
        (_DirtyReads, "test_uncommitted_writes_are_invisible_to_other_threads"),
    ],
)
def test_kit_fails_an_adapter_that_breaks_a_promise(
    adapter: Callable[..., MemoryStorage], test_name: str
) -> None:
    clock = FakeClock()
    # A broken promise shows as a failed assert, or as pytest.raises reporting "DID NOT RAISE".
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        _run_contract_test(test_name, adapter(clock=clock), clock)


def test_kit_passes_the_same_tests_for_the_sound_adapter() -> None:
    names = [name for name in dir(StorageContract) if name.startswith("test_")]
    assert len(names) >= 40
    for name in names:
        clock = FakeClock()
        _run_contract_test(name, MemoryStorage(clock=clock), clock)


def test_fake_clock_moves_only_when_told() -> None:
    start = datetime(2021, 3, 1, tzinfo=UTC)
    clock = FakeClock(start)
    assert clock() == clock() == start
    assert clock.advance(timedelta(seconds=90)) == start + timedelta(seconds=90)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2021, 3, 1))


def test_subclassing_the_kit_in_a_test_file_runs_it_and_reports_failures(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_adapter.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from jet_orderhive.storage import MemoryStorage, Storage, UpsertResult
            from jet_orderhive.testing.storage_kit import StorageContract

            class Broken(MemoryStorage):
                def upsert_order(self, order, **kw):
                    super().upsert_order(order, **kw)
                    return UpsertResult.CREATED

            class TestBroken(StorageContract):
                @pytest.fixture
                def storage(self, clock):
                    return Broken(clock=clock)

            class TestForgotTheFixture(StorageContract):
                pass
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-k",
         "same_order_again or TestForgotTheFixture and protocol", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "TestBroken::test_upserting_the_same_order_again_is_unchanged" in result.stdout
    assert "1 failed" in result.stdout

    forgot = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k",
         "TestForgotTheFixture and protocol", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert forgot.returncode == 1, forgot.stdout
    assert "must override the `storage` fixture" in forgot.stdout


def test_a_missing_protocol_method_is_named_in_the_failure() -> None:
    clock = FakeClock()
    adapter = _adapter_without("link_skus", "renew_claim")(clock=clock)
    with pytest.raises(AssertionError) as failure:
        _run_contract_test("test_adapter_satisfies_the_storage_protocol", adapter, clock)
    assert "Partial lacks Storage method(s) renew_claim, link_skus" in str(failure.value)


def test_a_leak_between_threads_is_shown_with_the_methods_that_saw_it() -> None:
    clock = FakeClock()
    with pytest.raises(AssertionError) as failure:
        _run_contract_test(
            "test_uncommitted_writes_are_invisible_to_other_threads",
            _DirtyReads(clock=clock),
            clock,
        )
    message = str(failure.value)
    assert "another thread saw writes of a unit of work that was never committed" in message
    assert "'get_order': 'SalesOrder(" in message
    assert "order_keys" not in message, "MemoryStorage's own reads wait for the unit"
    assert len(message) < 2000


_BROKEN_ADAPTER = """
import pytest
from jet_orderhive.storage import MemoryStorage, UpsertResult
from jet_orderhive.testing.storage_kit import StorageContract

class Broken(MemoryStorage):
    def upsert_order(self, order, **kw):
        super().upsert_order(order, **kw)
        return UpsertResult.CREATED

class TestBroken(StorageContract):
    @pytest.fixture
    def storage(self, clock):
        return Broken(clock=clock)
"""


def _run_pytest(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-k", "same_order_again", str(directory)],
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_a_failing_kit_check_shows_the_values_compared_and_the_method(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_adapter.py").write_text(_BROKEN_ADAPTER)

    shown = _run_pytest(tmp_path)

    assert shown.returncode == 1, shown.stdout + shown.stderr
    # The kit's plugin has pytest rewrite its asserts: the failure says what came back from where.
    assert "assert <UpsertResult.CREATED: 'created'> is <UpsertResult.UNCHANGED" in shown.stdout
    assert "where <UpsertResult.CREATED: 'created'> = upsert_order(SalesOrder(" in shown.stdout
    assert "where upsert_order = MemoryStorage(" in shown.stdout
