"""The CLI's calls for one request and for a run's announcements: a PutEvents on the stack's bus, and the single-reset
workflow started and waited for. The commands (cli.py) decide what an answer means to the operator; these say what
AWS answered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.events import PUT_EVENTS_NOT_ALLOWED


class NotPublished(Exception):  # noqa: N818 - what became of the entry, as the caller reads it
    """PutEvents answered the entry with an error (EventBridge API Reference, PutEventsResultEntry)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}".strip())
        self.code = code

    @property
    def not_allowed(self) -> bool:
        """Refused for who asked: the bus's policy (or the caller's own) does not let this principal put it."""
        return self.code in PUT_EVENTS_NOT_ALLOWED


@dataclass(frozen=True, slots=True)
class StackBus:
    """The stack's bus (output EventBusName)."""

    events: Any  # an EventBridge client
    name: str

    def put(self, entry: Mapping[str, Any]) -> str:
        """Put one entry on the bus; its event id, or NotPublished. An AWS error of the call itself is raised as is."""
        answer = self.events.put_events(Entries=[{**entry, "EventBusName": self.name}])
        (accepted,) = answer["Entries"]
        if "EventId" not in accepted:
            raise NotPublished(str(accepted.get("ErrorCode") or "error"), str(accepted.get("ErrorMessage") or ""))
        return str(accepted["EventId"])


class ExecutionNotSucceeded(Exception):  # noqa: N818 - how the execution ended, as the caller reads it
    """The single-reset execution ended otherwise than SUCCEEDED, or was still running when the wait ran out."""


@dataclass(frozen=True, slots=True)
class SingleResetWorkflow:
    """The single-reset workflow (output SingleResetStateMachineArn): one request in, the function's result out."""

    sfn: Any  # a Step Functions client
    state_machine_arn: str
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    poll_seconds: float = 0.5

    def run(self, request: Mapping[str, Any], timeout_seconds: float) -> Any:
        """Start an execution of the request and wait for its result (contract 2)."""
        name = f"cli-{uuid.uuid4()}"
        started = self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(request))
        deadline = self.clock() + timeout_seconds
        while self.clock() < deadline:
            execution = self.sfn.describe_execution(executionArn=started["executionArn"])
            if execution["status"] == "SUCCEEDED":
                return json.loads(execution.get("output") or "{}")
            if execution["status"] != "RUNNING":
                raise ExecutionNotSucceeded(
                    f"execution {name} ended {execution['status']}: {execution.get('error', 'see its history')}"
                )
            self.sleep(self.poll_seconds)
        raise ExecutionNotSucceeded(
            f"execution {name} still running after {timeout_seconds:.0f} s; watch it in the Step Functions console"
        )
