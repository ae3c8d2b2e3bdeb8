"""A bulk run's resets (contracts.bulk): one code per user in a run whatever its rows say, a retry of a row (a batch
retry, a redrive) replays what the row did for as long as the run can be redriven, a row cannot choose its run or turn
the run's dry run off, CSV rows read as requests. Over the fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from contracts.bulk import RUN_MEMORY_SECONDS
from reset_password.handler import handle_invocation
from reset_password.logic import ResetDependencies
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import COOLDOWN_SECONDS, Clock
from tests.unit.reset_password.fakes import FakeCognito, FakeUser

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext


@pytest.fixture
def bob(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(
        "eu-west-1_TestPool1", "bob", attributes={"email": "bob@example.com", "email_verified": "true"}
    )


@pytest.fixture
def carol(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(
        "eu-west-1_TestPool1", "carol", attributes={"email": "carol@example.com", "email_verified": "true"}
    )


def invoke(deps: ResetDependencies, event: object) -> dict[str, Any]:
    return handle_invocation(event, cast("PowertoolsContext", LambdaContext()), deps)


def batch(run_id: str, *items: object, **defaults: object) -> dict[str, Any]:
    """An ItemBatcher batch as the bulk workflow sends it: the run's defaults, with its run id, in BatchInput."""
    return {"Items": list(items), "BatchInput": {**defaults, "runId": run_id}}


def row(index: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A manifest row as the workflow's ItemSelector hands it over: with its position in the manifest."""
    return {"index": index, "row": fields}


def test_the_same_user_twice_in_one_run_gets_one_code_and_the_repeat_reads_skipped(
    deps: ResetDependencies, alice: FakeUser
) -> None:
    results = invoke(deps, batch("r1", row(0, {"username": "alice"}), row(1, {"email": "alice@example.com"})))

    assert [(r["username"], r["status"], r["duplicate"]) for r in results["results"]] == [
        ("alice", "reset", False),
        ("alice", "skipped", True),
    ]
    assert results["results"][1]["lastReset"]["runId"] == "r1"
    assert len(alice.codes_sent) == 1


def test_the_same_user_in_two_batches_of_one_run_gets_one_code(deps: ResetDependencies, alice: FakeUser) -> None:
    first = invoke(deps, batch("r1", row(0, {"username": "alice"})))["results"][0]
    second = invoke(deps, batch("r1", row(900, {"username": "ALICE"})))["results"][0]

    assert (first["status"], second["status"], second["duplicate"]) == ("reset", "skipped", True)
    assert len(alice.codes_sent) == 1


def test_a_batch_run_again_replays_each_row_long_after_the_users_window(
    deps: ResetDependencies, alice: FakeUser, bob: FakeUser, clock: Clock
) -> None:
    # What a redrive (or Step Functions' retry of the batch) does: the same rows, in the same run, maybe days later.
    event = batch("r1", row(0, {"username": "alice"}), row(1, {"username": "bob"}), clientMetadata={"reason": "x"})

    first = invoke(deps, event)["results"]
    clock.advance(COOLDOWN_SECONDS * 24)
    again = invoke(deps, event)["results"]
    clock.advance(RUN_MEMORY_SECONDS)
    after_the_runs_memory = invoke(deps, event)["results"]

    assert [(r["status"], r["replayed"]) for r in first] == [("reset", False), ("reset", False)]
    assert [(r["status"], r["replayed"], r["duplicate"]) for r in again] == [("reset", True, False)] * 2
    assert [(r["status"], r["replayed"]) for r in after_the_runs_memory] == [("reset", False)] * 2
    assert (len(alice.codes_sent), len(bob.codes_sent)) == (2, 2)


def test_a_new_run_inside_the_users_window_sends_nothing_and_says_which_run_did(
    deps: ResetDependencies, alice: FakeUser, clock: Clock
) -> None:
    invoke(deps, batch("r1", row(0, {"username": "alice"})))
    clock.advance(240)  # the same manifest started again four minutes later
    second = invoke(deps, batch("r2", row(0, {"username": "alice"})))["results"][0]
    clock.advance(COOLDOWN_SECONDS)
    third = invoke(deps, batch("r3", row(0, {"username": "alice"})))["results"][0]

    assert (second["status"], second["duplicate"], second["lastReset"]["runId"]) == ("skipped", True, "r1")
    assert (third["status"], third["replayed"]) == ("reset", False)  # the window is over: a new decision
    assert len(alice.codes_sent) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("runId", "r2"), ("runId", "r1"), ("runId", "not a run id"), ("dryRun", False), ("dryRun", "false"),
     ("dryRun", True), ("force", True)],
)  # fmt: skip
def test_a_row_that_sets_what_only_the_run_sets_is_refused_while_the_other_rows_run(
    deps: ResetDependencies, alice: FakeUser, bob: FakeUser, carol: FakeUser, field: str, value: object
) -> None:
    event = batch(
        "r1",
        row(0, {"username": "alice"}),
        row(1, {"username": "bob", field: value}),
        row(2, {"username": "carol"}),
        dryRun=True,
    )

    result = invoke(deps, event)

    alice_result, bob_result, carol_result = result["results"]
    assert (bob_result["status"], bob_result["reason"]) == ("failed", "INVALID_REQUEST")
    assert bob_result["detail"].startswith(f"{field}:")
    assert (alice_result["status"], carol_result["status"]) == ("dry_run", "dry_run")
    # A dry run sends nothing, whatever a row says.
    assert (alice.codes_sent, bob.codes_sent, carol.codes_sent) == ([], [], [])
    assert result["counts"] == {"dry_run": 2, "failed": 1}


def test_a_run_whose_defaults_force_is_refused_row_by_row(deps: ResetDependencies, alice: FakeUser) -> None:
    result = invoke(deps, batch("r1", row(0, {"username": "alice"}), force=True))["results"][0]

    assert (result["status"], result["reason"]) == ("failed", "INVALID_REQUEST")
    assert result["detail"].startswith("force:")
    assert alice.codes_sent == []


def test_an_empty_cell_of_a_run_only_field_is_an_absent_field_not_a_refusal(
    deps: ResetDependencies, alice: FakeUser
) -> None:
    result = invoke(deps, batch("r1", row(0, {"username": "alice", "runId": "", "dryRun": "", "force": ""})))

    assert result["results"][0]["status"] == "reset"


def test_a_bare_row_without_its_position_is_still_one_code_per_user(deps: ResetDependencies, alice: FakeUser) -> None:
    event = batch("r1", {"username": "alice"}, {"username": "alice"})

    results = invoke(deps, event)["results"]
    again = invoke(deps, event)["results"]

    # Without positions, two identical rows are one request: the second replays the first.
    assert [r["status"] for r in results] == ["reset", "reset"]
    assert [r["replayed"] for r in again] == [True, True]
    assert len(alice.codes_sent) == 1


def test_a_csv_row_is_read_as_a_request_with_its_metadata_columns_in_client_metadata(
    deps: ResetDependencies, alice: FakeUser
) -> None:
    fields = {"username": "alice", "email": "", "reason": "security_incident", "globalSignOut": "true"}

    result = invoke(deps, batch("r1", row(0, fields), clientMetadata={"reason": "policy_rotation", "locale": "de-AT"}))

    (only,) = result["results"]
    assert (only["username"], only["status"], only["signedOut"]) == ("alice", "reset", True)
    # The row's column wins over the run's default; the run's other defaults stay.
    assert alice.codes_sent == [{"reason": "security_incident", "locale": "de-AT"}]
    assert alice.sessions == 0
