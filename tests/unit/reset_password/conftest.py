from __future__ import annotations

import pytest

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
