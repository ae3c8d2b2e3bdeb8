"""A bulk run's resets (contracts.bulk): remembered for as long as the run can be redriven and apart from single
requests; one code per user in a run; a row cannot choose its run; CSV rows read as requests. Over the fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

from reset_password.dedupe import Memory, dedupe_key
from reset_password.handler import handle_invocation
from reset_password.logic import ResetDependencies
from tests.lambda_context import LambdaContext
from tests.unit.reset_password.conftest import POOL
from tests.unit.reset_password.fakes import FakeCognito, FakeUser, InMemoryDeduplicator

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext


@pytest.fixture
def dedupe(deps: ResetDependencies) -> InMemoryDeduplicator:
    assert isinstance(deps.dedupe, InMemoryDeduplicator)
    return deps.dedupe


@pytest.fixture
def bob(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(POOL, "bob", attributes={"email": "bob@example.com", "email_verified": "true"})


@pytest.fixture
def carol(cognito: FakeCognito) -> FakeUser:
    return cognito.add_user(POOL, "carol", attributes={"email": "carol@example.com", "email_verified": "true"})


def invoke(deps: ResetDependencies, event: object) -> dict[str, Any]:
    return handle_invocation(event, cast("PowertoolsContext", LambdaContext()), deps)


def batch(run_id: str, *items: object, **defaults: object) -> dict[str, Any]:
    """An ItemBatcher batch as the bulk workflow sends it: the run's defaults, with its run id, in BatchInput."""
    return {"Items": list(items), "BatchInput": {**defaults, "runId": run_id}}


def test_a_runs_reset_is_remembered_for_the_run_under_the_runs_key(
    deps: ResetDependencies, dedupe: InMemoryDeduplicator, alice: FakeUser
) -> None:
    invoke(deps, batch("r1", {"username": "alice", "requestId": "row-1"}))

    assert dedupe.memories == {dedupe_key(POOL, alice.attributes["sub"], None, "r1"): Memory.RUN}


def test_a_single_request_is_remembered_for_the_cooldown(
    deps: ResetDependencies, dedupe: InMemoryDeduplicator, alice: FakeUser
) -> None:
    invoke(deps, {"username": "alice"})

    assert dedupe.memories == {dedupe_key(POOL, alice.attributes["sub"], None): Memory.COOLDOWN}


def test_a_single_request_after_a_runs_reset_is_not_skipped_by_the_runs_record(
    deps: ResetDependencies, dedupe: InMemoryDeduplicator, alice: FakeUser
) -> None:
    in_run = invoke(deps, batch("r1", {"username": "alice"}))["results"][0]
    single = invoke(deps, {"username": "alice"})

    assert (in_run["status"], single["status"], single["duplicate"]) == ("reset", "reset", False)
    assert len(alice.codes_sent) == 2
    assert sorted(memory.value for memory in dedupe.memories.values()) == ["cooldown", "run"]


def test_a_runs_reset_after_a_single_request_is_not_skipped_by_the_single_record(
    deps: ResetDependencies, dedupe: InMemoryDeduplicator, alice: FakeUser
) -> None:
    single = invoke(deps, {"username": "alice"})
    in_run = invoke(deps, batch("r1", {"username": "alice"}))["results"][0]

    assert (single["status"], in_run["status"], in_run["duplicate"]) == ("reset", "reset", False)
    assert len(alice.codes_sent) == 2
    assert sorted(memory.value for memory in dedupe.memories.values()) == ["cooldown", "run"]


def test_the_same_user_twice_in_one_run_gets_one_code(deps: ResetDependencies, alice: FakeUser) -> None:
    rows = ({"username": "alice", "requestId": "row-1"}, {"email": "alice@example.com", "requestId": "row-2"})

    results = invoke(deps, batch("r1", *rows))["results"]

    assert [(r["username"], r["status"], r["duplicate"], r["requestId"]) for r in results] == [
        ("alice", "reset", False, "row-1"),
        ("alice", "skipped", True, "row-2"),
    ]
    assert len(alice.codes_sent) == 1


def test_the_same_user_in_two_batches_of_one_run_gets_one_code(deps: ResetDependencies, alice: FakeUser) -> None:
    first = invoke(deps, batch("r1", {"username": "alice", "requestId": "row-1"}))["results"][0]
    second = invoke(deps, batch("r1", {"username": "ALICE", "requestId": "row-900"}))["results"][0]

    assert (first["status"], second["status"], second["duplicate"]) == ("reset", "skipped", True)
    assert len(alice.codes_sent) == 1


def test_a_batch_run_again_in_the_same_run_replays_what_it_did(deps: ResetDependencies, alice: FakeUser) -> None:
    # What a redrive (or Step Functions' retry of the batch) does: the same batch, in the same run.
    event = batch("r1", {"username": "alice", "requestId": "row-1"}, clientMetadata={"reason": "security_incident"})

    first = invoke(deps, event)["results"][0]
    again = invoke(deps, event)["results"][0]

    assert (first["status"], first["replayed"]) == ("reset", False)
    assert (again["status"], again["replayed"], again["duplicate"]) == ("reset", True, False)
    assert len(alice.codes_sent) == 1


def test_a_new_run_resets_the_user_again(deps: ResetDependencies, alice: FakeUser) -> None:
    first = invoke(deps, batch("r1", {"username": "alice"}))["results"][0]
    second = invoke(deps, batch("r2", {"username": "alice"}))["results"][0]

    assert (first["status"], second["status"], second["replayed"]) == ("reset", "reset", False)
    assert len(alice.codes_sent) == 2


@pytest.mark.parametrize("row_run_id", ["r2", "r1", "not a run id"])
def test_a_row_that_sets_its_run_is_refused_while_the_other_rows_run(
    deps: ResetDependencies, dedupe: InMemoryDeduplicator, alice: FakeUser, bob: FakeUser, carol: FakeUser,
    row_run_id: str,
) -> None:  # fmt: skip
    event = batch("r1", {"username": "alice"}, {"username": "bob", "runId": row_run_id}, {"username": "carol"})

    result = invoke(deps, event)

    alice_result, bob_result, carol_result = result["results"]
    assert (bob_result["status"], bob_result["reason"]) == ("failed", "INVALID_REQUEST")
    assert bob_result["detail"].startswith("runId:")
    assert (alice_result["status"], carol_result["status"]) == ("reset", "reset")
    assert (len(alice.codes_sent), len(bob.codes_sent), len(carol.codes_sent)) == (1, 0, 1)
    assert result["counts"] == {"reset": 2, "failed": 1}
    assert set(dedupe.memories.values()) == {Memory.RUN}


def test_an_empty_run_id_cell_is_an_absent_field_not_a_refusal(deps: ResetDependencies, alice: FakeUser) -> None:
    result = invoke(deps, batch("r1", {"username": "alice", "runId": ""}))["results"][0]

    assert result["status"] == "reset"


def test_a_csv_row_is_read_as_a_request_with_its_metadata_columns_in_client_metadata(
    deps: ResetDependencies, alice: FakeUser
) -> None:
    row = {"username": "alice", "email": "", "reason": "security_incident", "globalSignOut": "true"}

    result = invoke(deps, batch("r1", row, clientMetadata={"reason": "policy_rotation", "locale": "de-AT"}))

    (only,) = result["results"]
    assert (only["username"], only["status"], only["signedOut"]) == ("alice", "reset", True)
    # The row's column wins over the run's default; the run's other defaults stay.
    assert alice.codes_sent == [{"reason": "security_incident", "locale": "de-AT"}]
    assert alice.sessions == 0
