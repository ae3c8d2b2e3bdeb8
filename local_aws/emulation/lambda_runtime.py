"""The Lambda functions of the local account: real handlers, run in-process the way the Lambda service runs them.

An invocation gets a deep copy of its payload (as if it had crossed the wire) and the context Lambda would hand
the function (its name, ARN, memory and the time left before its Timeout, as the template sets them); a raised
exception becomes Lambda's error payload (`errorType`, `errorMessage`) with function error `Unhandled`, exactly what
Step Functions and asynchronous invokes see on AWS.

An invocation cut short is reported as Lambda reports it, and its container is not used again: Lambda resets the
execution environment of a function that crashes or times out during the Invoke phase (Lambda Developer Guide,
"Understanding the Lambda execution environment lifecycle"), so the next invocation starts a new one.
- A timeout: a handler still running once the function's Timeout has passed is reported as `Sandbox.Timedout`, "Task
  timed out after N seconds" (Lambda Developer Guide, "Configure Lambda function timeout"), whatever it then returned
  or raised. The handler runs in this process and cannot be stopped at the deadline as Lambda stops it: it runs to
  its end (what it did meanwhile stays done, as calls a function made before Lambda stopped it stay made), and its
  answer is discarded.
- A crash: a handler that raises SystemExit (what a runtime process that exits amounts to here) is reported as
  `Runtime.ExitError`, as Lambda reports a runtime that exited during an invocation.
"""

from __future__ import annotations

import copy
import importlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from contracts.workflow_errors import LAMBDA_TIMED_OUT, RUNTIME_EXITED
from local_aws.harness.server import ACCOUNT_ID, REGION

Handler = Callable[[Any, Any], Any]
# What Lambda reports (see the module's docstring): the function error of an invocation that did not return, and the
# errorType of one cut short.
UNHANDLED: Final = "Unhandled"


@dataclass(slots=True)
class Container:
    """One execution environment for one invocation: its handler, and whether it is lost with the invocation (a crash
    or a timeout: Lambda resets the environment) or goes back to the idle ones."""

    handler: Handler
    lost: bool = False


@dataclass(frozen=True, slots=True)
class AsyncInvokeConfig:
    """What AWS::Lambda::EventInvokeConfig says about asynchronous invocations that keep failing."""

    maximum_retry_attempts: int = 2
    on_failure_destination: str | None = None


@dataclass(slots=True)
class LocalFunction:
    name: str
    handler_path: str  # `package.module.function`, as the Handler property of AWS::Lambda::Function names it
    async_config: AsyncInvokeConfig = AsyncInvokeConfig()
    timeout_seconds: float = 3.0  # AWS::Lambda::Function's Timeout and MemorySize, defaults included
    memory_mb: int = 128
    # How a new container gets its handler; by default the handler module's `new_container()` when it has one, else
    # the module runs again (see start_cold). A test hands in its own, e.g. the handler built over dependencies it
    # chose.
    new_container: Callable[[], Handler] | None = None
    # AWS::Lambda::Function's ReservedConcurrentExecutions: at most this many containers run at once (None: no limit).
    # A function whose containers can be told apart (new_container) runs concurrent invocations in containers of
    # their own, each kept warm; an invocation beyond the limit waits for a free container (Lambda would throttle it,
    # and the caller would retry). Otherwise its one handler serves every invocation.
    reserved_concurrency: int | None = None
    handler: Handler = field(init=False)
    _idle: list[Handler] = field(init=False, default_factory=list)
    _containers: int = field(init=False, default=0)
    _generation: int = field(init=False, default=0)  # start_cold begins a new one; older containers are dropped
    _free: threading.Condition = field(init=False, default_factory=threading.Condition)

    def __post_init__(self) -> None:
        module_name, _, attribute = self.handler_path.rpartition(".")
        module = importlib.import_module(module_name)
        self.handler = getattr(module, attribute)
        if self.new_container is None and callable(getattr(module, "new_container", None)):
            self.new_container = module.new_container

    @contextmanager
    def container(self) -> Iterator[Container]:
        """A container for one invocation: a warm idle one, a new one while under the limit, or the next one free. A
        container marked lost is dropped; a function whose containers cannot be told apart starts its one handler
        afresh (as start_cold does)."""
        if self.new_container is None:
            shared = Container(self.handler)
            try:
                yield shared
            finally:
                if shared.lost:
                    self._reload_handler()
            return
        with self._free:
            while (
                not self._idle
                and self.reserved_concurrency is not None
                and (self._containers >= self.reserved_concurrency)
            ):
                self._free.wait()
            generation = self._generation
            if self._idle:
                handler = self._idle.pop()
            else:
                self._containers += 1
                handler = None
        current = Container(handler or self.new_container())
        try:
            yield current
        finally:
            with self._free:
                if generation == self._generation:
                    if current.lost:
                        self._containers -= 1  # its place goes to a new container
                    else:
                        self._idle.append(current.handler)
                    self._free.notify()

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    def start_cold(self) -> None:
        """A new container: the handler's module runs again, so whatever it keeps per container (settings, clients,
        templates, the cold-start flag) starts afresh and the next invocation reads the current environment. The
        modules it imports stay loaded, as Lambda's own runtime modules would not be, which is enough for state
        that handlers keep in their own module."""
        if self.new_container is not None:
            with self._free:
                self._idle.clear()
                self._containers = 0
                self._generation += 1
                self._free.notify_all()
            self.handler = self.new_container()
            return
        self._reload_handler()

    def _reload_handler(self) -> None:
        module_name, _, attribute = self.handler_path.rpartition(".")
        self.handler = getattr(importlib.reload(importlib.import_module(module_name)), attribute)


@dataclass(frozen=True, slots=True)
class InvocationContext:
    """What Lambda hands `function`'s handler as its context for one invocation."""

    function: LocalFunction
    deadline: float  # time.monotonic() at which the invocation times out
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version = "$LATEST"

    @classmethod
    def starting_now(cls, function: LocalFunction) -> InvocationContext:
        return cls(function=function, deadline=time.monotonic() + function.timeout_seconds)

    def timed_out(self) -> bool:
        return time.monotonic() > self.deadline

    @property
    def function_name(self) -> str:
        return self.function.name

    @property
    def invoked_function_arn(self) -> str:
        return self.function.arn

    @property
    def memory_limit_in_mb(self) -> int:
        return self.function.memory_mb

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function.name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class Invocation:
    payload: Any
    function_error: str | None = None  # UNHANDLED when the handler raised, timed out or crashed

    @property
    def error_type(self) -> str | None:
        return self.payload.get("errorType") if self.function_error and isinstance(self.payload, dict) else None


class LocalFunctions:
    def __init__(self, functions: Iterable[LocalFunction]) -> None:
        self._by_name = {function.name: function for function in functions}

    def __iter__(self) -> Iterator[LocalFunction]:
        return iter(self._by_name.values())

    def start_cold(self) -> None:
        """A new container for every function."""
        for function in self:
            function.start_cold()

    def running(self, handler_path: str) -> LocalFunction:
        """The function whose Handler is `handler_path`."""
        [function] = [function for function in self if function.handler_path == handler_path]
        return function

    def find(self, name_or_arn: str) -> LocalFunction | None:
        """By name, ARN, or qualified ARN (`...:function:name:$LATEST`), as Lambda's Invoke accepts them."""
        name = name_or_arn.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in name_or_arn else name_or_arn
        return self._by_name.get(name)

    def add(self, function: LocalFunction) -> None:
        self._by_name[function.name] = function

    def invoke(self, function: LocalFunction, payload: Any) -> Invocation:
        try:
            with function.container() as container:
                context = InvocationContext.starting_now(function)
                invocation = _run(container, copy.deepcopy(payload), context)
                if context.timed_out():  # Lambda would have stopped it there, before whatever it did afterwards
                    container.lost = True
                    return _timed_out(function)
        except Exception as error:  # noqa: BLE001 - a container that failed to start, reported as Lambda reports it
            return _unhandled(error)
        return invocation


def _run(container: Container, payload: Any, context: InvocationContext) -> Invocation:
    """The handler's answer, or its error as Lambda's error payload; a crash loses the container."""
    try:
        return Invocation(payload=json.loads(json.dumps(container.handler(payload, context))))
    except SystemExit as exited:
        container.lost = True
        return _runtime_exited(exited, context)
    except Exception as error:  # noqa: BLE001 - reported the way Lambda reports it, as a payload
        return _unhandled(error)


def _unhandled(error: Exception) -> Invocation:
    return Invocation(
        payload={
            # The class name, as Lambda's Python runtime reports it (the local system's own stand-ins may name an ASL
            # error instead).
            "errorType": getattr(error, "lambda_error_type", type(error).__name__),
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__),
        },
        function_error=UNHANDLED,
    )


def _timed_out(function: LocalFunction) -> Invocation:
    """What Lambda answers for an invocation stopped at the function's Timeout (its log line says the same)."""
    message = f"Task timed out after {function.timeout_seconds:.2f} seconds"
    return Invocation(payload={"errorType": LAMBDA_TIMED_OUT, "errorMessage": message}, function_error=UNHANDLED)


def _runtime_exited(exited: SystemExit, context: InvocationContext) -> Invocation:
    """What Lambda answers when the runtime process exits during an invocation, with the process's exit status."""
    status = exited.code if isinstance(exited.code, int) else 0 if exited.code is None else 1
    message = f"RequestId: {context.aws_request_id} Error: Runtime exited with error: exit status {status}"
    return Invocation(payload={"errorType": RUNTIME_EXITED, "errorMessage": message}, function_error=UNHANDLED)
