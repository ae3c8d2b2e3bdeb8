from __future__ import annotations

from typing import Any

import pytest

from contracts.events import RESET_REQUESTED
from reset_password.ledger import Ledger
from reset_password.logic import ResetDependencies
from reset_password.pool_rules import PoolRulesCache
from reset_password.retry import Backoff, Deadline, RetryPolicy
from reset_password.settings import ResetSettings
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, InMemoryLedgerTable, RecordingAuditTrail

POOL = "eu-west-1_TestPool1"
UNCREATED_POOL = "eu-west-1_NeverMade1"  # allowed by the settings, but no such pool exists


@pytest.fixture
def cognito() -> FakeCognito:
    fake = FakeCognito()
    fake.pools[POOL] = {}
    return fake


@pytest.fixture
def alice(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(POOL, "alice", attributes={"email": "alice@example.com", "email_verified": "true"})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def audit() -> RecordingAuditTrail:
    return RecordingAuditTrail()


COOLDOWN_SECONDS = 3600
LEASE_SECONDS = 30.0


class Clock:
    """The ledger's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def table() -> InMemoryLedgerTable:
    return InMemoryLedgerTable()


@pytest.fixture
def ledger(table: InMemoryLedgerTable, clock: Clock) -> Ledger:
    return Ledger(table, cooldown_seconds=COOLDOWN_SECONDS, lease_seconds=LEASE_SECONDS, clock=clock)


@pytest.fixture
def deps(cognito: FakeCognito, sleeps: list[float], audit: RecordingAuditTrail, ledger: Ledger) -> ResetDependencies:
    return ResetDependencies(
        directory=cognito,
        settings=ResetSettings(default_user_pool_id=POOL, allowed_user_pool_ids=frozenset({POOL, UNCREATED_POOL})),
        ledger=ledger,
        audit=audit,
        backoff=Backoff(policy=RetryPolicy(max_attempts=4, base_delay=0.1), sleep=sleeps.append, jitter=lambda: 1.0),
        pool_rules=PoolRulesCache(cognito.pool_rules),
    )


@pytest.fixture
def deadline() -> Deadline:
    return Deadline(remaining=lambda: 60.0)


def eventbridge(detail: object, detail_type: str = RESET_REQUESTED) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "acme.siem",
        "account": "111122223333",
        "time": "2026-11-23T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }
