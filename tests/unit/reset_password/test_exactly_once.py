"""One code per user, whatever the name it is asked by and whatever happens to Cognito's answers (over the fakes; the
fault-injecting proxy in tests/faults proves the same against a moto server over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import pytest

from contracts.results import FailureReason, ResetStatus
from reset_password.handler import handle_invocation
from reset_password.logic import ResetDependencies, reset_user
from reset_password.outcomes import TransientResetError
from reset_password.requests import ResetRequest
from reset_password.retry import Deadline
from tests.unit.reset_password.conftest import LEASE_SECONDS, POOL, Clock
from tests.unit.reset_password.fakes import FakeCognito, FakeUser

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def request(**fields: object) -> ResetRequest:
    return ResetRequest.model_validate(fields)


def test_every_name_of_one_user_is_one_user_within_the_cooldown(
    deps: ResetDependencies, deadline: Deadline, alice: FakeUser
) -> None:
    names = [
        {"username": "alice"},
        {"username": "ALICE"},
        {"username": "alice@example.com"},  # the pool's e-mail alias
        {"email": "alice@example.com"},
        {"sub": alice.attributes["sub"]},
    ]

    results = [reset_user(request(**name), deps, deadline) for name in names]

    assert len(alice.codes_sent) == 1
    assert [(r.status, r.username) for r in results] == [(ResetStatus.RESET, "alice")] + [
        (ResetStatus.SKIPPED, "alice")
    ] * 4


def test_a_request_id_shared_by_two_users_resets_both(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    bob = cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "true"})

    first = reset_user(request(username="alice", requestId="run-7"), deps, deadline)
    second = reset_user(request(username="bob", requestId="run-7"), deps, deadline)

    assert (first.status, second.status) == (ResetStatus.RESET, ResetStatus.RESET)
    assert (len(alice.codes_sent), len(bob.codes_sent)) == (1, 1)


def test_what_cognito_would_refuse_is_found_without_spending_a_reset_call(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    alice.enabled = False

    result = reset_user(request(username="alice"), deps, deadline)

    assert (result.status, result.reason) == (ResetStatus.FAILED, FailureReason.USER_DISABLED)
    assert cognito.calls == ["get_user"]  # no AdminResetUserPassword: the account-recovery quota is not spent


@pytest.mark.parametrize("code", ["InternalErrorException", "UnexpectedLambdaException"])
def test_an_error_answered_after_cognito_reset_the_user_is_not_followed_by_a_second_code(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser, code: str
) -> None:
    cognito.lose_answer("reset_password", code)

    result = reset_user(request(username="alice"), deps, deadline)

    assert (result.status, result.replayed) == (ResetStatus.RESET, False)
    assert len(alice.codes_sent) == 1
    assert cognito.calls == ["get_user", "reset_password", "get_user"]  # the pool read before any second call


def test_an_answer_that_never_came_is_judged_once_cognito_cannot_be_acting_on_the_call(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser, sleeps: list[float]
) -> None:
    cognito.lose_answer("reset_password", "NetworkError")  # Cognito reset alice; the connection dropped

    result = reset_user(request(username="alice"), deps, deadline)

    # The invocation had the time to wait out the claim's lease, then read the pool: nothing sent twice.
    assert (result.status, result.replayed) == (ResetStatus.RESET, False)
    assert sleeps == [LEASE_SECONDS]
    assert len(alice.codes_sent) == 1
    assert cognito.calls == ["get_user", "reset_password", "get_user"]


def test_an_answer_that_never_came_is_judged_by_a_later_attempt_when_the_invocation_has_no_time_to_wait(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser, clock: Clock
) -> None:
    cognito.lose_answer("reset_password", "NetworkError")
    short = Deadline(remaining=lambda: LEASE_SECONDS / 2)

    with pytest.raises(TransientResetError, match="NetworkError"):
        reset_user(request(username="alice"), deps, short)
    # Straight away, Cognito might still be at work on that call: nothing is sent, nothing is read.
    with pytest.raises(TransientResetError, match="holds the user's claim"):
        reset_user(request(username="alice"), deps, short)
    clock.advance(LEASE_SECONDS)
    retried = reset_user(request(username="alice"), deps, short)

    assert (retried.status, retried.replayed) == (ResetStatus.RESET, True)
    assert len(alice.codes_sent) == 1
    assert cognito.calls.count("reset_password") == 1


def test_an_answer_lost_before_cognito_acted_is_sent_again(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.fail("reset_password", "InternalErrorException")  # refused before it did anything

    result = reset_user(request(username="alice"), deps, deadline)

    assert result.status is ResetStatus.RESET
    assert len(alice.codes_sent) == 1
    assert cognito.calls == ["get_user", "reset_password", "get_user", "reset_password"]


def test_when_the_pool_cannot_be_read_in_time_the_retry_reads_it_first_and_sends_nothing_again(
    deps: ResetDependencies, deadline: Deadline, cognito: FakeCognito, alice: FakeUser
) -> None:
    cognito.lose_answer("reset_password", "InternalErrorException")
    cognito.fail("get_user", "NetworkError", times=4, after=1)  # the lookup works, then every read of the pool fails
    with pytest.raises(TransientResetError, match="NetworkError persisted"):
        reset_user(request(username="alice"), deps, deadline)
    assert len(alice.codes_sent) == 1

    # Cognito answered (with an error): it is done with the call, so the retry may read the pool at once.
    retried = reset_user(request(username="alice"), deps, deadline)

    assert (retried.status, retried.replayed) == (ResetStatus.RESET, True)
    assert len(alice.codes_sent) == 1


def test_a_batch_stops_before_the_deadline_and_its_retry_finishes_it_without_a_second_code(
    deps: ResetDependencies, cognito: FakeCognito, alice: FakeUser
) -> None:
    bob = cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "true"})
    carol = cognito.add_user(POOL, "carol", attributes={"email": "carol@example.com", "email_verified": "true"})
    batch = {
        "BatchInput": {"requestId": "run-1"},
        "Items": [{"username": "alice"}, {"username": "bob"}, {"username": "carol"}],
    }
    # alice's item has time; once her code is sent, the invocation is inside its reserve
    remaining = (1.0 if alice.codes_sent else 10.0 for _ in iter(int, 1))

    with pytest.raises(TransientResetError, match="2 of 3 items unfinished"):
        handle_invocation(batch, cast("LambdaContext", SlowContext(remaining)), deps)
    assert [len(user.codes_sent) for user in (alice, bob, carol)] == [1, 0, 0]

    retried = handle_invocation(batch, None, deps)

    assert [(r["username"], r["status"], r["replayed"]) for r in retried["results"]] == [
        ("alice", "reset", True),  # what happened to alice in this run: reset, by the first attempt
        ("bob", "reset", False),
        ("carol", "reset", False),
    ]
    assert [len(user.codes_sent) for user in (alice, bob, carol)] == [1, 1, 1]


class SlowContext:
    """A Lambda context whose remaining time is read from a script (seconds, one value per reading)."""

    def __init__(self, seconds: Iterator[float]) -> None:
        self._seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(next(self._seconds) * 1000)
