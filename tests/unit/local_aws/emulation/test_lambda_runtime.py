"""The local Lambda service (local_aws/emulation/lambda_runtime.py): an invocation cut short, by the function's timeout
or by its runtime process exiting, is answered as Lambda answers it, and its container is not used again (Lambda
Developer Guide, "Understanding the Lambda execution environment lifecycle": Lambda resets the execution environment of
a function that crashes or times out during the Invoke phase)."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_aws.emulation.lambda_runtime import Handler, Invocation, LocalFunction, LocalFunctions

TIMEOUT_SECONDS = 0.2
# Longer than TIMEOUT_SECONDS by a margin no busy machine closes: the handler is surely past the deadline.
PAST_THE_TIMEOUT = 0.4
WAIT_SECONDS = 10.0  # a test that would wait forever for a container fails after this instead


def ignored_handler(event: Any, context: Any) -> Any:
    """What `handler_path` names; each test hands its containers in with `new_container`."""
    raise AssertionError("the containers are the test's")


class Containers:
    """Containers whose handler does what the event says (`sleep` seconds first, then `exit` with a status, `raise`, or
    answer), each answer naming the container that gave it."""

    def __init__(self) -> None:
        self.started = 0
        self._numbers = itertools.count(1)

    def new(self) -> Handler:
        number = next(self._numbers)
        self.started += 1

        def handle(event: dict[str, Any], context: Any) -> Any:
            time.sleep(event.get("sleep", 0))
            if "exit" in event:
                raise SystemExit(event["exit"])
            if event.get("raise"):
                raise ValueError("the handler's own error")
            return {"status": "reset", "container": number}

        return handle


@pytest.fixture
def containers() -> Containers:
    return Containers()


def local_function(containers: Containers, *, reserved_concurrency: int | None = 1) -> LocalFunction:
    return LocalFunction(
        name="reset",
        handler_path=f"{__name__}.{ignored_handler.__name__}",
        timeout_seconds=TIMEOUT_SECONDS,
        new_container=containers.new,
        reserved_concurrency=reserved_concurrency,
    )


def invoke(function: LocalFunction, event: dict[str, Any]) -> Invocation:
    """Invoke on a thread of its own, so that an invocation left waiting for a container fails the test."""
    answers: list[Invocation] = []
    thread = threading.Thread(
        target=lambda: answers.append(LocalFunctions([function]).invoke(function, event)), daemon=True
    )
    thread.start()
    thread.join(WAIT_SECONDS)
    assert answers, "the invocation never got a container"
    return answers[0]


TIMED_OUT = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {TIMEOUT_SECONDS:.2f} seconds"}


def test_an_invocation_that_returns_in_time_is_its_result_and_its_container_stays_warm(
    containers: Containers,
) -> None:
    function = local_function(containers)

    first, second = invoke(function, {}), invoke(function, {})

    assert (first.function_error, first.payload) == (None, {"status": "reset", "container": 1})
    assert second.payload == {"status": "reset", "container": 1}
    assert containers.started == 1


def test_a_handler_that_returns_after_the_timeout_is_a_timeout_and_its_result_is_discarded(
    containers: Containers,
) -> None:
    """Lambda Developer Guide, "Configure Lambda function timeout": "Task timed out after N seconds"."""
    function = local_function(containers)

    late = invoke(function, {"sleep": PAST_THE_TIMEOUT})

    assert (late.function_error, late.payload) == ("Unhandled", TIMED_OUT)
    assert late.error_type == "Sandbox.Timedout"


def test_a_handler_that_raises_after_the_timeout_is_a_timeout_too(containers: Containers) -> None:
    function = local_function(containers)

    late = invoke(function, {"sleep": PAST_THE_TIMEOUT, "raise": True})

    assert (late.function_error, late.payload) == ("Unhandled", TIMED_OUT)


def test_after_a_timeout_the_next_invocation_gets_a_new_container(containers: Containers) -> None:
    function = local_function(containers)  # one container at most: the lost one must give its place up
    invoke(function, {})

    invoke(function, {"sleep": PAST_THE_TIMEOUT})
    after = invoke(function, {})

    assert after.payload == {"status": "reset", "container": 2}
    assert containers.started == 2


@pytest.mark.parametrize(("code", "status"), [(1, 1), (137, 137), ("fatal: out of memory", 1), (None, 0)])
def test_a_handler_that_exits_is_a_runtime_exit_error(containers: Containers, code: object, status: int) -> None:
    function = local_function(containers)

    crashed = invoke(function, {"exit": code})

    assert (crashed.function_error, crashed.error_type) == ("Unhandled", "Runtime.ExitError")
    assert crashed.payload["errorMessage"].endswith(f" Error: Runtime exited with error: exit status {status}")
    assert crashed.payload["errorMessage"].startswith("RequestId: ")


def test_after_a_crash_the_next_invocation_gets_a_new_container(containers: Containers) -> None:
    function = local_function(containers)
    invoke(function, {})

    invoke(function, {"exit": 1})
    after = invoke(function, {})

    assert after.payload == {"status": "reset", "container": 2}
    assert containers.started == 2


def test_a_handler_that_exits_after_the_timeout_timed_out_first(containers: Containers) -> None:
    function = local_function(containers)

    late = invoke(function, {"sleep": PAST_THE_TIMEOUT, "exit": 1})

    assert late.payload == TIMED_OUT


def test_a_handler_that_raises_in_time_keeps_its_container(containers: Containers) -> None:
    function = local_function(containers)

    raised = invoke(function, {"raise": True})
    after = invoke(function, {})

    assert (raised.function_error, raised.error_type) == ("Unhandled", "ValueError")
    assert raised.payload["errorMessage"] == "the handler's own error"
    assert after.payload == {"status": "reset", "container": 1}


# A function whose containers cannot be told apart (no new_container): its one handler starts afresh, its module run
# again, as start_cold does.

SHARED_HANDLER = """
CONTAINER = globals().get("CONTAINER", 0) + 1  # how many times the module has run: a reload keeps its namespace


def handle(event, context):
    if "exit" in event:
        raise SystemExit(event["exit"])
    return {"container": CONTAINER}
"""


@pytest.fixture
def shared_handler_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = "local_function_shared_handler"
    (tmp_path / f"{name}.py").write_text(SHARED_HANDLER)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_crashed_function_without_its_own_containers_runs_its_handlers_module_again(
    shared_handler_module: str,
) -> None:
    function = LocalFunction(name="summary", handler_path=f"{shared_handler_module}.handle")
    before = function.handler
    first = invoke(function, {})

    crashed = invoke(function, {"exit": 1})
    after = invoke(function, {})

    assert crashed.error_type == "Runtime.ExitError"
    assert function.handler is not before
    assert (first.payload, after.payload) == ({"container": 1}, {"container": 2})
