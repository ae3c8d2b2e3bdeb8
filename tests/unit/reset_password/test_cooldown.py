"""The user's cooldown window and the claim that outlives its invocation (ledger.py), over the fakes.

One code per user per window across every path (a single request with any requestId or none, an EventBridge event, a
bulk run); `force` as the only way past it; a claim left by a crash, a timeout or a failed write judged by the pool,
never by sending again; `unconfirmed` when the pool cannot tell; the table's faults cost a retry, never a second code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import pytest

from contracts.events import RESET_COMPLETED, RESET_FORCED
from contracts.results import FailureReason, ResetStatus
from reset_password.audit import audit_detail_type
from reset_password.handler import handle_invocation
from reset_password.ledger import Ledger, LedgerUnavailable
from reset_password.logic import ResetDependencies, reset_user
from reset_password.outcomes import TransientResetError, UnclassifiedResetError
from reset_password.requests import ResetRequest, request_reference
from reset_password.retry import Deadline
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import COOLDOWN_SECONDS, LEASE_SECONDS, POOL, Clock, eventbridge
from tests.unit.reset_password.fakes import Crash, CrashingCognito, FakeCognito, FakeUser, InMemoryLedgerTable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext


def request(**fields: object) -> ResetRequest:
    return ResetRequest.model_validate(fields)


def invoke(deps: ResetDependencies, event: object) -> dict[str, Any]:
    return handle_invocation(event, cast("PowertoolsContext", LambdaContext()), deps)


def event(detail: Mapping[str, object], event_id: str) -> dict[str, Any]:
    return {**eventbridge(dict(detail)), "id": event_id}


def crashing(deps: ResetDependencies, cognito: FakeCognito, *, before: bool = False) -> ResetDependencies:
    return ResetDependencies(
        directory=CrashingCognito(cognito, before=before),
        settings=deps.settings,
        ledger=deps.ledger,
        audit=deps.audit,
        backoff=deps.backoff,
    )


def test_the_window_belongs_to_the_user_whatever_path_the_request_comes_by(
    deps: ResetDependencies, alice: FakeUser, clock: Clock
) -> None:
    first = invoke(deps, {"username": "alice", "requestId": "sec-1"})
    clock.advance(60)
    answers = [
        invoke(deps, {"username": "alice"}),  # no requestId
        invoke(deps, {"username": "ALICE", "requestId": "sec-2"}),  # another requestId, another spelling
        invoke(deps, event({"email": "alice@example.com"}, "event-1")),  # an EventBridge event
        invoke(deps, {"Items": [{"index": 0, "row": {"username": "alice"}}], "BatchInput": {"runId": "r1"}})["results"][
            0
        ],  # a bulk run
    ]

    assert first["status"] == "reset"
    assert [(answer["status"], answer["duplicate"]) for answer in answers] == [("skipped", True)] * 4
    # Each says when the user was last reset, and by which request (its requestId's reference, never the value).
    assert {answer["lastReset"]["requestRef"] for answer in answers} == {request_reference("sec-1")}
    assert {answer["lastReset"]["at"] for answer in answers} == {answers[0]["lastReset"]["at"]}
    assert len(alice.codes_sent) == 1


def with_ledger(deps: ResetDependencies, ledger: Ledger) -> ResetDependencies:
    return ResetDependencies(
        directory=deps.directory, settings=deps.settings, ledger=ledger, audit=deps.audit, backoff=deps.backoff
    )


def test_after_the_window_a_new_request_resets_again_and_a_retry_still_replays(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, clock: Clock, deadline: Deadline
) -> None:
    ten_minutes = with_ledger(deps, Ledger(table, cooldown_seconds=600, lease_seconds=LEASE_SECONDS, clock=clock))
    reset_user(request(username="alice", requestId="sec-1"), ten_minutes, deadline)
    clock.advance(600)

    # A retry is recognised for at least an hour (ledger.RETRY_MEMORY_SECONDS), however short the window.
    retry = reset_user(request(username="alice", requestId="sec-1"), ten_minutes, deadline)
    new = reset_user(request(username="alice", requestId="sec-2"), ten_minutes, deadline)

    assert (retry.status, retry.replayed) == (ResetStatus.RESET, True)
    assert (new.status, new.replayed, new.duplicate) == (ResetStatus.RESET, False, False)
    assert len(alice.codes_sent) == 2


def test_a_window_of_0_is_off_but_a_retry_is_still_a_retry(
    deps: ResetDependencies, table: InMemoryLedgerTable, clock: Clock, alice: FakeUser, deadline: Deadline
) -> None:
    off = with_ledger(deps, Ledger(table, cooldown_seconds=0, lease_seconds=LEASE_SECONDS, clock=clock))

    first = reset_user(request(username="alice", requestId="sec-1"), off, deadline)
    retry = reset_user(request(username="alice", requestId="sec-1"), off, deadline)
    new = reset_user(request(username="alice", requestId="sec-2"), off, deadline)

    assert [(r.status, r.replayed) for r in (first, retry, new)] == [
        (ResetStatus.RESET, False),
        (ResetStatus.RESET, True),
        (ResetStatus.RESET, False),
    ]
    assert len(alice.codes_sent) == 2


def test_force_sends_a_second_code_inside_the_window_once_with_its_own_audit_event(
    deps: ResetDependencies, alice: FakeUser, deadline: Deadline
) -> None:
    first = reset_user(request(username="alice", requestId="sec-1"), deps, deadline)
    forced = reset_user(request(username="alice", requestId="sec-2", force=True), deps, deadline)
    forced_again = reset_user(request(username="alice", requestId="sec-2", force=True), deps, deadline)
    after = reset_user(request(username="alice", requestId="sec-3"), deps, deadline)

    assert (forced.status, forced.forced) == (ResetStatus.RESET, True)
    assert (forced_again.status, forced_again.replayed) == (ResetStatus.RESET, True)  # a retry of it: nothing sent
    assert after.status is ResetStatus.SKIPPED
    assert after.last_reset is not None
    assert after.last_reset.forced
    assert len(alice.codes_sent) == 2
    assert [audit_detail_type(r) for r in (first, forced, forced_again)] == [
        RESET_COMPLETED,
        RESET_FORCED,
        RESET_COMPLETED,
    ]


def test_force_outside_a_window_is_an_ordinary_reset(
    deps: ResetDependencies, alice: FakeUser, deadline: Deadline
) -> None:
    result = reset_user(request(username="alice", force=True), deps, deadline)

    assert (result.status, result.forced) == (ResetStatus.RESET, False)
    assert audit_detail_type(result) == RESET_COMPLETED


def test_force_from_an_event_is_refused_naming_the_field(deps: ResetDependencies, alice: FakeUser) -> None:
    result = invoke(deps, event({"username": "alice", "force": True}, "event-1"))

    assert (result["status"], result["reason"]) == ("failed", FailureReason.INVALID_REQUEST.value)
    assert result["detail"].startswith("force:")
    assert alice.codes_sent == []


@pytest.mark.parametrize("before", [False, True], ids=["after Cognito answered", "before the call"])
@pytest.mark.parametrize("status", ["CONFIRMED", "RESET_REQUIRED"])
def test_a_crashed_attempts_claim_outlives_it_and_the_retry_asks_the_pool(
    sleeps: list[float],
    deps: ResetDependencies,
    cognito: FakeCognito,
    alice: FakeUser,
    clock: Clock,
    deadline: Deadline,
    before: bool,
    status: str,
) -> None:
    alice.status = status  # a user already RESET_REQUIRED is reset again: only UserLastModifiedDate tells
    with pytest.raises(Crash):
        reset_user(request(username="alice"), crashing(deps, cognito, before=before), deadline)
    sent = len(alice.codes_sent)

    # While the dead attempt's lease runs, nobody calls Cognito for alice: not a retry, not a new request. An attempt
    # with the time waits the lease out, then asks the pool; one without gives up for now.
    short = Deadline(lambda: LEASE_SECONDS / 2)
    with pytest.raises(TransientResetError, match="holds the user's claim"):
        reset_user(request(username="alice"), deps, short)
    with pytest.raises(TransientResetError, match="holds the user's claim"):
        reset_user(request(username="alice", requestId="another"), deps, short)
    retried = reset_user(request(username="alice"), deps, deadline)
    clock.advance(LEASE_SECONDS)
    other = reset_user(request(username="alice", requestId="another"), deps, deadline)

    assert (sent, len(alice.codes_sent)) == ((0, 1) if before else (1, 1))
    assert sleeps == [LEASE_SECONDS]  # the retry waited out the dead attempt's lease
    assert retried.status is ResetStatus.RESET
    assert retried.replayed is (not before)  # the crashed attempt reset alice; or nothing had been sent, and now is
    assert other.status is ResetStatus.SKIPPED
    assert alice.status == "RESET_REQUIRED"


def test_a_claim_the_pool_cannot_judge_is_unconfirmed_never_reset_and_never_sent_again(
    deps: ResetDependencies, cognito: FakeCognito, alice: FakeUser, clock: Clock, deadline: Deadline
) -> None:
    with pytest.raises(Crash):
        reset_user(request(username="alice"), crashing(deps, cognito), deadline)
    # Alice chose a new password meanwhile: her status is CONFIRMED again, and her record moved.
    alice.status = "CONFIRMED"
    alice.last_modified += 100
    clock.advance(LEASE_SECONDS)

    answers = [
        reset_user(request(username="alice"), deps, deadline),
        reset_user(request(username="alice", requestId="another"), deps, deadline),
    ]

    assert [answer.status for answer in answers] == [ResetStatus.UNCONFIRMED] * 2
    assert len(alice.codes_sent) == 1
    # Force is the operator's way to send one anyway.
    forced = reset_user(request(username="alice", requestId="ops", force=True), deps, deadline)
    assert (forced.status, forced.forced, len(alice.codes_sent)) == (ResetStatus.RESET, True, 2)


def test_when_no_write_of_the_table_succeeds_after_the_reset_nothing_is_sent_twice(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, clock: Clock, deadline: Deadline
) -> None:
    class FailingAfterTheClaim(InMemoryLedgerTable):
        def write(self, key: str, item: Mapping[str, Any], **kwargs: Any) -> bool:
            if item.get("state") != "claimed" or self.items:
                raise LedgerUnavailable("InternalServerError")
            return super().write(key, item, **kwargs)

    failing = FailingAfterTheClaim()
    first = reset_user(
        request(username="alice"),
        with_ledger(deps, Ledger(failing, cooldown_seconds=COOLDOWN_SECONDS, lease_seconds=LEASE_SECONDS, clock=clock)),
        deadline,
    )
    clock.advance(LEASE_SECONDS)
    # The table recovers; what the failed writes left behind is the claim, and the pool judges it.
    recovered = InMemoryLedgerTable()
    recovered.items = failing.items
    later = reset_user(
        request(username="alice", requestId="another"),
        with_ledger(
            deps, Ledger(recovered, cooldown_seconds=COOLDOWN_SECONDS, lease_seconds=LEASE_SECONDS, clock=clock)
        ),
        deadline,
    )

    assert first.status is ResetStatus.RESET
    assert (later.status, later.duplicate) == (ResetStatus.SKIPPED, True)
    assert len(alice.codes_sent) == 1


def test_faults_of_the_table_cost_retries_of_its_calls_not_the_item(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, deadline: Deadline
) -> None:
    table.fail_next(2)  # the first read fails twice, the third try answers
    result = reset_user(request(username="alice"), deps, deadline)

    assert result.status is ResetStatus.RESET
    assert len(alice.codes_sent) == 1


def test_a_claim_whose_write_answer_was_lost_is_recognised_as_ours(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, deadline: Deadline
) -> None:
    table.lose_next_answers(1)  # the claim lands, its answer does not: the record read back carries our token
    result = reset_user(request(username="alice"), deps, deadline)
    again = reset_user(request(username="alice", requestId="another"), deps, deadline)

    assert (result.status, again.status) == (ResetStatus.RESET, ResetStatus.SKIPPED)
    assert len(alice.codes_sent) == 1


def test_a_table_that_stays_down_fails_the_item_closed_and_sends_nothing(
    deps: ResetDependencies, table: InMemoryLedgerTable, alice: FakeUser, deadline: Deadline
) -> None:
    table.fail_next(100)

    with pytest.raises(TransientResetError, match="dedupe table unavailable"):
        reset_user(request(username="alice"), deps, deadline)
    assert alice.codes_sent == []


def test_in_a_batch_an_item_whose_claim_cannot_be_taken_fails_alone_and_its_retry_replays_the_rest(
    deps: ResetDependencies, table: InMemoryLedgerTable, cognito: FakeCognito, alice: FakeUser
) -> None:
    bob = cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "true"})
    items = [{"index": 0, "row": {"username": "alice"}}, {"index": 1, "row": {"username": "bob"}}]
    batch = {"Items": items, "BatchInput": {"runId": "r1"}}

    class BobsClaimFails(InMemoryLedgerTable):
        fail_claims = 3

        def write(self, key: str, item: Mapping[str, Any], **kwargs: Any) -> bool:
            if item.get("state") == "claimed" and alice.codes_sent and self.fail_claims:
                self.fail_claims -= 1
                raise LedgerUnavailable("InternalServerError")
            return super().write(key, item, **kwargs)

    deps = with_ledger(deps, Ledger(BobsClaimFails(), cooldown_seconds=COOLDOWN_SECONDS, lease_seconds=LEASE_SECONDS))

    with pytest.raises(TransientResetError, match="1 of 2 items unfinished"):
        invoke(deps, batch)
    retried = invoke(deps, batch)

    assert [(r["username"], r["status"], r["replayed"]) for r in retried["results"]] == [
        ("alice", "reset", True),
        ("bob", "reset", False),
    ]
    assert (len(alice.codes_sent), len(bob.codes_sent)) == (1, 1)


def test_an_error_no_rule_knows_after_cognito_acted_keeps_the_claim_for_the_pools_word(
    deps: ResetDependencies, alice: FakeUser, cognito: FakeCognito, clock: Clock, deadline: Deadline
) -> None:
    cognito.lose_answer("reset_password", "SdkError")  # Cognito reset alice; the client could not read its answer

    with pytest.raises(UnclassifiedResetError):
        reset_user(request(username="alice"), deps, deadline)
    clock.advance(LEASE_SECONDS)
    later = reset_user(request(username="alice", requestId="another"), deps, deadline)

    assert (later.status, later.duplicate) == (ResetStatus.SKIPPED, True)
    assert len(alice.codes_sent) == 1


def test_a_forced_claim_given_up_puts_back_the_reset_it_replaced(
    deps: ResetDependencies, alice: FakeUser, cognito: FakeCognito, deadline: Deadline
) -> None:
    reset_user(request(username="alice", requestId="sec-1"), deps, deadline)
    cognito.fail("reset_password", "TooManyRequestsException", times=4)  # refused every time: nothing was sent
    with pytest.raises(TransientResetError):
        reset_user(request(username="alice", requestId="ops", force=True), deps, deadline)

    later = reset_user(request(username="alice", requestId="sec-2"), deps, deadline)

    assert (later.status, later.duplicate) == (ResetStatus.SKIPPED, True)
    assert later.last_reset is not None
    assert later.last_reset.request_ref == request_reference("sec-1")
    assert len(alice.codes_sent) == 1


def test_a_dead_forced_claim_that_never_reached_cognito_leaves_the_window_to_the_earlier_reset(
    deps: ResetDependencies, alice: FakeUser, cognito: FakeCognito, clock: Clock, deadline: Deadline
) -> None:
    reset_user(request(username="alice", requestId="sec-1"), deps, deadline)
    with pytest.raises(Crash):  # the forced attempt dies before its call
        reset_user(
            request(username="alice", requestId="ops", force=True), crashing(deps, cognito, before=True), deadline
        )
    clock.advance(LEASE_SECONDS)

    other = reset_user(request(username="alice", requestId="sec-2"), deps, deadline)
    forced_retry = reset_user(request(username="alice", requestId="ops", force=True), deps, deadline)

    assert (other.status, other.duplicate) == (ResetStatus.SKIPPED, True)  # not a second code for a new request
    assert (forced_retry.status, forced_retry.forced) == (ResetStatus.RESET, True)  # the operator's force, once
    assert len(alice.codes_sent) == 2


def test_a_runs_reset_settled_by_another_request_is_still_remembered_by_the_run(
    deps: ResetDependencies, alice: FakeUser, cognito: FakeCognito, clock: Clock, deadline: Deadline
) -> None:
    row = {"Items": [{"index": 6, "row": {"username": "alice"}}], "BatchInput": {"runId": "r1"}}
    with pytest.raises(Crash):  # the run's batch dies right after Cognito reset alice
        invoke(crashing(deps, cognito), row)
    clock.advance(LEASE_SECONDS)
    # A single request finds the dead claim first and settles it: reset, by run r1.
    single = reset_user(request(username="alice", requestId="another"), deps, deadline)
    clock.advance(COOLDOWN_SECONDS * 24)  # long after the window: only the run's own memory answers a redrive
    redriven = invoke(deps, row)["results"][0]

    assert (single.status, single.last_reset.run_id if single.last_reset else None) == (ResetStatus.SKIPPED, "r1")
    assert (redriven["status"], redriven["replayed"]) == ("reset", True)
    assert len(alice.codes_sent) == 1
