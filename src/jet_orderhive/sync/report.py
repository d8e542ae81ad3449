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


@attrs.frozen(kw_only=True)
class SyncReport:
    """The result of one engine call (``import_orders``, ``push_stock``, ``run_once``, ...)."""

    operation: str
    started_at: datetime
    finished_at: datetime
    dry_run: bool = False
    counts: Counts = attrs.field(factory=Counts)
    problems: tuple[Problem, ...] = ()
    pushes: tuple[PushOutcome, ...] = ()
    directed_cancels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        """Seconds from start to finish."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """True when nothing was quarantined and no push failed."""
        return not self.problems and not self.counts.pushes_failed

    def push_results(self, kind: str | None = None) -> dict[PushResult, int]:
        """How many pushes ended each way, optionally for one kind (``"stock"``, ...)."""
        return dict(Counter(p.result for p in self.pushes if kind is None or p.kind == kind))

    @classmethod
    def combine(cls, operation: str, reports: Iterable[SyncReport]) -> SyncReport:
        """One report that adds up several, e.g. the steps of ``run_once``."""
        parts = list(reports)
        if not parts:
            raise ValueError("combine needs at least one report")
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
        }

    def __repr__(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.counts.nonzero().items()) or "nothing"
        flag = " dry-run" if self.dry_run else ""
        return (
            f"<SyncReport {self.operation}{flag} {self.duration:.2f}s: {counts};"
            f" {len(self.problems)} problem(s)>"
        )

    def __str__(self) -> str:
        lines = [repr(self)]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  directed cancel requested: {oid}" for oid in self.directed_cancels]
        lines += [f"  problem [{p.kind} {p.ref}]: {p.reason}" for p in self.problems]
        failed = [p for p in self.pushes if p.result is PushResult.FAILED]
        lines += [f"  push failed [{p.kind} {p.target}]: {p.reason}" for p in failed]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><td>{esc(k)}</td><td>{v}</td></tr>" for k, v in self.counts.nonzero().items()
        )
        problems = "".join(
            f"<li><code>{esc(p.kind)} {esc(p.ref)}</code>: {esc(p.reason)}</li>"
            for p in self.problems
        )
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        flag = " (dry run)" if self.dry_run else ""
        return (
            f"<div><strong>SyncReport {esc(self.operation)}{flag}</strong>"
            f" in {self.duration:.2f}s"
            f"<table><thead><tr><th>count</th><th>value</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            + (f"<p>Problems</p><ul>{problems}</ul>" if problems else "")
            + (f"<p>Notes</p><ul>{notes}</ul>" if notes else "")
            + "</div>"
        )


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

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the count ``name`` (a :class:`Counts` field)."""
        if name not in _COUNT_NAMES:
            raise KeyError(f"unknown report count {name!r}")
        self._counts[name] += n

    def problem(self, kind: str, ref: str, reason: str) -> None:
        """Record a record that could not be handled (once, however often it is seen)."""
        problem = Problem(kind=kind, ref=ref, reason=reason)
        if problem not in self._problems:
            self._problems.append(problem)

    def push(self, outcome: PushOutcome) -> None:
        """Record one push outcome and count it."""
        self._pushes.append(outcome)
        counter = {
            PushResult.SENT: "pushes_sent",
            PushResult.FAILED: "pushes_failed",
            PushResult.SKIPPED: "pushes_skipped",
            PushResult.DISABLED: "pushes_skipped",
        }.get(outcome.result)
        if counter is not None:
            self.count(counter)

    def directed_cancel(self, order_id: str) -> None:
        """Record that Jet asks the merchant to cancel ``order_id``."""
        self._directed[order_id] = None

    def note(self, text: str) -> None:
        """Add a sentence for the user, e.g. why a step sent nothing."""
        if text not in self._notes:
            self._notes.append(text)

    def build(self, finished_at: datetime) -> SyncReport:
        """Freeze what was collected."""
        return SyncReport(
            operation=self.operation,
            started_at=self.started_at,
            finished_at=finished_at,
            dry_run=self.dry_run,
            counts=Counts(**self._counts),
            problems=tuple(self._problems),
            pushes=tuple(self._pushes),
            directed_cancels=tuple(self._directed),
            notes=tuple(self._notes),
        )
