"""Cognito's request-rate quota in front of the local Cognito: a proxy on 127.0.0.1 that answers calls over the quota
with TooManyRequestsException, as Cognito does, and counts what went through.

The quota's shape is Cognito's (Amazon Cognito Developer Guide, "Quotas in Amazon Cognito", "Amazon Cognito user pools
API operation categories and request rate quotas"): a rate in requests per second per category of operation, shared by
every pool in the account and Region. The operations the product calls fall in these categories (by the guide's
description of each; default quota in brackets):
- UserAccountRecovery [30, not adjustable], "operations that recover a user's account, or change or update a user's
  password": AdminResetUserPassword;
- UserRead [120], "operations that retrieve a user": AdminGetUser;
- UserList [30], "operations that return a list of users": ListUsers;
- UserUpdate [25], "operations that you use to manage users": AdminUserGlobalSignOut (as reset_password/pacing.py
  counts it).
Each category gets a token bucket of its own here, refilled at its rate and holding at most `burst_seconds` of it
(1 s worth by default: Cognito does not publish its burst). Operations outside those categories pass unthrottled.

The bucket is the emulator's own, not the reset function's (reset_password/pacing.py): it is the other side of the
wire, and a fault in the function's pacing must not be mirrored by the quota it is measured against.

Everything is counted from the proxy's record of each exchange (fault_injection/rewriting_proxy.py): calls per
operation, throttled answers, the calls the local Cognito itself refused because SES's send rate was exceeded (on a
pool that sends through its own SES identity; local_aws/emulation/delivery.py), and the AdminResetUserPassword calls
that reached the local Cognito and succeeded there, per Username (each is a code Cognito sends; a user with two was
reset twice).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from contracts.cognito import SES_RATE_MESSAGE
from fault_injection.fault_proxy import COGNITO, COGNITO_SERVICE, codes_sent
from fault_injection.rewriting_proxy import Exchange, Interception, ProxiedRequest, RewritingProxy, rewriting_proxy

# What the proxy records as the interference of a throttled call.
THROTTLED: Final = "quota-throttled"
# Cognito's answer over the quota: HTTP 400 TooManyRequestsException, in the body's __type and x-amzn-ErrorType.
THROTTLE_ANSWER: Final = replace(COGNITO.throttle, name=THROTTLED)


class Category(StrEnum):
    """Cognito's quota categories for the operations the product calls."""

    USER_ACCOUNT_RECOVERY = "UserAccountRecovery"
    USER_READ = "UserRead"
    USER_LIST = "UserList"
    USER_UPDATE = "UserUpdate"


CATEGORY_OF: Final[Mapping[str, Category]] = MappingProxyType(
    {
        "AdminResetUserPassword": Category.USER_ACCOUNT_RECOVERY,
        "AdminGetUser": Category.USER_READ,
        "ListUsers": Category.USER_LIST,
        "AdminUserGlobalSignOut": Category.USER_UPDATE,
    }
)

# The developer guide's default quotas (requests per second, per account and Region), for a quota "as shipped".
DEFAULT_QUOTAS: Final[Mapping[Category, float]] = MappingProxyType(
    {
        Category.USER_ACCOUNT_RECOVERY: 30.0,
        Category.USER_READ: 120.0,
        Category.USER_LIST: 30.0,
        Category.USER_UPDATE: 25.0,
    }
)

DEFAULT_BURST_SECONDS: Final = 1.0


@dataclass(slots=True)
class QuotaBucket:
    """`rate` tokens per second, at most `capacity` held; starts full (bench/pacing_simulation.py plays the same
    quota on its simulated clock)."""

    rate: float
    capacity: float
    clock: Callable[[], float]
    tokens: float = field(init=False)
    last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.last = self.capacity, self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class CognitoQuota:
    """The interceptor: a Cognito call whose category's bucket is empty gets THROTTLE_ANSWER, never reaching moto."""

    def __init__(
        self,
        rates: Mapping[Category, float],
        *,
        burst_seconds: float = DEFAULT_BURST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if any(rate <= 0 for rate in rates.values()) or burst_seconds <= 0:
            raise ValueError("quota rates and the burst must be positive")
        self.rates = dict(rates)
        self.burst_seconds = burst_seconds
        self._lock = threading.Lock()
        # At least one token, so a quota under 1/s still lets a call through now and then.
        self._buckets = {
            category: QuotaBucket(rate, max(1.0, rate * burst_seconds), clock) for category, rate in rates.items()
        }

    def describe(self) -> str:
        rates = ", ".join(f"{category} {rate:g}/s" for category, rate in self.rates.items())
        return f"{rates}; burst {self.burst_seconds:g} s of each"

    def __call__(self, request: ProxiedRequest) -> Interception | None:
        if request.service != COGNITO_SERVICE:
            return None
        category = CATEGORY_OF.get(request.operation)
        bucket = self._buckets.get(category) if category is not None else None
        if bucket is None:
            return None
        with self._lock:
            allowed = bucket.take()
        return None if allowed else Interception(before=THROTTLE_ANSWER)


@dataclass(frozen=True, slots=True)
class QuotaCounts:
    """What reached the quota emulator, from the proxy's record."""

    calls: Counter[str]  # Cognito calls per operation, throttled or not
    throttled: Counter[str]  # throttled answers per operation
    resets: Counter[str]  # per Username: AdminResetUserPassword calls that succeeded at the local Cognito
    # per operation: refused by the local Cognito for SES's send rate (LimitExceededException, SES_RATE_MESSAGE)
    over_send_rate: Counter[str] = field(default_factory=Counter)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_throttled(self) -> int:
        return sum(self.throttled.values())

    def refused_for_rate(self, operation: str | None = None) -> tuple[int, int]:
        """(refused, calls) of `operation` (None: every Cognito call): refused by the quota or for SES's send rate."""
        if operation is None:
            return self.total_throttled + sum(self.over_send_rate.values()), self.total_calls
        return self.throttled[operation] + self.over_send_rate[operation], self.calls[operation]


@dataclass(frozen=True, slots=True)
class QuotaEmulator:
    """A running proxy with the quota in front of the local Cognito: point Cognito clients at `url`."""

    proxy: RewritingProxy
    quota: CognitoQuota

    @property
    def url(self) -> str:
        return self.proxy.url

    def counts(self) -> QuotaCounts:
        exchanges = [exchange for exchange in self.proxy.exchanges if exchange.service == COGNITO_SERVICE]
        return QuotaCounts(
            calls=Counter(exchange.operation for exchange in exchanges),
            throttled=Counter(exchange.operation for exchange in exchanges if exchange.interference == THROTTLED),
            resets=codes_sent(exchanges),
            over_send_rate=Counter(exchange.operation for exchange in exchanges if _over_send_rate(exchange)),
        )


def _over_send_rate(exchange: Exchange) -> bool:
    """The local Cognito's own answer that SES's send rate was exceeded (HTTP 400, LimitExceededException)."""
    if exchange.upstream_status != 400 or exchange.answered_by_proxy:
        return False
    try:
        error = json.loads(exchange.response_body or b"{}")
    except ValueError:
        return False
    return (
        isinstance(error, dict)
        and str(error.get("__type", "")).endswith("LimitExceededException")
        and SES_RATE_MESSAGE.lower() in str(error.get("message", "")).lower()
    )


def uniform_quota(rate: float) -> dict[Category, float]:
    """Every category held to the same rate."""
    return dict.fromkeys(Category, rate)


@contextmanager
def running_quota_emulator(
    upstream: str, rates: Mapping[Category, float], *, burst_seconds: float = DEFAULT_BURST_SECONDS
) -> Iterator[QuotaEmulator]:
    """The quota emulator in front of `upstream` (the local AWS endpoint), stopped on exit."""
    quota = CognitoQuota(rates, burst_seconds=burst_seconds)
    with rewriting_proxy(upstream) as proxy:
        proxy.intercept(quota)
        yield QuotaEmulator(proxy, quota)
