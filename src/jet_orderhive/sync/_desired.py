"""Desired-state bookkeeping shared by stock and price pushes: collapse, diff, bulk errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.jet._urls import segment_refusals
from jet_orderhive.jet.enums import FileType
from jet_orderhive.jet.errors import JetAuthError, JetError, JetPayloadError
from jet_orderhive.jet.models import InventoryUpdate, PriceUpdate
from jet_orderhive.storage.records import PushedKey
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._pool import RequestPool
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder

__all__ = [
    "DesiredPlan",
    "bulk_results",
    "check_sku",
    "diff_desired",
    "group_by_sku",
    "report_disabled",
    "report_plan",
    "send_bulk",
    "skus_named_in_errors",
]

V = TypeVar("V")


@attrs.frozen(kw_only=True)
class DesiredPlan(Generic[V]):
    """What a desired-state push must send, and what it skips because Jet already has it.

    Attributes:
        send: ``(sku, node)`` → value, for values that differ from the last one pushed.
        skip: ``(sku, node)`` → value, for values equal to the last one pushed.
    """

    send: dict[PushedKey, V]
    skip: dict[PushedKey, V]


def diff_desired(desired: Mapping[PushedKey, V], last: Mapping[PushedKey, V]) -> DesiredPlan[V]:
    """Split desired values into those to send and those equal to the last pushed value."""
    send: dict[PushedKey, V] = {}
    skip: dict[PushedKey, V] = {}
    for key, value in desired.items():
        if key in last and last[key] == value:
            skip[key] = value
        else:
            send[key] = value
    return DesiredPlan(send=send, skip=skip)


def group_by_sku(values: Mapping[PushedKey, V]) -> dict[str, dict[str, V]]:
    """``{(sku, node): v}`` → ``{sku: {node: v}}``, keeping first-seen order."""
    grouped: dict[str, dict[str, V]] = {}
    for (sku, node), value in values.items():
        grouped.setdefault(sku, {})[node] = value
    return grouped


# Jet's bulk error lines read "Position 12, 14: Error: parsing sku 'ABCD' You must ..."; one of
# Jet's own examples spells it "sky", so both spellings are accepted.
_SKU_IN_ERROR = re.compile(r"\bsk[uy]\s+'(?P<sku>[^']*)'", re.IGNORECASE)


def skus_named_in_errors(lines: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Map each known SKU that a bulk-file error line names to that line (first line wins)."""
    wanted = set(known)
    found: dict[str, str] = {}
    for line in lines:
        for match in _SKU_IN_ERROR.finditer(line):
            sku = match["sku"]
            if sku in wanted and sku not in found:
                found[sku] = line
    return found


def check_sku(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    """attrs validator: a SKU is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise JetOrderhiveValueError(f"a SKU must be a non-empty string, got {value!r}")


def report_disabled(
    report: ReportBuilder, kind: str, levels: Iterable[tuple[str, str | None, object]]
) -> None:
    """Report each ``(sku, node, value)`` as not sent because the ``push_<kind>`` toggle is off."""
    for sku, node, value in levels:
        report.push(
            PushOutcome(
                kind=kind, target=sku, node=node, result=PushResult.DISABLED, value=str(value)
            )
        )


def report_plan(
    report: ReportBuilder,
    kind: str,
    plan: DesiredPlan[V],
    failures: Mapping[str, str],
    *,
    dry_run: bool,
) -> None:
    """One outcome per ``(sku, node)``: skipped, failed (with its SKU's reason), planned or sent.

    Node ``""`` stands for a SKU-level value and is reported as no node.
    """
    for (sku, node), value in plan.skip.items():
        report.push(
            PushOutcome(
                kind=kind,
                target=sku,
                node=node or None,
                result=PushResult.SKIPPED,
                value=str(value),
                reason="equal to the last pushed value",
            )
        )
    for (sku, node), value in plan.send.items():
        if sku in failures:
            result, reason = PushResult.FAILED, failures[sku]
        elif dry_run:
            result, reason = PushResult.PLANNED, None
        else:
            result, reason = PushResult.SENT, None
        report.push(
            PushOutcome(
                kind=kind,
                target=sku,
                node=node or None,
                result=result,
                value=str(value),
                reason=reason,
            )
        )


def bulk_results(
    skus: Iterable[str], status: str, error_count: int, excerpt: Iterable[str]
) -> tuple[dict[str, str], str | None]:
    """Per-SKU failures of a processed bulk file, and a note when some cannot be attributed.

    Jet reports at most the first 20 error lines; an error that names no SKU of the file leaves
    every SKU's fate unknown, so all are treated as failed (they are re-sent next time, which is
    safe for desired state).
    """
    sku_list = list(skus)
    if status.casefold() == "processed successfully" and not error_count:
        return {}, None
    named = skus_named_in_errors(excerpt, sku_list)
    if error_count and len(named) >= error_count:
        return named, None
    if not error_count and status.casefold() == "processed with errors" and named:
        return named, None
    reason = (
        f"Jet's bulk file ended {status!r} with {error_count} error(s) that could not all be "
        "matched to SKUs; every SKU of the file is re-sent next time"
    )
    return {sku: named.get(sku, reason) for sku in sku_list}, reason


def send_bulk(
    engine: Engine,
    report: ReportBuilder,
    kind: FileType,
    records: Mapping[str, InventoryUpdate] | Mapping[str, PriceUpdate],
) -> dict[str, str]:
    """Upload ``records`` as one bulk file, wait for Jet, and return the SKUs that failed."""
    try:
        uploaded = engine.client.upload_file(kind, records)
        file_id = uploaded.jet_file_id
        if not file_id:
            raise JetPayloadError("Jet registered the bulk file without a jet_file_id")
        final = engine.client.wait_for_file(file_id)
    except (JetError, TimeoutError) as error:
        reason = f"bulk {kind.value} file failed; every SKU of it is re-sent next time: {error}"
        return dict.fromkeys(records, reason)
    failures, note = bulk_results(
        records, str(final.status), final.error_count or 0, final.error_excerpt
    )
    report.note(
        f"{len(records)} SKU(s) sent as one {kind.value} bulk file {file_id}: {final.status}"
    )
    if note:
        report.note(note)
    return failures


_R = TypeVar("_R")


def send_each(
    engine: Engine, step: str, requests: Mapping[str, _R], send: Callable[[str, _R], None]
) -> dict[str, str]:
    """Send one request per SKU, ``concurrency`` at a time; return the SKUs that failed, why.

    Only Jet calls run in the pool; the caller records what was accepted, on its own thread.
    A SKU whose request fails (a refusal, an unusable SKU, a lost answer) fails alone.
    """
    failures: dict[str, str] = {}
    pool: RequestPool[str] = RequestPool(engine.settings.concurrency, "jet-sku")
    try:
        done = pool.run(list(requests), lambda sku: send(sku, requests[sku]))
        for index, (sku, outcome) in enumerate(done, start=1):
            if isinstance(outcome, JetError) and not isinstance(outcome, JetAuthError):
                failures[sku] = str(outcome)
            elif isinstance(outcome, Exception):
                raise outcome
            engine.tick(step, index, len(requests))
    finally:
        pool.close()
    return failures


def unsendable(desired: Mapping[PushedKey, V]) -> dict[str, str]:
    """SKUs no request can carry (a lone surrogate, a control character, too long), and why.

    They fail alone, before storage is asked about them: a lone surrogate cannot even be
    written to most databases, and the rest of the batch must still go out.
    """
    return segment_refusals(dict.fromkeys(sku for sku, _node in desired), "SKU")


def report_unsendable(
    report: ReportBuilder, kind: str, desired: Mapping[PushedKey, V], refused: Mapping[str, str]
) -> None:
    """One failed outcome per value of a SKU `unsendable` refused."""
    if refused:
        values = {key: value for key, value in desired.items() if key[0] in refused}
        report_plan(report, kind, DesiredPlan(send=values, skip={}), refused, dry_run=False)
