"""Each container's share of the stack's Cognito rate budget, per call category, slowing down when throttled.

Cognito's request-rate quotas are per account and Region and per category of operation (AdminResetUserPassword
counts against account recovery, AdminGetUser and ListUsers against reading users, AdminUserGlobalSignOut against
updating them; Amazon Cognito Developer Guide, "Quotas", API request rate quotas), and every pool and app in the
account shares them. The stack has a budget per category, caps the function's concurrency, and hands each container
`budget / concurrency` calls per second of each category (RESET_, LOOKUP_ and SIGN_OUT_CALLS_PER_SECOND); a token
bucket per category holds the container to it.

When Cognito throttles a category anyway (the budget is set above the quota, or other apps spend it), the container
halves that category's rate (down to an eighth of the share) and wins it back call by call (additive increase,
multiplicative decrease), but for a minute only up to just under the rate that was throttled: it probes the quota
again once a minute, not every few calls. Against a quota below the budget, one or two calls in a hundred are
throttled rather than one in twenty (tests/unit/reset_password/test_pacing.py simulates it), and a quota that was
raised, or spent by others only for a while, is found again within the minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class CallCategory(StrEnum):
    RESET = "reset"  # AdminResetUserPassword
    LOOKUP = "lookup"  # AdminGetUser, ListUsers
    SIGN_OUT = "sign_out"  # AdminUserGlobalSignOut


# How far a throttled category slows down, and how fast it recovers (a share of the full rate per call that goes
# through: about 20 calls from the floor back to the share).
SLOWEST_SHARE = 0.125
RECOVERY_STEP = 0.05
# For LIMIT_MEMORY_SECONDS after a throttle, the rate recovers only to BELOW_LIMIT of the rate that was throttled.
BELOW_LIMIT = 0.9
_ROUNDING = 1e-9
LIMIT_MEMORY_SECONDS = 60.0


@dataclass(slots=True)
class TokenBucket:
    """`rate` calls per second on average, at most `burst` at once."""

    rate: float
    burst: float = 1.0
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    current_rate: float = field(init=False)
    limit: float | None = field(init=False, default=None)  # the rate Cognito throttled, remembered for a while
    _limit_until: float = field(init=False, default=0.0)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.current_rate, self._last = self.burst, self.rate, self.clock()

    def wait_seconds(self) -> float:
        """How long until a call may start (0: now), taking its token when it may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.current_rate)
        self._last = now
        # A token refilled to within rounding of whole counts as whole: waiting out 1e-17 s would never end.
        if self.tokens >= 1.0 - _ROUNDING:
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / self.current_rate

    def throttled(self) -> None:
        floor = self.rate * SLOWEST_SHARE
        self.limit, self._limit_until = max(floor, self.current_rate), self.clock() + LIMIT_MEMORY_SECONDS
        self.current_rate = max(floor, self.current_rate / 2)

    def went_through(self) -> None:
        if self.limit is not None and self.clock() >= self._limit_until:
            self.limit = None  # probe the quota again
        ceiling = self.rate if self.limit is None else max(self.rate * SLOWEST_SHARE, self.limit * BELOW_LIMIT)
        self.current_rate = max(
            min(self.current_rate, ceiling), min(ceiling, self.current_rate + self.rate * RECOVERY_STEP)
        )


@dataclass(slots=True)
class Pacer:
    """One bucket per call category at its own rate; a category without a rate is not paced."""

    rates: Mapping[CallCategory, float | None] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[CallCategory, TokenBucket] = field(default_factory=dict)

    def _bucket(self, category: CallCategory) -> TokenBucket | None:
        rate = self.rates.get(category)
        if rate is None:
            return None
        if category not in self._buckets:
            self._buckets[category] = TokenBucket(rate, clock=self.clock)
        return self._buckets[category]

    def wait_for(self, category: CallCategory, *, at_most: float) -> bool:
        """Wait for the category's next slot, unless that is more than `at_most` seconds away (then False)."""
        bucket = self._bucket(category)
        while bucket is not None:
            wait = bucket.wait_seconds()
            if wait == 0.0:
                return True
            if wait > at_most:
                return False
            self.sleep(wait)
            at_most -= wait
        return True

    def throttled(self, category: CallCategory) -> None:
        if (bucket := self._bucket(category)) is not None:
            bucket.throttled()

    def went_through(self, category: CallCategory) -> None:
        if (bucket := self._bucket(category)) is not None:
            bucket.went_through()
