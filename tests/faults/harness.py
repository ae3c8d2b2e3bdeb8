"""Drives the real reset function the way the deployed system calls it, and judges what came of it.

`ResetFunction` is the deployed function in process: a few warm containers, each built as Lambda builds it
(`handler.build_handler` over `handler.dependencies_from_environment`, with its own AWS clients and short timeouts),
each serving one invocation at a time under a LambdaContext that counts down from the invocation's budget.
`Workflow` is the caller: the Retry of the single-reset workflow's task, rendered from infra/workflows.py itself, with
its waits scaled down by the same factor as the function's timeout. `judge` compares what the callers were told with
what the pool holds and what the proxy saw reach Cognito.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import random
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from contracts import environment as env
from contracts.environment import DEFAULT_COOLDOWN_SECONDS
from contracts.results import ResetStatus
from contracts.workflow_errors import LAMBDA_TIMED_OUT, TASK_TIMED_OUT
from reset_password import handler
from reset_password.clients import AwsClients, Timeouts
from reset_password.retry import Backoff, RetryPolicy
from tests.lambda_context import CountdownLambdaContext

# ASL's wildcards: any error, and any error but a state timeout (contracts.workflow_errors.TASK_TIMED_OUT).
_ANY_ERROR: Final = "States.ALL"
_ANY_TASK_FAILURE: Final = "States.TaskFailed"

Event = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Retrier:
    """One entry of an ASL task's Retry (defaults as the Amazon States Language states them)."""

    errors: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    full_jitter: bool = False

    @classmethod
    def from_asl(cls, rule: Mapping[str, Any]) -> Retrier:
        max_delay = rule.get("MaxDelaySeconds")
        return cls(
            errors=tuple(rule["ErrorEquals"]),
            interval_seconds=float(rule.get("IntervalSeconds", 1)),
            max_attempts=int(rule.get("MaxAttempts", 3)),
            backoff_rate=float(rule.get("BackoffRate", 2.0)),
            max_delay_seconds=float(max_delay) if max_delay is not None else None,
            full_jitter=rule.get("JitterStrategy") == "FULL",
        )

    def matches(self, error: str) -> bool:
        return (
            error in self.errors
            or _ANY_ERROR in self.errors
            or (_ANY_TASK_FAILURE in self.errors and error != TASK_TIMED_OUT)
        )

    def wait_seconds(self, retries_so_far: int, jitter: float) -> float:
        delay = self.interval_seconds * self.backoff_rate**retries_so_far
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        return delay * jitter if self.full_jitter else delay


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation as its caller saw it, and how long it took against its budget."""

    seconds: float
    budget_seconds: float
    result: Mapping[str, Any] | None  # the function's answer; None when it raised or ran out of time
    error: str | None  # the error name Step Functions sees: the exception's class name, or LAMBDA_TIMED_OUT
    late: str | None = None  # past its budget: what it went on to answer, which Lambda would have thrown away

    @property
    def past_deadline(self) -> bool:
        return self.seconds > self.budget_seconds

    def describe(self) -> str:
        told = self.error or (self.result or {}).get("status")
        late = f" (then, too late: {self.late})" if self.late else ""
        return f"{told} after {self.seconds:.2f} s of {self.budget_seconds:g} s{late}"


# What an execution ends in when the function raised the documented transient error on every attempt the workflow
# made: the Catch keeps the request for a person.
FAILED_CLOSED = "error:TransientResetError"


@dataclass(frozen=True, slots=True)
class Execution:
    """One request through the workflow: every invocation of the function, the last one being what the caller got."""

    name: str
    request: Event
    invocations: tuple[Invocation, ...]

    @property
    def final(self) -> Invocation:
        return self.invocations[-1]

    @property
    def outcome(self) -> str:
        """`reset`, `skipped`, `failed:<REASON>` or `error:<name>` (the workflow's Catch)."""
        if self.final.result is None:
            return f"error:{self.final.error}"
        status = str(self.final.result.get("status"))
        return f"{status}:{self.final.result.get('reason')}" if status == ResetStatus.FAILED else status

    @property
    def claims_own_reset(self) -> bool:
        """The result says this execution reset the user (not a duplicate of another request's reset, nor the replay
        of an earlier attempt of the same request: contract 2's `duplicate` and `replayed`)."""
        result = self.final.result or {}
        return self.outcome == ResetStatus.RESET and not result.get("duplicate") and not result.get("replayed")

    def describe(self) -> str:
        return f"{self.name}: " + "; ".join(invocation.describe() for invocation in self.invocations)


@dataclass(frozen=True, slots=True)
class Workflow:
    """The caller: retries an invocation as the workflow's Retry says, waiting `time_scale` of its waits."""

    retriers: tuple[Retrier, ...]
    time_scale: float

    def describe(self) -> str:
        rules = "; ".join(
            f"{'/'.join(r.errors)} x{r.max_attempts} from {r.interval_seconds * self.time_scale:g} s "
            f"(x{r.backoff_rate:g}{', full jitter' if r.full_jitter else ''})"
            for r in self.retriers
        )
        return f"retries: {rules}; anything else ends the execution (Catch)"

    def execute(self, function: ResetFunction, request: Event, name: str, rng: random.Random) -> Execution:
        invocations: list[Invocation] = []
        retries = [0] * len(self.retriers)
        while True:
            invocation = function.invoke(request)
            invocations.append(invocation)
            if invocation.error is None:
                break
            chosen = next((i for i, r in enumerate(self.retriers) if r.matches(invocation.error)), None)
            if chosen is None or retries[chosen] >= self.retriers[chosen].max_attempts:
                break
            time.sleep(self.retriers[chosen].wait_seconds(retries[chosen], rng.random()) * self.time_scale)
            retries[chosen] += 1
        return Execution(name, request, tuple(invocations))


def single_reset_workflow(budget_seconds: float) -> Workflow:
    """The Retry of infra/workflows.py's reset task as the construct renders it, its waits scaled like the budget
    (the harness's budget over the deployed function's timeout). Imports aws_cdk: call it once per session."""
    import aws_cdk as cdk
    from aws_cdk import aws_lambda, aws_stepfunctions

    from infra.reset_function import TIMEOUT
    from infra.workflows import reset_task

    stack = cdk.Stack(cdk.App(), "FaultHarness")
    function = aws_lambda.Function.from_function_arn(
        stack, "Function", "arn:aws:lambda:eu-west-1:123456789012:function:reset-password"
    )
    task = reset_task(stack, "Reset", function, aws_stepfunctions.TaskInput.from_json_path_at("$"))
    rules = task.to_state_json()["Retry"]
    return Workflow(tuple(Retrier.from_asl(rule) for rule in rules), budget_seconds / TIMEOUT.to_seconds())


def seeded(seed: int, *parts: object) -> random.Random:
    """A random generator for one purpose (a container's jitter, a caller's waits), the same for the same seed."""
    return random.Random("/".join(map(str, (seed, *parts))))  # noqa: S311 - jitter and test draws, not secrets


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `values` set, restored afterwards (boto3 reads endpoints and credentials when a client is
    created)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a container is built from: the function's variables, the AWS environment its clients are created under
    (endpoints, region, credentials), the client timeouts and the invocation budget."""

    function_environment: Mapping[str, str]
    aws_environment: Mapping[str, str]
    timeouts: Timeouts
    budget_seconds: float
    seed: int
    claim_lease_seconds: float
    reserve_seconds: float  # what the invocation keeps for reporting (RetryPolicy.reserve_seconds)

    @classmethod
    def of(
        cls,
        *,
        pool_id: str,
        table_name: str,
        aws_environment: Mapping[str, str],
        budget_seconds: float,
        timeouts: Timeouts,
        seed: int,
        claim_lease_seconds: float,
        reserve_seconds: float,
        cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS,
    ) -> Deployment:
        return cls(
            function_environment={
                env.USER_POOL_ID: pool_id,
                env.ALLOWED_USER_POOL_IDS: pool_id,
                env.IDEMPOTENCY_TABLE_NAME: table_name,
                env.COOLDOWN_SECONDS: str(cooldown_seconds),
            },
            aws_environment=dict(aws_environment),
            timeouts=timeouts,
            budget_seconds=budget_seconds,
            seed=seed,
            claim_lease_seconds=claim_lease_seconds,
            reserve_seconds=reserve_seconds,
        )


class ResetFunction:
    """The reset function as Lambda runs it: `containers` warm containers, one invocation at a time each."""

    def __init__(self, deployment: Deployment, *, containers: int) -> None:
        self.deployment = deployment
        self._idle: queue.SimpleQueue[handler.Handler] = queue.SimpleQueue()
        with environment(deployment.aws_environment):
            for index in range(containers):
                self._idle.put(self._container(index))

    def _container(self, index: int) -> handler.Handler:
        # The in-function backoff sleeps for real (its waits count against the budget); its jitter is seeded.
        backoff = Backoff(
            policy=RetryPolicy(reserve_seconds=self.deployment.reserve_seconds),
            jitter=seeded(self.deployment.seed, "container", index).random,
        )
        clients = AwsClients.create(timeouts=self.deployment.timeouts)
        dependencies = handler.dependencies_from_environment(
            self.deployment.function_environment,
            backoff=backoff,
            clients=clients,
            claim_lease_seconds=self.deployment.claim_lease_seconds,
        )
        return handler.build_handler(lambda: dependencies)

    def invoke(self, event: Event) -> Invocation:
        function = self._idle.get()
        try:
            return self._invoke(function, event)
        finally:
            self._idle.put(function)

    def _invoke(self, function: handler.Handler, event: Event) -> Invocation:
        budget = self.deployment.budget_seconds
        context = CountdownLambdaContext(remaining_time_in_millis=int(budget * 1000))
        result: Mapping[str, Any] | None = None
        error: str | None = None
        try:
            result = function(dict(event), context)
        except Exception as raised:  # noqa: BLE001 - Lambda hands any exception to the caller by its class name
            error = type(raised).__name__
        seconds = context.elapsed_seconds()
        if seconds > budget:  # Lambda would have stopped it at the budget: the caller sees a timeout
            late = error or str((result or {}).get("status"))
            return Invocation(seconds, budget, None, LAMBDA_TIMED_OUT, late=late)
        return Invocation(seconds, budget, result, error)


def execute_all(
    function: ResetFunction,
    workflow: Workflow,
    requests: Sequence[tuple[str, Event]],
    *,
    workers: int,
    seed: int,
) -> list[Execution]:
    """Every (name, request) through the workflow, `workers` executions at a time; in the order given."""

    def execute(named: tuple[str, Event]) -> Execution:
        name, request = named
        return workflow.execute(function, request, name, seeded(seed, "caller", name))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="execution") as pool:
        return list(pool.map(execute, requests))


@contextlib.contextmanager
def function_output(path: Path) -> Iterator[TextIO]:
    """The function's log lines and metrics (it prints them to stdout) into `path`, not into the test report."""
    with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield log


@dataclass(frozen=True, slots=True)
class ProcessExecution:
    """What one process of the concurrency test runs: one container, one request, through the workflow."""

    deployment: Deployment
    workflow: Workflow
    request: Event
    name: str
    log_path: Path


def _execute_in_process(job: ProcessExecution, start: Any, results: Any) -> None:
    """A child process's body: its own container and clients, then the request once every process is ready."""
    try:
        with function_output(job.log_path):
            function = ResetFunction(job.deployment, containers=1)
            start.wait(timeout=120)
            execution = job.workflow.execute(
                function, job.request, job.name, seeded(job.deployment.seed, "caller", job.name)
            )
        results.put((job.name, execution))
    except BaseException as error:
        results.put((job.name, f"{type(error).__name__}: {error}"))
        raise


def execute_in_processes(jobs: Sequence[ProcessExecution]) -> list[Execution]:
    """Each job in a separate, spawned process (nothing inherited from this one), all released at once; in the order
    given."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [context.Process(target=_execute_in_process, args=(job, start, results)) for job in jobs]
    for process in processes:
        process.start()
    collected: dict[str, Execution | str] = {}
    try:
        for _ in jobs:
            name, outcome = results.get(timeout=180)
            collected[name] = outcome
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failures = {name: outcome for name, outcome in collected.items() if isinstance(outcome, str)}
    if failures:
        raise RuntimeError(f"a process of the harness failed: {failures}")
    return [outcome for job in jobs if isinstance(outcome := collected[job.name], Execution)]


@dataclass(frozen=True)
class Verdict:
    """The four counts the issue asks for, each with the users or invocations behind it."""

    executions: Sequence[Execution]
    lost: Mapping[str, str]  # user -> why
    failed_closed: Mapping[str, str]  # user -> outcomes: told TransientResetError every time, nothing sent
    duplicated: Mapping[str, int]  # user -> codes sent
    contradictions: Mapping[str, str]  # user -> what the result said against the pool
    past_deadline: Sequence[str]  # executions with an invocation past its budget
    codes: Counter[str] = field(default_factory=Counter)

    @property
    def invocations(self) -> int:
        return sum(len(execution.invocations) for execution in self.executions)

    @property
    def failures(self) -> int:
        """Executions that ended without the user reset or found already reset."""
        return sum(execution.outcome not in {"reset", "skipped"} for execution in self.executions)

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(execution.outcome for execution in self.executions)

    def summary(self, scenario: str, seed: int, seconds: float) -> str:
        return (
            f"faults {scenario}: seed={seed} cases={len(self.executions)} failures={self.failures} "
            f"lost={len(self.lost)} failed_closed={len(self.failed_closed)} duplicated={len(self.duplicated)} "
            f"contradictions={len(self.contradictions)} "
            f"past_deadline={len(self.past_deadline)} invocations={self.invocations} codes={sum(self.codes.values())} "
            f"seconds={seconds:.1f}"
        )


def judge(
    executions_by_user: Mapping[str, Sequence[Execution]],
    *,
    codes: Counter[str],
    statuses: Mapping[str, str],
) -> Verdict:
    """Each user against the pool and the proxy's record (every user here can be reset: nothing permanent is wrong).

    lost: an execution of the user ended neither `reset` nor `skipped`, or the user is not RESET_REQUIRED, except
    failed closed: every such execution ended in the documented TransientResetError after the workflow's retries
    (its Catch keeps the request for a person), the user got no code and is as before. That is the documented
    choice when the dedupe table cannot be reached (no reset without the claim); a scenario without faults of the
    table must have none.
    duplicated: more than one AdminResetUserPassword for the user reached Cognito and succeeded (one code each).
    contradiction: a result says `reset` or `skipped` (done, now or before) but the user got no code or is not
    RESET_REQUIRED; or the user got a code but an execution ended saying it was not done (failed or an error); or more
    executions claim a reset of their own (`reset`, neither duplicate nor replayed) than codes were sent.
    """
    lost: dict[str, str] = {}
    failed_closed: dict[str, str] = {}
    duplicated: dict[str, int] = {}
    contradictions: dict[str, str] = {}
    past_deadline: list[str] = []
    for user, executions in executions_by_user.items():
        outcomes = [execution.outcome for execution in executions]
        status, sent = statuses.get(user, "MISSING"), codes[user]
        done = [outcome for outcome in outcomes if outcome in {"reset", "skipped"}]
        undone = [outcome for outcome in outcomes if outcome not in {"reset", "skipped"}]
        if undone and set(undone) == {FAILED_CLOSED} and not done and sent == 0 and status == "CONFIRMED":
            failed_closed[user] = f"outcomes {outcomes}, pool status {status}"
        elif undone or status != "RESET_REQUIRED":
            lost[user] = f"outcomes {outcomes}, pool status {status}"
        if sent > 1:
            duplicated[user] = sent
        if done and (sent == 0 or status != "RESET_REQUIRED"):
            contradictions[user] = f"told {done} but {sent} codes sent, pool status {status}"
        elif sent and undone:
            contradictions[user] = f"{sent} codes sent but told {undone}"
        elif (claimed := sum(execution.claims_own_reset for execution in executions)) > sent:
            contradictions[user] = f"{claimed} executions told reset (not a duplicate) for {sent} codes sent"
        past_deadline.extend(
            execution.describe()
            for execution in executions
            if any(invocation.past_deadline for invocation in execution.invocations)
        )
    return Verdict(
        executions=[execution for executions in executions_by_user.values() for execution in executions],
        lost=lost,
        failed_closed=failed_closed,
        duplicated=duplicated,
        contradictions=contradictions,
        past_deadline=past_deadline,
        codes=codes,
    )


def sample(mapping: Mapping[str, Any] | Sequence[str], count: int = 5) -> str:
    """The first few entries, for an assertion message."""
    items = list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)
    shown = "; ".join(f"{item[0]}: {item[1]}" if isinstance(item, tuple) else str(item) for item in items[:count])
    return shown + (f"; ... ({len(items) - count} more)" if len(items) > count else "")
