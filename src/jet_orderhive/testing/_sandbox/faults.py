"""Deterministic fault injection: failures, throttling, latency and dropped connections.

Each rule is scoped to every request, to one request kind (``"acknowledge"``) or to a path prefix
(``"/orders"``). Random failures draw from a stream seeded by the sandbox seed, so two sandboxes
with the same seed and the same calls fail the same requests.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Literal

import attrs

__all__ = ["Decision", "DropWhen", "FaultPlan", "RateRule"]

DropWhen = Literal["before", "after"]


@attrs.frozen(kw_only=True)
class Decision:
    """What the fault plan does to one request."""

    status: int | None = None
    retry_after: float | None = None
    label: str | None = None
    drop: DropWhen | None = None
    delay: float = 0.0


@attrs.define(kw_only=True)
class _Rule:
    scope: str | None
    remaining: int | None = None
    status: int = 503
    retry_after: float | None = None
    every: int = 0
    seen: int = 0
    rate: float = 0.0
    seconds: float = 0.0
    drop: DropWhen | None = None

    def matches(self, kind: str, path: str) -> bool:
        if self.scope is None:
            return True
        if self.scope.startswith("/"):
            return path.lower().startswith(self.scope.lower())
        return kind == self.scope


class RateRule:
    """A server-side token bucket: ``rate`` requests per second, ``burst`` at once, else 429.

    A request that finds the bucket empty is answered 429 and takes no token; its
    ``Retry-After`` is the time until the next token, rounded up to whole seconds as HTTP's
    delay-seconds are, unless a fixed ``retry_after`` is given.
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        scope: str | None,
        retry_after: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.scope = scope
        self.rate = rate
        self.burst = burst
        self.retry_after = retry_after
        self.clock = clock
        self.tokens = float(burst)
        self.last: float | None = None
        self.accepted = 0
        self.refused = 0

    def matches(self, kind: str, path: str) -> bool:
        return _Rule(scope=self.scope).matches(kind, path)

    def take(self) -> float | None:
        """Take a token; None when one was free, else the ``Retry-After`` seconds to answer."""
        now = self.clock()
        if self.last is not None and now > self.last:
            self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        if self.last is None or now > self.last:
            self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.accepted += 1
            return None
        self.refused += 1
        if self.retry_after is not None:
            return self.retry_after
        return float(max(1, math.ceil((1.0 - self.tokens) / self.rate)))


class FaultPlan:
    """The active faults of one sandbox; not thread-safe on its own (the sandbox lock guards it)."""

    def __init__(self, seed: int | str) -> None:
        self._seed = seed
        self._reset()

    def _reset(self) -> None:
        self._rng = random.Random(f"faults:{self._seed}")
        self._drops: list[_Rule] = []
        self._failures: list[_Rule] = []
        self._random: list[_Rule] = []
        self._throttles: list[_Rule] = []
        self._latencies: list[_Rule] = []
        self._rates: list[RateRule] = []

    def fail_next(
        self, count: int, *, status: int, scope: str | None, retry_after: float | None
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` without applying them."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if not 400 <= status <= 599:
            raise ValueError(f"an injected failure needs a 4xx or 5xx status, got {status}")
        self._failures.append(
            _Rule(scope=scope, remaining=count, status=status, retry_after=retry_after)
        )

    def fail_randomly(
        self, rate: float, *, status: int, scope: str | None, retry_after: float | None
    ) -> None:
        """Fail each matching request with probability ``rate`` (seeded, so repeatable)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        self._random.append(_Rule(scope=scope, rate=rate, status=status, retry_after=retry_after))

    def throttle(self, *, every: int, retry_after: float, scope: str | None) -> None:
        """Answer every ``every``-th matching request with 429 and ``Retry-After``."""
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self._throttles.append(_Rule(scope=scope, every=every, status=429, retry_after=retry_after))

    def limit_rate(
        self,
        rate: float,
        *,
        burst: int | None,
        scope: str | None,
        retry_after: float | None,
        clock: Callable[[], float] | None,
    ) -> RateRule:
        """Serve at most ``rate`` matching requests per second (a token bucket), 429 beyond."""
        if not rate > 0 or not math.isfinite(rate):
            raise ValueError(f"rate must be a positive number of requests per second, got {rate}")
        size = max(1, math.ceil(rate)) if burst is None else burst
        if size < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        rule = RateRule(
            rate=rate,
            burst=size,
            scope=scope,
            retry_after=retry_after,
            clock=clock or time.monotonic,
        )
        self._rates.append(rule)
        return rule

    def latency(self, seconds: float, *, scope: str | None) -> None:
        """Delay every matching response by ``seconds``."""
        if seconds < 0:
            raise ValueError(f"latency cannot be negative, got {seconds}")
        self._latencies.append(_Rule(scope=scope, seconds=seconds))

    def drop_connections(self, count: int, *, when: DropWhen, scope: str | None) -> None:
        """Lose the connection on the next ``count`` matching requests, before or after applying."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', got {when!r}")
        self._drops.append(_Rule(scope=scope, remaining=count, drop=when))

    def clear(self) -> None:
        """Remove every fault; the random stream restarts so later runs stay repeatable."""
        self._reset()

    def decide(self, kind: str, path: str) -> Decision:
        """Consume the faults that apply to one request and say what happens to it."""
        delay = sum(rule.seconds for rule in self._latencies if rule.matches(kind, path))
        for rule in self._drops:
            if rule.remaining and rule.matches(kind, path):
                rule.remaining -= 1
                label = f"connection dropped {rule.drop} the request was applied"
                return Decision(drop=rule.drop, label=label, delay=delay)
        for rule in self._failures:
            if rule.remaining and rule.matches(kind, path):
                rule.remaining -= 1
                return self._fail(rule, "fail_next", delay)
        for rule in self._random:
            if rule.matches(kind, path) and self._rng.random() < rule.rate:
                return self._fail(rule, "random_failure", delay)
        for rule in self._throttles:
            if rule.matches(kind, path):
                rule.seen += 1
                if rule.seen % rule.every == 0:
                    return self._fail(rule, "throttle", delay)
        for rate_rule in self._rates:
            if rate_rule.matches(kind, path):
                wait = rate_rule.take()
                if wait is not None:
                    return Decision(status=429, retry_after=wait, label="rate_limit", delay=delay)
        return Decision(delay=delay)

    @staticmethod
    def _fail(rule: _Rule, label: str, delay: float) -> Decision:
        retry_after = rule.retry_after
        if retry_after is None and rule.status == 429:
            retry_after = 1
        return Decision(status=rule.status, retry_after=retry_after, label=label, delay=delay)
