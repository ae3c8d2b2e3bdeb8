"""Each container's share of the stack's Cognito rate budget, per call category, slowing down when throttled.

Cognito's request-rate quotas are per account and Region and per category of operation (AdminResetUserPassword
counts against account recovery, AdminGetUser and ListUsers against reading users, AdminUserGlobalSignOut against
updating them; Amazon Cognito Developer Guide, "Quotas", API request rate quotas), and every pool and app in the
account shares them. The stack has a budget per category, caps the function's concurrency, and hands each container
`budget / concurrency` calls per second of each category (RESET_, LOOKUP_ and SIGN_OUT_CALLS_PER_SECOND); a token
bucket per category holds the container to it. A
throttled call halves that category's rate, down to an eighth of it; every call that goes through wins back a
little, up to the share again (additive increase, multiplicative decrease).
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


@dataclass(slots=True)
class TokenBucket:
    """`rate` calls per second on average, at most `burst` at once."""

    rate: float
    burst: float = 1.0
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    current_rate: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.current_rate, self._last = self.burst, self.rate, self.clock()

    def wait_seconds(self) -> float:
        """How long until a call may start (0: now), taking its token when it may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.current_rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.current_rate

    def throttled(self) -> None:
        self.current_rate = max(self.rate * SLOWEST_SHARE, self.current_rate / 2)

    def went_through(self) -> None:
        self.current_rate = min(self.rate, self.current_rate + self.rate * RECOVERY_STEP)


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
