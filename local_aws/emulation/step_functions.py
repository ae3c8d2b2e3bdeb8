"""Step Functions as AWS plays it where moto's does not: its `lambda:invoke` tasks answered by the real handlers
in-process (Retry waits can be scaled down for tests without touching the global clock), StopExecution as final as on
AWS, and RedriveExecution, which moto 5.2.5 lacks.

StopExecution (API Reference, "StopExecution"): moto only asks its interpreter to stop, and the execution stays
RUNNING until the task in flight returns (a played Distributed Map: until every batch has run). Here the execution is
ABORTED at once and stays so, whatever the task in flight answers later, and its played map runs stop
(emulation/distributed_map.py).

RedriveExecution (API Reference, "RedriveExecution"; Developer Guide, "Redriving executions"): only a STANDARD execution
that FAILED, was ABORTED or TIMED_OUT, within 14 days of its stop; otherwise ExecutionNotRedrivable. The execution keeps
its ARN, its input and its history, and restarts from the state that did not finish, with the input that state was
given; DescribeExecution counts its redrives. To re-enter moto's interpreter there, the redrive runs the execution's own
definition with StartAt set to that state (the state with a `...StateEntered` event and no `...StateExited` one in the
history, as "Redriving Map Runs" describes) on a new interpreter of the same execution record, its history going on
after an ExecutionRedriven event. A played Distributed Map then redrives its map run (only the unsuccessful children),
and the rest of the workflow continues with the map's output. What this cannot play honestly (an unfinished Parallel or
inline Map, which AWS redrives branch by branch) is refused by name (NotPlayedLocally), not run differently.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from moto.awslambda.models import LambdaBackend
from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.parser.api import (
    ExecutionRedrivenEventDetails,
    ExecutionStatus,
    HistoryEventType,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import EvaluationDetails, StateMachineDetails
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.backend.execution_worker_comm import ExecutionWorkerCommunication

from local_aws.emulation import moto_patches
from local_aws.emulation.distributed_map import MapRuns
from local_aws.emulation.lambda_runtime import LocalFunctions

# RedriveExecution API Reference: executions "that didn't complete successfully in the last 14 days".
REDRIVE_WINDOW: Final = timedelta(days=14)
REDRIVABLE: Final = frozenset({"FAILED", "ABORTED", "TIMED_OUT"})
# States whose failed iterations or branches AWS redrives one by one (RedriveExecution API Reference): not played.
REDRIVEN_BY_BRANCH: Final = frozenset({"Parallel", "Map"})


@dataclass
class RetryClock:
    """Stands in for the `time` module of moto's Retry implementation only: records each wait, sleeps a fraction."""

    scale: float = 1.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds * self.scale)


@contextmanager
def lambda_tasks_in_process(functions: LocalFunctions, retry_clock: RetryClock) -> Iterator[None]:
    original_invoke: Callable[..., str | bytes | None] = moto_patches.LAMBDA_INVOKE.original()

    def invoke(  # noqa: PLR0917 - moto's signature
        backend: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        function = functions.find(function_name)
        if function is None:
            return original_invoke(backend, function_name, qualifier, body, headers, response_headers)
        invocation = functions.invoke(function, json.loads(body or b"{}"))
        if invocation.function_error:
            response_headers["x-amz-function-error"] = invocation.function_error
        return json.dumps(invocation.payload).encode()

    with ExitStack() as stack:
        stack.enter_context(moto_patches.LAMBDA_INVOKE.applied(invoke))
        stack.enter_context(moto_patches.RETRY_CLOCK.applied(retry_clock))
        yield


class NotPlayedLocallyError(AWSError):
    """What the local Step Functions does not play, refused by name instead of played differently."""

    TYPE = "NotPlayedLocally"


def not_redrivable(*, execution_type: str, status: str, stopped: datetime | None, now: datetime) -> str | None:
    """Why RedriveExecution refuses the execution (ExecutionNotRedrivable; DescribeExecution's redriveStatusReason), or
    None when it may be redriven (RedriveExecution API Reference: STANDARD only; FAILED, ABORTED or TIMED_OUT; within
    14 days of its stop)."""
    if execution_type != "STANDARD":
        return f"Execution is of type {execution_type}: RedriveExecution is not supported by EXPRESS state machines."
    if status not in REDRIVABLE:
        return f"Execution is {status} and cannot be redriven."
    if stopped is None or now - stopped > REDRIVE_WINDOW:
        return "Execution redrivable period exceeded."
    return None


def unfinished_state(events: Sequence[Mapping[str, Any]], definition: Mapping[str, Any]) -> tuple[str, Any]:
    """The top-level state the execution entered and never left, and the input it was given (Developer Guide,
    "Redriving Map Runs": a state redrives if its `<stateType>Entered` event has no `<stateType>Exited`)."""
    states = definition.get("States", {})
    entered: list[tuple[str, str]] = []
    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            entered.append((details["name"], details.get("input", "null")))
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            last = max((index for index, (entered_name, _) in enumerate(entered) if entered_name == name), default=None)
            if last is not None:
                del entered[last]
    top_level = [(name, state_input) for name, state_input in entered if name in states]
    if not top_level:
        raise NotPlayedLocallyError("no state of the execution is unfinished: its redrive is not played locally")
    name, state_input = top_level[0]
    if states[name].get("Type") in REDRIVEN_BY_BRANCH:
        raise NotPlayedLocallyError(
            f"{name}: redriving the failed branches of a {states[name]['Type']} state is not played locally"
        )
    return name, json.loads(state_input)


def starting_at(definition: Mapping[str, Any], state_name: str) -> dict[str, Any]:
    """The same definition, entered at `state_name`."""
    return {**definition, "StartAt": state_name}


def _events_of(execution: Execution) -> EventManager | None:
    """The execution's history so far (None before its interpreter has started)."""
    worker = execution.exec_worker
    return worker.env.event_manager if worker is not None and worker.env is not None else None


class _RedriveWorker(ExecutionWorker):
    """moto's interpreter for the execution again, entered at its unfinished state with that state's input; the
    execution's history goes on after an ExecutionRedriven event."""

    def __init__(self, execution: Execution, state_name: str, state_input: Any, redrive_count: int) -> None:
        machine = execution.state_machine
        definition = starting_at(json.loads(machine.definition), state_name)
        super().__init__(
            evaluation_details=EvaluationDetails(
                aws_execution_details=execution._get_start_aws_execution_details(),
                execution_details=execution.get_start_execution_details(),
                state_machine_details=StateMachineDetails(
                    arn=machine.arn, name=machine.name, typ=machine.sm_type, definition=json.dumps(definition)
                ),
            ),
            exec_comm=execution._get_start_execution_worker_comm(),
            cloud_watch_logging_session=execution._cloud_watch_logging_session,
            activity_store=execution._activity_store,
        )
        self._history = _events_of(execution)
        self._state_input = state_input
        self._redrive_count = redrive_count

    def _get_evaluation_environment(self) -> Environment:
        env = super()._get_evaluation_environment()
        if self._history is not None:
            env.event_manager = self._history
            last = self._history.get_event_history()
            env.event_history_context = EventHistoryContext(previous_event_id=last[-1]["id"] if last else 0)  # type: ignore[misc]
        env.states.reset(input_value=self._state_input)
        return env

    def _execution_logic(self) -> None:
        program = self._get_evaluation_entrypoint()
        self.env = env = self._get_evaluation_environment()
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.ExecutionRedriven,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                executionRedrivenEventDetails=ExecutionRedrivenEventDetails(redriveCount=self._redrive_count)
            ),
        )
        program.eval(env)
        self._execution_communication.terminated()


class _StoppedForGood(ExecutionWorkerCommunication):
    """An execution's end as its interpreter reports it, after StopExecution: ABORTED at the stop's date, whatever the
    task in flight answered after it."""

    def __init__(self, execution: Execution, reported: Any, stop_date: datetime, ended: threading.Event) -> None:
        self.execution, self.reported, self.stop_date, self.ended = execution, reported, stop_date, ended

    def terminated(self) -> None:
        self.reported.terminated()
        execution = self.execution
        execution.exec_status, execution.stop_date = ExecutionStatus.ABORTED, self.stop_date
        execution.output = None
        self.ended.set()


@dataclass
class ExecutionRecords:
    """What StopExecution and RedriveExecution add to moto's executions, by execution ARN. `clock` says what time it
    is for the redrive window (a test hands in a later one)."""

    map_runs: MapRuns
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    redrive_counts: dict[str, int] = field(default_factory=dict)
    redrive_dates: dict[str, datetime] = field(default_factory=dict)
    # Stopped executions, set once their interpreter has ended (a redrive waits for it: PENDING_REDRIVE).
    ended: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self, response: Any, original: Callable[[Any], ActionResult]) -> ActionResult:
        arn = response._get_param("executionArn")
        execution: Execution = response.stepfunction_backend.describe_execution(arn)
        if execution.status != "RUNNING" or execution.exec_worker is None:
            return original(response)
        stop_date, ended = self.clock(), threading.Event()
        worker = execution.exec_worker
        worker._execution_communication = _StoppedForGood(  # type: ignore[misc]
            execution, worker._execution_communication, stop_date, ended
        )
        with self.lock:
            self.ended[arn] = ended
        original(response)
        execution.exec_status, execution.stop_date = ExecutionStatus.ABORTED, stop_date
        execution.error = response._get_param("error") or None
        execution.cause = response._get_param("cause") or None
        self.map_runs.stop(arn)
        return ActionResult({"stopDate": stop_date})

    def redrive(self, response: Any) -> ActionResult:
        arn = response._get_param("executionArn")
        execution: Execution = response.stepfunction_backend.describe_execution(arn)
        now = self.clock()
        reason = self._not_redrivable(execution, now)
        if reason is not None:
            raise AWSError(reason, "ExecutionNotRedrivable")
        events = _events_of(execution)
        history = events.get_event_history() if events is not None else []
        state_name, state_input = unfinished_state(history, json.loads(execution.state_machine.definition))
        with self.lock:
            count = self.redrive_counts[arn] = self.redrive_counts.get(arn, 0) + 1
            self.redrive_dates[arn] = now
            ended = self.ended.pop(arn, None)
        worker = _RedriveWorker(execution, state_name, state_input, count)
        if ended is None or ended.is_set():
            self._restart(execution, worker)
        else:
            # A stopped execution's map run may still be stopping its children: the redrive waits for it (Developer
            # Guide, "Redriving Map Runs"), PENDING_REDRIVE meanwhile.
            execution.exec_status = ExecutionStatus.PENDING_REDRIVE
            threading.Thread(target=self._restart_when, args=(ended, execution, worker), daemon=True).start()
        return ActionResult({"redriveDate": now})

    def _restart_when(self, ended: threading.Event, execution: Execution, worker: _RedriveWorker) -> None:
        ended.wait()
        self._restart(execution, worker)

    def _restart(self, execution: Execution, worker: _RedriveWorker) -> None:
        self.map_runs.redrive(execution.execution_arn)
        execution.exec_worker = worker
        execution.exec_status = ExecutionStatus.RUNNING
        execution.stop_date = execution.output = execution.error = execution.cause = None
        worker.start()  # type: ignore[no-untyped-call]

    def _not_redrivable(self, execution: Execution, now: datetime) -> str | None:
        execution_type = str(getattr(execution.sm_type, "value", execution.sm_type))
        return not_redrivable(
            execution_type=execution_type, status=execution.status, stopped=execution.stop_date, now=now
        )

    def describe(self, response: Any, original: Callable[[Any], ActionResult]) -> ActionResult:
        """DescribeExecution with what moto leaves out: redriveCount, redriveDate, redriveStatus (and its reason), and
        the stopDate of a TIMED_OUT execution."""
        described = dict(original(response).result)  # type: ignore[call-overload]
        arn = described["executionArn"]
        execution: Execution = response.stepfunction_backend.describe_execution(arn)
        with self.lock:
            described["redriveCount"] = self.redrive_counts.get(arn, 0)
            if arn in self.redrive_dates:
                described["redriveDate"] = self.redrive_dates[arn]
        if execution.status == "TIMED_OUT" and execution.stop_date is not None:
            described["stopDate"] = execution.stop_date
        reason = self._not_redrivable(execution, self.clock())
        described["redriveStatus"] = "REDRIVABLE" if reason is None else "NOT_REDRIVABLE"
        if reason is not None:
            described["redriveStatusReason"] = reason
        return ActionResult(described)


@contextmanager
def executions_stopped_and_redriven(records: ExecutionRecords) -> Iterator[None]:
    """StopExecution, RedriveExecution and DescribeExecution as the module docstring says."""
    original_stop = moto_patches.STOP_EXECUTION.original()
    original_describe = moto_patches.DESCRIBE_EXECUTION.original()

    def stop_execution(response: Any) -> ActionResult:
        return records.stop(response, original_stop)

    def redrive_execution(response: Any) -> ActionResult:
        return records.redrive(response)

    def describe_execution(response: Any) -> ActionResult:
        return records.describe(response, original_describe)

    with ExitStack() as stack:
        stack.enter_context(moto_patches.STOP_EXECUTION.applied(stop_execution))
        stack.enter_context(moto_patches.REDRIVE_EXECUTION.applied(redrive_execution))
        stack.enter_context(moto_patches.DESCRIBE_EXECUTION.applied(describe_execution))
        yield
