"""What a run did: counts, per-record problems and per-push outcomes, for terminals and notebooks.

Reports name orders by Jet id and products by SKU only; they never hold buyer data, the API
secret or a token, so they are safe to log and to print.
"""

from __future__ import annotations

import enum
import html
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict, cast

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.sync.errors import SyncProblemsError

__all__ = [
    "Counts",
    "CountsDict",
    "Problem",
    "ProblemDict",
    "PushOutcome",
    "PushOutcomeDict",
    "PushResult",
    "ReportBuilder",
    "SyncReport",
    "SyncReportDict",
]


@attrs.frozen(kw_only=True)
class Counts:
    """How many records and requests each step touched."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    released: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    acknowledged: int = 0
    rejected: int = 0
    shipped: int = 0
    cancelled: int = 0
    returns_updated: int = 0
    archived: int = 0
    pushes_sent: int = 0
    pushes_skipped: int = 0
    pushes_failed: int = 0
    pushes_planned: int = 0
    requests: int = 0
    retries: int = 0

    def nonzero(self) -> dict[str, int]:
        """The counts that are not zero, in field order."""
        return {name: value for name, value in attrs.asdict(self).items() if value}


_COUNT_NAMES = frozenset(field.name for field in attrs.fields(Counts))


class CountsDict(TypedDict):
    """`Counts` as JSON: one int per count, every count present."""

    fetched: int
    created: int
    updated: int
    unchanged: int
    quarantined: int
    released: int
    customers_created: int
    customers_updated: int
    acknowledged: int
    rejected: int
    shipped: int
    cancelled: int
    returns_updated: int
    archived: int
    pushes_sent: int
    pushes_skipped: int
    pushes_failed: int
    pushes_planned: int
    requests: int
    retries: int


class ProblemDict(TypedDict):
    """`Problem` as JSON."""

    kind: str
    ref: str
    reason: str


class PushOutcomeDict(TypedDict):
    """`PushOutcome` as JSON; ``result`` is the `PushResult` value."""

    kind: str
    target: str
    result: str
    node: str | None
    value: str | None
    reason: str | None


class SyncReportDict(TypedDict):
    """What `SyncReport.to_dict` returns, typed key by key for ``mypy --strict`` users."""

    operation: str
    ok: bool
    started_at: str
    finished_at: str
    duration_seconds: float
    dry_run: bool
    counts: CountsDict
    problems: list[ProblemDict]
    pushes: list[PushOutcomeDict]
    directed_cancels: list[str]
    notes: list[str]
    pushes_pending: int
    next_push_at: str | None


class PushResult(enum.StrEnum):
    """What happened to one push."""

    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    DISABLED = "disabled"
    PLANNED = "planned"


@attrs.frozen(kw_only=True)
class Problem:
    """A record that could not be handled, and why, in words a user can act on."""

    kind: str
    ref: str
    reason: str


@attrs.frozen(kw_only=True)
class PushOutcome:
    """The fate of one write to Jet: a SKU's stock or price, or an order's status change."""

    kind: str
    target: str
    result: PushResult
    node: str | None = None
    value: str | None = None
    reason: str | None = None


#: How a count reads in a dry run, which writes nothing: what a real run would have done.
_DRY_LABELS = {
    "created": "would_create",
    "updated": "would_update",
    "quarantined": "would_quarantine",
    "released": "would_release",
    "customers_created": "would_create_customers",
    "customers_updated": "would_update_customers",
    "returns_updated": "would_update_returns",
    "archived": "would_archive",
    "pushes_planned": "would_push",
}

#: At most this many planned pushes are written out by ``str()``; `to_dict` has them all.
_PLANNED_SHOWN = 50
#: At most this many pushes are rows of the HTML table.
_HTML_PUSH_ROWS = 500


def _target(push: PushOutcome) -> str:
    at = f" at {push.node}" if push.node else ""
    return f"{push.kind} {push.target}{at}"


@attrs.frozen(kw_only=True)
class SyncReport:
    """The result of one engine call (``import_orders``, ``push_stock``, ``run_once``, ...).

    ``repr()`` is one headline: the counts, then how many problems, failed pushes and
    still-pending pushes there are (with the earliest next attempt). ``str()`` adds one line
    per note, directed cancel, problem and planned push; in a notebook the HTML shows the same
    with an ok or failed mark, the time of the run and a table of every push.

    Attributes:
        problems: records and pushes that need attention; every failed push is one.
        pushes: the fate of each push this call tried or, in a dry run, planned.
        pushes_pending: status pushes still waiting in the outbox when the call ended (pending,
            or failed and retried later; not those given up, which are problems).
        next_push_at: the earliest next attempt among those, if any.
    """

    operation: str
    started_at: datetime
    finished_at: datetime
    dry_run: bool = False
    counts: Counts = attrs.field(factory=Counts)
    problems: tuple[Problem, ...] = ()
    pushes: tuple[PushOutcome, ...] = ()
    directed_cancels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    pushes_pending: int = 0
    next_push_at: datetime | None = None

    @property
    def duration(self) -> float:
        """Seconds from start to finish."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """True when nothing was quarantined and no push failed."""
        return not self.problems and not self.counts.pushes_failed

    def raise_for_problems(self) -> SyncReport:
        """Raise `SyncProblemsError` (carrying this report) unless the report is `ok`.

        Returns the report itself otherwise, so it chains:
        ``report = integration.run_once().raise_for_problems()``.
        """
        if not self.ok:
            raise SyncProblemsError(self)
        return self

    def push_results(self, kind: str | None = None) -> dict[PushResult, int]:
        """How many pushes ended each way, optionally for one kind (``"stock"``, ...)."""
        return dict(Counter(p.result for p in self.pushes if kind is None or p.kind == kind))

    @classmethod
    def combine(cls, operation: str, reports: Iterable[SyncReport]) -> SyncReport:
        """One report that adds up several, e.g. the steps of ``run_once``.

        The outbox figures (``pushes_pending``, ``next_push_at``) are the last report's: they
        describe the state the calls left behind, not something to add up.
        """
        parts = list(reports)
        if not parts:
            raise JetOrderhiveValueError("combine needs at least one report")
        totals: Counter[str] = Counter()
        for part in parts:
            totals.update(attrs.asdict(part.counts))
        return cls(
            operation=operation,
            started_at=min(p.started_at for p in parts),
            finished_at=max(p.finished_at for p in parts),
            dry_run=any(p.dry_run for p in parts),
            counts=Counts(**totals),
            # A push Jet refused is reported by each step that looks at it; say it once.
            problems=tuple(dict.fromkeys(x for p in parts for x in p.problems)),
            pushes=tuple(x for p in parts for x in p.pushes),
            directed_cancels=tuple(dict.fromkeys(x for p in parts for x in p.directed_cancels)),
            notes=tuple(x for p in parts for x in p.notes),
            pushes_pending=parts[-1].pushes_pending,
            next_push_at=parts[-1].next_push_at,
        )

    def to_dict(self) -> SyncReportDict:
        """A JSON-ready dict (datetimes as ISO text), typed as `SyncReportDict`."""
        return {
            "operation": self.operation,
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_seconds": round(self.duration, 6),
            "dry_run": self.dry_run,
            # CountsDict names every field of Counts; a test keeps the two equal.
            "counts": cast(CountsDict, attrs.asdict(self.counts)),
            "problems": [{"kind": p.kind, "ref": p.ref, "reason": p.reason} for p in self.problems],
            "pushes": [
                {
                    "kind": p.kind,
                    "target": p.target,
                    "result": p.result.value,
                    "node": p.node,
                    "value": p.value,
                    "reason": p.reason,
                }
                for p in self.pushes
            ],
            "directed_cancels": list(self.directed_cancels),
            "notes": list(self.notes),
            "pushes_pending": self.pushes_pending,
            "next_push_at": None if self.next_push_at is None else self.next_push_at.isoformat(),
        }

    def labelled_counts(self) -> dict[str, int]:
        """The nonzero counts under the names the headline shows (``would_create`` in a dry run)."""
        counts = self.counts.nonzero()
        if not self.dry_run:
            return counts
        return {_DRY_LABELS.get(name, name): value for name, value in counts.items()}

    def summary(self) -> str:
        """Problems, failed pushes and pending pushes in words, as the headline ends."""
        text = (
            f"{len(self.problems)} problem(s), {self.counts.pushes_failed} push(es) failed, "
            f"{self.pushes_pending} pending"
        )
        if self.next_push_at is not None:
            text += f" (next attempt {self.next_push_at.isoformat()})"
        return text

    def planned(self) -> tuple[PushOutcome, ...]:
        """The pushes a dry run would send."""
        return tuple(p for p in self.pushes if p.result is PushResult.PLANNED)

    def __repr__(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.labelled_counts().items()) or "nothing"
        flag = " dry-run" if self.dry_run else ""
        return (
            f"<SyncReport {self.operation}{flag} {self.duration:.2f}s: {counts}; {self.summary()}>"
        )

    def __str__(self) -> str:
        lines = [repr(self)]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  directed cancel requested: {oid}" for oid in self.directed_cancels]
        lines += [f"  problem [{p.kind} {p.ref}]: {p.reason}" for p in self.problems]
        planned = self.planned()
        for push in planned[:_PLANNED_SHOWN]:
            value = f": {push.value}" if push.value is not None else ""
            lines.append(f"  would push [{_target(push)}]{value}")
        if len(planned) > _PLANNED_SHOWN:
            lines.append(
                f"  ... and {len(planned) - _PLANNED_SHOWN} more planned push(es); "
                "to_dict() lists every one"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        mark = (
            '<span style="color:#1a7f37">&#10003; ok</span>'
            if self.ok
            else '<span style="color:#cf222e">&#10007; failed</span>'
        )
        flag = " (dry run)" if self.dry_run else ""
        labels = self.labelled_counts()
        rows = "".join(
            f"<tr><td>{esc(k.replace('_', ' '))}</td><td>{v}</td></tr>" for k, v in labels.items()
        )
        parts = [
            f"<div><p><strong>{mark}</strong> <strong>SyncReport {esc(self.operation)}"
            f"{flag}</strong>: {esc(self.summary())}</p>",
            f"<p>started {esc(self.started_at.isoformat())}, finished"
            f" {esc(self.finished_at.isoformat())} ({self.duration:.2f}s)</p>",
            "<table><thead><tr><th>count</th><th>value</th></tr></thead>"
            f"<tbody>{rows or '<tr><td>nothing</td><td>0</td></tr>'}</tbody></table>",
        ]
        if self.notes:
            items = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
            parts.append(f"<p>Notes</p><ul>{items}</ul>")
        if self.directed_cancels:
            items = "".join(f"<li><code>{esc(o)}</code></li>" for o in self.directed_cancels)
            parts.append(f"<p>Directed cancels requested</p><ul>{items}</ul>")
        if self.problems:
            items = "".join(
                f"<li><code>{esc(p.kind)} {esc(p.ref)}</code>: {esc(p.reason)}</li>"
                for p in self.problems
            )
            parts.append(f"<p>Problems</p><ul>{items}</ul>")
        if self.pushes:
            cells = "".join(
                "<tr>"
                + "".join(
                    f"<td>{esc(cell or '')}</td>"
                    for cell in (p.kind, p.target, p.node, p.value, p.result.value, p.reason)
                )
                + "</tr>"
                for p in self.pushes[:_HTML_PUSH_ROWS]
            )
            parts.append(
                "<p>Pushes</p><table><thead><tr><th>kind</th><th>target</th><th>node</th>"
                "<th>value</th><th>result</th><th>reason</th></tr></thead>"
                f"<tbody>{cells}</tbody></table>"
            )
            if len(self.pushes) > _HTML_PUSH_ROWS:
                parts.append(
                    f"<p>... and {len(self.pushes) - _HTML_PUSH_ROWS} more push(es);"
                    " to_dict() lists every one</p>"
                )
        parts.append("</div>")
        return "".join(parts)


#: The count each push result adds to.
_PUSH_COUNTS = {
    PushResult.SENT: "pushes_sent",
    PushResult.FAILED: "pushes_failed",
    PushResult.SKIPPED: "pushes_skipped",
    PushResult.DISABLED: "pushes_skipped",
    PushResult.PLANNED: "pushes_planned",
}


class ReportBuilder:
    """Collects what one engine call does; ``build`` freezes it into a :class:`SyncReport`."""

    def __init__(self, operation: str, started_at: datetime, *, dry_run: bool = False) -> None:
        self.operation = operation
        self.started_at = started_at
        self.dry_run = dry_run
        self._counts: Counter[str] = Counter()
        self._problems: list[Problem] = []
        self._pushes: list[PushOutcome] = []
        self._directed: dict[str, None] = {}
        self._notes: list[str] = []
        self._pending = 0
        self._next_push_at: datetime | None = None

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the count ``name`` (a :class:`Counts` field)."""
        if name not in _COUNT_NAMES:
            raise JetOrderhiveValueError(f"unknown report count {name!r}")
        self._counts[name] += n

    def problem(self, kind: str, ref: str, reason: str) -> None:
        """Record a record that could not be handled (once, however often it is seen)."""
        problem = Problem(kind=kind, ref=ref, reason=reason)
        if problem not in self._problems:
            self._problems.append(problem)

    def push(self, outcome: PushOutcome) -> None:
        """Record one push outcome and count it."""
        self._pushes.append(outcome)
        counter = _PUSH_COUNTS.get(outcome.result)
        if counter is not None:
            self._counts[counter] += 1

    def directed_cancel(self, order_id: str) -> None:
        """Record that Jet asks the merchant to cancel ``order_id``."""
        self._directed[order_id] = None

    def note(self, text: str) -> None:
        """Add a sentence for the user, e.g. why a step sent nothing."""
        if text not in self._notes:
            self._notes.append(text)

    def outbox(self, pending: int, next_attempt_at: datetime | None) -> None:
        """Record how many status pushes still wait once the call ends, and the next attempt."""
        self._pending = pending
        self._next_push_at = next_attempt_at

    def counted(self, name: str) -> int:
        """The count ``name`` so far."""
        return self._counts[name]

    def idle(self) -> bool:
        """Whether nothing was counted (besides requests), noted, pushed or found wrong."""
        busy = {name for name, n in self._counts.items() if n and name not in _IDLE_COUNTS}
        return not (busy or self._problems or self._pushes or self._notes or self._directed)

    def build(self, finished_at: datetime) -> SyncReport:
        """Freeze what was collected; every failed push becomes a problem too."""
        return SyncReport(
            operation=self.operation,
            started_at=self.started_at,
            finished_at=finished_at,
            dry_run=self.dry_run,
            counts=Counts(**self._counts),
            problems=_with_failed_pushes(self._problems, self._pushes),
            pushes=tuple(self._pushes),
            directed_cancels=tuple(self._directed),
            notes=tuple(self._notes),
            pushes_pending=self._pending,
            next_push_at=self._next_push_at,
        )


#: Counts that a call which did nothing still has: the requests it took to find that out.
_IDLE_COUNTS = frozenset({"requests", "retries", "unchanged"})


def _with_failed_pushes(
    problems: Iterable[Problem], pushes: Iterable[PushOutcome]
) -> tuple[Problem, ...]:
    """The problems, plus one per failed push that no problem names already.

    A push Jet refused for good is already a ``push`` problem (with what to do about it) whose
    reason quotes the failure; that one is not said twice.
    """
    found = list(problems)
    for push in pushes:
        if push.result is not PushResult.FAILED:
            continue
        reason = push.reason or "no reason was given"
        if any(p.kind == "push" and p.ref == push.target and reason in p.reason for p in found):
            continue
        at = f" at node {push.node}" if push.node else ""
        problem = Problem(kind="push", ref=push.target, reason=f"{push.kind}{at} failed: {reason}")
        if problem not in found:
            found.append(problem)
    return tuple(found)
