"""The storm cap (reset_cap.py): no 60-minute span of the event path ever holds more resets than the cap, whatever
container asks; a refused request sends nothing, is answered (never raised, so retries cannot spend the cap) and
waits in the failed-request queue; bulk runs and direct invokes are not counted; replays and duplicates take no slot.

Counted in codes the users received (the fake pool's `codes_sent`), not in calls made.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

import pytest

from contracts.results import FailureReason
from reset_password.handler import handle_invocation
from reset_password.logic import ResetDependencies
from reset_password.outcomes import TransientResetError
from reset_password.reset_cap import BUCKET_SECONDS, HOUR_SECONDS, ResetCap
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import LEASE_SECONDS, POOL, Clock, eventbridge
from tests.unit.reset_password.fakes import (
    Crash,
    CrashingCognito,
    FakeCognito,
    FakeUser,
    InMemoryCapTable,
    RecordingFailedRequests,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext

CAP = 5


@pytest.fixture
def cap_table() -> InMemoryCapTable:
    return InMemoryCapTable()


@pytest.fixture
def parked() -> RecordingFailedRequests:
    return RecordingFailedRequests()


@pytest.fixture
def capped(
    deps: ResetDependencies, cap_table: InMemoryCapTable, clock: Clock, parked: RecordingFailedRequests
) -> ResetDependencies:
    return replace(deps, event_cap=ResetCap(cap_table, per_hour=CAP, clock=clock), failed_requests=parked)


def users(cognito: FakeCognito, count: int) -> list[FakeUser]:
    return [
        cognito.add_user(POOL, f"user{i}", attributes={"email": f"user{i}@example.com", "email_verified": "true"})
        for i in range(count)
    ]


def invoke(deps: ResetDependencies, event: object) -> dict[str, Any]:
    return handle_invocation(event, cast("PowertoolsContext", LambdaContext()), deps)


def event_for(username: str, event_id: str | None = None) -> dict[str, Any]:
    return {**eventbridge({"username": username}), "id": event_id or f"event-{username}"}


def codes(everyone: list[FakeUser]) -> int:
    return sum(len(user.codes_sent) for user in everyone)


def test_n_plus_k_events_reset_n_users_and_refuse_k_with_a_stable_reason(
    capped: ResetDependencies, cognito: FakeCognito, parked: RecordingFailedRequests
) -> None:
    everyone = users(cognito, CAP + 3)

    answers = [invoke(capped, event_for(user.username)) for user in everyone]

    assert [answer["status"] for answer in answers] == ["reset"] * CAP + ["failed"] * 3
    assert {answer["reason"] for answer in answers[CAP:]} == {FailureReason.RESET_CAP_REACHED}
    assert codes(everyone) == CAP  # what the users received
    assert [user.status for user in everyone[CAP:]] == ["CONFIRMED"] * 3  # nobody past the cap is locked out
    # Each refused request waits in the failed-request queue, as the event came, with its answer.
    assert [record["requestPayload"]["detail"]["username"] for record in parked.records] == [
        user.username for user in everyone[CAP:]
    ]
    assert {record["requestContext"]["condition"] for record in parked.records} == {"RESET_CAP_REACHED"}


def test_a_refused_request_gives_its_claim_back_and_is_reset_once_the_hour_has_room(
    capped: ResetDependencies, cognito: FakeCognito, clock: Clock
) -> None:
    everyone = users(cognito, CAP + 1)
    for user in everyone:
        invoke(capped, event_for(user.username))
    late = everyone[-1]

    clock.advance(HOUR_SECONDS + 2 * BUCKET_SECONDS)
    again = invoke(capped, event_for(late.username, "event-asked-again"))

    assert again["status"] == "reset"  # no claim or cooldown was left behind by the refusal
    assert len(late.codes_sent) == 1


def test_a_retry_of_a_refused_event_takes_no_slot_and_is_refused_again(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable
) -> None:
    everyone = users(cognito, CAP + 1)
    for user in everyone:
        invoke(capped, event_for(user.username))

    retried = invoke(capped, event_for(everyone[-1].username))  # EventBridge's retry of the same event

    assert retried["reason"] == FailureReason.RESET_CAP_REACHED
    assert cap_table.taken == CAP
    assert codes(everyone) == CAP


def test_replays_duplicates_and_dry_runs_take_no_slot(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable
) -> None:
    (alice, bob) = users(cognito, 2)
    invoke(capped, event_for(alice.username))

    replayed = invoke(capped, event_for(alice.username))  # the same event again
    duplicate = invoke(capped, event_for(alice.username, "another-event"))  # inside the cooldown window
    dry = invoke(capped, {**event_for(bob.username), "detail": {"username": bob.username, "dryRun": True}})

    assert (replayed["status"], duplicate["status"], dry["status"]) == ("reset", "skipped", "dry_run")
    assert cap_table.taken == 1
    assert len(alice.codes_sent) == 1


def test_bulk_batches_and_direct_invokes_are_not_counted(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable
) -> None:
    everyone = users(cognito, 2 * CAP + 2)
    for user in everyone[:CAP]:
        invoke(capped, event_for(user.username))  # the hour's events are used up

    batch = invoke(capped, {"Items": [{"username": u.username} for u in everyone[CAP : 2 * CAP]]})
    direct = [invoke(capped, {"username": u.username}) for u in everyone[2 * CAP :]]

    assert batch["counts"] == {"reset": CAP}
    assert [answer["status"] for answer in direct] == ["reset", "reset"]
    assert cap_table.taken == CAP
    assert codes(everyone) == 2 * CAP + 2


def test_an_event_cannot_force_a_second_code_and_its_refusal_takes_no_slot(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable
) -> None:
    (alice,) = users(cognito, 1)
    invoke(capped, event_for(alice.username))

    forced = invoke(capped, {**event_for(alice.username, "forced"), "detail": {"username": "user0", "force": True}})

    assert forced["reason"] == FailureReason.INVALID_REQUEST
    assert cap_table.taken == 1
    assert len(alice.codes_sent) == 1


@pytest.mark.parametrize("before", [True, False], ids=["crash-before-the-call", "crash-after-cognito-acted"])
def test_after_a_crash_the_retry_sends_no_second_code_and_the_cap_never_undercounts(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable, clock: Clock, before: bool
) -> None:
    (alice,) = users(cognito, 1)
    with pytest.raises(Crash):
        invoke(replace(capped, directory=CrashingCognito(cognito, before=before)), event_for(alice.username))

    clock.advance(LEASE_SECONDS)  # EventBridge's retry of the same event, once the dead attempt's lease is over
    retried = invoke(capped, event_for(alice.username))

    assert retried["status"] == "reset"
    assert len(alice.codes_sent) == 1
    # The crashed attempt's slot stays taken: a code that may have gone out is counted. A retry that finds the code
    # went out replays it and takes none; one that finds nothing was sent takes a slot for the code it sends now.
    assert cap_table.taken == (2 if before else 1)


def test_a_silent_counter_sends_nothing_and_raises_so_the_event_is_retried(
    capped: ResetDependencies, cognito: FakeCognito, cap_table: InMemoryCapTable
) -> None:
    (alice,) = users(cognito, 1)
    cap_table.fail_next()

    with pytest.raises(TransientResetError, match="storm cap"):
        invoke(capped, event_for(alice.username))
    retried = invoke(capped, event_for(alice.username))

    assert retried["status"] == "reset"
    assert len(alice.codes_sent) == 1


def test_a_queue_that_does_not_take_the_refused_request_makes_the_invocation_raise(
    capped: ResetDependencies, cognito: FakeCognito
) -> None:
    everyone = users(cognito, CAP + 1)
    for user in everyone[:CAP]:
        invoke(capped, event_for(user.username))
    unreachable = replace(capped, failed_requests=RecordingFailedRequests(fail_with=ConnectionError("queue down")))

    with pytest.raises(TransientResetError, match="could not be queued"):
        invoke(unreachable, event_for(everyone[-1].username))
    assert codes(everyone) == CAP


def test_no_sixty_minute_span_holds_more_than_the_cap_however_requests_arrive() -> None:
    clock, table = Clock(), InMemoryCapTable()
    cap = ResetCap(table, per_hour=20, clock=clock)
    arrivals = random.Random(7)  # noqa: S311 - a repeatable schedule of arrivals, not a secret
    taken: list[float] = []
    for _ in range(3000):  # about four hours, in bursts and lulls
        clock.advance(arrivals.choice([0.5, 1, 2, 5, 30, 240]))
        if cap.take():
            taken.append(clock.now)

    busiest = max(sum(1 for t in taken if start <= t < start + HOUR_SECONDS) for start in taken)
    assert busiest == 20  # reached, never passed
    # The hour slides: later hours get their own slots, not just the first one.
    assert len(taken) >= 20 * 3


def test_the_cap_holds_across_containers_asking_at_once() -> None:
    clock, table = Clock(), InMemoryCapTable()
    containers = [ResetCap(table, per_hour=100, clock=clock) for _ in range(8)]
    took: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(len(containers))

    def ask(cap: ResetCap) -> None:
        start.wait()
        for _ in range(40):
            answer = cap.take()
            with lock:
                took.append(answer)

    threads = [threading.Thread(target=ask, args=(cap,)) for cap in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert took.count(True) == 100
    assert table.taken == 100
