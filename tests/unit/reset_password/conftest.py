from __future__ import annotations

from typing import Any

import pytest

from contracts.events import RESET_REQUESTED
from reset_password.logic import ResetDependencies
from reset_password.retry import Backoff, Deadline, RetryPolicy
from reset_password.settings import ResetSettings
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, InMemoryDeduplicator, RecordingAuditTrail

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


@pytest.fixture
def deps(cognito: FakeCognito, sleeps: list[float], audit: RecordingAuditTrail) -> ResetDependencies:
    return ResetDependencies(
        directory=cognito,
        settings=ResetSettings(default_user_pool_id=POOL, allowed_user_pool_ids=frozenset({POOL, UNCREATED_POOL})),
        dedupe=InMemoryDeduplicator(),
        audit=audit,
        backoff=Backoff(policy=RetryPolicy(max_attempts=4, base_delay=0.1), sleep=sleeps.append, jitter=lambda: 1.0),
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
