"""Faults on the wire between the reset function and moto: a seeded interceptor for rewriting_proxy.py.

A share (`rate`) of one service's calls is faulted, each fault drawn from a weighted mix: an error answer from the
proxy before forwarding (throttling, a 500), a 500 in place of moto's answer after moto did the work, a connection
reset before or after forwarding, and a stall past the client's read timeout before forwarding (never forwarded) or
after (moto did the work; the answer is withheld until the client gave up, then the connection is closed).

Draws are deterministic: each request's fate is a hash of the seed, its service, operation and subject (the user or
the dedupe record it is about) and how many such requests came before it, so the threads' interleaving does not
change which request of which user is faulted.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from contracts.cognito import INTERNAL_ERROR, TOO_MANY_REQUESTS
from fault_injection.rewriting_proxy import (
    Answer,
    Exchange,
    HangUp,
    Interception,
    ProxiedRequest,
    RewritingProxy,
    rewriting_proxy,
)

COGNITO_SERVICE: Final = "AWSCognitoIdentityProviderService"
DYNAMODB_SERVICE: Final = "DynamoDB_20120810"
RESET_OPERATION: Final = "AdminResetUserPassword"


class Fault(StrEnum):
    THROTTLE_BEFORE = "throttle-before"  # HTTP 400 TooManyRequestsException (or the service's throttle), not forwarded
    ERROR_BEFORE = "500-before"  # HTTP 500 internal error, not forwarded
    ERROR_AFTER = "500-after"  # forwarded, moto's answer replaced by HTTP 500
    RESET_BEFORE = "reset-before"  # TCP reset, not forwarded
    RESET_AFTER = "reset-after"  # forwarded, then TCP reset instead of moto's answer
    STALL_BEFORE = "stall-before"  # held past the client's read timeout, then closed; not forwarded
    STALL_AFTER = "stall-after"  # forwarded, moto's answer held past the client's read timeout, then closed

    @property
    def after_forwarding(self) -> bool:
        return self in {Fault.ERROR_AFTER, Fault.RESET_AFTER, Fault.STALL_AFTER}


# Half of the faults strike after moto did the work: the answers that are lost although the call succeeded.
DEFAULT_MIX: Final[Mapping[Fault, float]] = MappingProxyType(
    {
        Fault.THROTTLE_BEFORE: 0.20,
        Fault.ERROR_BEFORE: 0.10,
        Fault.ERROR_AFTER: 0.15,
        Fault.RESET_BEFORE: 0.10,
        Fault.RESET_AFTER: 0.15,
        Fault.STALL_BEFORE: 0.10,
        Fault.STALL_AFTER: 0.20,
    }
)


@dataclass(frozen=True, slots=True)
class ServiceErrors:
    """A service's throttling and internal-error answers, as its JSON protocol words them."""

    service: str  # the X-Amz-Target prefix
    throttle: Answer
    internal_error: Answer


# Cognito's API reference: TooManyRequestsException "Rate exceeded" (HTTP 400), InternalErrorException (HTTP 500);
# each names its type in the body's __type and in the x-amzn-ErrorType header (the AWS JSON 1.1 protocol's two places).
# Where botocore sends each service's calls (its service-specific endpoint variables, AWS_ENDPOINT_URL_<SERVICE>): a
# process pointed at the proxy for one service and at moto for the rest.
COGNITO_ENDPOINT: Final = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
DYNAMODB_ENDPOINT: Final = "AWS_ENDPOINT_URL_DYNAMODB"
COGNITO: Final = ServiceErrors(
    COGNITO_SERVICE,
    Answer(
        400,
        {"__type": TOO_MANY_REQUESTS, "message": "Rate exceeded"},
        headers=(("x-amzn-ErrorType", TOO_MANY_REQUESTS),),
    ),
    Answer(
        500,
        {"__type": INTERNAL_ERROR, "message": "Internal error"},
        headers=(("x-amzn-ErrorType", INTERNAL_ERROR),),
    ),
)
# DynamoDB's API reference (common errors): ThrottlingException (HTTP 400), InternalServerError (HTTP 500).
DYNAMODB: Final = ServiceErrors(
    DYNAMODB_SERVICE,
    Answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"}),
    Answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "Internal error"}),
)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Fault `rate` of the calls to one service, each fault drawn from `mix` (weights, normalised)."""

    errors: ServiceErrors
    rate: float
    mix: Mapping[Fault, float] = field(default_factory=lambda: DEFAULT_MIX)

    def describe(self) -> str:
        total = sum(self.mix.values())
        shares = ", ".join(f"{fault} {weight / total:.0%}" for fault, weight in self.mix.items() if weight)
        return f"{self.errors.service}: {self.rate:.0%} of calls faulted ({shares})"


class FaultInjector:
    """The interceptor: decides, per request, whether and how it is faulted."""

    def __init__(self, seed: int, plans: Iterable[FaultPlan], *, stall_seconds: float) -> None:
        self.seed = seed
        self.plans = {plan.errors.service: plan for plan in plans}
        self.stall_seconds = stall_seconds
        self._lock = threading.Lock()
        self._seen: Counter[tuple[str, str, str]] = Counter()

    def describe(self) -> str:
        plans = "; ".join(plan.describe() for plan in self.plans.values())
        return f"seed {self.seed}, stalls {self.stall_seconds:g} s; {plans}"

    def __call__(self, request: ProxiedRequest) -> Interception | None:
        plan = self.plans.get(request.service)
        if plan is None or plan.rate <= 0:
            return None
        key = (request.service, request.operation, subject_of(request))
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] += 1
        if self._draw(*key, str(occurrence), "faulted") >= plan.rate:
            return None
        return self._interception(_weighted(plan.mix, self._draw(*key, str(occurrence), "fault")), plan.errors)

    def _draw(self, *parts: str) -> float:
        """A uniform number in [0, 1) that depends only on the seed and `parts`."""
        digest = hashlib.sha256("\x1f".join((str(self.seed), *parts)).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _interception(self, fault: Fault, errors: ServiceErrors) -> Interception:
        interference: Answer | HangUp
        if fault is Fault.THROTTLE_BEFORE:
            interference = replace(errors.throttle, name=fault.value)
        elif fault in {Fault.ERROR_BEFORE, Fault.ERROR_AFTER}:
            interference = replace(errors.internal_error, name=fault.value)
        elif fault in {Fault.RESET_BEFORE, Fault.RESET_AFTER}:
            interference = HangUp(fault.value, reset=True)
        else:
            interference = HangUp(fault.value, after_seconds=self.stall_seconds, reset=False)
        return Interception(after=interference) if fault.after_forwarding else Interception(before=interference)


def _weighted(mix: Mapping[Fault, float], draw: float) -> Fault:
    total = sum(mix.values())
    running = 0.0
    for fault, weight in mix.items():
        running += weight / total
        if draw < running:
            return fault
    return [fault for fault, weight in mix.items() if weight][-1]  # a draw lost to rounding


def subject_of(request: ProxiedRequest) -> str:
    """What a request is about: the Cognito user (Username, or the ListUsers filter) or the DynamoDB record key."""
    body = request.json()
    for name in ("Username", "Filter"):
        if isinstance(body.get(name), str):
            return str(body[name])
    for name in ("Key", "Item"):
        record: Any = body.get(name)
        if isinstance(record, dict) and isinstance(record.get("id"), dict):
            return str(record["id"].get("S", ""))
    return ""


def username_of(exchange: Exchange) -> str | None:
    username = exchange.request_json().get("Username")
    return username if isinstance(username, str) else None


def codes_sent(exchanges: Sequence[Exchange]) -> Counter[str]:
    """Per Username, the AdminResetUserPassword calls that reached moto and succeeded there: each is a code Cognito
    sends, whether or not the answer reached the caller."""
    return Counter(
        username_of(exchange) or ""
        for exchange in exchanges
        if exchange.service == COGNITO_SERVICE
        and exchange.operation == RESET_OPERATION
        and exchange.upstream_status == 200
    )


def faults_injected(exchanges: Sequence[Exchange]) -> Counter[str]:
    return Counter(exchange.interference for exchange in exchanges if exchange.interference)


@contextmanager
def fault_injecting_proxy(upstream: str, injector: FaultInjector) -> Iterator[RewritingProxy]:
    """A running proxy in front of `upstream` that faults calls as `injector` decides, stopped on exit."""
    with rewriting_proxy(upstream) as proxy:
        proxy.intercept(injector)
        yield proxy
