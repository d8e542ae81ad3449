"""Retry policy: which failures are worth another attempt, and how long to wait first.

Pure decisions only; the client shells do the sleeping. A write that is not safe to repeat
(acknowledge, ship, refund create, return complete) is retried only when Jet provably did not act
on it: the request never left (connect failure, connect or pool timeout) or Jet said it did not
process it (429, 503).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

import attrs

__all__ = [
    "Decision",
    "FailureKind",
    "RetryPolicy",
    "Safety",
    "decide",
    "parse_retry_after",
]


class Safety(enum.Enum):
    """Whether repeating a request can change Jet's state a second time."""

    #: Reads and writes of desired state (price, inventory, archive, blob upload): repeat freely.
    IDEMPOTENT = "idempotent"
    #: Writes that act once (acknowledge, ship, refund, complete return): repeat only if unsent.
    UNSAFE = "unsafe"


class FailureKind(enum.Enum):
    """How a request failed without an HTTP answer, as far as the retry decision cares."""

    #: The connection was never made or no pooled connection was free: nothing was sent.
    NOT_SENT = "not_sent"
    #: Sent (or partly sent), then the answer never came: Jet may have acted on it.
    MAYBE_SENT = "maybe_sent"


#: Statuses that mean Jet did not process the request at all, so even an unsafe write may repeat.
_NOT_PROCESSED = frozenset({429, 503})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How many attempts a request gets and how the waits between them grow.

    The wait before retry ``n`` (1-based) is ``min(max_delay, base_delay * 2 ** (n - 1))``, of
    which a random fraction up to ``jitter`` is taken off (``jitter=1.0`` is "full jitter").
    A ``Retry-After`` from Jet replaces that wait; one longer than ``max_retry_after`` ends the
    retries at once, since sleeping for it would stall the caller.
    """

    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    base_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(
        default=0.25, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    #: The most a single call may spend sleeping between attempts, all retries together.
    max_total_wait: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))
    retry_statuses: frozenset[int] = attrs.field(
        default=frozenset({429, 500, 502, 503, 504}), converter=frozenset
    )

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """The jittered wait before retry ``retry_number`` (1 for the first retry)."""
        exponent = min(retry_number - 1, 62)  # keeps 2**n finite for absurd attempt counts
        delay = min(self.max_delay, self.base_delay * (2.0**exponent))
        return delay * (1.0 - self.jitter * rng.random())


@attrs.frozen(kw_only=True)
class Decision:
    """The retry verdict for one failed attempt: wait ``delay`` seconds and retry, or give up."""

    retry: bool
    delay: float = 0.0
    #: Why the policy gave up (or what it is retrying), for the log line and the error message.
    reason: str = ""


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date); None if absent/bad."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT even when the zone is spelled oddly
            return None
        return max(0.0, (when - now).total_seconds())
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def decide(
    policy: RetryPolicy,
    *,
    safety: Safety,
    attempt: int,
    waited: float,
    rng: random.Random,
    status: int | None = None,
    failure: FailureKind | None = None,
    retry_after: float | None = None,
) -> Decision:
    """Decide whether attempt number ``attempt`` (1-based), which failed, gets a successor."""
    if status is not None:
        if status not in policy.retry_statuses:
            return Decision(retry=False, reason=f"HTTP {status} is not retryable")
        if safety is Safety.UNSAFE and status not in _NOT_PROCESSED:
            return Decision(
                retry=False,
                reason=f"HTTP {status} may have been applied; not repeating a one-time write",
            )
    elif failure is FailureKind.MAYBE_SENT and safety is Safety.UNSAFE:
        return Decision(
            retry=False,
            reason="the request may have reached Jet; not repeating a one-time write",
        )
    if attempt >= policy.max_attempts:
        return Decision(retry=False, reason=f"gave up after {attempt} attempts")
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return Decision(
                retry=False,
                reason=(
                    f"Jet asked to wait {retry_after:g}s, more than the "
                    f"{policy.max_retry_after:g}s cap"
                ),
            )
        delay = retry_after
    else:
        delay = policy.backoff(attempt, rng)
    if waited + delay > policy.max_total_wait:
        return Decision(
            retry=False,
            reason=f"waiting {delay:g}s more would pass the {policy.max_total_wait:g}s budget",
        )
    return Decision(retry=True, delay=delay, reason="retrying")
