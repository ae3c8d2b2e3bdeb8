"""End-to-end: the whole system as `make demo` runs it (moto on 127.0.0.1, the account provisioned from the
synthesized template, the wiring on), one fresh local account per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local_aws.account import SynthesizedStack, synthesize
from local_aws.pool import add_user
from local_aws.system import LocalSystem, running_system
from reset_password import handler
from reset_password.retry import Backoff

# Step Functions' Retry waits (seconds on AWS) pass a thousand times faster; the waits asked for are still recorded.
RETRY_SCALE = 0.001


@pytest.fixture(scope="session")
def synthesized() -> SynthesizedStack:
    return synthesize()


@pytest.fixture
def system(synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSystem]:
    monkeypatch.setattr(handler, "Backoff", lambda: Backoff(sleep=lambda _: None))  # in-function retries: no waiting
    boto3.setup_default_session()  # fault hooks never outlive their test
    with running_system(tmp_path / "outbox", synthesized=synthesized, retry_scale=RETRY_SCALE) as running:
        pool = running.stack.user_pool_id
        add_user(running.cognito, pool, "lena", email="lena@example.com", locale="de", given_name="Lena")
        add_user(running.cognito, pool, "sam", email="sam@example.com", locale="en", given_name="Sam")
        yield running
    boto3.DEFAULT_SESSION = None
