"""End-to-end: the whole system as `make demo` runs it (moto on 127.0.0.1, the account provisioned from the
synthesized template, the wiring on), one fresh local account per test."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import boto3
import pytest

from local_aws.demo import users_and_app
from local_aws.synth import SynthesizedStack, synthesize
from local_aws.system import SES_DEPLOYMENT, LocalSystem, running_system
from reset_password import handler
from reset_password.retry import Backoff

# Step Functions' Retry waits (seconds on AWS) pass a thousand times faster; the waits asked for are still recorded.
RETRY_SCALE = 0.001
RESET_HANDLER = "reset_password.handler.lambda_handler"


def without_waiting() -> handler.Handler:
    """A container of the reset function as deployed, except that its in-function retries do not wait."""
    return handler.build_handler(cache(lambda: handler.dependencies_from_environment(backoff=Backoff(sleep=no_wait))))


def no_wait(_seconds: float) -> None:
    return None


@pytest.fixture(scope="session")
def synthesized() -> SynthesizedStack:
    """The shipped defaults: a new pool that sends e-mail through Cognito's own sender (COGNITO_DEFAULT)."""
    return synthesize()


@pytest.fixture(scope="session")
def ses_synthesized() -> SynthesizedStack:
    """The same stack with a new pool that sends e-mail through its own SES identity (DEVELOPER)."""
    return synthesize(SES_DEPLOYMENT)


def running_with_users(
    synthesized: SynthesizedStack, outbox: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalSystem]:
    boto3.setup_default_session()  # fault hooks never outlive their test
    with running_system(outbox, synthesized=synthesized, retry_scale=RETRY_SCALE) as running:
        reset_function = running.stack.functions.running(RESET_HANDLER)
        reset_function.new_container = without_waiting
        reset_function.start_cold()
        users_and_app(running)  # the demo's users, lena (de) and sam (en), and an app client
        yield running
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def system(synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSystem]:
    """A fresh local account of the default deployment, with users lena (de) and sam (en)."""
    yield from running_with_users(synthesized, tmp_path / "outbox", monkeypatch)


@pytest.fixture
def ses_system(
    ses_synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalSystem]:
    """A fresh local account of the SES deployment, with the same users."""
    yield from running_with_users(ses_synthesized, tmp_path / "outbox", monkeypatch)
