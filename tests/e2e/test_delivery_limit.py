"""A breach run larger than the pool's day, end to end on the default deployment (Cognito's own sender, 50 e-mails a
day): started over several days, it stops at the limit with nobody failed and nobody sent two codes, says so, and the
next day's redrive finishes it, each user holding exactly one code."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from contracts.bulk import RUN_HALT_SECONDS
from contracts.cognito import COGNITO_DEFAULT_DAILY_EMAILS
from local_aws.harness.pool import add_user, user_status
from local_aws.harness.synth import SynthesizedStack
from local_aws.harness.system import LocalSystem
from reset_password import handler
from reset_password.retry import Backoff
from tests.e2e.conftest import RESET_HANDLER, no_wait, running_with_users
from tests.e2e.test_operator_cli import bulk_executions, cognito_reset

DAY_SECONDS = 86_400.0
USERS = [f"breach-user-{n:02d}" for n in range(60)]


class LaterClock:
    """The local account's time, moved on by the test: the reset function's ledger and the e-mail channel share it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def clock() -> LaterClock:
    return LaterClock()


@pytest.fixture
def system(
    synthesized: SynthesizedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: LaterClock
) -> Iterator[LocalSystem]:
    """The default deployment at Cognito's own daily limit, its reset function and e-mail channel on `clock`."""
    for running in running_with_users(synthesized, tmp_path / "outbox", monkeypatch):
        running.emulation.channels.clock = clock.monotonic
        reset_function = running.stack.functions.running(RESET_HANDLER)
        reset_function.new_container = lambda: handler.build_handler(
            cache(lambda: handler.dependencies_from_environment(backoff=Backoff(sleep=no_wait), clock=clock.wall))
        )
        reset_function.start_cold()
        yield running


def ended(system: LocalSystem, arn: str, timeout_seconds: float = 180.0) -> dict[str, object]:
    sfn = system.aws.client("stepfunctions")
    deadline = time.monotonic() + timeout_seconds
    while (execution := sfn.describe_execution(executionArn=arn))["status"] in {"RUNNING", "PENDING_REDRIVE"}:
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.2)
    return dict(execution)


def reset_messages(system: LocalSystem) -> Counter[str]:
    return Counter(m.username for m in system.outbox.messages if m.username in USERS and m.undelivered is None)


def test_a_run_larger_than_the_day_halts_at_the_limit_and_the_next_days_redrive_finishes_it(
    system: LocalSystem, tmp_path: Path, clock: LaterClock
) -> None:
    for name in USERS:
        add_user(system.cognito, system.stack.user_pool_id, name, email=f"{name}@example.com")
    manifest = tmp_path / "breach.csv"
    manifest.write_text("username\n" + "".join(f"{name}\n" for name in USERS))

    started = cognito_reset(
        system, "bulk", str(manifest), "--reason", "security_incident", "--over-several-days", "--no-wait",
        "--run-id", "breach",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    (execution,) = bulk_executions(system)
    first_day = ended(system, str(execution["executionArn"]))

    # Day one: the run stops at the limit. Nobody got two codes, nobody is failed for the pool's limit.
    assert first_day["status"] == "FAILED"
    day_one = reset_messages(system)
    assert sum(day_one.values()) == COGNITO_DEFAULT_DAILY_EMAILS - sum(
        1 for m in system.outbox.messages if m.username not in USERS
    )
    assert set(day_one.values()) == {1}
    untouched = [name for name in USERS if name not in day_one]
    assert untouched
    assert {user_status(system.cognito, system.stack.user_pool_id, name) for name in untouched} == {"CONFIRMED"}

    status = cognito_reset(system, "--json", "status", "breach", "--no-completion")
    assert status.returncode == 1, status.stderr
    assert json.loads(status.stdout)["haltedAtDeliveryLimit"] is True
    said = cognito_reset(system, "status", "breach", "--no-completion")
    assert "stopped at the pool's delivery limit" in said.stdout
    assert "cognito-reset redrive breach" in said.stdout

    # Inside the halt the CLI does not redrive (a redrive would stop again at once).
    early = cognito_reset(system, "redrive", "breach", "--no-wait")
    assert early.returncode == 2
    assert "stays halted until" in early.stderr

    # The next day: the limit has rolled over and the halt is long over.
    clock.offset = DAY_SECONDS + RUN_HALT_SECONDS
    system.aws.client("stepfunctions").redrive_execution(executionArn=str(execution["executionArn"]))
    second_day = ended(system, str(execution["executionArn"]))

    assert second_day["status"] == "SUCCEEDED", second_day.get("error")
    assert reset_messages(system) == dict.fromkeys(USERS, 1)
    assert {user_status(system.cognito, system.stack.user_pool_id, name) for name in USERS} == {"RESET_REQUIRED"}
