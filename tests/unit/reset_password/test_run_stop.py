"""An operator's stop (`cognito-reset stop`): the run's stop mark, read by its batches between users, stops them before
the next user (RunStopped, not retried); a delivery-limit halt never replaces it; lifting it (a redrive) lets the same
batches finish, replaying what the run did and sending nobody a second code."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.bulk import HALT_CAUSE, STOP_SETTLES_SECONDS, STOPPED_BY_OPERATOR
from contracts.cognito import DAILY_EMAIL_LIMIT_MESSAGE
from contracts.results import RUN_STOPPED_ERROR, ResetStatus
from reset_password import handler
from reset_password.clients import Timeouts
from reset_password.ledger import COGNITO_ACTING_SECONDS, LEASE_MARGIN_SECONDS, Ledger, halt_key
from reset_password.logic import ResetDependencies
from reset_password.outcomes import DeliveryLimitReached, RunStopped
from reset_password.retry import Deadline, RetryPolicy
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL, Clock
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, InMemoryLedgerTable

USERS = ("ann", "ben", "cy", "dee")


@pytest.fixture
def users(cognito: FakeCognito) -> dict[str, FakeUser]:
    return {
        name: cognito.add_user(POOL, name, attributes={"email": f"{name}@example.com", "email_verified": "true"})
        for name in USERS
    }


@pytest.fixture
def invoke(deps: ResetDependencies) -> Any:
    lambda_handler = handler.build_handler(lambda: deps)
    return lambda event: lambda_handler(event, LambdaContext())


def batch(run_id: str, names: tuple[str, ...], first_index: int = 0) -> dict[str, Any]:
    return {
        "BatchInput": {"runId": run_id},
        "Items": [{"index": first_index + n, "row": {"username": name}} for n, name in enumerate(names)],
    }


def codes(users: dict[str, FakeUser]) -> dict[str, int]:
    return {name: len(user.codes_sent) for name, user in users.items()}


def test_a_stopped_runs_batch_starts_nobody_and_is_not_retried(
    invoke: Any, ledger: Ledger, cognito: FakeCognito, users: dict[str, FakeUser], deadline: Deadline
) -> None:
    ledger.stop(halt_key("run-1"), deadline)

    with pytest.raises(RunStopped, match="2 of 2 items unfinished: the run was stopped by its operator"):
        invoke(batch("run-1", ("ann", "ben")))

    assert cognito.calls == []
    assert codes(users) == dict.fromkeys(USERS, 0)
    assert type(RunStopped()).__name__ == RUN_STOPPED_ERROR


def test_the_stop_holds_past_the_delivery_limits_halt_and_another_run_goes_on(
    invoke: Any, ledger: Ledger, clock: Clock, users: dict[str, FakeUser], deadline: Deadline
) -> None:
    ledger.stop(halt_key("run-1"), deadline)
    clock.advance(3 * 86_400)

    with pytest.raises(RunStopped):
        invoke(batch("run-1", ("ann",)))
    assert invoke(batch("run-2", ("ben",)))["counts"] == {"reset": 1}


def test_a_delivery_limit_halt_never_replaces_a_stop(
    invoke: Any,
    ledger: Ledger,
    table: InMemoryLedgerTable,
    cognito: FakeCognito,
    users: dict[str, FakeUser],
    deadline: Deadline,
) -> None:
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE, after=1)
    with pytest.raises(DeliveryLimitReached):
        invoke(batch("run-1", ("ann", "ben")))
    ledger.stop(halt_key("run-1"), deadline)  # the operator stops the halted run: the stop replaces the halt

    ledger.halt(halt_key("run-1"), deadline)  # a late batch meets the limit again

    assert table.items[halt_key("run-1")][HALT_CAUSE] == STOPPED_BY_OPERATOR
    with pytest.raises(RunStopped):
        invoke(batch("run-1", ("cy",), first_index=2))


def test_lifting_the_stop_lets_the_same_batches_finish_without_a_second_code(
    invoke: Any, ledger: Ledger, cognito: FakeCognito, users: dict[str, FakeUser], deadline: Deadline
) -> None:
    first = batch("run-1", ("ann", "ben"))
    invoke(first)
    ledger.stop(halt_key("run-1"), deadline)
    second = batch("run-1", ("cy", "dee"), first_index=2)
    with pytest.raises(RunStopped):
        invoke(second)

    assert ledger.lift_stop(halt_key("run-1"), deadline) is True
    assert ledger.lift_stop(halt_key("run-1"), deadline) is False  # nothing left to lift
    redriven = [invoke(first), invoke(second)]

    assert [(r["username"], r["status"], r["replayed"]) for r in redriven[0]["results"]] == [
        ("ann", ResetStatus.RESET, True),
        ("ben", ResetStatus.RESET, True),
    ]
    assert redriven[1]["counts"] == {"reset": 2}
    assert codes(users) == dict.fromkeys(USERS, 1)


def test_lifting_a_stop_leaves_a_delivery_limit_halt_in_force(
    invoke: Any, ledger: Ledger, cognito: FakeCognito, users: dict[str, FakeUser], deadline: Deadline
) -> None:
    cognito.fail("reset_password", "LimitExceededException", DAILY_EMAIL_LIMIT_MESSAGE)
    with pytest.raises(DeliveryLimitReached):
        invoke(batch("run-1", ("ann",)))

    assert ledger.lift_stop(halt_key("run-1"), deadline) is False
    assert ledger.halted_until(halt_key("run-1"), deadline) is not None


def test_the_stops_wait_covers_the_user_a_batch_may_still_be_on() -> None:
    """Between its reads of the mark a batch finishes the user it is on: a lookup, a reset and a sign-out, each retried
    within the function's own policy, and the claim's lease (Cognito may still act after the call)."""
    policy, per_call = RetryPolicy(), Timeouts().per_call
    retried_call = policy.max_attempts * per_call + (policy.max_attempts - 1) * policy.max_delay
    lease = per_call + COGNITO_ACTING_SECONDS + LEASE_MARGIN_SECONDS

    assert handler.HALT_CHECK_SECONDS + 3 * retried_call + lease <= STOP_SETTLES_SECONDS
