"""Bounded retries with exponential backoff and full jitter, inside the invocation's remaining time.

botocore's own retry modes are switched off for Cognito calls: its standard and adaptive modes treat
LimitExceededException (Cognito's per-user attempt limit) as throttling and retry it, and neither knows how long
the Lambda invocation has left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    # Stop retrying when less than this is left of the invocation: the caller needs time to report.
    reserve_seconds: float = 2.0


class OutOfTime(Exception):  # noqa: N818 - a state of the invocation, named as the caller reads it
    """Not enough of the invocation is left for another call to end before the reserve."""


@dataclass(slots=True)
class Deadline:
    """Seconds left in the invocation, from the Lambda context (or a fixed budget outside Lambda)."""

    remaining: Callable[[], float]

    def allows(self, seconds: float) -> bool:
        """Whether something that may take `seconds` ends before the invocation does."""
        return self.remaining() >= seconds

    @classmethod
    def from_context(cls, context: object, default_seconds: float = 60.0) -> Deadline:
        get_ms = getattr(context, "get_remaining_time_in_millis", None)
        if callable(get_ms):
            return cls(remaining=lambda: float(get_ms()) / 1000.0)
        started = time.monotonic()
        return cls(remaining=lambda: default_seconds - (time.monotonic() - started))


@dataclass(slots=True)
class Backoff:
    """Runs a call again while `is_transient` says so, sleeping min(max_delay, base * 2**n) * U(0, 1) between tries."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random  # jitter, not cryptography

    def run(
        self,
        call: Callable[[], T],
        *,
        is_transient: Callable[[Exception], bool],
        deadline: Deadline,
        call_seconds: float = 0.0,
    ) -> T:
        """`call_seconds`: the longest one attempt can take (its client's timeouts). No attempt starts that could end
        inside the reserve: OutOfTime instead, before the first attempt, or the last error after a later one."""
        if not deadline.allows(call_seconds + self.policy.reserve_seconds):
            raise OutOfTime
        attempt = 1
        while True:
            try:
                return call()
            except Exception as error:
                if not is_transient(error) or attempt >= self.policy.max_attempts:
                    raise
                delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1)) * self.jitter()
                if not deadline.allows(delay + call_seconds + self.policy.reserve_seconds):
                    raise
                self.sleep(delay)
                attempt += 1
