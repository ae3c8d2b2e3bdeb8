"""The local Step Functions' redrive rules (local_aws/emulation/step_functions.py): which executions RedriveExecution
accepts (Step Functions API Reference, "RedriveExecution"), and the state a redrive restarts from (Developer Guide,
"Redriving Map Runs": a state entered and never exited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local_aws.emulation.step_functions import NotPlayedLocallyError, not_redrivable, starting_at, unfinished_state

STOPPED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", ["FAILED", "ABORTED", "TIMED_OUT"])
def test_a_standard_execution_that_failed_was_aborted_or_timed_out_is_redrivable_for_14_days(status: str) -> None:
    for later in (timedelta(0), timedelta(days=14)):
        assert not_redrivable(execution_type="STANDARD", status=status, stopped=STOPPED, now=STOPPED + later) is None


def test_past_14_days_after_its_stop_an_execution_is_no_longer_redrivable() -> None:
    reason = not_redrivable(
        execution_type="STANDARD", status="FAILED", stopped=STOPPED, now=STOPPED + timedelta(days=14, seconds=1)
    )

    assert reason == "Execution redrivable period exceeded."


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING", "PENDING_REDRIVE"])
def test_a_succeeded_or_running_execution_is_not_redrivable(status: str) -> None:
    reason = not_redrivable(execution_type="STANDARD", status=status, stopped=STOPPED, now=STOPPED)

    assert reason == f"Execution is {status} and cannot be redriven."


def test_an_express_execution_is_never_redrivable() -> None:
    reason = not_redrivable(execution_type="EXPRESS", status="FAILED", stopped=STOPPED, now=STOPPED)

    assert reason is not None
    assert "EXPRESS" in reason


DEFINITION = {
    "StartAt": "Name the run",
    "States": {
        "Name the run": {"Type": "Pass", "Next": "Reset every user"},
        "Reset every user": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Summarize"},
        "Summarize": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
        "Fan out": {"Type": "Parallel", "Branches": [], "End": True},
    },
}


def entered(name: str, state_input: Any, kind: str = "Task") -> dict[str, Any]:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name, "input": f"{state_input}"}}


def exited(name: str, kind: str = "Task") -> dict[str, Any]:
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name, "output": "{}"}}


def test_a_redrive_restarts_from_the_state_entered_and_never_exited_with_its_input() -> None:
    history = [
        {"type": "ExecutionStarted"},
        entered("Name the run", '{"manifestKey": "m.csv"}', "Pass"),
        exited("Name the run", "Pass"),
        entered("Reset every user", '{"manifestKey": "m.csv", "run": {"runId": "r1"}}'),
        {"type": "TaskFailed"},
        {"type": "ExecutionFailed"},
    ]

    assert unfinished_state(history, DEFINITION) == (
        "Reset every user",
        {"manifestKey": "m.csv", "run": {"runId": "r1"}},
    )


def test_a_state_entered_again_after_it_finished_is_the_unfinished_one() -> None:
    history = [
        entered("Reset every user", "1"),
        exited("Reset every user"),
        entered("Reset every user", "2"),
    ]

    assert unfinished_state(history, DEFINITION) == ("Reset every user", 2)


def test_an_unfinished_parallel_state_is_refused_by_name() -> None:
    with pytest.raises(NotPlayedLocallyError, match="Fan out: redriving the failed branches of a Parallel state"):
        unfinished_state([entered("Fan out", "{}", "Parallel")], DEFINITION)


def test_an_execution_without_an_unfinished_state_is_refused() -> None:
    with pytest.raises(NotPlayedLocallyError, match="no state of the execution is unfinished"):
        unfinished_state([entered("Summarize", "{}"), exited("Summarize")], DEFINITION)


def test_the_redriven_definition_is_the_same_one_entered_at_the_unfinished_state() -> None:
    redriven = starting_at(DEFINITION, "Reset every user")

    assert redriven == {**DEFINITION, "StartAt": "Reset every user"}
    assert DEFINITION["StartAt"] == "Name the run"
