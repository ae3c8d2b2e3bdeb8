"""At the pool's delivery limit a bulk run stops, it does not fail everyone: the batch that meets the limit halts its
run, the run's other batches start nothing, and once the halt is over the same rows finish without a second code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.bulk import RUN_HALT_SECONDS
from contracts.cognito import DAILY_EMAIL_LIMIT_MESSAGE, SES_DAILY_QUOTA_MESSAGE
from contracts.results import DELIVERY_LIMIT_REACHED_ERROR, FailureReason, ResetStatus
from contracts.telemetry import DELIVERY_LIMIT_REACHED, RESET_UNCLASSIFIED_ERROR
from reset_password import handler
from reset_password.ledger import halt_key
from reset_password.logic import ResetDependencies
from reset_password.outcomes import DeliveryLimitReached
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL, Clock
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, InMemoryLedgerTable

USERS = ("ann", "ben", "cy", "dee", "eve", "fay")


@pytest.fixture
def users(cognito: FakeCognito) -> dict[str, FakeUser]:
    return {
        name: cognito.add_user(POOL, name, attributes={"email": f"{name}@example.com", "email_verified": "true"})
        for name in USERS
    }


@pytest.fixture
def invoke(deps: ResetDependencies, capsys: pytest.CaptureFixture[str]) -> Any:
    lambda_handler = handler.build_handler(lambda: deps)

    def run(event: object) -> Any:
        return lambda_handler(event, LambdaContext())

    return run


def metric_names(capsys: pytest.CaptureFixture[str]) -> list[str]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [m["Name"] for line in lines if "_aws" in line for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]]


def batch(run_id: str, names: tuple[str, ...], first_index: int = 0) -> dict[str, Any]:
    return {
        "BatchInput": {"runId": run_id, "clientMetadata": {"reason": "security_incident"}},
        "Items": [{"index": first_index + n, "row": {"username": name}} for n, name in enumerate(names)],
    }


def codes(users: dict[str, FakeUser]) -> dict[str, int]:
    return {name: len(user.codes_sent) for name, user in users.items()}


@pytest.mark.parametrize("message", [DAILY_EMAIL_LIMIT_MESSAGE, SES_DAILY_QUOTA_MESSAGE])
def test_the_batch_that_meets_the_limit_stops_and_halts_its_run(
    invoke: Any,
    cognito: FakeCognito,
    users: dict[str, FakeUser],
    table: InMemoryLedgerTable,
    capsys: pytest.CaptureFixture[str],
    message: str,
) -> None:
    cognito.fail("reset_password", "LimitExceededException", message, after=1)

    with pytest.raises(DeliveryLimitReached, match="2 of 3 items unfinished"):
        invoke(batch("run-1", ("ann", "ben", "cy")))

    # ann was reset; ben met the limit (nothing sent); cy was never tried: no user is failed for the pool's limit.
    assert codes(users) == {"ann": 1, "ben": 0, "cy": 0, "dee": 0, "eve": 0, "fay": 0}
    assert cognito.calls.count("reset_password") == 2
    assert (users["ben"].status, users["cy"].status) == ("CONFIRMED", "CONFIRMED")
    assert halt_key("run-1") in table.items
    metrics = metric_names(capsys)
    assert DELIVERY_LIMIT_REACHED in metrics
    assert RESET_UNCLASSIFIED_ERROR not in metrics
    assert type(DeliveryLimitReached()).__name__ == DELIVERY_LIMIT_REACHED_ERROR


def test_the_runs_other_batches_start_nothing_while_it_is_halted(
    invoke: Any, cognito: FakeCognito, users: dict[str, FakeUser]
) -> None:
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)
    with pytest.raises(DeliveryLimitReached):
        invoke(batch("run-1", ("ann",)))
    calls_before = len(cognito.calls)

    with pytest.raises(DeliveryLimitReached, match="3 of 3 items unfinished"):
        invoke(batch("run-1", ("ben", "cy", "dee"), first_index=1))

    assert cognito.calls[calls_before:] == []  # not a lookup, not a reset: the halt is read from the table
    assert codes(users) == dict.fromkeys(USERS, 0)


def test_another_run_is_not_halted_by_this_one(invoke: Any, cognito: FakeCognito, users: dict[str, FakeUser]) -> None:
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)
    with pytest.raises(DeliveryLimitReached):
        invoke(batch("run-1", ("ann",)))

    result = invoke(batch("run-2", ("ben", "cy")))

    assert result["counts"] == {"reset": 2}


def test_after_the_halt_the_same_batches_finish_without_a_second_code(
    invoke: Any, cognito: FakeCognito, users: dict[str, FakeUser], clock: Clock
) -> None:
    """A redrive the next day runs the failed batches again: what the run did replays, the rest are reset once."""
    first, second = batch("run-1", ("ann", "ben", "cy")), batch("run-1", ("dee", "eve", "fay"), first_index=3)
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE, after=1)
    for halted in (first, second):
        with pytest.raises(DeliveryLimitReached):
            invoke(halted)

    clock.advance(RUN_HALT_SECONDS + 1)
    redriven = [invoke(first), invoke(second)]

    assert [(r["username"], r["status"], r["replayed"]) for r in redriven[0]["results"]] == [
        ("ann", ResetStatus.RESET, True),
        ("ben", ResetStatus.RESET, False),
        ("cy", ResetStatus.RESET, False),
    ]
    assert redriven[1]["counts"] == {"reset": 3}
    assert codes(users) == dict.fromkeys(USERS, 1)


def test_a_single_request_at_the_limit_fails_with_the_stable_reason(invoke: Any, cognito: FakeCognito) -> None:
    cognito.add_user(POOL, "solo", attributes={"email_verified": "true"})
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)

    result = invoke({"username": "solo"})

    assert (result["status"], result["reason"]) == (ResetStatus.FAILED, FailureReason.DELIVERY_LIMIT_REACHED)
