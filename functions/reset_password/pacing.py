"""Each container's share of the stack's Cognito rate budget, per call category, slowing down when throttled.

Cognito's request-rate quotas are per account and Region and per category of operation (AdminResetUserPassword
counts against account recovery, AdminGetUser and ListUsers against reading users, AdminUserGlobalSignOut against
updating them; Amazon Cognito Developer Guide, "Quotas", API request rate quotas), and every pool and app in the
account shares them. The stack has a budget per category, caps the function's concurrency, and hands each container
`budget / concurrency` calls per second of each category (RESET_, LOOKUP_ and SIGN_OUT_CALLS_PER_SECOND); a token
bucket per category holds the container to it.

When Cognito throttles a category anyway (the budget is set above the quota, or other apps spend it), the container
halves that category's rate (down to an eighth of the share) and wins it back call by call (additive increase,
multiplicative decrease), but only up to a ceiling just under the rate that was throttled. Each minute without a
throttle lifts the ceiling, a little the first time and twice as much each minute after (5%, 10%, 20%, ... of it),
until it is the full share again: the fleet probes the quota gently instead of every container jumping back to its
full share once a minute. With the budget 4x the quota, 25 containers sharing it see about one call in a hundred
throttled rather than one in twenty-four (bench/pacing_simulation.py drives these pacers on a simulated clock;
tests/unit/reset_password/test_pacing.py simulates one container), and a quota that was raised, or spent by others
only for a while, is found again within minutes: about six from the floor to the full share.
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
# After a throttle the rate recovers only to BELOW_LIMIT of the rate that was throttled. Each LIMIT_MEMORY_SECONDS
# without a throttle lifts that ceiling by FIRST_PROBE_STEP of it, then by twice the step before, until it is the share.
# The fleet's throttled share grows with how fast its ceilings rise over how much a throttle takes off
# (1 - BELOW_LIMIT of a container's rate): a step of 5% keeps it near 1% with 25 containers 4x over the quota.
BELOW_LIMIT = 0.9
LIMIT_MEMORY_SECONDS = 60.0
FIRST_PROBE_STEP = 0.05
_ROUNDING = 1e-9


@dataclass(slots=True)
class TokenBucket:
    """`rate` calls per second on average, at most `burst` at once."""

    rate: float
    burst: float = 1.0
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    current_rate: float = field(init=False)
    ceiling: float = field(init=False)  # how far the rate recovers: the full rate, or under the rate Cognito throttled
    _probe_step: float = field(init=False, default=FIRST_PROBE_STEP)
    _ceiling_until: float = field(init=False, default=0.0)  # when a minute without a throttle lifts the ceiling
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.current_rate, self.ceiling, self._last = self.burst, self.rate, self.rate, self.clock()

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
        self.ceiling = max(floor, self.current_rate * BELOW_LIMIT)
        self._probe_step, self._ceiling_until = FIRST_PROBE_STEP, self.clock() + LIMIT_MEMORY_SECONDS
        self.current_rate = max(floor, self.current_rate / 2)

    def went_through(self) -> None:
        now = self.clock()
        while self.ceiling < self.rate and now >= self._ceiling_until:  # a quiet minute (or more): probe higher
            self.ceiling = min(self.rate, self.ceiling * (1 + self._probe_step))
            self._probe_step *= 2
            self._ceiling_until += LIMIT_MEMORY_SECONDS
        self.current_rate = max(
            min(self.current_rate, self.ceiling), min(self.ceiling, self.current_rate + self.rate * RECOVERY_STEP)
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
