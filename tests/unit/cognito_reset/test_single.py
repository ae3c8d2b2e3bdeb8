"""The CLI's calls for one request (cognito_reset/single.py): what PutEvents and the single-reset workflow answered,
told apart for the commands."""

from __future__ import annotations

import pytest

from cognito_reset.single import ExecutionNotSucceeded, NotPublished, SingleResetWorkflow, StackBus
from contracts.events import RESET_REQUESTED, request_entry
from tests.unit.cognito_reset.fakes import EVENT_BUS, MACHINE_ARN, Clock, FakeEvents, FakeStepFunctions, Reading


def test_an_entry_goes_on_the_stacks_bus_and_its_event_id_comes_back() -> None:
    events = FakeEvents()

    event_id = StackBus(events, EVENT_BUS).put(request_entry("ignored", {"username": "ann"}))

    assert event_id == "event-1"
    assert [(entry["EventBusName"], entry["DetailType"]) for entry in events.entries] == [(EVENT_BUS, RESET_REQUESTED)]


def test_an_entry_the_bus_denies_this_principal_is_not_published_for_who_asked() -> None:
    bus = StackBus(FakeEvents(denied=frozenset({RESET_REQUESTED})), EVENT_BUS)

    with pytest.raises(NotPublished) as refused:
        bus.put(request_entry(EVENT_BUS, {"username": "ann"}))

    assert refused.value.code == "AccessDeniedException"
    assert refused.value.not_allowed


def workflow(sfn: FakeStepFunctions, clock: Clock) -> SingleResetWorkflow:
    return SingleResetWorkflow(sfn, MACHINE_ARN, clock=clock.monotonic, sleep=clock.sleep)


def test_the_workflows_result_is_its_output_once_it_succeeded() -> None:
    clock = Clock()
    sfn = FakeStepFunctions([Reading("RUNNING"), Reading("SUCCEEDED", output={"status": "reset"})])

    result = workflow(sfn, clock).run({"username": "ann"}, timeout_seconds=60)

    assert result == {"status": "reset"}
    assert sfn.started[0].input == {"username": "ann"}
    assert clock.sleeps == [0.5]


def test_an_execution_that_failed_or_outlasted_the_wait_is_said_so() -> None:
    clock = Clock()
    failed = FakeStepFunctions([Reading("FAILED", error="States.TaskFailed")])
    running = FakeStepFunctions([Reading("RUNNING")])

    with pytest.raises(ExecutionNotSucceeded, match=r"ended FAILED: States\.TaskFailed"):
        workflow(failed, clock).run({"username": "ann"}, timeout_seconds=60)
    with pytest.raises(ExecutionNotSucceeded, match="still running after 5 s"):
        workflow(running, clock).run({"username": "ann"}, timeout_seconds=5)
