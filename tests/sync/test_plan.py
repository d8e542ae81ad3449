from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.sync._plan import (
    MAX_RETRY_DELAY,
    ListQuery,
    ack_key,
    cancel_key,
    list_queries,
    merge_listings,
    new_order_statuses,
    plan_import,
    reject_key,
    retry_at,
    ship_key,
)
from jet_orderhive.sync.settings import IntegrationSettings

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _q(status: str, cancelled: bool = False) -> ListQuery:
    return ListQuery(status=status, cancelled=cancelled)


def _qs(values: dict[str, str]) -> dict[str, ListQuery]:
    return {key: _q(status) for key, status in values.items()}


def test_lists_read_every_status_with_both_cancel_flags_and_no_created_by_default() -> None:
    queries = list_queries(IntegrationSettings())
    assert {(q.status, q.cancelled) for q in queries} == {
        (status, flag)
        for status in ("ready", "acknowledged", "inprogress", "complete")
        for flag in (False, True)
    }


def test_created_list_is_read_only_when_import_created_is_on() -> None:
    statuses = {q.status for q in list_queries(IntegrationSettings(import_created=True))}
    assert "created" in statuses
    assert new_order_statuses(IntegrationSettings(import_created=True)) == ("created", "ready")
    assert new_order_statuses(IntegrationSettings()) == ("ready",)


def test_unchanged_stored_order_is_not_fetched() -> None:
    plan = plan_import(
        listed=_qs({"a": "acknowledged", "b": "complete"}),
        stored=_qs({"a": "acknowledged", "b": "acknowledged"}),
        initial=False,
        new_statuses=("ready",),
    )
    assert plan.unchanged == ("a",)
    assert plan.changed == ("b",)
    assert plan.to_fetch == ("b",)


def test_later_run_takes_new_orders_from_ready_list_only() -> None:
    plan = plan_import(
        listed=_qs({"new": "ready", "foreign": "complete"}),
        stored=_qs({}),
        initial=False,
        new_statuses=("ready",),
    )
    assert plan.new == ("new",)
    assert "foreign" not in plan.to_fetch


def test_initial_sync_fetches_every_listed_order() -> None:
    plan = plan_import(
        listed=_qs({"r": "ready", "c": "complete", "i": "inprogress"}),
        stored=_qs({}),
        initial=True,
        new_statuses=("ready",),
    )
    assert set(plan.to_fetch) == {"r", "c", "i"}


def test_open_stored_order_missing_from_every_list_is_fetched_directly() -> None:
    plan = plan_import(
        listed=_qs({}),
        stored=_qs({"gone": "acknowledged", "done": "complete"}),
        initial=False,
        new_statuses=("ready",),
    )
    assert plan.missing == ("gone",)
    assert plan.to_fetch == ("gone",)


def test_quarantined_order_is_retried_from_any_list_and_ignored_ids_are_never_fetched() -> None:
    plan = plan_import(
        listed=_qs({"bad": "acknowledged", "old": "ready"}),
        stored=_qs({}),
        initial=False,
        new_statuses=("ready",),
        quarantined={"bad"},
        ignored={"old"},
    )
    assert plan.retry == ("bad",)
    assert plan.to_fetch == ("bad",)


@given(
    listed=st.dictionaries(st.text(min_size=1, max_size=4), st.sampled_from(["ready", "complete"])),
    stored=st.dictionaries(
        st.text(min_size=1, max_size=4), st.sampled_from(["ready", "acknowledged", "complete"])
    ),
    initial=st.booleans(),
)
def test_plan_never_fetches_an_order_twice_nor_an_unchanged_one(
    listed: dict[str, str], stored: dict[str, str], initial: bool
) -> None:
    plan = plan_import(
        listed=_qs(listed), stored=_qs(stored), initial=initial, new_statuses=("ready",)
    )
    assert len(plan.to_fetch) == len(set(plan.to_fetch))
    assert not set(plan.to_fetch) & set(plan.unchanged)
    for order_id in plan.to_fetch:
        assert order_id in listed or stored.get(order_id) in ("ready", "acknowledged")


def test_merge_listings_keeps_the_latest_status_of_an_order_listed_twice() -> None:
    merged = merge_listings([(_q("ready"), ["a", "b"]), (_q("acknowledged"), ["a"])])
    assert merged == {"a": _q("acknowledged"), "b": _q("ready")}


def test_an_order_that_gained_a_cancel_flag_is_fetched_again() -> None:
    plan = plan_import(
        listed={"a": _q("acknowledged", cancelled=True)},
        stored={"a": _q("acknowledged")},
        initial=False,
        new_statuses=("ready",),
    )
    assert plan.changed == ("a",)


def test_outbox_keys_tell_pushes_apart() -> None:
    keys = {ack_key("o"), reject_key("o"), ship_key("o", "s1"), cancel_key("o", "s1")}
    assert len(keys) == 4
    assert ship_key("o", "s1") == ship_key("o", "s1")


def test_retry_delay_doubles_and_gives_up_after_max_attempts() -> None:
    settings = IntegrationSettings(push_retry_delay=timedelta(seconds=10), max_push_attempts=4)
    assert retry_at(NOW, 0, settings) == NOW + timedelta(seconds=10)
    assert retry_at(NOW, 1, settings) == NOW + timedelta(seconds=20)
    assert retry_at(NOW, 2, settings) == NOW + timedelta(seconds=40)
    assert retry_at(NOW, 3, settings) is None


def test_retry_delay_is_capped() -> None:
    settings = IntegrationSettings(push_retry_delay=timedelta(hours=1), max_push_attempts=100)
    assert retry_at(NOW, 60, settings) == NOW + MAX_RETRY_DELAY


@pytest.mark.parametrize("attempts", [0, 5])
def test_single_attempt_budget_gives_up_at_once(attempts: int) -> None:
    assert retry_at(NOW, attempts, IntegrationSettings(max_push_attempts=1)) is None
