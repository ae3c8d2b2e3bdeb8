"""End-to-end: the whole system as `make demo` runs it (moto on 127.0.0.1, the account provisioned from the
synthesized template, the emulation on), one fresh local account per test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

from contracts.bulk import MANIFEST_KEY, MANIFEST_PREFIX
from local_aws.emulation.delivery import DeliverySettings
from local_aws.harness.demo import users_and_app
from local_aws.harness.synth import SynthesizedStack, synthesize
from local_aws.harness.system import SES_DEPLOYMENT, LocalSystem, running_system
from reset_password import handler
from reset_password.outcomes import UnclassifiedResetError
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


# For tests of a bulk run's workflow, not of its channel: Cognito's own sender stops at 50 e-mails a day on AWS, and
# the local one does too unless told otherwise (tests/e2e/test_delivery_and_codes.py has that limit).
BREACH_SCALE = DeliverySettings(cognito_default_daily_emails=10_000)


def running_with_users(
    synthesized: SynthesizedStack,
    outbox: Path,
    monkeypatch: pytest.MonkeyPatch,
    sending: DeliverySettings | None = None,
) -> Iterator[LocalSystem]:
    boto3.setup_default_session()  # fault hooks never outlive their test
    with running_system(outbox, synthesized=synthesized, retry_scale=RETRY_SCALE, sending=sending) as running:
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


Handler = Callable[[dict[str, Any], Any], Any]


def start_bulk(system: LocalSystem, users: list[str], run_id: str) -> str:
    """A bulk run of these users started as an operator starts one, without waiting for it; its execution ARN."""
    key = f"{MANIFEST_PREFIX}{run_id}.jsonl"
    manifest = "".join(json.dumps({"username": name}) + "\n" for name in users)
    system.aws.client("s3").put_object(Bucket=system.stack.bulk_bucket, Key=key, Body=manifest.encode())
    sfn = system.aws.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=system.stack.bulk_reset_state_machine_arn, name=run_id, input=json.dumps({MANIFEST_KEY: key})
    )
    return str(started["executionArn"])


def until(condition: Callable[[], Any], timeout_seconds: float = 120.0) -> Any:
    """What `condition` gives once it is true (polled)."""
    deadline = time.monotonic() + timeout_seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


class RecordingResets:
    """The reset function as deployed, recording the rows of every batch it is invoked with; `hold` keeps each batch
    waiting, `refuse` fails the batches naming one of those users."""

    def __init__(self, system: LocalSystem) -> None:
        self.function = system.stack.functions.running(RESET_HANDLER)
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()
        self.hold = threading.Event()
        self.hold.set()
        self.refuse: set[str] = set()
        self.in_flight = 0

    def install(self) -> None:
        def new_container() -> Handler:
            real = without_waiting()

            def handle(event: dict[str, Any], context: Any) -> Any:
                names = [str(item["row"].get("username")) for item in event["Items"]]
                with self.lock:
                    self.batches.append(names)
                    self.in_flight += 1
                try:
                    self.hold.wait(60)
                    if self.refuse & set(names):
                        raise UnclassifiedResetError("AccessDeniedException: not a failure this function classifies")
                    return real(event, context)
                finally:
                    with self.lock:
                        self.in_flight -= 1

            return handle

        self.function.new_container = new_container
        self.function.start_cold()

    def users(self) -> set[str]:
        with self.lock:
            return {name for batch in self.batches for name in batch}

    def settled(self) -> bool:
        """No invocation in flight (a stopped child's invocation runs on to its end, as Lambda's does)."""
        with self.lock:
            return self.in_flight == 0
